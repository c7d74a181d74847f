// The Event Log as syslog messages: RFC 5424 formatting, structured-data escaping and RFC 6587
// octet-counting framing. Pure functions (no I/O), so every byte that goes on the wire is
// unit-tested; core/syslog_sink.h sends what these build.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace licsat::syslog {

// The structured-data ID of licsat's element: NAME@PEN, with 32473, the private enterprise
// number RFC 5612 reserves for documentation and examples.
inline constexpr std::string_view kSdId = "licsat@32473";
inline constexpr std::string_view kAppName = "licsat";
// Facility: security/authorization messages (4, "auth").
inline constexpr int kFacility = 4;
inline constexpr int kSeverityWarning = 4;  // outcome "failure"
inline constexpr int kSeverityNotice = 5;   // any other outcome

// One Event Log record, as the syslog message says it.
struct Record {
  int64_t time = 0;      // Unix seconds
  std::string hostname;  // the node that sends it (also the `node` parameter)
  int64_t procid = 0;    // 0: "-"
  std::string action;    // becomes MSGID and the `action` parameter
  std::string outcome;   // "success" | "failure"
  std::string actor;
  std::string source;    // the client's address
  std::string detail;    // becomes MSG
};

// A PARAM-VALUE (RFC 5424 §6.3.3): '"', '\' and ']' preceded by '\'; bytes that are not valid
// UTF-8 (the value must be UTF-8) replaced by U+FFFD.
std::string escape_param_value(std::string_view value);

// A header field of PRINTUSASCII (33..126) at most `max_len` long: other bytes become '_', an
// empty field the NILVALUE "-". Used for HOSTNAME (255), MSGID (32).
std::string header_field(std::string_view value, size_t max_len);

// "<PRI>1 TIMESTAMP HOSTNAME licsat PROCID MSGID [licsat@32473 action=… outcome=… actor=…
// source=… node=…] DETAIL": TIMESTAMP in UTC with "Z", PRI from kFacility and the outcome's
// severity, MSG (the detail, made valid UTF-8) omitted when empty. No trailing newline.
std::string format_message(const Record& r);

// RFC 6587 §3.4.1 octet counting (also RFC 5425 over TLS): "LEN SP MSG".
std::string frame_octet_counted(std::string_view message);

}  // namespace licsat::syslog
