#include "domain/refusal_summary.h"

namespace licsat::domain {

void RefusalSummary::drop_front(std::vector<Summary>& due) {
  Entry& e = entries_.front();
  if (e.unwritten > 0) due.push_back({e.address, e.unwritten, std::move(e.last_reason)});
  by_address_.erase(e.address);
  entries_.pop_front();
}

void RefusalSummary::drop_ended(int64_t now, std::vector<Summary>& due) {
  // Entries are in the order their windows began: the ended ones are at the front.
  while (!entries_.empty() && entries_.front().window_start + limits_.window_seconds <= now) drop_front(due);
}

RefusalSummary::Outcome RefusalSummary::refuse(const std::string& address, std::string_view reason) {
  const int64_t now = clock_.now();
  std::lock_guard l(mu_);
  Outcome out;
  drop_ended(now, out.due);

  if (now >= created_window_start_ + limits_.window_seconds) {
    created_window_start_ = now;
    created_ = 0;
  }
  std::string key = address;
  if (!by_address_.contains(key) && created_ >= limits_.new_addresses_per_window) key = std::string(kOtherAddresses);
  out.address = key;

  if (auto it = by_address_.find(key); it != by_address_.end()) {
    ++it->second->unwritten;
    it->second->last_reason.assign(reason);
    return out;
  }
  while (entries_.size() >= limits_.max_addresses && !entries_.empty()) drop_front(out.due);
  entries_.push_back({key, now, 0, {}});
  by_address_[key] = std::prev(entries_.end());
  ++created_;
  out.write_now = true;
  return out;
}

std::vector<RefusalSummary::Summary> RefusalSummary::take_ended() {
  const int64_t now = clock_.now();
  std::lock_guard l(mu_);
  std::vector<Summary> due;
  drop_ended(now, due);
  return due;
}

size_t RefusalSummary::addresses() const {
  std::lock_guard l(mu_);
  return entries_.size();
}

}  // namespace licsat::domain
