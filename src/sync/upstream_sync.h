// A satellite's sync with its authority (DESIGN.md section 1): to its authority a satellite is a
// manager. Online it uses the manager's client (protocol::SyncClient: client_credentials token,
// usage reports, licenses); offline it writes and reads the manager's signed files
// (sync/offline_bundle.h, sync/offline_messages.h). There is no second protocol.
//
// A sync, online or by files, does two things:
//  1. forwards the usage reports the satellite's managers sent and it has not forwarded yet. Each
//     report's body is fixed the first time it is taken (the outbox) and goes upstream under a
//     reportId derived from the original ("sat-<key>-<reportId>"), so re-sends after a cut are
//     repeats the authority counts once. A report is marked forwarded only once acknowledged.
//  2. mirrors the authority's license pools of the configured smart accounts (added, changed,
//     removed); mirrored pools have origin 'upstream' and are read-only here.
// A cut anywhere loses nothing (unacknowledged reports stay queued) and doubles nothing (a re-send
// repeats an identical body under the same reportId; the mirror is replaced per account, in one
// transaction).
//
// State lives in settings (shared by every node over one database): upstream_last_ok,
// upstream_last_attempt, upstream_last_error, upstream_next_run (Unix seconds / text), and
// upstream_key, the authority's Ed25519 public key (base64) pinned at first contact or by trust().
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/config.h"
#include "core/crypto.h"
#include "core/metrics_registry.h"
#include "core/result.h"
#include "domain/access.h"
#include "domain/event_log.h"
#include "store/auth_store.h"
#include "store/sync_store.h"
#include "sync/satellite_outbox.h"

namespace licsat::sync {

inline constexpr const char* kSettingLastOk = "upstream_last_ok";
inline constexpr const char* kSettingLastAttempt = "upstream_last_attempt";
inline constexpr const char* kSettingLastError = "upstream_last_error";
inline constexpr const char* kSettingNextRun = "upstream_next_run";

// The link as `licsat admin sync status` shows it.
struct SyncStatus {
  bool configured = false;
  std::string upstream;
  std::vector<std::string> accounts;
  int64_t interval = 0;
  std::optional<int64_t> last_ok;
  std::optional<int64_t> last_attempt;
  std::string last_error;             // of the last attempt; empty when it succeeded
  std::optional<int64_t> next_run;
  int64_t pending = 0;
  std::string key_fingerprint;        // of the pinned authority key; empty: none pinned
};

class UpstreamSync {
 public:
  UpstreamSync(UpstreamConfig cfg, store::SyncStore& sync, store::AuthStore& settings, domain::EventLog& events,
               const Clock& clock, const crypto::SigningKey& own_key);

  bool configured() const { return !cfg_.url.empty(); }
  const UpstreamConfig& config() const { return cfg_; }

  // One online sync: token, pin the authority's key if none is, forward, mirror. Records the
  // outcome in settings and the Event Log. Never throws; failures are in the outcome.
  SyncOutcome run_online(const domain::Actor& by);

  // The signed usage-request file of every report not yet forwarded (the same format as
  // `licsat manager offline export`), for `licsat admin offline answer` on the authority.
  Result<std::string> export_request(const domain::Actor& by);

  // Applies the authority's signed license-answer file. Refused (kInvalidArgument, the reason in
  // the message) when no key is pinned, when it was changed after signing, signed by another key,
  // answers a request this satellite did not export, or was applied before.
  Result<SyncOutcome> import_answer(const std::string& text, const domain::Actor& by);

  // Pins the authority's key: `public_key_b64` given, or fetched from the authority's
  // GET /api/v1/server-key when empty. Returns the fingerprint.
  Result<std::string> trust(const std::string& public_key_b64, const domain::Actor& by);

  Result<SyncStatus> status();

  // Counts failed syncs by SyncOutcome::reason in `registry`
  // (licsat_upstream_sync_failures_total) from now on; call once at start.
  void attach_metrics(metrics::Registry& registry);

  // The reportId a local report is forwarded under: "sat-" + 12 hex digits of this server's key
  // fingerprint + "-" + the original (hashed when that would exceed 256 characters).
  std::string forward_id(const std::string& report_id) const;

 private:
  // The outbox of one sync, export or import, adding what it does to `o`.
  SatelliteOutbox outbox(const domain::Actor& by, const std::string& source, SyncOutcome& o);
  void record(const SyncOutcome& o, const domain::Actor& by);
  Result<std::string> client_secret() const;

  UpstreamConfig cfg_;
  store::SyncStore& sync_;
  store::AuthStore& settings_;
  domain::EventLog& events_;
  const Clock& clock_;
  const crypto::SigningKey& own_key_;
  std::string prefix_;
  std::mutex mu_;  // one sync, export or import at a time in this process
  metrics::Registry::Family<metrics::Counter>* failures_ = nullptr;
};

}  // namespace licsat::sync
