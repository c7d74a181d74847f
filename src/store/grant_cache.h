// GrantCache: API grants by client ID, kept in memory so that issuing a token needs no read
// transaction. Only for a store that is the database's one writer (the embedded SQLite file,
// which `licsat serve` holds alone): every grant change goes through that store, which calls
// invalidate() before and after its transaction commits. With several nodes over PostgreSQL the
// store reads through instead, because another node may change a grant at any time.
//
// A lookup that misses reads the database and fills the entry only if no change began in the
// meantime (a generation counter), so a stale row read during a change is never kept. Unknown
// client IDs are cached too, so that they cost what known ones cost; the map is bounded and
// simply emptied when full.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <shared_mutex>
#include <string>
#include <unordered_map>

#include "core/result.h"
#include "domain/auth_records.h"

namespace licsat::store {

class GrantCache {
 public:
  using Loader = std::function<Result<std::optional<domain::Grant>>(const std::string& client_id)>;
  explicit GrantCache(size_t max_entries = 10000) : max_entries_(max_entries) {}

  Result<std::optional<domain::Grant>> find(const std::string& client_id, const Loader& load);
  // Forgets everything; called when a grant is created, changed or deleted.
  void invalidate();

 private:
  size_t max_entries_;
  std::shared_mutex mu_;
  uint64_t generation_ = 0;
  std::unordered_map<std::string, std::optional<domain::Grant>> entries_;
};

}  // namespace licsat::store
