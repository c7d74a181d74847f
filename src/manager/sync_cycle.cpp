#include "manager/sync_cycle.h"

#include <algorithm>

namespace licsat::manager {
namespace {

Failure state_failure(const Error& e) {
  Failure f;
  f.cls = FailureClass::kState;
  f.what = "local state: " + e.message;
  return f;
}

}  // namespace

std::string resolve_account(const std::string& given, const std::string& va, const std::vector<Account>& accounts,
                            std::string& why) {
  if (!given.empty()) return given;
  std::vector<std::string> with;
  for (const auto& a : accounts)
    if (std::find(a.virtual_accounts.begin(), a.virtual_accounts.end(), va) != a.virtual_accounts.end())
      with.push_back(a.name);
  if (with.size() == 1) return with[0];
  if (with.empty()) {
    why = "virtual account '" + va + "' exists in none of the server's accounts visible to this user";
  } else {
    why = "virtual account '" + va + "' exists in several accounts (";
    for (size_t i = 0; i < with.size(); ++i) why += (i ? ", " : "") + with[i];
    why += "); give the account in the device file's 'account' column or with --account";
  }
  return "";
}

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

  if (opt.queue_new) {
    auto q = state.queue_usage(opt.manager_name);
    if (!q) return finish_failed(state_failure(q.error()));
  }
  if (auto a = client.authenticate(); !a) return finish_failed(a.error());
  auto accounts = client.fetch_accounts();
  if (!accounts) return finish_failed(accounts.error());
  out.accounts = *accounts;

  auto pending = state.pending();
  if (!pending) return finish_failed(state_failure(pending.error()));
  std::vector<std::string> refused;
  for (auto& q : *pending) {
    std::string why;
    std::string account = resolve_account(q.account.empty() ? opt.account : q.account, q.virtual_account, out.accounts, why);
    if (account.empty()) {
      (void)state.note_attempt(q.report.report_id, why);
      refused.push_back("report " + q.report.report_id + ": " + why);
      out.waiting.push_back(q);
      continue;
    }
    if (account != q.account) {
      if (auto s = state.set_report_account(q.report.report_id, account); !s) return finish_failed(state_failure(s.error()));
      q.account = account;
    }
    auto ack = client.send_usage(account, q.virtual_account, q.report);
    if (!ack) {
      (void)state.note_attempt(q.report.report_id, ack.error().what + ": " + ack.error().server_words);
      if (ack.error().cls == FailureClass::kRejected) {
        // This report was refused as sent (unknown virtual account, …); the others may go through.
        refused.push_back("report " + q.report.report_id + " for " + account + "/" + q.virtual_account + ": " +
                          (ack.error().server_words.empty() ? ack.error().what : ack.error().server_words));
        out.waiting.push_back(q);
        continue;
      }
      return finish_failed(ack.error());
    }
    if (auto s = state.mark_sent(q.report.report_id, *ack, "online"); !s) return finish_failed(state_failure(s.error()));
    for (const auto& w : ack->warnings) out.warnings.push_back(account + "/" + q.virtual_account + ": " + w);
    out.sent.push_back({q, *ack});
  }

  for (const auto& a : out.accounts) {
    if (!opt.account.empty() && a.name != opt.account) continue;
    auto pools = client.fetch_licenses(a.name);
    if (!pools) return finish_failed(pools.error());
    for (auto& p : *pools) out.pools.push_back(std::move(p));
  }
  if (!opt.account.empty() &&
      std::none_of(out.accounts.begin(), out.accounts.end(), [&](const Account& a) { return a.name == opt.account; })) {
    Failure f;
    f.cls = FailureClass::kRejected;
    f.what = "the account '" + opt.account + "' given with --account is not among the server's accounts for this user";
    return finish_failed(f);
  }
  std::vector<Account> shown;
  for (const auto& a : out.accounts)
    if (opt.account.empty() || a.name == opt.account) shown.push_back(a);
  if (auto s = state.save_view(shown, out.pools); !s) return finish_failed(state_failure(s.error()));

  if (!refused.empty()) {
    Failure f;
    f.cls = FailureClass::kRejected;
    f.what = std::to_string(refused.size()) + " usage report(s) could not be delivered and stay queued";
    for (const auto& r : refused) f.detail += (f.detail.empty() ? "" : "; ") + r;
    return finish_failed(f);
  }
  (void)state.finish_sync(*id, "ok", "", "", static_cast<int64_t>(out.sent.size()), out.pools);
  return out;
}

}  // namespace licsat::manager
