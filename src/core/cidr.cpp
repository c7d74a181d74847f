#include "core/cidr.h"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>

namespace licsat {
namespace {

// The address's bytes (4 or 16) and family; an IPv4-mapped IPv6 address becomes IPv4.
bool parse_address(const std::string& text, bool& v4, std::array<uint8_t, 16>& bytes) {
  bytes.fill(0);
  in_addr a4{};
  if (inet_pton(AF_INET, text.c_str(), &a4) == 1) {
    v4 = true;
    std::memcpy(bytes.data(), &a4, 4);
    return true;
  }
  in6_addr a6{};
  if (inet_pton(AF_INET6, text.c_str(), &a6) != 1) return false;
  static constexpr uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (std::memcmp(&a6, kMapped, 12) == 0) {
    v4 = true;
    std::memcpy(bytes.data(), reinterpret_cast<const uint8_t*>(&a6) + 12, 4);
    return true;
  }
  v4 = false;
  std::memcpy(bytes.data(), &a6, 16);
  return true;
}

bool same_prefix(const std::array<uint8_t, 16>& a, const std::array<uint8_t, 16>& b, int bits) {
  int full = bits / 8;
  if (std::memcmp(a.data(), b.data(), static_cast<size_t>(full)) != 0) return false;
  int rest = bits % 8;
  if (rest == 0) return true;
  uint8_t mask = static_cast<uint8_t>(0xff << (8 - rest));
  return (a[static_cast<size_t>(full)] & mask) == (b[static_cast<size_t>(full)] & mask);
}

}  // namespace

Result<Cidr> Cidr::parse(const std::string& text) {
  auto bad = [&](const std::string& why) {
    return fail(Error::invalid("'" + text + "' is not an address range (" + why +
                               "; examples: 192.0.2.10/32, 10.0.0.0/8, 2001:db8::/32)"));
  };
  std::string addr = text;
  int prefix = -1;
  if (auto slash = text.find('/'); slash != std::string::npos) {
    addr = text.substr(0, slash);
    std::string p = text.substr(slash + 1);
    auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), prefix);
    if (p.empty() || ec != std::errc() || end != p.data() + p.size() || prefix < 0) return bad("bad prefix length");
  }
  Cidr c;
  if (!parse_address(addr, c.v4_, c.net_)) return bad("not an IPv4 or IPv6 address");
  int max = c.v4_ ? 32 : 128;
  if (addr.find(':') != std::string::npos && c.v4_) {
    // An IPv4-mapped IPv6 range: its prefix counts the 96 bits of the mapping.
    if (prefix >= 0) {
      if (prefix < 96) return bad("an IPv4-mapped range needs a prefix of at least 96");
      prefix -= 96;
    }
  }
  if (prefix > max) return bad("prefix longer than the address");
  c.prefix_ = prefix < 0 ? max : prefix;
  return c;
}

bool Cidr::contains(const std::string& address) const {
  bool v4 = true;
  std::array<uint8_t, 16> bytes{};
  if (!parse_address(address, v4, bytes)) return false;
  return v4 == v4_ && same_prefix(bytes, net_, prefix_);
}

bool is_loopback(const std::string& address) {
  bool v4 = true;
  std::array<uint8_t, 16> bytes{};
  if (!parse_address(address, v4, bytes)) return false;
  if (v4) return bytes[0] == 127;
  static constexpr std::array<uint8_t, 16> kOne = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  return bytes == kOne;
}

Result<std::vector<Cidr>> parse_cidrs(const std::vector<std::string>& texts) {
  std::vector<Cidr> out;
  for (const auto& t : texts) {
    auto c = Cidr::parse(t);
    if (!c) return fail(c.error());
    out.push_back(*c);
  }
  return out;
}

}  // namespace licsat
