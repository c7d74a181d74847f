// The memory that request bodies in flight may hold, across all connections: a request
// reserves its body's size before any of it is read (and gets 503 when the budget cannot
// cover it), and gives it back when the reservation is destroyed: once its response is on the
// way, or when its connection dies. So slow or stalled uploads, however many, hold at most the
// budget, instead of each holding up to its route's body limit.
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>

namespace licsat::http {

class BodyBudget {
 public:
  explicit BodyBudget(int64_t capacity) : capacity_(capacity) {}
  BodyBudget(const BodyBudget&) = delete;
  BodyBudget& operator=(const BodyBudget&) = delete;

  // Bytes held against the budget until destroyed (move-only).
  class Reservation {
   public:
    Reservation(Reservation&& o) noexcept : budget_(o.budget_), bytes_(o.bytes_) { o.budget_ = nullptr; }
    Reservation& operator=(Reservation&& o) noexcept;
    Reservation(const Reservation&) = delete;
    Reservation& operator=(const Reservation&) = delete;
    ~Reservation();
    int64_t bytes() const { return bytes_; }

   private:
    friend class BodyBudget;
    Reservation(BodyBudget* b, int64_t bytes) : budget_(b), bytes_(bytes) {}
    BodyBudget* budget_;
    int64_t bytes_;
  };

  // Reserves `bytes`, or nullopt when that would take the bytes in use over the capacity.
  std::optional<Reservation> reserve(int64_t bytes);
  int64_t in_use() const { return used_.load(std::memory_order_relaxed); }
  int64_t capacity() const { return capacity_; }

 private:
  const int64_t capacity_;
  std::atomic<int64_t> used_{0};
};

}  // namespace licsat::http
