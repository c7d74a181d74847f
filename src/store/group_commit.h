// Group commit with one writer thread: callers hand over small writes (a token and its event)
// and the writer commits everything queued so far in ONE transaction, then tells each caller
// the shared outcome. Nobody is told "done" before their rows are committed, so an acknowledged
// token is a persisted token; under load the transaction count (and the WAL pages written)
// falls from one per caller to one per batch, and no request thread ever blocks on the
// database's writer: submit() returns at once and `done` runs on the writer thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "store/db.h"

namespace licsat::store {

class GroupCommit {
 public:
  using Work = std::function<Status(Connection&)>;
  using Done = std::function<void(const Status&)>;
  // `mode`: how each batch commits (TxMode::kWrite, or kWriteLazySync for writes whose loss in
  // a power cut is harmless).
  explicit GroupCommit(Database& db, TxMode mode = TxMode::kWrite, size_t max_batch = 1024)
      : db_(db), mode_(mode), max_batch_(max_batch) {}
  // Commits what is queued, then stops the writer.
  ~GroupCommit();
  GroupCommit(const GroupCommit&) = delete;
  GroupCommit& operator=(const GroupCommit&) = delete;

  // Queues `work` for the next transaction; `done` runs on the writer thread once it is
  // committed (or failed). One caller's failure never fails the others of its batch: a failed
  // batch is retried one transaction per caller.
  void submit(Work work, Done done);
  // submit() and wait: returns once committed.
  Status run(Work work);

 private:
  struct Entry {
    Work work;
    Done done;
  };
  // A batch smaller than kLingerBelow, taken while the load is sustained, waits up to kLinger
  // for company.
  static constexpr size_t kLingerBelow = 64;
  static constexpr std::chrono::microseconds kLinger{500};
  void writer_loop();
  void commit(std::vector<Entry>& batch);

  Database& db_;
  TxMode mode_;
  size_t max_batch_;
  std::mutex mu_;
  std::condition_variable wake_;
  std::vector<Entry> queue_;
  bool writer_idle_ = false;
  bool stop_ = false;
  std::thread writer_;  // started by the first submit()
};

}  // namespace licsat::store
