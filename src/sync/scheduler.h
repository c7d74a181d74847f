// The satellite's sync schedule: a thread started by `licsat serve` when an upstream is
// configured. It syncs at start and then every interval; after a failure it retries with the
// manager's exponential backoff (manager::backoff_delay, capped at the interval). One sync at a
// time: a mutex in this process, and Database::try_job_lock across the nodes that share one
// PostgreSQL database. "Sync now" (REST, CLI) runs one at once through the same gate.
//
// While the authority is unreachable nothing else changes: the satellite serves its managers
// from its mirror and their usage reports simply stay queued until a sync forwards them.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <thread>

#include "core/clock.h"
#include "store/auth_store.h"
#include "store/db.h"
#include "sync/upstream_sync.h"

namespace licsat::sync {

// The advisory lock that makes one sync at a time across nodes ("licsync").
inline constexpr int64_t kSyncJobLock = 0x6c6963'73796e63;

class SyncScheduler {
 public:
  SyncScheduler(UpstreamSync& sync, store::Database& db, store::AuthStore& settings, const Clock& clock,
                int64_t interval);
  ~SyncScheduler();
  SyncScheduler(const SyncScheduler&) = delete;
  SyncScheduler& operator=(const SyncScheduler&) = delete;

  // Starts the thread; its first sync runs at once.
  void start();
  // Stops the thread, after the sync in progress (if any) ends.
  void stop();

  // Runs one sync now, waiting for one in progress in this process to end first. When another
  // node holds the sync lock the outcome says so (not ok, nothing done).
  SyncOutcome run_now(const domain::Actor& by);

  std::optional<int64_t> next_run() const;
  bool running() const { return running_.load(); }
  int failures() const { return failures_.load(); }

 private:
  void loop();
  SyncOutcome run_locked(const domain::Actor& by);
  void schedule(int64_t at);

  UpstreamSync& sync_;
  store::Database& db_;
  store::AuthStore& settings_;
  const Clock& clock_;
  int64_t interval_;

  std::mutex run_mu_;                   // one sync at a time in this process
  mutable std::mutex mu_;               // guards next_run_, stop_
  std::condition_variable cv_;
  std::optional<int64_t> next_run_;
  bool stop_ = false;
  std::atomic<bool> running_{false};
  std::atomic<int> failures_{0};
  std::thread thread_;
};

}  // namespace licsat::sync
