// The one sync loop, for a manager with its server and for a satellite with its authority: queue
// the usage not yet queued, sign in, send every report of the outbox (oldest first, each under its
// fixed reportId), then fetch the accounts' license pools and keep them.
//
// A report leaves the outbox only when the server acknowledged its reportId; a failure anywhere
// leaves it queued for the next attempt. A report the server already holds under the same
// reportId with another body (409) is counted there, so it leaves the outbox with a warning.
// A report the server refuses as sent (another 4xx), or whose account cannot be resolved, stays
// queued and is listed; the others still go.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "protocol/failure.h"
#include "protocol/sync_client.h"
#include "protocol/sync_state.h"

namespace licsat::protocol {

struct SyncPlan {
  std::string default_account;        // for reports queued without an account
  std::vector<std::string> accounts;  // whose licenses to keep (name or domain); empty: all
  bool queue_new = true;              // queue the usage not yet queued first
  // Called once signed in, before anything is sent (a satellite pins its authority's key there).
  std::function<std::optional<Failure>(SyncClient&)> signed_in;
};

struct SentReport {
  OutboxReport report;
  Acknowledgement ack;
};

// A report that stayed queued because the server refused it, or its account is unknown.
struct UndeliveredReport {
  OutboxReport report;
  std::string account;             // resolved account (empty when it could not be)
  std::string why;                 // our words
  std::optional<Failure> failure;  // the server's refusal, when it answered
};

struct SyncRun {
  std::vector<Account> server_accounts;  // every account the server showed
  std::vector<Account> accounts;         // those synced
  std::vector<LicensePool> pools;        // their license pools
  std::vector<SentReport> sent;
  std::vector<UndeliveredReport> undelivered;
  std::vector<std::string> repeats;           // reportIds the server already held with another body
  std::vector<std::string> missing_accounts;  // plan.accounts the server does not have
  std::optional<Failure> failure;             // the sync stopped here (what it did so far is above)
};

inline constexpr int64_t kSyncBatch = 1000;  // reports read from the outbox per round

SyncRun run_sync(SyncClient& client, SyncState& state, const SyncPlan& plan);

// Chooses the smart account of a report: the one given, else the only account that has the
// virtual account. Empty with `why` set when there is none or more than one.
std::string resolve_account(const std::string& given, const std::string& virtual_account,
                            const std::vector<Account>& accounts, std::string& why);

}  // namespace licsat::protocol
