// The Event Log: every security-relevant action, with time, actor, source address, outcome and
// reason. Hot-path events (tokens issued or refused) are queued and written in batches by a
// background thread; flush() and the destructor write whatever is queued. Admin changes are
// written by the store in the same transaction as the change (see AuthStore).
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "core/clock.h"
#include "domain/auth_records.h"
#include "store/auth_store.h"

namespace licsat::domain {

// Sizes of what an event keeps of text a request supplied (a path, a client ID, a user name):
// enough to recognise it, never enough for a request to grow the log by its own size.
inline constexpr size_t kMaxEventNameBytes = 64;     // actor, source address, action, outcome
inline constexpr size_t kMaxEventPathBytes = 200;    // a request path inside a detail
inline constexpr size_t kMaxEventDetailBytes = 512;  // the whole detail

// `text` itself when it has at most `max_bytes` bytes; else its start, cut at a UTF-8
// character boundary, followed by kClipMarker, together at most `max_bytes` bytes.
inline constexpr std::string_view kClipMarker = "\u2026(clipped)";
std::string clip_text(std::string_view text, size_t max_bytes);

class EventLog {
 public:
  EventLog(store::AuthStore& store, const Clock& clock);
  ~EventLog();
  EventLog(const EventLog&) = delete;
  EventLog& operator=(const EventLog&) = delete;

  // Builds an event stamped with the clock's time. Each field is clipped (clip_text) to
  // kMaxEventNameBytes, the detail to kMaxEventDetailBytes.
  Event make(std::string actor, std::string source_ip, std::string action, std::string outcome,
             std::string detail) const;
  // Queues an event for the background writer.
  void record(Event e);
  // Writes everything queued so far; returns once it is stored.
  void flush();
  // Events queued and not yet written (/metrics).
  size_t depth() const;
  // Events lost because their batch's write failed (logged; /metrics).
  uint64_t dropped() const { return dropped_.load(std::memory_order_relaxed); }

 private:
  static constexpr size_t kBatch = 256;
  void run();
  store::AuthStore& store_;
  const Clock& clock_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::condition_variable flushed_;
  std::deque<Event> queue_;
  uint64_t queued_ = 0, written_ = 0;
  bool stop_ = false;
  bool flush_wanted_ = false;
  std::atomic<uint64_t> dropped_{0};
  std::thread worker_;
};

}  // namespace licsat::domain
