// What the licensing API derives from pools and usage at a moment: per (virtual account, tag)
// the quantity, inUse, available and compliance status, and the alerts of an account.
// Pure functions of their inputs and `now`; no store, no clock of their own.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "domain/licensing.h"

namespace licsat::domain {

// Expiry warnings start this long before a pool ends.
inline constexpr int64_t kExpiryWarningWindow = 30 * 86400;

enum class PoolState { kActive, kPending, kExpired };
// Pending before `starts`, expired from `ends` on (ends = 0: never), active in between.
PoolState pool_state(const LicensePool& p, int64_t now);
std::string pool_state_label(PoolState s);  // "ACTIVE" | "PENDING" | "EXPIRED"

enum class Compliance { kInCompliance, kInsufficient, kExpired };
std::string compliance_label(Compliance c);  // "In Compliance" | "Insufficient Licenses" | "Expired"

// One row of the licenses answer: a pool with its usage, or a tag in use with no pool at all
// (quantity 0, `pool` empty), which is reported rather than refused.
struct LicenseLine {
  std::string license;          // display name (the tag when there is no pool)
  std::string tag;
  int64_t va_id = 0;
  std::string virtual_account;
  int64_t quantity = 0;         // the pool's quantity while active, else 0
  int64_t in_use = 0;
  int64_t available = 0;        // quantity - in_use; negative when over-used
  Compliance status = Compliance::kInCompliance;
  std::optional<LicensePool> pool;
  PoolState state = PoolState::kActive;
};

// Joins pools and usage totals. `va_names` names the virtual accounts that usage refers to.
// Sorted by virtual account, then tag.
std::vector<LicenseLine> license_lines(const std::vector<LicensePool>& pools, const std::vector<TagUsage>& usage,
                                       const std::map<int64_t, std::string>& va_names, int64_t now);

enum class Severity { kMinor, kMajor };
std::string severity_label(Severity s);  // "Minor" | "Major"

struct Alert {
  std::string message_type;     // INSUFFICIENT_LICENSES | LICENSE_EXPIRED | LICENSE_EXPIRING | SYNC_OVERDUE
  Severity severity = Severity::kMajor;
  std::string source;
  std::string message;
};

// The upstream link as the alerts need it. `configured` false: an authority, no sync alert.
struct SyncHealth {
  bool configured = false;
  std::string upstream;         // URL, for the message
  int64_t interval = 24 * 3600;
  std::optional<int64_t> last_ok;  // Unix seconds of the last successful sync
  int64_t since = 0;            // when the server began waiting for a first sync (0: unknown)
};

// A satellite is overdue once this long has passed since its last successful sync: one missed
// sync is tolerated, the second is not.
int64_t sync_allowance(int64_t interval);

// Alerts of an account: insufficient licenses (Major), expired pools (Major), pools ending
// within kExpiryWarningWindow (Minor) and an overdue upstream sync (Major). Majors come first.
std::vector<Alert> license_alerts(const std::vector<LicenseLine>& lines, const SyncHealth& sync, int64_t now);

}  // namespace licsat::domain
