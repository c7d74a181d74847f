// Address ranges in CIDR notation ("10.0.0.0/8", "2001:db8::/32", or one address) and the
// test whether an address (as the server writes a peer: "192.0.2.7", "::1", "::ffff:192.0.2.7")
// falls in one. An IPv4-mapped IPv6 address matches the IPv4 ranges.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "core/result.h"

namespace licsat {

class Cidr {
 public:
  // "a.b.c.d/n" (n 0-32), "ipv6/n" (n 0-128), or an address alone (the one address). Anything
  // else is kInvalidArgument, naming the text.
  static Result<Cidr> parse(const std::string& text);
  // Whether `address` is inside. An address that does not parse is in no range.
  bool contains(const std::string& address) const;

 private:
  bool v4_ = true;
  std::array<uint8_t, 16> net_{};
  int prefix_ = 0;
};

// Whether `address` is the local host: 127.0.0.0/8, ::1, or ::ffff:127.x.y.z.
bool is_loopback(const std::string& address);

// Parses every range of `texts`; the first bad one is the error.
Result<std::vector<Cidr>> parse_cidrs(const std::vector<std::string>& texts);

}  // namespace licsat
