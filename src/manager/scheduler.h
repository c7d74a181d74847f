// `licsat manager run`: a sync every interval (24 h by default), and between failed attempts
// retries with exponential backoff and jitter, so that a fleet of managers coming back after an
// outage does not hit the server in step. A failure no retry can fix (a wrong client secret or
// password, a locked user, bad settings or state) ends the run instead. One log line per attempt.
//
// Time and randomness are injected (a Sleeper and a random source), so tests run the schedule
// without waiting.
#pragma once

#include <csignal>
#include <cstdint>
#include <expected>
#include <functional>
#include <string>

#include "manager/protocol_names.h"
#include "manager/sync_cycle.h"
#include "protocol/backoff.h"

namespace licsat::manager {

// Sleeps, returning false when the run should stop (a signal arrived).
class Sleeper {
 public:
  virtual ~Sleeper() = default;
  virtual bool sleep_for(double seconds) = 0;
};

// Sleeps in short slices, waking up when `stop` becomes true.
class InterruptibleSleeper final : public Sleeper {
 public:
  explicit InterruptibleSleeper(const volatile std::sig_atomic_t& stop) : stop_(stop) {}
  bool sleep_for(double seconds) override;

 private:
  const volatile std::sig_atomic_t& stop_;
};

struct RunOptions {
  double interval = 24 * 3600;   // between the starts of successful syncs' successors
  BackoffPolicy backoff;
  int64_t cycles = 0;            // stop after this many successful syncs (0: never)
};

// What one attempt printed, for the log line.
struct AttemptLog {
  int64_t attempt = 0;           // counts every attempt of the run
  int retry = 0;                 // 0: a scheduled sync; n: the n-th retry after failures
  bool ok = false;
  double next_in = 0;            // seconds until the next attempt
  bool stopped = false;          // the failure cannot be fixed by retrying: the run ends here
  const CycleResult* result = nullptr;
  const Failure* failure = nullptr;
};

class SyncScheduler {
 public:
  using Cycle = std::function<std::expected<CycleResult, Failure>()>;
  using Logger = std::function<void(const AttemptLog&)>;

  SyncScheduler(Cycle cycle, RunOptions opt, Sleeper& sleeper, std::function<double()> random, Logger log);

  // Runs until stopped, `cycles` successes or a failure no retry can fix; returns 0 when the last
  // attempt succeeded, else the exit code of the last failure.
  int run();

 private:
  Cycle cycle_;
  RunOptions opt_;
  Sleeper& sleeper_;
  std::function<double()> random_;
  Logger log_;
};

}  // namespace licsat::manager
