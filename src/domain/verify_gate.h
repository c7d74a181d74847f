// A bounded gate in front of argon2id password verifications: at most `running` at once (about
// one per core), at most `queued` more waiting their turn; past that a verification is refused
// at once instead of queued, so a flood of guesses cannot make a real login wait behind it for
// seconds (the caller answers 429 slow_down). Waiting is on a condition variable, never a sleep.
// Trusted requests (a name logging in again from an address it logged in from before: the
// caller decides) have `reserved` more waiting places of their own and take a freed place before
// any untrusted waiter, so guessers filling the queue cannot crowd them out; filling the reserve
// takes a valid name from an address where it logged in successfully.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>

namespace licsat::domain {

class VerifyGate {
 public:
  // `running` <= 0: one per hardware thread; `queued` < 0: 4 per hardware thread; `reserved` < 0:
  // as many as `running`.
  VerifyGate(int64_t running = 0, int64_t queued = -1, int64_t reserved = -1);

  // A place at the gate, held for the duration of one verification.
  class Pass {
   public:
    Pass() = default;
    explicit Pass(VerifyGate* g) : gate_(g) {}
    Pass(Pass&& o) noexcept : gate_(o.gate_) { o.gate_ = nullptr; }
    Pass& operator=(Pass&& o) noexcept;
    Pass(const Pass&) = delete;
    Pass& operator=(const Pass&) = delete;
    ~Pass();
    explicit operator bool() const { return gate_ != nullptr; }

   private:
    VerifyGate* gate_ = nullptr;
  };

  // Waits for a place when one of the queue's places is free; an empty Pass when the queue is full.
  // `trusted`: the reserved places too, and served before untrusted waiters.
  Pass enter(bool trusted = false);

  int64_t running_limit() const { return running_limit_; }
  int64_t queue_limit() const { return queue_limit_; }
  int64_t reserved_limit() const { return reserved_limit_; }
  int64_t running() const;
  int64_t waiting() const;

 private:
  void leave();
  int64_t running_limit_;
  int64_t queue_limit_;
  int64_t reserved_limit_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  int64_t running_ = 0;
  int64_t waiting_ = 0;          // untrusted and trusted
  int64_t trusted_waiting_ = 0;
};

}  // namespace licsat::domain
