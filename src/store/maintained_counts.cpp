#include "store/maintained_counts.h"

namespace licsat::store {

Status CountDeltas::apply(Connection& c) const {
  for (const auto& [key, d] : usage_) {
    if (d.first == 0 && d.second == 0) continue;
    auto up = c.exec(
        "INSERT INTO va_tag_usage (va_id, tag, in_use, usage_rows) VALUES ($1, $2, $3, $4) "
        "ON CONFLICT (va_id, tag) DO UPDATE SET in_use = va_tag_usage.in_use + excluded.in_use, "
        "usage_rows = va_tag_usage.usage_rows + excluded.usage_rows",
        {key.first, key.second, d.first, d.second});
    if (!up) return fail(up.error());
    if (d.second < 0) {
      auto gone = c.exec("DELETE FROM va_tag_usage WHERE va_id = $1 AND tag = $2 AND usage_rows <= 0",
                         {key.first, key.second});
      if (!gone) return fail(gone.error());
    }
  }
  for (const auto& [va, d] : devices_) {
    if (d == 0) continue;
    auto up = c.exec(
        "INSERT INTO va_devices (va_id, devices) VALUES ($1, $2) "
        "ON CONFLICT (va_id) DO UPDATE SET devices = va_devices.devices + excluded.devices",
        {va, d});
    if (!up) return fail(up.error());
  }
  return {};
}

}  // namespace licsat::store
