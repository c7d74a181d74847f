#include "domain/name_fingerprint.h"

#include <algorithm>

namespace licsat::domain {

std::string NameFingerprint::operator()(std::string_view name) const {
  if (name.empty()) return "(none)";
  // Count characters (UTF-8 lead bytes), so the prefix never splits one.
  size_t chars = 0;
  for (unsigned char c : name)
    if ((c & 0xC0) != 0x80) ++chars;
  size_t keep = std::min<size_t>(3, chars / 4);
  size_t end = 0, seen = 0;
  while (end < name.size()) {
    if ((static_cast<unsigned char>(name[end]) & 0xC0) != 0x80) {
      if (seen == keep) break;
      ++seen;
    }
    ++end;
  }
  return std::string(name.substr(0, end)) + "…#" + hasher_(name).substr(0, 8);
}

}  // namespace licsat::domain
