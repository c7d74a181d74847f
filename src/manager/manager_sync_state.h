// The manager's state as the protocol's SyncState (protocol/sync_state.h): its outbox, its license
// view and its offline requests, for the one sync loop and the one offline exchange.
#pragma once

#include <string>

#include "manager/manager_state.h"
#include "protocol/sync_state.h"

namespace licsat::manager {

class ManagerSyncState final : public protocol::SyncState {
 public:
  // `manager_name` names the manager in the reports queued.
  ManagerSyncState(ManagerState& state, std::string manager_name) : state_(state), name_(std::move(manager_name)) {}

  Status queue() override;
  Result<std::vector<protocol::OutboxReport>> outbox(int64_t limit) override;
  Status set_account(const std::string& report_id, const std::string& account) override;
  Status note_attempt(const std::string& report_id, const std::string& error) override;
  Status mark_sent(const std::string& report_id, const Acknowledgement& ack) override;
  Status keep_licenses(const std::vector<Account>& accounts, const std::vector<LicensePool>& pools) override;

  Result<crypto::SigningKey> own_key() override { return state_.manager_key(); }
  Result<std::optional<std::string>> pinned_key() override;
  std::string how_to_pin() const override;
  Status record_request(const protocol::RequestRecord& r) override;
  Result<std::optional<protocol::RequestRecord>> find_request(const std::string& nonce) override;
  // One answer per request: a replayed file is refused by its request, already answered.
  Result<bool> answer_applied(const std::string&) override { return false; }
  Result<std::optional<int64_t>> last_answer_created() override { return state_.last_answer_created(); }
  Status apply_answer(const protocol::CheckedAnswer& a) override;

  // How the reports were sent ("online" | "offline"), recorded with each acknowledgement.
  void set_via(std::string via) { via_ = std::move(via); }

 private:
  ManagerState& state_;
  std::string name_;
  std::string via_ = "online";
};

}  // namespace licsat::manager
