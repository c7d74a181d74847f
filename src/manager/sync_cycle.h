// One sync of a manager with its server, the unit that `licsat manager sync` runs once and
// `licsat manager run` repeats: queue the current device usage, sign in, send every report still
// waiting (oldest first, each with its original reportId), then fetch the accounts and their
// license pools and keep them, with a line in the sync history, in the state.
//
// A report leaves the outbox only when the server acknowledged its reportId; a failure anywhere
// leaves it queued for the next attempt. The server counts a reportId once, so a report whose
// acknowledgement was lost on the way is simply sent again.
#pragma once

#include <expected>
#include <string>
#include <vector>

#include "manager/failure.h"
#include "manager/manager_state.h"
#include "manager/sync_client.h"

namespace licsat::manager {

struct CycleOptions {
  std::string mode = "onprem";   // recorded in the history
  std::string manager_name;      // resolved name in new reports
  std::string account;           // show only this smart account's pools (and resolve reports to it)
  bool queue_new = true;         // turn the current inventory into reports first
};

struct SentReport {
  QueuedReport report;
  Acknowledgement ack;
};

struct CycleResult {
  std::vector<Account> accounts;
  std::vector<LicensePool> pools;
  std::vector<SentReport> sent;
  std::vector<QueuedReport> waiting;   // still unsent after this cycle
  std::vector<std::string> warnings;   // the server's warnings and ours
};

// Runs one sync. Any failure is also recorded in the state's history (when the state works).
std::expected<CycleResult, Failure> run_sync_cycle(SyncClient& client, ManagerState& state, const CycleOptions& opt);

// Chooses the smart account of a report: the one given, else the only account that has the
// virtual account. Empty with `why` set when there is none or more than one.
std::string resolve_account(const std::string& given, const std::string& virtual_account,
                            const std::vector<Account>& accounts, std::string& why);

}  // namespace licsat::manager
