#include "protocol/offline_answer.h"

#include <algorithm>

#include "protocol/bundle.h"
#include "protocol/offline_messages.h"

namespace licsat::protocol {

Result<AnswerOutcome> answer_request(const std::string& request_text, AnswerSource& source,
                                     const crypto::SigningKey& key, int64_t now) {
  // Integrity only: a manager's key is not registered with the server; the signature tells a file
  // damaged on the way from a good one.
  auto bundle = open_bundle(request_text, kKindUsageRequest, "");
  if (!bundle) return fail(Error::invalid("the request file was refused: " + bundle.error().message));
  auto request = usage_request_from_payload(bundle->payload);
  if (!request) return fail(Error::invalid("the request file was refused: " + request.error().message));
  auto accounts = source.accounts();
  if (!accounts) return fail(accounts.error());

  LicenseAnswer answer;
  answer.request_nonce = bundle->nonce;
  answer.manager = request->manager;
  std::vector<std::string> wanted = request->accounts;
  auto want = [&](const std::string& a) {
    if (std::find(wanted.begin(), wanted.end(), a) == wanted.end()) wanted.push_back(a);
  };
  for (const auto& r : request->reports) {
    std::string report_id = r.report.is_object() && r.report.contains("reportId") && r.report["reportId"].is_string()
                                ? r.report["reportId"].get<std::string>()
                                : "";
    std::string account = r.account;
    if (account.empty()) {
      std::vector<std::string> with;
      for (const auto& a : *accounts)
        if (std::find(a.virtual_accounts.begin(), a.virtual_accounts.end(), r.virtual_account) != a.virtual_accounts.end())
          with.push_back(a.name);
      if (with.size() != 1) {
        answer.refused.push_back({report_id, "", r.virtual_account,
                                  with.empty() ? "virtual account '" + r.virtual_account + "' exists in no account"
                                               : "virtual account '" + r.virtual_account +
                                                     "' exists in several accounts; name the account"});
        continue;
      }
      account = with[0];
    }
    auto ack = source.ingest(account, r.virtual_account, r.report.dump());
    if (!ack) {
      if (ack.error().code != ErrorCode::kInvalidArgument && ack.error().code != ErrorCode::kNotFound &&
          ack.error().code != ErrorCode::kConflict)
        return fail(ack.error());
      answer.refused.push_back({report_id, account, r.virtual_account, ack.error().message});
      continue;
    }
    answer.acknowledgements.push_back({account, r.virtual_account, *ack});
    want(account);
  }
  if (wanted.empty())
    for (const auto& a : *accounts) wanted.push_back(a.name);
  for (const auto& a : *accounts) {
    if (std::find(wanted.begin(), wanted.end(), a.name) == wanted.end()) continue;
    answer.accounts.push_back(a);
    auto pools = source.licenses(a.name);
    if (!pools) return fail(pools.error());
    for (auto& p : *pools) {
      p.account = a.name;
      answer.licenses.push_back(std::move(p));
    }
  }
  AnswerOutcome out;
  out.bundle = seal_bundle(kKindLicenseAnswer, to_payload(answer), key, now);
  out.manager = answer.manager;
  out.acknowledged = answer.acknowledgements.size();
  out.refused = answer.refused.size();
  return out;
}

}  // namespace licsat::protocol
