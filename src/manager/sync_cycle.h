// One sync of a manager with its server, the unit that `licsat manager sync` runs once and
// `licsat manager run` repeats: the protocol's one sync loop (protocol/sync_run.h) over the
// manager's state, with a line in the sync history for each attempt.
#pragma once

#include <expected>
#include <string>
#include <vector>

#include "manager/manager_state.h"
#include "protocol/sync_run.h"

namespace licsat::manager {

struct CycleOptions {
  std::string mode = "onprem";   // recorded in the history
  std::string manager_name;      // resolved name in new reports
  std::string account;           // show only this smart account's pools (and resolve reports to it)
  bool queue_new = true;         // turn the current inventory into reports first
};

struct CycleResult {
  std::vector<Account> accounts;
  std::vector<LicensePool> pools;
  std::vector<SentReport> sent;
  std::vector<OutboxReport> waiting;   // still unsent after this cycle
  std::vector<std::string> warnings;   // the server's warnings and ours
};

// Runs one sync. Any failure is also recorded in the state's history (when the state works).
std::expected<CycleResult, Failure> run_sync_cycle(SyncClient& client, ManagerState& state, const CycleOptions& opt);

}  // namespace licsat::manager
