#include "manager/offline_exchange.h"

#include <algorithm>

#include "core/clock.h"
#include "sync/offline_bundle.h"
#include "sync/offline_messages.h"

namespace licsat::manager {
namespace {

Failure refused(std::string what) {
  Failure f;
  f.cls = FailureClass::kOfflineRefused;
  f.what = std::move(what);
  return f;
}

Failure state_failure(const Error& e) {
  Failure f;
  f.cls = FailureClass::kState;
  f.what = "local state: " + e.message;
  return f;
}

}  // namespace

std::expected<ExportResult, Failure> export_request(ManagerState& state, const std::string& manager_name,
                                                    const std::string& account, int64_t now) {
  if (auto q = state.queue_usage(manager_name); !q) return std::unexpected(state_failure(q.error()));
  auto pending = state.pending();
  if (!pending) return std::unexpected(state_failure(pending.error()));
  auto key = state.manager_key();
  if (!key) return std::unexpected(state_failure(key.error()));

  sync::UsageRequest req;
  req.manager = manager_name;
  if (!account.empty()) {
    req.accounts.push_back(account);
  } else {
    auto known = state.accounts();
    if (!known) return std::unexpected(state_failure(known.error()));
    for (const auto& a : *known) req.accounts.push_back(a.name);
  }
  ExportResult out;
  std::vector<std::string> ids;
  for (const auto& q : *pending) {
    req.reports.push_back({q.account.empty() ? account : q.account, q.virtual_account, to_json(q.report)});
    ids.push_back(q.report.report_id);
  }
  out.reports = *pending;
  out.nonce = crypto::random_urlsafe(18);
  out.bundle = sync::seal_bundle(sync::kKindUsageRequest, sync::to_payload(req), *key, now, out.nonce);
  if (auto s = state.record_request(OfflineRequest{out.nonce, now, ids, 0}); !s)
    return std::unexpected(state_failure(s.error()));
  return out;
}

std::expected<ImportResult, Failure> import_answer(ManagerState& state, const std::string& text) {
  auto pinned = state.pinned_key();
  if (!pinned) return std::unexpected(state_failure(pinned.error()));
  if (!*pinned) {
    auto f = refused("no server key is pinned in this state, so the answer's signature cannot be checked");
    f.detail = "run `licsat manager trust --server URL` once (with network), or copy the state from a manager that did";
    return std::unexpected(f);
  }
  auto bundle = sync::open_bundle(text, sync::kKindLicenseAnswer, (*pinned)->public_key);
  if (!bundle) {
    std::string why;
    switch (bundle.error().problem) {
      case sync::BundleProblem::kBadSignature: why = "tampered: "; break;
      case sync::BundleProblem::kForeign: why = "foreign: "; break;
      case sync::BundleProblem::kWrongKind: why = "wrong file: "; break;
      default: why = "not a valid answer file: "; break;
    }
    return std::unexpected(refused("offline answer refused, " + why + bundle.error().message));
  }
  auto answer = sync::license_answer_from_payload(bundle->payload);
  if (!answer) return std::unexpected(refused("offline answer refused: " + answer.error().message));
  auto request = state.request(answer->request_nonce);
  if (!request) return std::unexpected(state_failure(request.error()));
  if (!*request)
    return std::unexpected(refused("offline answer refused, foreign: it answers a request this manager never exported "
                                   "(another manager's file, or a state directory that was reset)"));
  if ((*request)->answered_at != 0)
    return std::unexpected(refused("offline answer refused, replayed: the answer to this request was already imported on " +
                                   format_iso8601((*request)->answered_at)));
  // Only acknowledgements of reports this request carried count.
  std::vector<Acknowledgement> acks;
  for (const auto& a : answer->acknowledgements)
    if (std::find((*request)->report_ids.begin(), (*request)->report_ids.end(), a.ack.report_id) !=
        (*request)->report_ids.end())
      acks.push_back(a.ack);
  auto applied = state.apply_answer(answer->request_nonce, acks, answer->accounts, answer->licenses);
  if (!applied) {
    if (applied.error().code == ErrorCode::kConflict)
      return std::unexpected(refused("offline answer refused, replayed: the answer to this request was already imported"));
    return std::unexpected(state_failure(applied.error()));
  }
  ImportResult out;
  out.acknowledged = acks.size();
  for (const auto& r : answer->refused) {
    out.refused.push_back("report " + r.report_id + " (" + r.virtual_account + "): " + r.error);
    (void)state.note_attempt(r.report_id, "refused in offline answer: " + r.error);
  }
  out.accounts = answer->accounts;
  out.pools = answer->licenses;
  out.server_fingerprint = bundle->issuer_fingerprint;
  return out;
}

}  // namespace licsat::manager
