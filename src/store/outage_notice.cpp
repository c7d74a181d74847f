#include "store/outage_notice.h"

#include "core/log.h"

namespace licsat::store {

void OutageNotice::observe(const Status& s) {
  if (s) {
    if (down_.load(std::memory_order_relaxed) && down_.exchange(false))
      log::warn("database available again", {{"database", what_}});
    return;
  }
  if (s.error().code != ErrorCode::kUnavailable) return;
  if (!down_.load(std::memory_order_relaxed) && !down_.exchange(true))
    log::error("database unavailable: requests that need it answer 503 until it is back",
               {{"database", what_}, {"reason", s.error().message}});
}

}  // namespace licsat::store
