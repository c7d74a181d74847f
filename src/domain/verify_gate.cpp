#include "domain/verify_gate.h"

#include <algorithm>
#include <thread>

namespace licsat::domain {

namespace {
int64_t cores() { return std::max<int64_t>(1, static_cast<int64_t>(std::thread::hardware_concurrency())); }
}  // namespace

VerifyGate::VerifyGate(int64_t running, int64_t queued)
    : running_limit_(running > 0 ? running : cores()), queue_limit_(queued >= 0 ? queued : 4 * cores()) {}

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

VerifyGate::Pass VerifyGate::enter() {
  std::unique_lock l(mu_);
  if (running_ < running_limit_ && waiting_ == 0) {
    ++running_;
    return Pass(this);
  }
  if (waiting_ >= queue_limit_) return Pass();
  ++waiting_;
  cv_.wait(l, [&] { return running_ < running_limit_; });
  --waiting_;
  ++running_;
  return Pass(this);
}

void VerifyGate::leave() {
  {
    std::lock_guard l(mu_);
    --running_;
  }
  cv_.notify_one();
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
