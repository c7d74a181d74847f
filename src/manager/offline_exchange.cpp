#include "manager/offline_exchange.h"

#include "manager/manager_sync_state.h"

namespace licsat::manager {

std::expected<ExportedRequest, Failure> export_request(ManagerState& state, const std::string& manager_name,
                                                       const std::string& account, int64_t now) {
  ExportPlan plan;
  plan.requester = manager_name;
  plan.default_account = account;
  if (!account.empty()) {
    plan.accounts.push_back(account);
  } else {
    auto known = state.accounts();
    if (!known) return std::unexpected(state_failure(known.error()));
    for (const auto& a : *known) plan.accounts.push_back(a.name);
  }
  ManagerSyncState sync_state(state, manager_name);
  return protocol::export_request(sync_state, plan, now);
}

std::expected<ImportResult, Failure> import_answer(ManagerState& state, const std::string& text) {
  ManagerSyncState sync_state(state, "");
  sync_state.set_via("offline");
  auto imported = protocol::import_answer(sync_state, text);
  if (!imported) return std::unexpected(imported.error());
  const auto& a = imported->answer;
  ImportResult out;
  out.acknowledged = a.acknowledgements.size();
  for (const auto& r : a.refused)
    out.refused.push_back("report " + r.report_id + " (" + r.virtual_account + "): " + r.error);
  out.accounts = a.accounts;
  out.pools = a.licenses;
  out.server_fingerprint = imported->server_fingerprint;
  return out;
}

}  // namespace licsat::manager
