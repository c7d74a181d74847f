// Group commit, as leveldb's writer queue does it: concurrent callers that each need a small
// write line up; the first in line becomes the leader, writes every queued caller's rows in ONE
// transaction, and wakes the others with the shared outcome. Nobody returns before their rows
// are committed, so an acknowledged token is a persisted token; the transaction count (and the
// WAL pages written) falls from one per caller to one per batch under load.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <vector>

#include "store/db.h"

namespace licsat::store {

class GroupCommit {
 public:
  using Work = std::function<Status(Connection&)>;
  explicit GroupCommit(Database& db, size_t max_batch = 512) : db_(db), max_batch_(max_batch) {}

  // Runs `work` inside a write transaction shared with other callers; returns once committed.
  Status run(const Work& work);

 private:
  struct Writer {
    const Work* work;
    Status status;
    bool done = false;
    std::condition_variable cv;
  };
  Database& db_;
  size_t max_batch_;
  std::mutex mu_;
  std::deque<Writer*> queue_;
};

}  // namespace licsat::store
