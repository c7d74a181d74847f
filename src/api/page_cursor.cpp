#include "api/page_cursor.h"

#include <charconv>

#include "core/crypto.h"

namespace licsat::api {

std::string encode_cursor(std::string_view kind, int64_t id) {
  return crypto::to_base64url(std::string(kind) + ":" + std::to_string(id));
}

std::optional<int64_t> decode_cursor(std::string_view kind, std::string_view text) {
  if (text.empty() || text.size() > 64) return std::nullopt;
  auto raw = crypto::from_base64url(text);
  if (!raw) return std::nullopt;
  std::string_view s = *raw;
  if (s.size() <= kind.size() + 1 || !s.starts_with(kind) || s[kind.size()] != ':') return std::nullopt;
  s.remove_prefix(kind.size() + 1);
  int64_t id = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), id);
  if (ec != std::errc() || end != s.data() + s.size() || id < 0) return std::nullopt;
  return id;
}

}  // namespace licsat::api
