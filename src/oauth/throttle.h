// Counts failures per key (a client ID, a source address) in a sliding one-minute window and
// refuses further attempts once a key reaches its limit, so the token endpoint cannot be used to
// guess secrets or passwords. In memory, per server node.
#pragma once

#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <unordered_map>

#include "core/clock.h"

namespace licsat::oauth {

class FailureThrottle {
 public:
  FailureThrottle(const Clock& clock, int64_t window_seconds = 60) : clock_(clock), window_(window_seconds) {}
  // Seconds to wait before `key` may try again, 0 when it may try now.
  int64_t retry_after(const std::string& key, int64_t limit);
  void add_failure(const std::string& key);

 private:
  void prune(std::deque<int64_t>& q, int64_t now) const;
  const Clock& clock_;
  int64_t window_;
  std::mutex mu_;
  std::unordered_map<std::string, std::deque<int64_t>> failures_;
  int64_t last_sweep_ = 0;
};

}  // namespace licsat::oauth
