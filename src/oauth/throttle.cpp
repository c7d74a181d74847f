#include "oauth/throttle.h"

namespace licsat::oauth {

void FailureThrottle::prune(std::deque<int64_t>& q, int64_t now) const {
  while (!q.empty() && q.front() <= now - window_) q.pop_front();
}

int64_t FailureThrottle::retry_after(const std::string& key, int64_t limit) {
  std::lock_guard l(mu_);
  auto it = failures_.find(key);
  if (it == failures_.end()) return 0;
  int64_t now = clock_.now();
  prune(it->second, now);
  if (static_cast<int64_t>(it->second.size()) < limit) return 0;
  return std::max<int64_t>(1, it->second.front() + window_ - now);
}

void FailureThrottle::add_failure(const std::string& key) {
  std::lock_guard l(mu_);
  int64_t now = clock_.now();
  failures_[key].push_back(now);
  // Forget quiet keys now and then, so memory stays bounded by recent failures.
  if (now - last_sweep_ > window_) {
    for (auto it = failures_.begin(); it != failures_.end();) {
      prune(it->second, now);
      it = it->second.empty() ? failures_.erase(it) : std::next(it);
    }
    last_sweep_ = now;
  }
}

}  // namespace licsat::oauth
