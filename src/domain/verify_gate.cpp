#include "domain/verify_gate.h"

#include <algorithm>
#include <thread>

namespace licsat::domain {

namespace {
int64_t cores() { return std::max<int64_t>(1, static_cast<int64_t>(std::thread::hardware_concurrency())); }
}  // namespace

VerifyGate::VerifyGate(int64_t running, int64_t queued, int64_t reserved)
    : running_limit_(running > 0 ? running : cores()),
      queue_limit_(queued >= 0 ? queued : 4 * cores()),
      reserved_limit_(reserved >= 0 ? reserved : running_limit_) {}

VerifyGate::Pass& VerifyGate::Pass::operator=(Pass&& o) noexcept {
  if (this != &o) {
    if (gate_) gate_->leave();
    gate_ = o.gate_;
    o.gate_ = nullptr;
  }
  return *this;
}

VerifyGate::Pass::~Pass() {
  if (gate_) gate_->leave();
}

VerifyGate::Pass VerifyGate::enter(bool trusted) {
  std::unique_lock l(mu_);
  if (running_ < running_limit_ && (trusted ? trusted_waiting_ : waiting_) == 0) {
    ++running_;
    return Pass(this);
  }
  const int64_t untrusted_waiting = waiting_ - trusted_waiting_;
  if (trusted) {
    // Its own places first, then any free place of the common queue.
    if (trusted_waiting_ >= reserved_limit_ + std::max<int64_t>(0, queue_limit_ - untrusted_waiting)) return Pass();
    ++trusted_waiting_;
  } else if (untrusted_waiting >= queue_limit_ || waiting_ >= queue_limit_ + reserved_limit_) {
    return Pass();
  }
  ++waiting_;
  cv_.wait(l, [&] { return running_ < running_limit_ && (trusted || trusted_waiting_ == 0); });
  --waiting_;
  if (trusted) --trusted_waiting_;
  ++running_;
  return Pass(this);
}

void VerifyGate::leave() {
  {
    std::lock_guard l(mu_);
    --running_;
  }
  // Every waiter re-checks: a trusted one takes the place before untrusted ones (few waiters).
  cv_.notify_all();
}

int64_t VerifyGate::running() const {
  std::lock_guard l(mu_);
  return running_;
}

int64_t VerifyGate::waiting() const {
  std::lock_guard l(mu_);
  return waiting_;
}

}  // namespace licsat::domain
