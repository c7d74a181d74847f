#include "manager/scheduler.h"

#include <algorithm>
#include <chrono>
#include <thread>

namespace licsat::manager {

bool InterruptibleSleeper::sleep_for(double seconds) {
  using namespace std::chrono;
  auto until = steady_clock::now() + duration_cast<steady_clock::duration>(duration<double>(seconds));
  const steady_clock::duration slice = milliseconds(100);
  while (!stop_) {
    auto now = steady_clock::now();
    if (now >= until) return true;
    std::this_thread::sleep_for(std::min(slice, until - now));
  }
  return false;
}

SyncScheduler::SyncScheduler(Cycle cycle, RunOptions opt, Sleeper& sleeper, std::function<double()> random, Logger log)
    : cycle_(std::move(cycle)), opt_(opt), sleeper_(sleeper), random_(std::move(random)), log_(std::move(log)) {
  // A retry never waits longer than the regular interval.
  opt_.backoff.max = std::min(opt_.backoff.max, opt_.interval);
  opt_.backoff.initial = std::min(opt_.backoff.initial, opt_.backoff.max);
}

int SyncScheduler::run() {
  int64_t attempt = 0, successes = 0;
  int retry = 0;
  int last_exit = 0;
  for (;;) {
    ++attempt;
    auto r = cycle_();
    AttemptLog line;
    line.attempt = attempt;
    line.retry = retry;
    if (r) {
      ++successes;
      last_exit = 0;
      retry = 0;
      line.ok = true;
      line.result = &*r;
      bool done = opt_.cycles > 0 && successes >= opt_.cycles;
      line.next_in = done ? 0 : opt_.interval;
      log_(line);
      if (done) return 0;
      if (!sleeper_.sleep_for(opt_.interval)) return 0;
      continue;
    }
    ++retry;
    last_exit = exit_code(r.error().cls);
    line.failure = &r.error();
    if (retry_cannot_fix(r.error().cls)) {
      line.stopped = true;
      log_(line);
      return last_exit;
    }
    line.next_in = backoff_delay(opt_.backoff, retry, random_(), r.error().retry_after);
    log_(line);
    if (!sleeper_.sleep_for(line.next_in)) return last_exit;
  }
}

}  // namespace licsat::manager
