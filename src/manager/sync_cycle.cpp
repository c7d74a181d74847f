#include "manager/sync_cycle.h"

#include "manager/manager_sync_state.h"

namespace licsat::manager {

std::expected<CycleResult, Failure> run_sync_cycle(SyncClient& client, ManagerState& state, const CycleOptions& opt) {
  CycleResult out;
  std::string server = client.http().options().base_url;
  auto id = state.begin_sync(opt.mode, server);
  if (!id) return std::unexpected(state_failure(id.error()));
  auto finish_failed = [&](Failure f) -> std::unexpected<Failure> {
    (void)state.finish_sync(*id, "failed", class_name(f.cls), f.what + (f.server_words.empty() ? "" : ": " + f.server_words),
                            static_cast<int64_t>(out.sent.size()), {});
    return std::unexpected(std::move(f));
  };

  ManagerSyncState sync_state(state, opt.manager_name);
  SyncPlan plan;
  plan.default_account = opt.account;
  if (!opt.account.empty()) plan.accounts.push_back(opt.account);
  plan.queue_new = opt.queue_new;
  auto run = run_sync(client, sync_state, plan);
  out.accounts = std::move(run.server_accounts);
  out.pools = std::move(run.pools);
  out.sent = std::move(run.sent);
  for (const auto& s : out.sent)
    for (const auto& w : s.ack.warnings)
      out.warnings.push_back(s.report.account + "/" + s.report.virtual_account + ": " + w);
  for (const auto& id_repeated : run.repeats)
    out.warnings.push_back("report " + id_repeated +
                           " was already received by the server with another body; "
                           "it is counted there and leaves the queue");
  if (run.failure) return finish_failed(*run.failure);

  if (!run.missing_accounts.empty()) {
    Failure f;
    f.cls = FailureClass::kRejected;
    f.what = "the account '" + opt.account + "' given with --account is not among the server's accounts for this user";
    return finish_failed(f);
  }
  if (!run.undelivered.empty()) {
    Failure f;
    f.cls = FailureClass::kRejected;
    f.what = std::to_string(run.undelivered.size()) + " usage report(s) could not be delivered and stay queued";
    for (const auto& u : run.undelivered) {
      std::string r = "report " + u.report.report.report_id;
      if (u.failure)
        r += " for " + u.account + "/" + u.report.virtual_account + ": " +
             (u.failure->server_words.empty() ? u.failure->what : u.failure->server_words);
      else
        r += ": " + u.why;
      f.detail += (f.detail.empty() ? "" : "; ") + r;
      out.waiting.push_back(u.report);
    }
    return finish_failed(f);
  }
  (void)state.finish_sync(*id, "ok", "", "", static_cast<int64_t>(out.sent.size()), out.pools);
  return out;
}

}  // namespace licsat::manager
