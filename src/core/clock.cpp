#include "core/clock.h"

#include <chrono>
#include <cstdio>
#include <ctime>

namespace licsat {

int64_t SystemClock::now() const {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string format_iso8601(int64_t t) {
  std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string format_date(int64_t t) { return format_iso8601(t).substr(0, 10); }

std::optional<int64_t> parse_iso8601(const std::string& s) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, se = 0;
  char tail[8] = {0};
  int n = 0;
  if (s.size() == 10) {
    if (std::sscanf(s.c_str(), "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3 || n != 10) return std::nullopt;
  } else {
    int got = std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%7s", &y, &mo, &d, &h, &mi, &se, tail);
    if (got < 6) return std::nullopt;
    std::string t(tail);
    // Fractions of a second and an explicit UTC marker are accepted; other offsets are not.
    if (!t.empty()) {
      size_t i = 0;
      if (t[0] == '.') {
        i = 1;
        while (i < t.size() && t[i] >= '0' && t[i] <= '9') ++i;
      }
      std::string rest = t.substr(i);
      if (!(rest.empty() || rest == "Z" || rest == "+00:00")) return std::nullopt;
    }
  }
  if (y < 1970 || y > 9999 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60)
    return std::nullopt;
  std::chrono::year_month_day ymd{std::chrono::year{y}, std::chrono::month{static_cast<unsigned>(mo)},
                                  std::chrono::day{static_cast<unsigned>(d)}};
  if (!ymd.ok()) return std::nullopt;
  auto days = std::chrono::sys_days{ymd}.time_since_epoch().count();
  return static_cast<int64_t>(days) * 86400 + h * 3600 + mi * 60 + se;
}

}  // namespace licsat
