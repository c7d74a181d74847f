#include "protocol/offline_exchange.h"

#include <algorithm>

#include "core/clock.h"
#include "protocol/bundle.h"
#include "protocol/offline_messages.h"
#include "protocol/sync_run.h"

namespace licsat::protocol {
namespace {

constexpr int64_t kWholeOutbox = 1'000'000;

Failure refused(std::string what, std::string detail = "") {
  Failure f;
  f.cls = FailureClass::kOfflineRefused;
  f.what = "offline answer refused" + what;
  f.detail = std::move(detail);
  return f;
}

// The reason's word for each problem of the bundle.
std::string reason_of(BundleProblem p) {
  switch (p) {
    case BundleProblem::kBadSignature: return "tampered: ";
    case BundleProblem::kForeign: return "foreign: ";
    case BundleProblem::kWrongKind: return "wrong file: ";
    default: return "not a valid answer file: ";
  }
}

}  // namespace

std::expected<ExportedRequest, Failure> export_request(SyncState& state, const ExportPlan& plan, int64_t now) {
  if (auto q = state.queue(); !q) return std::unexpected(state_failure(q.error()));
  auto box = state.outbox(kWholeOutbox);
  if (!box) return std::unexpected(state_failure(box.error()));
  auto key = state.own_key();
  if (!key) return std::unexpected(state_failure(key.error()));

  UsageRequest req;
  req.manager = plan.requester;
  req.accounts = plan.accounts;
  ExportedRequest out;
  std::vector<std::string> ids;
  for (const auto& q : *box) {
    if (!q.problem.empty()) continue;
    req.reports.push_back({q.account.empty() ? plan.default_account : q.account, q.virtual_account, to_json(q.report)});
    ids.push_back(q.report.report_id);
    out.reports.push_back(q);
  }
  out.nonce = crypto::random_urlsafe(18);
  out.bundle = seal_bundle(kKindUsageRequest, to_payload(req), *key, now, out.nonce);
  if (auto s = state.record_request(RequestRecord{out.nonce, now, ids, 0}); !s)
    return std::unexpected(state_failure(s.error()));
  return out;
}

std::expected<ImportedAnswer, Failure> import_answer(SyncState& state, const std::string& text) {
  auto pinned = state.pinned_key();
  if (!pinned) return std::unexpected(state_failure(pinned.error()));
  if (!*pinned)
    return std::unexpected(
        refused(": no server key is pinned here, so the answer's signature cannot be checked", state.how_to_pin()));
  auto bundle = open_bundle(text, kKindLicenseAnswer, **pinned);
  if (!bundle) return std::unexpected(refused(", " + reason_of(bundle.error().problem) + bundle.error().message));
  auto answer = license_answer_from_payload(bundle->payload);
  if (!answer) return std::unexpected(refused(": " + answer.error().message));
  auto seen = state.answer_applied(bundle->nonce);
  if (!seen) return std::unexpected(state_failure(seen.error()));
  if (*seen) return std::unexpected(refused(", replayed: this answer file was already imported"));
  auto request = state.find_request(answer->request_nonce);
  if (!request) return std::unexpected(state_failure(request.error()));
  if (!*request)
    return std::unexpected(
        refused(", foreign: it answers a request never exported here (another manager's or "
                "satellite's file, or a state that was reset)"));
  if ((*request)->answered_at != 0)
    return std::unexpected(refused(", replayed: the answer to this request was already imported on " +
                                   format_iso8601((*request)->answered_at)));
  auto last = state.last_answer_created();
  if (!last) return std::unexpected(state_failure(last.error()));
  if (*last && bundle->created < **last)
    return std::unexpected(refused(", replayed: a newer answer (created " + format_iso8601(**last) +
                                   ") was already imported; this one would roll the licenses back"));

  ImportedAnswer out;
  out.server_fingerprint = bundle->issuer_fingerprint;
  CheckedAnswer& a = out.answer;
  a.request_nonce = answer->request_nonce;
  a.answer_nonce = bundle->nonce;
  a.created = bundle->created;
  // Only acknowledgements of reports this request carried count.
  const auto& ids = (*request)->report_ids;
  for (const auto& x : answer->acknowledgements)
    if (std::find(ids.begin(), ids.end(), x.ack.report_id) != ids.end()) a.acknowledgements.push_back(x.ack);
  a.refused = answer->refused;
  a.accounts = answer->accounts;
  a.licenses = answer->licenses;
  if (auto s = state.apply_answer(a); !s) {
    if (s.error().code == ErrorCode::kConflict)
      return std::unexpected(refused(", replayed: the answer to this request was already imported"));
    return std::unexpected(state_failure(s.error()));
  }
  return out;
}

}  // namespace licsat::protocol
