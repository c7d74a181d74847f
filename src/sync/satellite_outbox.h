// The satellite's side of its sync with its authority as the protocol's SyncState
// (protocol/sync_state.h): the usage reports its managers sent, taken into the outbox under a
// reportId derived from theirs, the mirror of the authority's license pools, and the offline
// requests exported. One object per sync (or export, or import): it adds what it did to `outcome`.
#pragma once

#include <string>
#include <vector>

#include "core/clock.h"
#include "core/crypto.h"
#include "domain/access.h"
#include "domain/event_log.h"
#include "protocol/sync_state.h"
#include "store/auth_store.h"
#include "store/sync_store.h"

namespace licsat::sync {

inline constexpr const char* kSettingKey = "upstream_key";
inline constexpr const char* kSettingLastAnswer = "upstream_last_answer_created";

// What one sync did.
struct SyncOutcome {
  bool ok = false;
  std::string mode;  // "online" | "offline import"
  int64_t started = 0;
  int64_t finished = 0;
  int64_t forwarded = 0;  // reports the authority acknowledged in this sync
  int64_t pending = 0;    // reports still waiting after it
  int64_t pools_added = 0, pools_changed = 0, pools_removed = 0;
  std::vector<std::string> accounts;  // smart accounts mirrored
  std::vector<std::string> warnings;  // things that did not stop the sync
  std::string error;                  // why it failed (with the fix), when !ok
  // A failure's kind in one fixed word, for /metrics: the sync client's failure class
  // ("connect", "tls", "certificate", "timeout", "invalid_client", "server", …), "config" (the
  // secret), "rejected" (reports or accounts refused while the rest synced), "store" (this
  // server's database).
  std::string reason;
};

// Where the satellite keeps its side, and who syncs.
struct SatelliteStores {
  store::SyncStore& sync;
  store::AuthStore& settings;
  domain::EventLog& events;
  const Clock& clock;
  const crypto::SigningKey& own_key;
};

// The reportId a local report is forwarded under: `prefix` + the original (hashed when that would
// exceed 256 characters).
std::string forward_id(const std::string& prefix, const std::string& report_id);

// A setting holding Unix seconds; nullopt when unset or not a number.
std::optional<int64_t> int_setting(store::AuthStore& settings, const char* key);

// The pinned authority key (raw), from the setting upstream_key; nullopt: none pinned.
Result<std::optional<std::string>> pinned_authority_key(store::AuthStore& settings);

class SatelliteOutbox final : public protocol::SyncState {
 public:
  // `accounts`: the smart accounts to mirror (upstream.accounts; empty: all). `source` ends the
  // mirror events' text ("from https://authority").
  SatelliteOutbox(SatelliteStores s, std::string prefix, std::vector<std::string> accounts, domain::Actor by,
                  std::string source, SyncOutcome& outcome)
      : s_(s), prefix_(std::move(prefix)), accounts_(std::move(accounts)), by_(std::move(by)),
        source_(std::move(source)), outcome_(outcome) {}

  Status queue() override;
  Result<std::vector<protocol::OutboxReport>> outbox(int64_t limit) override;
  Status set_account(const std::string&, const std::string&) override { return {}; }   // always known
  Status note_attempt(const std::string&, const std::string&) override { return {}; }  // in the outcome
  Status mark_sent(const std::string& report_id, const protocol::Acknowledgement& ack) override;
  Status keep_licenses(const std::vector<protocol::Account>& accounts,
                       const std::vector<protocol::LicensePool>& pools) override;

  Result<crypto::SigningKey> own_key() override { return s_.own_key; }
  Result<std::optional<std::string>> pinned_key() override { return pinned_authority_key(s_.settings); }
  std::string how_to_pin() const override;
  Status record_request(const protocol::RequestRecord& r) override;
  Result<std::optional<protocol::RequestRecord>> find_request(const std::string& nonce) override;
  Result<bool> answer_applied(const std::string& answer_nonce) override { return s_.sync.answer_applied(answer_nonce); }
  Result<std::optional<int64_t>> last_answer_created() override;
  Status apply_answer(const protocol::CheckedAnswer& a) override;

 private:
  SatelliteStores s_;
  std::string prefix_;
  std::vector<std::string> accounts_;
  domain::Actor by_;
  std::string source_;
  SyncOutcome& outcome_;
};

}  // namespace licsat::sync
