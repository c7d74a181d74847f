// The manager's side of offline mode: the protocol's one offline exchange
// (protocol/offline_exchange.h) over the manager's state. Export writes the usage waiting in the
// outbox as a signed request file; import checks the server's signed answer against the key pinned
// with `licsat manager trust` and applies it once, only to the request it answers, never over a
// newer answer.
#pragma once

#include <expected>
#include <string>
#include <vector>

#include "manager/manager_state.h"
#include "protocol/offline_exchange.h"

namespace licsat::manager {

// Queues the current inventory's usage and writes every waiting report into a request.
// `account`: the smart account whose licenses to ask for (empty: the accounts known from earlier
// syncs, else whatever the server's answer covers).
std::expected<ExportedRequest, Failure> export_request(ManagerState& state, const std::string& manager_name,
                                                       const std::string& account, int64_t now);

struct ImportResult {
  size_t acknowledged = 0;
  std::vector<std::string> refused;     // reports the server refused (they stay queued)
  std::vector<Account> accounts;
  std::vector<LicensePool> pools;
  std::string server_fingerprint;
};

std::expected<ImportResult, Failure> import_answer(ManagerState& state, const std::string& answer_text);

}  // namespace licsat::manager
