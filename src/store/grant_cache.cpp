#include "store/grant_cache.h"

#include <mutex>

namespace licsat::store {

Result<std::optional<domain::Grant>> GrantCache::find(const std::string& client_id, const Loader& load) {
  uint64_t seen;
  {
    std::shared_lock lock(mu_);
    if (auto it = entries_.find(client_id); it != entries_.end()) return it->second;
    seen = generation_;
  }
  auto loaded = load(client_id);
  if (!loaded) return loaded;
  std::unique_lock lock(mu_);
  if (generation_ == seen) {
    if (entries_.size() >= max_entries_) entries_.clear();
    entries_.emplace(client_id, *loaded);
  }
  return loaded;
}

void GrantCache::invalidate() {
  std::unique_lock lock(mu_);
  ++generation_;
  entries_.clear();
}

}  // namespace licsat::store
