#include "domain/event_log.h"

#include <pthread.h>

#include <chrono>
#include <vector>

#include "core/log.h"

namespace licsat::domain {

EventLog::EventLog(store::AuthStore& store, const Clock& clock)
    : store_(store), clock_(clock), worker_([this] { run(); }) {}

EventLog::~EventLog() {
  {
    std::lock_guard l(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  worker_.join();
}

Event EventLog::make(std::string actor, std::string source_ip, std::string action, std::string outcome,
                     std::string detail) const {
  Event e;
  e.time = clock_.now();
  e.actor = std::move(actor);
  e.source_ip = std::move(source_ip);
  e.action = std::move(action);
  e.outcome = std::move(outcome);
  e.detail = std::move(detail);
  return e;
}

void EventLog::record(Event e) {
  bool full;
  {
    std::lock_guard l(mu_);
    queue_.push_back(std::move(e));
    ++queued_;
    full = queue_.size() >= kBatch;
  }
  // The writer wakes by itself every 200 ms; waking it per event would cost a context switch
  // on the token hot path.
  if (full) cv_.notify_one();
}

void EventLog::flush() {
  std::unique_lock l(mu_);
  uint64_t target = queued_;
  flush_wanted_ = true;
  cv_.notify_one();
  flushed_.wait(l, [&] { return written_ >= target; });
}

void EventLog::run() {
  pthread_setname_np(pthread_self(), "licsat-events");
  std::unique_lock l(mu_);
  for (;;) {
    cv_.wait_for(l, std::chrono::milliseconds(200), [&] { return stop_ || flush_wanted_ || queue_.size() >= kBatch; });
    flush_wanted_ = false;
    if (queue_.empty()) {
      flushed_.notify_all();
      if (stop_) return;
      continue;
    }
    std::vector<Event> batch(std::make_move_iterator(queue_.begin()), std::make_move_iterator(queue_.end()));
    queue_.clear();
    l.unlock();
    auto s = store_.append_events(batch);
    if (!s) log::error("event log write failed", {{"events", std::to_string(batch.size())}, {"error", s.error().message}});
    l.lock();
    written_ += batch.size();
    flushed_.notify_all();
  }
}

}  // namespace licsat::domain
