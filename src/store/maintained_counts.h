// The maintained counts of the license database (0009_maintained_counts.sql): in use and usage
// rows per (virtual account, tag), devices per virtual account. A write that changes
// device_usage or devices gathers its changes as deltas here while it works and applies them
// once, before it commits, so reads take the counts instead of aggregating millions of rows and
// the counts are exact in every committed state.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>

#include "core/result.h"
#include "store/db.h"

namespace licsat::store {

class CountDeltas {
 public:
  // A device_usage row of `count` for (va, tag) appears (+1) or goes (-1).
  void usage_row(int64_t va_id, const std::string& tag, int64_t count, int sign) {
    auto& d = usage_[{va_id, tag}];
    d.first += sign * count;
    d.second += sign;
  }
  // Many rows at once (an aggregate): `sum` of their counts, `rows` of them.
  void usage_rows(int64_t va_id, const std::string& tag, int64_t sum, int64_t rows) {
    auto& d = usage_[{va_id, tag}];
    d.first += sum;
    d.second += rows;
  }
  // A device enters (+1) or leaves (-1) a virtual account.
  void device(int64_t va_id, int64_t sign) { devices_[va_id] += sign; }

  // Applies the deltas inside the transaction open on `c`, in key order (concurrent writers on
  // PostgreSQL lock the counter rows in one order), dropping usage counters left with no rows.
  Status apply(Connection& c) const;

 private:
  std::map<std::pair<int64_t, std::string>, std::pair<int64_t, int64_t>> usage_;  // -> (sum, rows)
  std::map<int64_t, int64_t> devices_;
};

}  // namespace licsat::store
