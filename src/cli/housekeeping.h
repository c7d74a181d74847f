// The server's housekeeping thread: once a minute, the retention round (store/pruner.h: expired
// tokens and old Event Log entries, in small batches) and the Event Log summaries of refusals
// whose minute ended; every two seconds, freed heap memory
// handed back to the system (malloc_trim). Its counters appear on /metrics.
#pragma once

#include <condition_variable>
#include <mutex>
#include <thread>

#include "api/app.h"
#include "store/pruner.h"

namespace licsat::cli {

class Housekeeping {
 public:
  // Registers the retention metrics on app.metrics; call before the server starts.
  explicit Housekeeping(api::App& app);
  ~Housekeeping();  // stops the thread (a round in progress ends after its current batch)
  void start();

 private:
  void loop();
  void retention_round();

  api::App& app_;
  store::Pruner pruner_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace licsat::cli
