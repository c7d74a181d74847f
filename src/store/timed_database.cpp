#include "store/timed_database.h"

#include <chrono>

namespace licsat::store {

Status TimedDatabase::transact(TxMode mode, const std::function<Status(Connection&)>& fn) {
  if (mode == TxMode::kRead) return inner_->transact(mode, fn);
  auto start = std::chrono::steady_clock::now();
  Status s = inner_->transact(mode, fn);
  // Failed transactions too: a database that fails slowly is as much a problem.
  commit_seconds_.observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  return s;
}

}  // namespace licsat::store
