// The license database's operations: admin changes to accounts, virtual accounts and pools
// (each audited in the Event Log, in the same transaction), the licensing API's reads (licenses,
// alerts, devices) and usage reports. Errors name what was not found or what was wrong, in the
// words the API answers with.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/config.h"
#include "core/result.h"
#include "domain/access.h"
#include "domain/licensing.h"
#include "domain/licensing_status.h"
#include "store/auth_store.h"
#include "store/license_store.h"

namespace licsat::domain {

// Optional fields of a change: only those set are changed.
struct PoolChange {
  std::optional<std::string> display_name;
  std::optional<LicenseKind> kind;
  std::optional<int64_t> quantity;
  std::optional<int64_t> starts;
  std::optional<int64_t> ends;
};

struct LicensePage {
  int64_t total = 0;
  std::vector<LicenseLine> lines;
};

// A new registration token: the token in clear (shown once) and its record.
struct NewRegistrationToken {
  std::string token;
  RegistrationToken record;
  int64_t expires_after_days = 0;
};

// The outcome of a usage report: the acknowledgement and whether it repeats an earlier one.
struct UsageOutcome {
  UsageAck ack;
  bool repeat = false;
};

class LicenseService {
 public:
  LicenseService(store::LicenseStore& store, store::AuthStore& settings, const Clock& clock, UpstreamConfig upstream,
                 std::string hash_key);

  // Smart accounts. `key` is an account's name or domain.
  Result<SmartAccount> add_account(const std::string& name, const std::string& domain, const Actor& by);
  Result<SmartAccount> account(const std::string& key);
  Result<std::vector<SmartAccount>> accounts();
  Result<SmartAccount> change_account(const std::string& key, const std::optional<std::string>& new_name,
                                      const std::optional<std::string>& new_domain, const Actor& by);
  Status remove_account(const std::string& key, const Actor& by);

  // Virtual accounts.
  Result<VirtualAccount> add_virtual_account(const std::string& account_key, const std::string& name,
                                             const std::string& description, const Actor& by);
  Result<std::vector<VirtualAccount>> virtual_accounts(const std::string& account_key);
  Result<VirtualAccount> virtual_account(const SmartAccount& a, const std::string& name);
  Result<VirtualAccount> change_virtual_account(const std::string& account_key, const std::string& name,
                                                const std::optional<std::string>& new_name,
                                                const std::optional<std::string>& new_description, const Actor& by);
  Status remove_virtual_account(const std::string& account_key, const std::string& name, const Actor& by);

  // License pools (local ones; pools mirrored from upstream are read-only here).
  Result<LicensePool> add_pool(const std::string& account_key, const std::string& va_name, LicensePool p,
                               const Actor& by);
  Result<std::vector<LicensePool>> pools(const std::string& account_key, const std::string& va_name);
  Result<LicensePool> change_pool(const std::string& account_key, const std::string& va_name, const std::string& tag,
                                  const PoolChange& change, const Actor& by);
  Status remove_pool(const std::string& account_key, const std::string& va_name, const std::string& tag,
                     const Actor& by);

  // The licensing API. `va_names` empty: every virtual account. limit < 0: all.
  Result<LicensePage> licenses(const std::string& account_key, const std::vector<std::string>& va_names,
                               int64_t limit, int64_t offset);
  Result<std::vector<Alert>> alerts(const std::string& account_key);
  // A page of devices after skipping `offset`, or after the device id `after` (a cursor).
  Result<DevicePage> devices(const std::string& account_key, const std::string& va_name, int64_t limit,
                             int64_t offset, std::optional<int64_t> after = std::nullopt);

  // Stores a validated usage report. Unknown tags are accepted, with a warning in the ack.
  Result<UsageOutcome> report_usage(const std::string& account_key, const std::string& va_name, UsageReport report,
                                    const std::string& body_hash, const Actor& by);

  // Usage over time of one pool (a virtual account's tag): samples with since <= at <= until,
  // oldest first. A tag nobody reported and without a pool has no samples (not an error).
  Result<std::vector<UsageSample>> usage_history(const std::string& account_key, const std::string& va_name,
                                                 const std::string& tag, int64_t since, int64_t until);
  // How usage over time is kept (default: hourly buckets, 90 days); set once at start.
  void set_usage_history_policy(UsageHistoryPolicy p) { history_ = p; }
  const UsageHistoryPolicy& usage_history_policy() const { return history_; }

  // Device registration tokens.
  Result<std::vector<RegistrationToken>> registration_tokens(const std::string& account_key,
                                                             const std::string& va_name);
  Result<NewRegistrationToken> create_registration_token(const std::string& account_key, const std::string& va_name,
                                                         const std::string& description, int64_t expires_after_days,
                                                         const Actor& by);

  const Clock& clock() const { return clock_; }

 private:
  Event event(const Actor& by, const std::string& action, const std::string& detail) const;
  Result<std::pair<SmartAccount, VirtualAccount>> both(const std::string& account_key, const std::string& va_name);
  Result<LicensePool> pool(const std::string& account_key, const std::string& va_name, const std::string& tag);

  store::LicenseStore& store_;
  store::AuthStore& settings_;
  const Clock& clock_;
  UpstreamConfig upstream_;
  std::string hash_key_;
  int64_t started_at_;
  UsageHistoryPolicy history_;
};

// Merges a report's repeated entries: a device listed twice keeps its last entry, a tag listed
// twice for one device adds up. Each merge adds a warning.
void merge_duplicates(UsageReport& r, std::vector<std::string>& warnings);

// Name rules for accounts, virtual accounts and tags: 1..100 printable characters, no '/'.
Status check_name(const std::string& what, const std::string& name);

}  // namespace licsat::domain
