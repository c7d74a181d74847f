// Persistence of a satellite's sync with its authority: the outbox of usage reports on their way
// upstream, the offline requests exported, and the mirror of the authority's license pools.
// Every method is one transaction. Kept apart from LicenseStore: only a satellite uses it, and it
// works over the same tables (usage_reports.forwarded_at, license_pools.origin).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "domain/auth_records.h"
#include "store/db.h"

namespace licsat::store {

// A stored usage report not yet forwarded, with the devices whose latest usage it still holds.
struct PendingReport {
  int64_t id = 0;  // usage_reports.id
  std::string account;
  std::string virtual_account;
  std::string report_id;
  std::string manager;
  int64_t period_start = 0;
  int64_t period_end = 0;
  struct Device {
    std::string pid, sn, hostname;
    std::vector<std::pair<std::string, int64_t>> licenses;  // (tag, count)
  };
  std::vector<Device> devices;
};

// A report taken for sending: its fixed body (the licensing API's JSON) and upstream reportId.
struct OutboxEntry {
  int64_t usage_report_id = 0;
  std::string account;
  std::string virtual_account;
  std::string forward_id;
  std::string body;
  int64_t created_at = 0;
};

// A pool as the authority grants it, for the mirror.
struct MirrorPool {
  std::string virtual_account;
  std::string tag;
  std::string display_name;
  std::string kind;  // perpetual | term | subscription
  int64_t quantity = 0;
  int64_t starts = 0;
  int64_t ends = 0;
};

struct MirrorChange {
  int added = 0, changed = 0, removed = 0;
  int virtual_accounts_added = 0;
  bool account_added = false;
  // Local pools that hold a tag the authority also grants (left alone, reported).
  std::vector<std::string> conflicts;
};

struct OfflineRequestRecord {
  std::string nonce;
  int64_t created_at = 0;
  std::vector<std::string> forward_ids;
  std::optional<int64_t> answered_at;
};

class SyncStore {
 public:
  virtual ~SyncStore() = default;

  // Reports not yet forwarded and not yet in the outbox, oldest first, at most `limit`.
  virtual Result<std::vector<PendingReport>> unqueued_reports(int64_t limit) = 0;
  // Adds entries to the outbox; an entry already there is kept as it is (its body never changes).
  virtual Status add_to_outbox(const std::vector<OutboxEntry>& entries) = 0;
  // The outbox, oldest report first.
  virtual Result<std::vector<OutboxEntry>> outbox(int64_t limit) = 0;
  // The authority acknowledged `forward_id`: the report is forwarded and leaves the outbox.
  // Returns false when no outbox entry has that id (already marked, or not ours).
  virtual Result<bool> mark_forwarded(const std::string& forward_id, int64_t now) = 0;
  // Reports not yet forwarded (in the outbox or not).
  virtual Result<int64_t> pending_count() = 0;

  // Replaces the mirrored (origin 'upstream') pools of `account` with `pools`, creating the
  // account and virtual accounts it needs. Local pools are never touched. `e` is recorded (its
  // detail completed with what changed) when anything changed.
  virtual Result<MirrorChange> mirror_account(const std::string& account, const std::string& domain,
                                              const std::vector<std::string>& virtual_accounts,
                                              const std::vector<MirrorPool>& pools, int64_t now,
                                              const domain::Event& e) = 0;

  // Offline requests exported to the authority.
  virtual Status record_request(const OfflineRequestRecord& r) = 0;
  virtual Result<std::optional<OfflineRequestRecord>> find_request(const std::string& nonce) = 0;
  // Marks a request answered; false when it already was (a replay racing this one).
  virtual Result<bool> mark_request_answered(const std::string& nonce, const std::string& answer_nonce,
                                             int64_t now) = 0;
  // Whether an answer with this bundle nonce was applied.
  virtual Result<bool> answer_applied(const std::string& answer_nonce) = 0;
};

std::unique_ptr<SyncStore> make_sql_sync_store(std::shared_ptr<Database> db);

}  // namespace licsat::store
