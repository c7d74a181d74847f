#include "store/db.h"

namespace licsat::store {

int64_t Row::i64(size_t i) const {
  const auto& v = cols.at(i);
  if (auto* n = std::get_if<int64_t>(&v)) return *n;
  if (auto* s = std::get_if<std::string>(&v)) return s->empty() ? 0 : std::stoll(*s);
  return 0;
}

std::string Row::str(size_t i) const {
  const auto& v = cols.at(i);
  if (auto* s = std::get_if<std::string>(&v)) return *s;
  if (auto* n = std::get_if<int64_t>(&v)) return std::to_string(*n);
  return {};
}

std::string redact_url(const std::string& url) {
  auto scheme = url.find("://");
  if (scheme == std::string::npos) return url;
  auto at = url.find('@', scheme + 3);
  if (at == std::string::npos) return url;
  auto colon = url.find(':', scheme + 3);
  if (colon == std::string::npos || colon > at) return url;
  return url.substr(0, colon + 1) + "***" + url.substr(at);
}

Result<std::unique_ptr<Database>> open_database(const std::string& url, int pool_size) {
  if (url.starts_with("postgresql://") || url.starts_with("postgres://")) return open_postgres(url, pool_size);
  std::string path = url.starts_with("sqlite:") ? url.substr(7) : url;
  return open_sqlite(path);
}

}  // namespace licsat::store
