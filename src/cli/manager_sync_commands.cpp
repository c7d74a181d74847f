// licsat manager sync | run | doctor | status.
#include <CLI/CLI.hpp>

#include <csignal>
#include <filesystem>
#include <iostream>
#include <random>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/output.h"
#include "cli/manager_cli.h"
#include "core/clock.h"
#include "core/log.h"
#include "manager/doctor.h"
#include "manager/scheduler.h"
#include "manager/sync_cycle.h"

namespace licsat::cli {
namespace {

using nlohmann::json;
using namespace licsat::manager;

volatile std::sig_atomic_t g_stop = 0;
extern "C" void on_stop_signal(int) { g_stop = 1; }

json summary_json(const CycleResult& r, const std::string& server) {
  json accounts = json::array(), pools = json::array(), sent = json::array(), waiting = json::array();
  for (const auto& a : r.accounts) accounts.push_back(to_json(a));
  for (const auto& p : r.pools) pools.push_back(to_json(p));
  for (const auto& s : r.sent)
    sent.push_back({{"reportId", s.report.report.report_id},
                    {"account", s.report.account},
                    {"virtualAccount", s.report.virtual_account},
                    {"devices", s.report.report.devices.size()},
                    {"ack", to_json(s.ack)}});
  for (const auto& q : r.waiting) waiting.push_back(q.report.report_id);
  return {{"status", "ok"},   {"server", server},   {"accounts", accounts}, {"licenses", pools},
          {"reportsSent", sent}, {"reportsWaiting", waiting}, {"warnings", r.warnings}};
}

void print_summary(const CycleResult& r) {
  std::vector<std::vector<std::string>> rows;
  for (const auto& p : r.pools)
    rows.push_back({p.account, p.virtual_account, p.license.empty() ? p.tag : p.license, std::to_string(p.quantity),
                    std::to_string(p.in_use), std::to_string(p.available), p.status});
  if (rows.empty()) {
    std::cout << "No license pools for this user on the server.\n";
  } else {
    print_table({"ACCOUNT", "VIRTUAL ACCOUNT", "POOL", "QUANTITY", "IN USE", "AVAILABLE", "STATUS"}, rows);
  }
  for (const auto& s : r.sent)
    std::cout << "Usage report " << s.report.report.report_id << " (" << s.report.account << "/" << s.report.virtual_account
              << ", " << s.report.report.devices.size() << " devices): " << s.ack.status << "\n";
  if (!r.waiting.empty()) std::cout << r.waiting.size() << " usage report(s) still waiting to be sent.\n";
  for (const auto& w : r.warnings) std::cout << "warning: " << w << "\n";
}

struct Session {
  ManagerSettings settings;
  std::unique_ptr<ManagerState> state;
  std::unique_ptr<SyncClient> client;
  CycleOptions cycle;
};

// Resolves settings, opens the state and builds the client; on failure prints and returns the exit code.
std::expected<Session, int> open_session(const std::string& cmd, const ManagerFlags& f, const Clock& clock) {
  auto s = resolve_manager_settings(f);
  if (!s) return std::unexpected(report_error(cmd, s.error(), f.given.contains("json")));
  if (auto st = check_for_network(*s); !st) return std::unexpected(report_error(cmd, st.error(), s->json));
  Session out;
  out.settings = *s;
  auto state = ManagerState::open(s->state_dir, clock);
  if (!state) return std::unexpected(report_error(cmd, state.error(), s->json));
  out.state = std::move(*state);
  auto name = out.state->manager_name(s->manager_name);
  if (!name) return std::unexpected(report_error(cmd, name.error(), s->json));
  out.client = std::make_unique<SyncClient>(client_options(*s), credentials(*s), clock);
  out.cycle = CycleOptions{s->mode, *name, s->account, true};
  return out;
}

void add_sync(CLI::App& m) {
  auto f = std::make_shared<ManagerFlags>();
  auto* sync = m.add_subcommand("sync", "Sync once: sign in, send the devices' usage, fetch and show the licenses");
  add_manager_state_flags(*sync, f);
  add_manager_network_flags(*sync, f);
  sync->callback([f] {
    SystemClock clock;
    auto s = open_session("sync", *f, clock);
    if (!s) return set_exit(s.error());
    auto r = run_sync_cycle(*s->client, *s->state, s->cycle);
    if (!r) return set_exit(report_failure("sync", r.error(), s->client->fix_context(), s->settings.json));
    if (s->settings.json) std::cout << summary_json(*r, s->settings.server).dump(2) << "\n";
    else print_summary(*r);
    set_exit(kOk);
  });
}

void add_run(CLI::App& m) {
  auto f = std::make_shared<ManagerFlags>();
  auto cycles = std::make_shared<int64_t>(0);
  auto* run = m.add_subcommand("run", "Sync every --interval (24h), retrying failures with backoff; stops on SIGTERM/SIGINT");
  add_manager_state_flags(*run, f);
  add_manager_network_flags(*run, f);
  run->add_option_function<std::string>("--interval", [f](const std::string& v) { f->given["interval"] = v; },
                                        "Time between syncs: 24h (default), 15m, 10s");
  run->add_option_function<std::string>("--retry-min", [f](const std::string& v) { f->given["retry_min"] = v; },
                                        "First retry delay after a failure (default 5s)");
  run->add_option_function<std::string>("--retry-max", [f](const std::string& v) { f->given["retry_max"] = v; },
                                        "Longest retry delay (default 1h, never above --interval)");
  run->add_option("--cycles", *cycles, "Stop after this many successful syncs (default: run until stopped)");
  run->callback([f, cycles] {
    SystemClock clock;
    auto s = open_session("run", *f, clock);
    if (!s) return set_exit(s.error());
    log::init("text", "info");
    g_stop = 0;
    std::signal(SIGTERM, on_stop_signal);
    std::signal(SIGINT, on_stop_signal);
    RunOptions opt;
    opt.interval = static_cast<double>(s->settings.interval);
    opt.backoff.initial = static_cast<double>(s->settings.retry_min);
    opt.backoff.max = static_cast<double>(s->settings.retry_max);
    opt.cycles = *cycles;
    InterruptibleSleeper sleeper(g_stop);
    std::mt19937_64 rng(std::random_device{}());
    std::uniform_real_distribution<double> uniform(0.0, 1.0);
    auto ctx = s->client->fix_context();
    Session& session = *s;
    SyncScheduler scheduler(
        [&session] { return run_sync_cycle(*session.client, *session.state, session.cycle); }, opt, sleeper,
        [&] { return uniform(rng); },
        [&ctx](const AttemptLog& a) {
          char next[32];
          std::snprintf(next, sizeof next, "%.1fs", a.next_in);
          if (a.ok) {
            log::info("sync attempt", {{"attempt", std::to_string(a.attempt)},
                                       {"outcome", "ok"},
                                       {"reports_sent", std::to_string(a.result->sent.size())},
                                       {"reports_waiting", std::to_string(a.result->waiting.size())},
                                       {"pools", std::to_string(a.result->pools.size())},
                                       {"next_in", next}});
          } else {
            const Failure& e = *a.failure;
            if (a.stopped) {
              log::error("sync attempt", {{"attempt", std::to_string(a.attempt)},
                                          {"outcome", "failed"},
                                          {"class", class_name(e.cls)},
                                          {"error", e.what + (e.server_words.empty() ? "" : ": " + e.server_words)},
                                          {"next_in", "stopped: retrying cannot fix this"},
                                          {"fix", fix_for(e, ctx)}});
              return;
            }
            log::warn("sync attempt", {{"attempt", std::to_string(a.attempt)},
                                       {"outcome", "failed"},
                                       {"retry", std::to_string(a.retry)},
                                       {"class", class_name(e.cls)},
                                       {"error", e.what + (e.server_words.empty() ? "" : ": " + e.server_words)},
                                       {"next_in", next},
                                       {"fix", transient(e.cls) ? std::string("retrying") : fix_for(e, ctx)}});
          }
        });
    log::info("manager run started", {{"server", s->settings.server},
                                       {"interval", std::to_string(s->settings.interval) + "s"},
                                       {"state", s->settings.state_dir}});
    int rc = scheduler.run();
    log::info("manager run stopped", {{"exit_code", std::to_string(rc)}});
    set_exit(rc);
  });
}

void add_doctor(CLI::App& m) {
  auto f = std::make_shared<ManagerFlags>();
  auto* doctor = m.add_subcommand("doctor", "Check DNS, TCP/proxy, TLS, clock, credentials and the API, step by step");
  add_manager_state_flags(*doctor, f);
  add_manager_network_flags(*doctor, f);
  doctor->callback([f] {
    auto s = resolve_manager_settings(*f);
    if (!s) return set_exit(report_error("doctor", s.error(), f->given.contains("json")));
    if (s->server.empty()) return set_exit(report_error("doctor", Error::invalid("--server is required"), s->json));
    SystemClock clock;
    auto report = run_doctor(*s, clock);
    if (s->json) {
      json checks = json::array();
      for (const auto& c : report.checks)
        checks.push_back({{"check", c.name},
                          {"outcome", c.outcome == Check::Outcome::kOk     ? "ok"
                                      : c.outcome == Check::Outcome::kFail ? "FAIL"
                                                                           : "skipped"},
                          {"seen", c.seen},
                          {"fix", c.fix}});
      std::cout << json{{"checks", checks}, {"exitCode", report.exit_code()}}.dump(2) << "\n";
    } else {
      for (const auto& c : report.checks) {
        const char* o = c.outcome == Check::Outcome::kOk ? "ok  " : c.outcome == Check::Outcome::kFail ? "FAIL" : "skip";
        std::string name = c.name + std::string(6 - std::min<size_t>(6, c.name.size()), ' ');
        std::cout << o << "  " << name << c.seen;
        if (!c.fix.empty()) std::cout << " — fix: " << c.fix;
        std::cout << "\n";
      }
    }
    set_exit(report.exit_code());
  });
}

void add_status(CLI::App& m) {
  auto f = std::make_shared<ManagerFlags>();
  auto* status = m.add_subcommand("status", "Show the last license view, the reports waiting and the sync history");
  add_manager_state_flags(*status, f);
  status->callback([f] {
    auto s = resolve_manager_settings(*f);
    if (!s) return set_exit(report_error("status", s.error(), f->given.contains("json")));
    // Only `sync` (and the commands that must create it) may start a state; a mistyped --state
    // here would otherwise show an empty, newly created one as if nothing had ever synced.
    if (std::error_code ec; !std::filesystem::exists(s->state_dir + "/manager.db", ec))
      return set_exit(report_error("status",
                                   Error::invalid("no manager state in '" + s->state_dir +
                                                  "': check --state (or $LICSAT_MANAGER_STATE), or run "
                                                  "`licsat manager sync` first to create it"),
                                   s->json));
    SystemClock clock;
    auto state = ManagerState::open(s->state_dir, clock);
    if (!state) return set_exit(report_error("status", state.error(), s->json));
    auto pools = (*state)->pools();
    auto pending = (*state)->pending();
    auto history = (*state)->history(10);
    if (!pools || !pending || !history)
      return set_exit(report_error("status", !pools ? pools.error() : !pending ? pending.error() : history.error(), s->json));
    if (s->json) {
      json p = json::array(), q = json::array(), h = json::array();
      for (const auto& x : *pools) p.push_back(to_json(x));
      for (const auto& x : *pending)
        q.push_back({{"reportId", x.report.report_id}, {"account", x.account}, {"virtualAccount", x.virtual_account},
                     {"createdAt", format_iso8601(x.created_at)}, {"attempts", x.attempts}, {"lastError", x.last_error}});
      for (const auto& x : *history)
        h.push_back({{"startedAt", format_iso8601(x.started_at)}, {"mode", x.mode}, {"server", x.server},
                     {"outcome", x.outcome}, {"class", x.failure_class}, {"message", x.message},
                     {"reportsSent", x.reports_sent}, {"pools", x.pools}});
      std::cout << json{{"licenses", p}, {"reportsWaiting", q}, {"history", h}}.dump(2) << "\n";
    } else {
      std::vector<std::vector<std::string>> rows;
      for (const auto& x : *pools)
        rows.push_back({x.account, x.virtual_account, x.license.empty() ? x.tag : x.license, std::to_string(x.quantity),
                        std::to_string(x.in_use), std::to_string(x.available), x.status});
      print_table({"ACCOUNT", "VIRTUAL ACCOUNT", "POOL", "QUANTITY", "IN USE", "AVAILABLE", "STATUS"}, rows);
      std::cout << "\n" << pending->size() << " usage report(s) waiting.\n\nRecent syncs:\n";
      for (const auto& x : *history)
        std::cout << "  " << format_iso8601(x.started_at) << "  " << x.outcome << "  " << x.server
                  << (x.message.empty() ? "" : "  " + x.message) << "\n";
    }
    set_exit(kOk);
  });
}

}  // namespace

void add_manager_sync_commands(CLI::App& m) {
  add_sync(m);
  add_run(m);
  add_doctor(m);
  add_status(m);
}

}  // namespace licsat::cli
