#include "manager/manager_sync_state.h"

namespace licsat::manager {

Status ManagerSyncState::queue() {
  auto q = state_.queue_usage(name_);
  if (!q) return fail(q.error());
  return {};
}

Result<std::vector<protocol::OutboxReport>> ManagerSyncState::outbox(int64_t limit) {
  auto pending = state_.pending();
  if (!pending) return fail(pending.error());
  std::vector<protocol::OutboxReport> out;
  for (auto& q : *pending) {
    if (static_cast<int64_t>(out.size()) == limit) break;
    out.push_back({q.account, q.virtual_account, std::move(q.report), ""});
  }
  return out;
}

Status ManagerSyncState::set_account(const std::string& report_id, const std::string& account) {
  return state_.set_report_account(report_id, account);
}

Status ManagerSyncState::note_attempt(const std::string& report_id, const std::string& error) {
  return state_.note_attempt(report_id, error);
}

Status ManagerSyncState::mark_sent(const std::string& report_id, const Acknowledgement& ack) {
  return state_.mark_sent(report_id, ack, via_);
}

Status ManagerSyncState::keep_licenses(const std::vector<Account>& accounts, const std::vector<LicensePool>& pools) {
  return state_.save_view(accounts, pools);
}

Result<std::optional<std::string>> ManagerSyncState::pinned_key() {
  auto k = state_.pinned_key();
  if (!k) return fail(k.error());
  if (!*k) return std::optional<std::string>();
  return std::optional<std::string>((*k)->public_key);
}

std::string ManagerSyncState::how_to_pin() const {
  return "run `licsat manager trust --server URL` once (with network), or copy the state from a manager that did";
}

Status ManagerSyncState::record_request(const protocol::RequestRecord& r) { return state_.record_request(r); }

Result<std::optional<protocol::RequestRecord>> ManagerSyncState::find_request(const std::string& nonce) {
  return state_.request(nonce);
}

Status ManagerSyncState::apply_answer(const protocol::CheckedAnswer& a) {
  if (auto s = state_.apply_answer(a.request_nonce, a.acknowledgements, a.accounts, a.licenses, a.created); !s)
    return s;
  for (const auto& r : a.refused) (void)state_.note_attempt(r.report_id, "refused in offline answer: " + r.error);
  return {};
}

}  // namespace licsat::manager
