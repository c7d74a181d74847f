// What the one sync loop (protocol/sync_run.h) and the one offline exchange
// (protocol/offline_exchange.h) need from the side that syncs: an outbox of usage reports waiting
// for an acknowledgement, a place to keep the licenses, and the record of offline requests.
// The manager's state (manager/manager_state_sync.h) and the satellite's outbox
// (sync/satellite_outbox.h) implement it; both speak these names.
//
// The outbox is what makes usage never lost: a report's body and reportId are fixed when it is
// queued, it is re-sent as is after a cut, and it leaves the outbox only when the server
// acknowledged its reportId (the server counts a reportId once).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/crypto.h"
#include "core/result.h"
#include "protocol/offline_messages.h"
#include "protocol/wire_types.h"

namespace licsat::protocol {

// A report waiting in the outbox.
struct OutboxReport {
  std::string account;  // smart account; empty: resolved from the server's accounts
  std::string virtual_account;
  UsageReport report;   // report.report_id is the id the server acknowledges
  std::string problem;  // not empty: the stored body cannot be read, so it is not sent
};

// An offline request file exported, by nonce.
struct RequestRecord {
  std::string nonce;
  int64_t created_at = 0;
  std::vector<std::string> report_ids;
  int64_t answered_at = 0;  // 0: no answer applied yet
};

// A checked answer file, as the state applies it.
struct CheckedAnswer {
  std::string request_nonce;
  std::string answer_nonce;
  int64_t created = 0;                            // when the server signed it
  std::vector<Acknowledgement> acknowledgements;  // only of reports the request carried
  std::vector<RefusedReport> refused;
  std::vector<Account> accounts;
  std::vector<LicensePool> licenses;
};

class SyncState {
 public:
  virtual ~SyncState() = default;

  // Takes the usage not yet queued into the outbox (bodies fixed from then on).
  virtual Status queue() = 0;
  // Reports waiting for an acknowledgement, oldest first, at most `limit`.
  virtual Result<std::vector<OutboxReport>> outbox(int64_t limit) = 0;
  // The smart account of a queued report was resolved from the server's accounts.
  virtual Status set_account(const std::string& report_id, const std::string& account) = 0;
  // An attempt to deliver a report failed; `error` says why.
  virtual Status note_attempt(const std::string& report_id, const std::string& error) = 0;
  // The server acknowledged a report: it leaves the outbox. A second mark changes nothing.
  virtual Status mark_sent(const std::string& report_id, const Acknowledgement& ack) = 0;
  // Keeps the licenses of `accounts` (the accounts synced) as the server sent them.
  virtual Status keep_licenses(const std::vector<Account>& accounts, const std::vector<LicensePool>& pools) = 0;

  // The key that signs this side's request files.
  virtual Result<crypto::SigningKey> own_key() = 0;
  // The server's public key (raw) that answers must be signed with; nullopt: none pinned.
  virtual Result<std::optional<std::string>> pinned_key() = 0;
  // What to run to pin it (printed when an answer arrives and no key is pinned).
  virtual std::string how_to_pin() const = 0;
  virtual Status record_request(const RequestRecord& r) = 0;
  virtual Result<std::optional<RequestRecord>> find_request(const std::string& nonce) = 0;
  // Whether an answer with this bundle nonce was applied.
  virtual Result<bool> answer_applied(const std::string& answer_nonce) = 0;
  // The creation time of the newest answer applied; nullopt: none yet.
  virtual Result<std::optional<int64_t>> last_answer_created() = 0;
  // Applies a checked answer: acknowledgements, licenses, the request answered and the answer's
  // time. A kConflict error when the request was answered meanwhile (a replay racing this one).
  virtual Status apply_answer(const CheckedAnswer& a) = 0;
};

}  // namespace licsat::protocol
