#include "sync/scheduler.h"

#include <chrono>
#include <random>
#include <string>

#include "protocol/backoff.h"

namespace licsat::sync {

SyncScheduler::SyncScheduler(UpstreamSync& sync, store::Database& db, store::AuthStore& settings, const Clock& clock,
                             int64_t interval)
    : sync_(sync), db_(db), settings_(settings), clock_(clock), interval_(std::max<int64_t>(interval, 1)) {}

SyncScheduler::~SyncScheduler() { stop(); }

void SyncScheduler::start() {
  if (thread_.joinable()) return;
  {
    std::lock_guard lock(mu_);
    stop_ = false;
  }
  schedule(clock_.now());
  thread_ = std::thread([this] { loop(); });
}

void SyncScheduler::stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::optional<int64_t> SyncScheduler::next_run() const {
  std::lock_guard lock(mu_);
  return next_run_;
}

void SyncScheduler::schedule(int64_t at) {
  {
    std::lock_guard lock(mu_);
    next_run_ = at;
  }
  (void)settings_.set_setting(kSettingNextRun, std::to_string(at), std::nullopt);
  cv_.notify_all();
}

SyncOutcome SyncScheduler::run_locked(const domain::Actor& by) {
  std::lock_guard run(run_mu_);
  auto taken = db_.try_job_lock(kSyncJobLock);
  if (!taken || !*taken) {
    SyncOutcome o;
    o.mode = "online";
    o.started = o.finished = clock_.now();
    o.error = taken ? "another node of this server is syncing with the upstream now; try again when it is done"
                    : "cannot take the sync lock: " + taken.error().message;
    return o;
  }
  running_ = true;
  SyncOutcome o = sync_.run_online(by);
  running_ = false;
  db_.release_job_lock(kSyncJobLock);

  // Next run: the interval after a success, the manager's backoff after failures.
  if (o.ok) {
    failures_ = 0;
    schedule(clock_.now() + interval_);
  } else {
    int n = ++failures_;
    static thread_local std::mt19937_64 rng{std::random_device{}()};
    double r = std::uniform_real_distribution<double>(0.0, 1.0)(rng);
    protocol::BackoffPolicy p;
    p.initial = 15;
    p.max = static_cast<double>(interval_);
    p.factor = 2;
    p.jitter = 0.2;
    int64_t delay = std::max<int64_t>(1, static_cast<int64_t>(protocol::backoff_delay(p, n, r)));
    schedule(clock_.now() + delay);
  }
  return o;
}

SyncOutcome SyncScheduler::run_now(const domain::Actor& by) { return run_locked(by); }

void SyncScheduler::loop() {
  std::unique_lock lock(mu_);
  bool first = true;  // the sync at start always runs
  while (!stop_) {
    // Wakes every second to compare with the (injectable) clock; stop() and schedule() wake it early.
    cv_.wait_for(lock, std::chrono::seconds(1));
    if (stop_) break;
    if (!next_run_ || clock_.now() < *next_run_) continue;
    next_run_.reset();  // taken; run_locked sets the next one
    lock.unlock();
    // Several nodes over one database each keep a schedule: a node whose turn comes less than an
    // interval after another node's success waits for the end of that interval instead.
    std::optional<int64_t> other_ok;
    if (!first) {
      if (auto v = settings_.get_setting(kSettingLastOk); v && *v && !(*v)->empty()) {
        try {
          other_ok = std::stoll(**v);
        } catch (...) {
        }
      }
    }
    first = false;
    if (other_ok && failures_ == 0 && clock_.now() < *other_ok + interval_) {
      schedule(*other_ok + interval_);
    } else {
      (void)run_locked({"system", ""});
    }
    lock.lock();
  }
}

}  // namespace licsat::sync
