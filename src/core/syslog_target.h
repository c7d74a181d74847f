// Where the Event Log is sent: a syslog target named by a URL, udp://HOST:PORT (one datagram per
// message), tcp://HOST:PORT (RFC 6587 octet counting) or tls://HOST:PORT (the same over TLS,
// RFC 5425). HOST may be a name, an IPv4 address or a bracketed IPv6 address.
#pragma once

#include <cstdint>
#include <string>

#include "core/result.h"

namespace licsat::syslog {

enum class Transport { kUdp, kTcp, kTls };

struct Target {
  Transport transport = Transport::kUdp;
  std::string host;  // without brackets
  uint16_t port = 0;
  std::string url;   // as configured, for logs
};

// Parses one target URL; the error says what is wrong and shows the expected form.
Result<Target> parse_target(const std::string& url);

}  // namespace licsat::syslog
