#include "api/usage_report_scanner.h"

#include "api/usage_report_parser.h"
#include "core/clock.h"

namespace licsat::api {
namespace {

// Every member returns false to give up; the caller then runs the full parser.
class Scanner {
 public:
  explicit Scanner(std::string_view body) : p_(body.data()), end_(body.data() + body.size()) {}

  bool report(domain::UsageReport& r) {
    bool id = false, manager = false, period = false, devices = false;
    // No members: the full parser says which one is missing.
    bool ok = object([&](std::string_view key) {
      if (key == "reportId") return once(id) && bounded(r.report_id);
      if (key == "manager") return once(manager) && text(r.manager);
      if (key == "period") return once(period) && times(r);
      if (key == "devices") return once(devices) && array([&] { return device(r.devices.emplace_back()); });
      return false;
    });
    if (!ok || !id || !period || !devices) return false;
    skip_space();
    return p_ == end_;
  }

 private:
  // Reads a non-empty object, each member with `member(key)`; false from it gives up.
  template <class Member>
  bool object(Member&& member) {
    std::string_view key;
    if (!open('{') || peek('}')) return false;
    do {
      if (!name(key) || !member(key)) return false;
    } while (next());
    return close('}');
  }

  // Reads an array, possibly empty, each element with `element()`.
  template <class Element>
  bool array(Element&& element) {
    if (!open('[')) return false;
    if (peek(']')) return close(']');
    do {
      if (!element()) return false;
    } while (next());
    return close(']');
  }

  // A member seen for the first time (a repeated one gives up: the full parser explains it).
  static bool once(bool& seen) {
    if (seen) return false;
    seen = true;
    return true;
  }

  bool times(domain::UsageReport& r) {
    bool start = false, end = false;
    bool ok = object([&](std::string_view key) {
      if (key == "start") return once(start) && time(r.period_start);
      if (key == "end") return once(end) && time(r.period_end);
      return false;
    });
    return ok && start && end && r.period_end >= r.period_start;
  }

  bool device(domain::DeviceUsage& d) {
    bool pid = false, sn = false, hostname = false, licenses = false;
    bool ok = object([&](std::string_view key) {
      if (key == "pid") return once(pid) && bounded(d.pid);
      if (key == "sn") return once(sn) && bounded(d.sn);
      if (key == "hostname") return once(hostname) && text(d.hostname);
      if (key == "licenses") return once(licenses) && array([&] { return license(d.licenses.emplace_back()); });
      return false;
    });
    return ok && pid && sn;
  }

  bool license(domain::TagCount& t) {
    bool tag = false, count = false;
    bool ok = object([&](std::string_view key) {
      if (key == "tag") return once(tag) && bounded(t.tag);
      if (key == "count") return once(count) && whole(t.count) && t.count <= kMaxLicenseCount;
      return false;
    });
    return ok && tag && count;
  }

  // ISO 8601 text or Unix seconds, as the full parser takes them.
  bool time(int64_t& t) {
    skip_space();
    if (p_ < end_ && *p_ == '"') {
      std::string_view s;
      if (!string(s)) return false;
      auto v = parse_iso8601(std::string(s));
      if (!v) return false;
      t = *v;
      return true;
    }
    return whole(t);
  }

  // A string member of 1 to 256 bytes (reportId, pid, sn, tag).
  bool bounded(std::string& into) {
    std::string_view s;
    if (!string(s) || s.empty() || s.size() > 256) return false;
    into.assign(s);
    return true;
  }

  bool text(std::string& into) {
    std::string_view s;
    if (!string(s)) return false;
    into.assign(s);
    return true;
  }

  bool name(std::string_view& key) {
    if (!string(key)) return false;
    skip_space();
    if (p_ == end_ || *p_ != ':') return false;
    ++p_;
    return true;
  }

  // A string of printable ASCII without escapes; its bytes are its value.
  bool string(std::string_view& out) {
    skip_space();
    if (p_ == end_ || *p_ != '"') return false;
    const char* from = ++p_;
    while (p_ < end_) {
      auto c = static_cast<unsigned char>(*p_);
      if (c == '"') {
        out = std::string_view(from, static_cast<size_t>(p_ - from));
        ++p_;
        return true;
      }
      if (c < 0x20 || c >= 0x80 || c == '\\') return false;
      ++p_;
    }
    return false;
  }

  // A JSON number that is a whole number from 0 to 10^18 - 1 (no sign, fraction or exponent).
  bool whole(int64_t& v) {
    skip_space();
    const char* from = p_;
    int64_t n = 0;
    while (p_ < end_ && *p_ >= '0' && *p_ <= '9') {
      if (p_ - from >= 18) return false;
      n = n * 10 + (*p_ - '0');
      ++p_;
    }
    size_t digits = static_cast<size_t>(p_ - from);
    if (digits == 0 || (digits > 1 && *from == '0')) return false;
    if (p_ < end_ && (*p_ == '.' || *p_ == 'e' || *p_ == 'E')) return false;
    v = n;
    return true;
  }

  bool open(char c) {
    skip_space();
    if (p_ == end_ || *p_ != c) return false;
    ++p_;
    return true;
  }
  bool close(char c) { return open(c); }

  bool peek(char c) {
    skip_space();
    return p_ < end_ && *p_ == c;
  }

  // After a value: true past a comma (another member or element follows), false otherwise.
  bool next() {
    skip_space();
    if (p_ < end_ && *p_ == ',') {
      ++p_;
      return true;
    }
    return false;
  }

  void skip_space() {
    while (p_ < end_ && (*p_ == ' ' || *p_ == '\n' || *p_ == '\r' || *p_ == '\t')) ++p_;
  }

  const char* p_;
  const char* end_;
};

}  // namespace

std::optional<domain::UsageReport> scan_plain_usage_report(std::string_view body) {
  domain::UsageReport r;
  if (!Scanner(body).report(r)) return std::nullopt;
  return r;
}

}  // namespace licsat::api
