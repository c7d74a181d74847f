// Logs a database outage once when it starts and once when it ends, whatever the number of
// requests that fail in between: an operator's log shows the state change at error level (and
// the recovery at warn), not a line per failed request or nothing above info.
#pragma once

#include <atomic>
#include <string>

#include "core/result.h"

namespace licsat::store {

class OutageNotice {
 public:
  explicit OutageNotice(std::string what) : what_(std::move(what)) {}

  // After each transaction: an unavailable error marks the database down, a success up again.
  void observe(const Status& s);
  bool down() const { return down_.load(std::memory_order_relaxed); }

 private:
  std::string what_;  // the database as shown in messages (no password)
  std::atomic<bool> down_{false};
};

}  // namespace licsat::store
