// Persistence of the license database: accounts, virtual accounts, pools, devices and their
// latest usage, usage reports and device registration tokens. Every method is one
// transaction; methods that change what an admin manages take the Event that records the change
// and write it in the same transaction. Inventory reads are indexed queries (aggregates and
// pages), never a load of every device.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "domain/auth_records.h"
#include "domain/licensing.h"

namespace licsat::store {

// A usage report ready to store: its identity, the canonical hash of its body, the validated
// devices and the warnings of its acknowledgement.
struct UsageIngest {
  int64_t account_id = 0;
  int64_t va_id = 0;
  std::string body_hash;
  int64_t received_at = 0;
  std::string received_by;
  const domain::UsageReport* report = nullptr;
  std::vector<std::string> warnings;
  // The report also records the resulting usage of its smart account's pools over time.
  domain::UsageHistoryPolicy history;
};

struct IngestOutcome {
  bool repeat = false;           // the report was stored before; `ack` is the first answer
  domain::UsageAck ack;
};

class LicenseStore {
 public:
  virtual ~LicenseStore() = default;

  // Smart accounts. `key` is the account's name or its domain.
  virtual Result<domain::SmartAccount> create_account(const domain::SmartAccount& a, const domain::Event& e) = 0;
  virtual Result<std::optional<domain::SmartAccount>> find_account(const std::string& key) = 0;
  virtual Result<std::vector<domain::SmartAccount>> list_accounts() = 0;
  // Renames and/or changes the domain of account `id`.
  virtual Status update_account(const domain::SmartAccount& a, const domain::Event& e) = 0;
  // Deletes the account with everything in it.
  virtual Status delete_account(int64_t id, const domain::Event& e) = 0;

  // Virtual accounts. The first one of a smart account becomes its default.
  virtual Result<domain::VirtualAccount> create_virtual_account(const domain::VirtualAccount& v,
                                                                const domain::Event& e) = 0;
  virtual Result<std::vector<domain::VirtualAccount>> list_virtual_accounts(int64_t account_id) = 0;
  virtual Result<std::optional<domain::VirtualAccount>> find_virtual_account(int64_t account_id,
                                                                             const std::string& name) = 0;
  virtual Status update_virtual_account(const domain::VirtualAccount& v, const domain::Event& e) = 0;
  virtual Status delete_virtual_account(int64_t va_id, const domain::Event& e) = 0;

  // License pools (one per virtual account and tag; kAlreadyExists on a second).
  virtual Result<domain::LicensePool> create_pool(const domain::LicensePool& p, const domain::Event& e) = 0;
  virtual Status update_pool(const domain::LicensePool& p, const domain::Event& e) = 0;
  virtual Status delete_pool(int64_t pool_id, const domain::Event& e) = 0;
  // Every pool of an account, with virtual account names, by virtual account and tag.
  virtual Result<std::vector<domain::LicensePool>> list_pools(int64_t account_id) = 0;
  // Sum of the latest counts per (virtual account, tag) over an account's devices.
  virtual Result<std::vector<domain::TagUsage>> usage_totals(int64_t account_id) = 0;

  // A page of an account's devices (optionally of one virtual account) in id order: after
  // skipping `offset` of them, or those with an id up to `after` (a cursor: an index range scan
  // however deep). The total is the maintained device count.
  virtual Result<domain::DevicePage> list_devices(int64_t account_id, std::optional<int64_t> va_id, int64_t limit,
                                                  int64_t offset, std::optional<int64_t> after = std::nullopt) = 0;

  // Stores a usage report whole or not at all. A report already stored under the same
  // (account, reportId) with the same body hash is a repeat: nothing changes and the first
  // acknowledgement comes back. Another body under a used id is kConflict.
  virtual Result<IngestOutcome> ingest_usage(const UsageIngest& in, const domain::Event& e) = 0;
  // The usage over time of one (virtual account, tag): the samples with since <= at <= until,
  // oldest first (ingest_usage records them).
  virtual Result<std::vector<domain::UsageSample>> usage_history(int64_t va_id, const std::string& tag, int64_t since,
                                                                 int64_t until) = 0;
  // Whether a report with this id is stored (tests and sync).
  virtual Result<std::optional<domain::UsageAck>> find_usage_report(int64_t account_id,
                                                                    const std::string& report_id) = 0;

  // Device registration tokens.
  virtual Result<std::vector<domain::RegistrationToken>> list_registration_tokens(int64_t va_id) = 0;
  virtual Result<domain::RegistrationToken> create_registration_token(const domain::RegistrationToken& t,
                                                                      const std::string& token_hash,
                                                                      const domain::Event& e) = 0;
};

}  // namespace licsat::store
