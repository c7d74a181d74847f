// Records of the license database as the store keeps them: smart accounts, virtual accounts,
// license pools, devices with their latest usage, usage reports and device registration tokens.
// Plain values; the computations over them live in licensing_status.h, the operations in
// licensing_service.h.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace licsat::domain {

enum class LicenseKind { kPerpetual, kTerm, kSubscription };
std::string_view license_kind_name(LicenseKind k);   // "perpetual" | "term" | "subscription"
std::string_view license_type_label(LicenseKind k);  // "PERPETUAL" | "TERM" | "SUBSCRIPTION"
std::optional<LicenseKind> parse_license_kind(std::string_view s);  // either spelling, any case

// Where a pool comes from: created here, or mirrored from the upstream authority (read-only here).
enum class PoolOrigin { kLocal, kUpstream };
std::string_view pool_origin_name(PoolOrigin o);  // "local" | "upstream"
std::optional<PoolOrigin> parse_pool_origin(std::string_view s);

struct SmartAccount {
  int64_t id = 0;
  std::string name;
  std::string domain;
  int64_t created_at = 0;
  std::string created_by;
};

struct VirtualAccount {
  int64_t id = 0;
  int64_t account_id = 0;
  std::string name;
  std::string description;
  bool is_default = false;  // the first virtual account made in its smart account
  int64_t created_at = 0;
  std::string created_by;
};

// A license pool: the entitlement of one virtual account to one tag.
struct LicensePool {
  int64_t id = 0;
  int64_t va_id = 0;
  std::string virtual_account;  // name, filled in by the store on reads
  std::string tag;
  std::string display_name;
  LicenseKind kind = LicenseKind::kPerpetual;
  int64_t quantity = 0;
  int64_t starts = 0;           // Unix seconds; 0 = from the beginning
  int64_t ends = 0;             // Unix seconds; 0 = never (perpetual)
  PoolOrigin origin = PoolOrigin::kLocal;
  int64_t created_at = 0;
  int64_t updated_at = 0;
};

// The sum over a virtual account's devices of their latest count for one tag.
struct TagUsage {
  int64_t va_id = 0;
  std::string tag;
  int64_t in_use = 0;
};

// One point of a pool's usage over time: the virtual account's "in use" for a tag and the pool's
// quantity, as the last usage report of a time bucket left them (`at`: when it was received).
struct UsageSample {
  int64_t at = 0;
  int64_t in_use = 0;
  int64_t quantity = 0;
};

// How usage over time is kept: one sample per (virtual account, tag) and `bucket` seconds,
// samples older than `retention` seconds pruned (DESIGN.md section 3; README "Configuration").
struct UsageHistoryPolicy {
  int64_t bucket = 3600;
  int64_t retention = 90 * 86400;
};

struct TagCount {
  std::string tag;
  int64_t count = 0;
};

// One device's entry in a usage report.
struct DeviceUsage {
  std::string pid;
  std::string sn;
  std::string hostname;
  std::vector<TagCount> licenses;
};

// A usage report as a manager sends it (after parsing and validation).
struct UsageReport {
  std::string report_id;
  std::string manager;
  int64_t period_start = 0;
  int64_t period_end = 0;
  std::vector<DeviceUsage> devices;
};

// The acknowledgement of an accepted report; a repeat of the report gets the same one.
struct UsageAck {
  std::string report_id;
  int64_t devices = 0;
  std::vector<std::string> warnings;
  int64_t at = 0;
};

// A device as the inventory shows it.
struct DeviceRecord {
  int64_t id = 0;
  std::string pid;
  std::string sn;
  std::string hostname;
  std::string virtual_account;
  int64_t last_report = 0;
  std::vector<TagCount> licenses;
};

// A page of devices in id order. `next` is the id after which the next page starts, set when
// more devices follow (a cursor page answers it; an offset page too).
struct DevicePage {
  int64_t total = 0;
  std::vector<DeviceRecord> devices;
  std::optional<int64_t> next;
};

// A device registration token; the token itself exists in clear only in its creation answer.
struct RegistrationToken {
  int64_t id = 0;
  int64_t va_id = 0;
  std::string virtual_account;
  std::string hint;             // the first characters, to recognise it in lists
  std::string description;
  int64_t expires = 0;
  int64_t created_at = 0;
  std::string created_by;
};

}  // namespace licsat::domain
