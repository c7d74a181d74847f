// The manager's side of offline mode: export the usage waiting in the outbox as a signed request
// file, and import the server's signed answer, checked against the server key pinned with
// `licsat manager trust`. An answer is applied once, and only to the request it answers: a file
// changed after signing, signed by another server, answering another manager's request or
// imported a second time is refused, with the reason.
#pragma once

#include <expected>
#include <string>
#include <vector>

#include "manager/failure.h"
#include "manager/manager_state.h"

namespace licsat::manager {

struct ExportResult {
  std::string bundle;            // the request file's text
  std::string nonce;
  std::vector<QueuedReport> reports;
};

// Queues the current inventory's usage and writes every waiting report into a request.
// `account`: the smart account whose licenses to ask for (empty: the accounts known from earlier
// syncs, else whatever the server's answer covers).
std::expected<ExportResult, Failure> export_request(ManagerState& state, const std::string& manager_name,
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
