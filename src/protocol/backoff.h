// The retry schedule of a side that syncs (a manager's run loop, a satellite's scheduler):
// exponential backoff with jitter, so that a fleet coming back after an outage does not hit the
// server in step.
#pragma once

#include <cstdint>

namespace licsat::protocol {

struct BackoffPolicy {
  double initial = 5;   // seconds before the first retry
  double max = 3600;    // longest delay
  double factor = 2;    // growth per failed attempt
  double jitter = 0.5;  // a delay is drawn from [d × (1 − jitter), d]
};

// The delay before retry number `retry` (1 for the first retry after a failure), with `r` drawn
// uniformly from [0, 1): min(max, initial × factor^(retry−1)), reduced by up to `jitter` of itself.
// A server's Retry-After (seconds) is a floor, still capped by max.
double backoff_delay(const BackoffPolicy& p, int retry, double r, int64_t retry_after = 0);

}  // namespace licsat::protocol
