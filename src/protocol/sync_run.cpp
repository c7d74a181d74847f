#include "protocol/sync_run.h"

#include <algorithm>
#include <set>

namespace licsat::protocol {
namespace {

// The answer to a report the server already holds under our reportId with another body (our
// outbox was restored, say): the report is counted there.
bool already_counted(const Failure& f) { return f.cls == FailureClass::kRejected && f.http_status == 409; }

bool names(const Account& a, const std::string& name) {
  return a.name == name || (!a.domain.empty() && a.domain == name);
}

// Sends the outbox, batch after batch; a report tried once in this run is not tried again.
std::optional<Failure> send_outbox(SyncClient& client, SyncState& state, const SyncPlan& plan, SyncRun& run) {
  std::set<std::string> tried;
  for (bool more = true; more;) {
    auto box = state.outbox(kSyncBatch);
    if (!box) return state_failure(box.error());
    more = static_cast<int64_t>(box->size()) == kSyncBatch;
    size_t fresh = 0;
    for (auto& q : *box) {
      if (!tried.insert(q.report.report_id).second) continue;
      ++fresh;
      if (!q.problem.empty()) {
        run.undelivered.push_back({q, q.account, q.problem, std::nullopt});
        continue;
      }
      std::string why;
      std::string account = resolve_account(q.account.empty() ? plan.default_account : q.account, q.virtual_account,
                                            run.server_accounts, why);
      if (account.empty()) {
        (void)state.note_attempt(q.report.report_id, why);
        run.undelivered.push_back({q, "", why, std::nullopt});
        continue;
      }
      if (account != q.account) {
        if (auto s = state.set_account(q.report.report_id, account); !s) return state_failure(s.error());
        q.account = account;
      }
      auto ack = client.send_usage(account, q.virtual_account, q.report);
      if (!ack) {
        if (already_counted(ack.error())) {
          Acknowledgement counted{q.report.report_id,
                                  "duplicate",
                                  0,
                                  {"already received by the server with another body; it is counted there"},
                                  ""};
          if (auto s = state.mark_sent(q.report.report_id, counted); !s) return state_failure(s.error());
          run.repeats.push_back(q.report.report_id);
          continue;
        }
        (void)state.note_attempt(q.report.report_id, ack.error().what + ": " + ack.error().server_words);
        if (ack.error().cls != FailureClass::kRejected) return ack.error();  // stop: everything stays queued
        run.undelivered.push_back({q, account, ack.error().what, ack.error()});
        continue;
      }
      if (auto s = state.mark_sent(q.report.report_id, *ack); !s) return state_failure(s.error());
      run.sent.push_back({q, *ack});
    }
    if (fresh == 0) more = false;
  }
  return std::nullopt;
}

// Fetches and keeps the license pools of the planned accounts.
std::optional<Failure> keep_licenses(SyncClient& client, SyncState& state, const SyncPlan& plan, SyncRun& run) {
  if (plan.accounts.empty()) {
    run.accounts = run.server_accounts;
  } else {
    for (const auto& name : plan.accounts) {
      auto it = std::find_if(run.server_accounts.begin(), run.server_accounts.end(),
                             [&](const Account& a) { return names(a, name); });
      if (it == run.server_accounts.end())
        run.missing_accounts.push_back(name);
      else if (std::none_of(run.accounts.begin(), run.accounts.end(),
                            [&](const Account& a) { return a.name == it->name; }))
        run.accounts.push_back(*it);
    }
  }
  for (const auto& a : run.accounts) {
    auto pools = client.fetch_licenses(a.name);
    if (!pools) return pools.error();
    for (auto& p : *pools) run.pools.push_back(std::move(p));
  }
  // None of the accounts asked for exists: keep nothing rather than an empty view.
  if (!plan.accounts.empty() && run.accounts.empty()) return std::nullopt;
  if (auto s = state.keep_licenses(run.accounts, run.pools); !s) return state_failure(s.error());
  return std::nullopt;
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

SyncRun run_sync(SyncClient& client, SyncState& state, const SyncPlan& plan) {
  SyncRun run;
  if (plan.queue_new) {
    if (auto q = state.queue(); !q) {
      run.failure = state_failure(q.error());
      return run;
    }
  }
  if (auto a = client.authenticate(); !a) {
    run.failure = a.error();
    return run;
  }
  if (plan.signed_in) {
    if (auto f = plan.signed_in(client)) {
      run.failure = std::move(f);
      return run;
    }
  }
  auto accounts = client.fetch_accounts();
  if (!accounts) {
    run.failure = accounts.error();
    return run;
  }
  run.server_accounts = std::move(*accounts);
  if (auto f = send_outbox(client, state, plan, run)) {
    run.failure = std::move(f);
    return run;
  }
  run.failure = keep_licenses(client, state, plan, run);
  return run;
}

}  // namespace licsat::protocol
