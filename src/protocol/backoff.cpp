#include "protocol/backoff.h"

#include <algorithm>
#include <cmath>

namespace licsat::protocol {

double backoff_delay(const BackoffPolicy& p, int retry, double r, int64_t retry_after) {
  int n = std::max(retry, 1) - 1;
  double d = p.initial * std::pow(p.factor, std::min(n, 62));
  d = std::min(d, p.max);
  r = std::clamp(r, 0.0, 1.0);
  d -= d * p.jitter * r;
  if (retry_after > 0) d = std::max(d, static_cast<double>(retry_after));
  return std::min(d, p.max);
}

}  // namespace licsat::protocol
