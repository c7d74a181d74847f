// The Event Log: every security-relevant action, with time, actor, source address, outcome and
// reason. Hot-path events (tokens issued or refused) are queued and written in batches by a
// background thread; flush() and the destructor write whatever is queued. Admin changes are
// written by the store in the same transaction as the change (see AuthStore).
#pragma once

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "core/clock.h"
#include "domain/auth_records.h"
#include "store/auth_store.h"

namespace licsat::domain {

class EventLog {
 public:
  EventLog(store::AuthStore& store, const Clock& clock);
  ~EventLog();
  EventLog(const EventLog&) = delete;
  EventLog& operator=(const EventLog&) = delete;

  // Builds an event stamped with the clock's time.
  Event make(std::string actor, std::string source_ip, std::string action, std::string outcome,
             std::string detail) const;
  // Queues an event for the background writer.
  void record(Event e);
  // Writes everything queued so far; returns once it is stored.
  void flush();

 private:
  static constexpr size_t kBatch = 256;
  void run();
  store::AuthStore& store_;
  const Clock& clock_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::condition_variable flushed_;
  std::deque<Event> queue_;
  uint64_t queued_ = 0, written_ = 0;
  bool stop_ = false;
  bool flush_wanted_ = false;
  std::thread worker_;
};

}  // namespace licsat::domain
