#include "http/body_budget.h"

namespace licsat::http {

BodyBudget::Reservation& BodyBudget::Reservation::operator=(Reservation&& o) noexcept {
  if (this != &o) {
    if (budget_) budget_->used_.fetch_sub(bytes_, std::memory_order_relaxed);
    budget_ = o.budget_;
    bytes_ = o.bytes_;
    o.budget_ = nullptr;
  }
  return *this;
}

BodyBudget::Reservation::~Reservation() {
  if (budget_) budget_->used_.fetch_sub(bytes_, std::memory_order_relaxed);
}

std::optional<BodyBudget::Reservation> BodyBudget::reserve(int64_t bytes) {
  int64_t cur = used_.load(std::memory_order_relaxed);
  do {
    if (bytes > capacity_ - cur) return std::nullopt;
  } while (!used_.compare_exchange_weak(cur, cur + bytes, std::memory_order_relaxed));
  return Reservation(this, bytes);
}

}  // namespace licsat::http
