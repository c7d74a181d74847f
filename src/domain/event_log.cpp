#include "domain/event_log.h"

#include <pthread.h>

#include <chrono>
#include <vector>

#include "core/log.h"

namespace licsat::domain {

std::string clip_text(std::string_view text, size_t max_bytes) {
  if (text.size() <= max_bytes) return std::string(text);
  bool marked = max_bytes > kClipMarker.size();  // room for the marker and some text
  size_t cut = marked ? max_bytes - kClipMarker.size() : max_bytes;
  // Back up over continuation bytes (10xxxxxx) so a multi-byte character is kept whole or dropped.
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  std::string out(text.substr(0, cut));
  if (marked) out += kClipMarker;
  return out;
}

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
  auto clip = [](std::string s, size_t max) { return s.size() <= max ? std::move(s) : clip_text(s, max); };
  e.actor = clip(std::move(actor), kMaxEventNameBytes);
  e.source_ip = clip(std::move(source_ip), kMaxEventNameBytes);
  e.action = clip(std::move(action), kMaxEventNameBytes);
  e.outcome = clip(std::move(outcome), kMaxEventNameBytes);
  e.detail = clip(std::move(detail), kMaxEventDetailBytes);
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

size_t EventLog::depth() const {
  std::lock_guard l(mu_);
  return queue_.size();
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
    if (!s) dropped_.fetch_add(batch.size(), std::memory_order_relaxed);
    if (!s) log::error("event log write failed", {{"events", std::to_string(batch.size())}, {"error", s.error().message}});
    l.lock();
    written_ += batch.size();
    flushed_.notify_all();
  }
}

}  // namespace licsat::domain
