// The manager's local state (--state DIR, a SQLite file DIR/manager.db): its devices, the usage
// reports not yet acknowledged (the outbox), the last license view and the history of syncs, the
// pinned server key and the offline requests it exported.
//
// The outbox is what makes usage never lost: a report is written here before it is sent, keeps its
// reportId across retries, restarts and offline export, and is marked sent only when an
// acknowledgement for that reportId arrives. The server counts a reportId once.
//
// The schema is the manager's own (not the server's migrations): created by this code, versioned
// in manager_meta.schema_version, upgraded step by step.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/crypto.h"
#include "core/result.h"
#include "manager/protocol_names.h"
#include "protocol/sync_state.h"
#include "store/db.h"

namespace licsat::manager {

// A report in the outbox.
struct QueuedReport {
  std::string account;          // smart account; empty until resolved from the server's accounts
  std::string virtual_account;
  UsageReport report;
  int64_t created_at = 0;
  int64_t attempts = 0;
  std::string last_error;
  int64_t sent_at = 0;          // 0: not acknowledged yet
  std::string via;              // "online" | "offline", once sent
};

struct SyncRecord {
  int64_t id = 0;
  int64_t started_at = 0;
  int64_t finished_at = 0;
  std::string mode;
  std::string server;
  std::string outcome;          // "ok" | "failed" | "running"
  std::string failure_class;
  std::string message;
  int64_t reports_sent = 0;
  int64_t pools = 0;
};

struct PinnedKey {
  std::string server;
  std::string public_key;       // raw 32 bytes
  std::string fingerprint;      // SHA-256 hex
  int64_t pinned_at = 0;
};

class ManagerState {
 public:
  // Opens (creating if needed) DIR/manager.db and brings its schema up to date.
  static Result<std::unique_ptr<ManagerState>> open(const std::string& dir, const Clock& clock);

  // The schema version this code writes.
  static constexpr int64_t kSchemaVersion = 1;

  // Devices: an import replaces the inventory.
  Status replace_devices(const std::vector<Device>& devices);
  Result<std::vector<Device>> devices();

  // Turns the current inventory into reports, one per (account, virtual account), and queues them.
  // A virtual account whose newest unsent report already carries the same devices and counts gets
  // no new report (retries and repeated syncs do not multiply reports). Returns the new reports.
  Result<std::vector<QueuedReport>> queue_usage(const std::string& manager_name);
  // Reports waiting for an acknowledgement, oldest first.
  Result<std::vector<QueuedReport>> pending();
  Result<std::optional<QueuedReport>> report(const std::string& report_id);
  Status set_report_account(const std::string& report_id, const std::string& account);
  Status note_attempt(const std::string& report_id, const std::string& error);
  // Marks a report acknowledged; a second acknowledgement of one report changes nothing.
  Status mark_sent(const std::string& report_id, const Acknowledgement& ack, const std::string& via);

  // The license view of the last successful sync (or offline import).
  Status save_view(const std::vector<Account>& accounts, const std::vector<LicensePool>& pools);
  Result<std::vector<Account>> accounts();
  Result<std::vector<LicensePool>> pools();

  // History of sync attempts.
  Result<int64_t> begin_sync(const std::string& mode, const std::string& server);
  Status finish_sync(int64_t id, const std::string& outcome, const std::string& failure_class,
                     const std::string& message, int64_t reports_sent, const std::vector<LicensePool>& pools);
  Result<std::vector<SyncRecord>> history(int64_t limit);

  // The server key that offline answers must be signed with.
  Status pin_key(const std::string& server, const std::string& raw_public_key);
  Result<std::optional<PinnedKey>> pinned_key();

  // The manager's own Ed25519 key (created on first use): it signs the manager's request files so
  // that a server can tell a damaged file from a good one.
  Result<crypto::SigningKey> manager_key();
  // The manager's name in reports (default: the host name), kept once chosen.
  Result<std::string> manager_name(const std::string& wanted);

  // Offline requests exported, by nonce; an answer is applied once.
  Status record_request(const RequestRecord& r);
  Result<std::optional<RequestRecord>> request(const std::string& nonce);
  // Applies an answer in one transaction: acknowledgements, the license view, the request answered,
  // and `answer_created` (when the server signed it) as the newest answer's time.
  Status apply_answer(const std::string& request_nonce, const std::vector<Acknowledgement>& acks,
                      const std::vector<Account>& accounts, const std::vector<LicensePool>& pools,
                      int64_t answer_created);
  // The creation time of the newest answer applied; nullopt: none yet.
  Result<std::optional<int64_t>> last_answer_created();

  store::Database& db() { return *db_; }

 private:
  ManagerState(std::unique_ptr<store::Database> db, const Clock& clock) : db_(std::move(db)), clock_(clock) {}
  Status migrate();

  std::unique_ptr<store::Database> db_;
  const Clock& clock_;
};

// A fresh report ID (a random UUID, as the cloud API's managers send).
std::string new_report_id();

}  // namespace licsat::manager
