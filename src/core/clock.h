// Time comes from an injected Clock so that tests can move it instead of sleeping.
// All persisted times are Unix seconds (UTC).
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>

namespace licsat {

class Clock {
 public:
  virtual ~Clock() = default;
  // Seconds since the Unix epoch.
  virtual int64_t now() const = 0;
};

class SystemClock final : public Clock {
 public:
  int64_t now() const override;
};

// A clock the tests set and advance by hand.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(int64_t start = 1'700'000'000) : now_(start) {}
  int64_t now() const override { return now_.load(); }
  void set(int64_t t) { now_.store(t); }
  void advance(int64_t seconds) { now_.fetch_add(seconds); }

 private:
  std::atomic<int64_t> now_;
};

// ISO 8601 / RFC 3339 in UTC ("2026-11-25T17:19:01Z").
std::string format_iso8601(int64_t unix_seconds);
// Accepts "YYYY-MM-DD" (midnight UTC) and "YYYY-MM-DDTHH:MM:SS[Z]"; nullopt when malformed.
std::optional<int64_t> parse_iso8601(const std::string& text);
// "YYYY-MM-DD" of a time.
std::string format_date(int64_t unix_seconds);

}  // namespace licsat
