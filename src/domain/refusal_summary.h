// Keeps the Event Log's record of refused, unauthenticated requests bounded. The first
// refusal from a source address in a window (a minute) is written at once, with its reason;
// the refusals that follow from that address in the window are only counted, and written as
// one summary (their count and the last reason) once the window has passed. The table of
// addresses has a fixed size (the oldest is dropped, its count written first), and only so
// many addresses a window get an entry of their own: past that, refusals from new addresses
// are counted together under kOtherAddresses. So a flood of refusals, from one address or
// from many, writes a bounded number of events, and every refusal is in one of them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <list>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/clock.h"

namespace licsat::domain {

class RefusalSummary {
 public:
  // The address under which refusals from addresses without an entry of their own are counted.
  static constexpr std::string_view kOtherAddresses = "(other addresses)";

  struct Limits {
    int64_t window_seconds = 60;
    size_t max_addresses = 4096;           // entries in the table
    size_t new_addresses_per_window = 1000;  // entries created per window, across all addresses
  };

  // What to write to the Event Log.
  struct Summary {
    std::string address;
    uint64_t refusals = 0;  // refusals this event accounts for
    std::string reason;     // the reason of the last of them
  };

  struct Outcome {
    bool write_now = false;      // this refusal is the first of its address's window: write it
    std::string address;         // the address it is counted under (kOtherAddresses past the limit)
    std::vector<Summary> due;    // counts of windows that ended (or entries dropped) to write now
  };

  explicit RefusalSummary(const Clock& clock) : RefusalSummary(clock, Limits{}) {}
  RefusalSummary(const Clock& clock, Limits limits) : clock_(clock), limits_(limits) {}

  // Counts one refusal from `address` for `reason` (already clipped by the caller). Thread-safe.
  Outcome refuse(const std::string& address, std::string_view reason);

  // The counts of windows that have ended, taken out of the table: a caller writes them on a
  // timer, so the last refusals of a burst are written although no later refusal comes.
  std::vector<Summary> take_ended();

  // Entries in the table now (for tests).
  size_t addresses() const;

 private:
  struct Entry {
    std::string address;
    int64_t window_start = 0;
    uint64_t unwritten = 0;  // refusals counted since the one written
    std::string last_reason;
  };
  using List = std::list<Entry>;  // oldest window first

  void drop_front(std::vector<Summary>& due);
  // Drops the entries whose window has ended by `now`, their counts into `due`.
  void drop_ended(int64_t now, std::vector<Summary>& due);

  const Clock& clock_;
  Limits limits_;
  mutable std::mutex mu_;
  List entries_;
  std::unordered_map<std::string, List::iterator> by_address_;
  int64_t created_window_start_ = 0;  // the window in which new entries are counted
  size_t created_ = 0;                // entries created in it
};

}  // namespace licsat::domain
