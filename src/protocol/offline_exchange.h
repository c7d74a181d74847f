// The one offline exchange of the side that syncs (a manager, or a satellite): export the usage
// waiting in the outbox as a signed request file, and import the server's signed answer, checked
// against the server key pinned earlier. The server's side is protocol/offline_answer.h.
//
// An answer is applied once, only to the request it answers, and never over a newer one: a file
// changed after signing, signed by another key, answering a request not exported here, imported a
// second time, or created before the last answer applied (it would roll the licenses back) is
// refused with the reason (class kOfflineRefused, the reason's word in `what`: tampered, foreign,
// wrong file, replayed).
#pragma once

#include <expected>
#include <string>
#include <vector>

#include "protocol/failure.h"
#include "protocol/sync_state.h"

namespace licsat::protocol {

struct ExportPlan {
  std::string requester;              // the "manager" named in the request
  std::vector<std::string> accounts;  // whose licenses to ask for (empty: whatever the answer covers)
  std::string default_account;        // for reports queued without an account
};

struct ExportedRequest {
  std::string bundle;  // the request file's text
  std::string nonce;
  std::vector<OutboxReport> reports;
};

// Queues the usage not yet queued and writes every waiting report into a signed request.
std::expected<ExportedRequest, Failure> export_request(SyncState& state, const ExportPlan& plan, int64_t now);

struct ImportedAnswer {
  CheckedAnswer answer;  // as applied
  std::string server_fingerprint;
};

std::expected<ImportedAnswer, Failure> import_answer(SyncState& state, const std::string& answer_text);

}  // namespace licsat::protocol
