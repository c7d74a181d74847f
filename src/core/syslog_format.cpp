#include "core/syslog_format.h"

#include "core/clock.h"

namespace licsat::syslog {
namespace {

// Length of the valid UTF-8 sequence starting at s[i], or 0 when it is not one (overlong forms,
// surrogates and code points above U+10FFFF are refused).
size_t utf8_sequence(std::string_view s, size_t i) {
  auto b = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char c = b(i);
  if (c < 0x80) return 1;
  size_t n;
  uint32_t cp;
  if (c >= 0xC2 && c <= 0xDF) { n = 2; cp = c & 0x1F; }
  else if (c >= 0xE0 && c <= 0xEF) { n = 3; cp = c & 0x0F; }
  else if (c >= 0xF0 && c <= 0xF4) { n = 4; cp = c & 0x07; }
  else return 0;
  if (i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    if ((b(i + k) & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (b(i + k) & 0x3F);
  }
  if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
    return 0;
  return n;
}

// `text` with every invalid UTF-8 byte replaced by U+FFFD; `escape` adds '\' before '"', '\', ']'.
std::string valid_utf8(std::string_view text, bool escape) {
  std::string out;
  out.reserve(text.size() + 8);
  for (size_t i = 0; i < text.size();) {
    size_t n = utf8_sequence(text, i);
    if (n == 0) {
      out += "\xEF\xBF\xBD";
      ++i;
      continue;
    }
    char c = text[i];
    if (escape && (c == '"' || c == '\\' || c == ']')) out += '\\';
    out.append(text.substr(i, n));
    i += n;
  }
  return out;
}

}  // namespace

std::string escape_param_value(std::string_view value) { return valid_utf8(value, true); }

std::string header_field(std::string_view value, size_t max_len) {
  if (value.empty()) return "-";
  std::string out(value.substr(0, max_len));
  for (auto& c : out)
    if (static_cast<unsigned char>(c) < 33 || static_cast<unsigned char>(c) > 126) c = '_';
  return out;
}

std::string format_message(const Record& r) {
  int severity = r.outcome == "failure" ? kSeverityWarning : kSeverityNotice;
  // Appended piece by piece: GCC 12 at -O3 warns falsely (-Wrestrict) on "<" + to_string(…).
  std::string m = "<";
  m += std::to_string(kFacility * 8 + severity);
  m += ">1 ";
  m += format_iso8601(r.time);  // RFC 3339 in UTC, as RFC 5424 asks
  m += ' ';
  m += header_field(r.hostname, 255);
  m += ' ';
  m += kAppName;
  m += ' ';
  m += r.procid > 0 ? std::to_string(r.procid) : "-";
  m += ' ';
  m += header_field(r.action, 32);
  m += " [";
  m += kSdId;
  auto param = [&](std::string_view name, std::string_view value) {
    m += ' ';
    m += name;
    m += "=\"";
    m += escape_param_value(value);
    m += '"';
  };
  param("action", r.action);
  param("outcome", r.outcome);
  param("actor", r.actor);
  param("source", r.source);
  param("node", r.hostname);
  m += ']';
  if (!r.detail.empty()) {
    m += ' ';
    m += valid_utf8(r.detail, false);
  }
  return m;
}

std::string frame_octet_counted(std::string_view message) {
  std::string out = std::to_string(message.size());
  out += ' ';
  out += message;
  return out;
}

}  // namespace licsat::syslog
