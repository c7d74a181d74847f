#include "core/syslog_target.h"

#include <charconv>

namespace licsat::syslog {

Result<Target> parse_target(const std::string& url) {
  auto bad = [&](const std::string& why) {
    return fail(Error::invalid("syslog target '" + url + "': " + why +
                               " (expected udp://HOST:PORT, tcp://HOST:PORT or tls://HOST:PORT)"));
  };
  Target t;
  t.url = url;
  size_t sep = url.find("://");
  if (sep == std::string::npos) return bad("no scheme");
  std::string scheme = url.substr(0, sep);
  if (scheme == "udp") t.transport = Transport::kUdp;
  else if (scheme == "tcp") t.transport = Transport::kTcp;
  else if (scheme == "tls") t.transport = Transport::kTls;
  else return bad("unknown scheme '" + scheme + "'");
  std::string rest = url.substr(sep + 3);
  if (!rest.empty() && rest.back() == '/') rest.pop_back();
  if (rest.find_first_of("/?#@") != std::string::npos) return bad("only HOST:PORT may follow the scheme");
  size_t colon;
  if (!rest.empty() && rest.front() == '[') {
    size_t close = rest.find(']');
    if (close == std::string::npos) return bad("unclosed '[' in the host");
    t.host = rest.substr(1, close - 1);
    if (close + 1 >= rest.size() || rest[close + 1] != ':') return bad("no port");
    colon = close + 1;
  } else {
    colon = rest.rfind(':');
    if (colon == std::string::npos) return bad("no port");
    t.host = rest.substr(0, colon);
    if (t.host.find(':') != std::string::npos) return bad("an IPv6 address must be in brackets");
  }
  if (t.host.empty()) return bad("no host");
  std::string port = rest.substr(colon + 1);
  unsigned value = 0;
  auto [p, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (port.empty() || ec != std::errc() || p != port.data() + port.size() || value == 0 || value > 65535)
    return bad("port '" + port + "' is not a number from 1 to 65535");
  t.port = static_cast<uint16_t>(value);
  return t;
}

}  // namespace licsat::syslog
