// licsat manager devices import | offline export | offline import | trust.
#include <CLI/CLI.hpp>

#include <fstream>
#include <iostream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/manager_cli.h"
#include "core/clock.h"
#include "manager/device_inventory.h"
#include "manager/offline_exchange.h"
#include "protocol/bundle.h"
#include "protocol/sync_client.h"

namespace licsat::cli {
namespace {

using nlohmann::json;
using namespace licsat::manager;

std::optional<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool write_file(const std::string& path, const std::string& text) {
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << text;
    if (!out.flush()) return false;
  }
  return std::rename(tmp.c_str(), path.c_str()) == 0;
}

std::expected<std::pair<ManagerSettings, std::unique_ptr<ManagerState>>, int> open_state(const std::string& cmd,
                                                                                         const ManagerFlags& f,
                                                                                         const Clock& clock) {
  auto s = resolve_manager_settings(f);
  if (!s) return std::unexpected(report_error(cmd, s.error(), f.given.contains("json")));
  auto state = ManagerState::open(s->state_dir, clock);
  if (!state) return std::unexpected(report_error(cmd, state.error(), s->json));
  return std::pair{*s, std::move(*state)};
}

void add_devices(CLI::App& m) {
  auto* devices = m.add_subcommand("devices", "The manager's device inventory");
  devices->require_subcommand(1);
  auto f = std::make_shared<ManagerFlags>();
  auto file = std::make_shared<std::string>();
  auto* import = devices->add_subcommand("import", "Replace the inventory with a CSV or JSON file");
  import->add_option("FILE", *file, "CSV (pid,sn,hostname,virtual_account,tag,count) or JSON {\"devices\":[…]}")->required();
  add_manager_state_flags(*import, f);
  import->callback([f, file] {
    SystemClock clock;
    auto st = open_state("devices import", *f, clock);
    if (!st) return set_exit(st.error());
    auto& [s, state] = *st;
    auto text = read_file(*file);
    if (!text)
      return set_exit(report_error("devices import", Error::invalid("cannot read " + *file), s.json,
                                   "check the path and that this user may read the file."));
    InventoryFormat fmt = file->ends_with(".json") ? InventoryFormat::kJson
                          : file->ends_with(".csv") ? InventoryFormat::kCsv
                                                    : InventoryFormat::kAuto;
    auto devs = parse_inventory(*text, *file, fmt);
    if (!devs)
      return set_exit(report_error("devices import", devs.error(), s.json,
                                   "correct " + *file + " where the message above says, and import it again "
                                   "(nothing was imported: the inventory is unchanged)."));
    if (auto r = state->replace_devices(*devs); !r) return set_exit(report_error("devices import", r.error(), s.json));
    std::map<std::string, size_t> per_va;
    for (const auto& d : *devs) ++per_va[(d.account.empty() ? "" : d.account + "/") + d.virtual_account];
    if (s.json) {
      std::cout << json{{"status", "ok"}, {"devices", devs->size()}, {"virtualAccounts", per_va}}.dump(2) << "\n";
    } else {
      std::cout << "Imported " << devs->size() << " device(s):";
      for (const auto& [va, n] : per_va) std::cout << " " << va << " (" << n << ")";
      std::cout << ". Their usage goes with the next sync or offline export.\n";
    }
    set_exit(kOk);
  });
}

void add_offline(CLI::App& m) {
  auto* offline = m.add_subcommand("offline", "Offline mode: usage and licenses carried by hand as signed files");
  offline->require_subcommand(1);

  auto ef = std::make_shared<ManagerFlags>();
  auto efile = std::make_shared<std::string>();
  auto* exp = offline->add_subcommand("export", "Write the usage waiting to be sent as a request file for the server");
  exp->add_option("FILE", *efile, "The request file to write")->required();
  add_manager_state_flags(*exp, ef);
  exp->add_option_function<std::string>("--account", [ef](const std::string& v) { ef->given["account"] = v; },
                                        "Smart account whose licenses to ask for");
  exp->add_option_function<std::string>("--manager-name", [ef](const std::string& v) { ef->given["manager_name"] = v; },
                                        "This manager's name in usage reports");
  exp->callback([ef, efile] {
    SystemClock clock;
    auto st = open_state("offline export", *ef, clock);
    if (!st) return set_exit(st.error());
    auto& [s, state] = *st;
    auto name = state->manager_name(s.manager_name);
    if (!name) return set_exit(report_error("offline export", name.error(), s.json));
    auto r = export_request(*state, *name, s.account, clock.now());
    if (!r) return set_exit(report_failure("offline export", r.error(), {}, s.json));
    if (!write_file(*efile, r->bundle))
      return set_exit(report_error("offline export", Error::invalid("cannot write " + *efile), s.json));
    if (s.json) {
      json ids = json::array();
      for (const auto& q : r->reports) ids.push_back(q.report.report_id);
      std::cout << json{{"status", "ok"}, {"file", *efile}, {"nonce", r->nonce}, {"reports", ids}}.dump(2) << "\n";
    } else {
      std::cout << "Wrote " << *efile << " with " << r->reports.size() << " usage report(s).\n"
                << "On the server: licsat admin offline answer " << *efile << " ANSWER.json\n"
                << "Then here:     licsat manager offline import ANSWER.json\n";
    }
    set_exit(kOk);
  });

  auto inf = std::make_shared<ManagerFlags>();
  auto ifile = std::make_shared<std::string>();
  auto* imp = offline->add_subcommand("import", "Check the server's signed answer file and apply it");
  imp->add_option("FILE", *ifile, "The answer file from `licsat admin offline answer`")->required();
  add_manager_state_flags(*imp, inf);
  imp->callback([inf, ifile] {
    SystemClock clock;
    auto st = open_state("offline import", *inf, clock);
    if (!st) return set_exit(st.error());
    auto& [s, state] = *st;
    auto text = read_file(*ifile);
    if (!text) return set_exit(report_error("offline import", Error::invalid("cannot read " + *ifile), s.json));
    // An import is a sync by file: `manager status` lists it under recent syncs, refused or not.
    auto hist = state->begin_sync("offline", "file " + *ifile);
    auto r = import_answer(*state, *text);
    if (hist) {
      if (r)
        (void)state->finish_sync(*hist, "ok", "",
                                 r->refused.empty() ? "" : std::to_string(r->refused.size()) + " report(s) refused",
                                 static_cast<int64_t>(r->acknowledged), r->pools);
      else
        (void)state->finish_sync(*hist, "failed", class_name(r.error().cls), r.error().what, 0, {});
    }
    if (!r) return set_exit(report_failure("offline import", r.error(), {}, s.json));
    if (s.json) {
      json pools = json::array();
      for (const auto& p : r->pools) pools.push_back(to_json(p));
      std::cout << json{{"status", "ok"}, {"acknowledged", r->acknowledged}, {"refused", r->refused}, {"licenses", pools}}
                       .dump(2)
                << "\n";
    } else {
      std::cout << "Answer verified (server key " << protocol::display_fingerprint(r->server_fingerprint) << ").\n"
                << r->acknowledged << " usage report(s) acknowledged.\n";
      for (const auto& x : r->refused) std::cout << "refused: " << x << " (stays queued)\n";
      for (const auto& p : r->pools)
        std::cout << "  " << p.account << "/" << p.virtual_account << "  " << (p.license.empty() ? p.tag : p.license)
                  << "  quantity " << p.quantity << ", in use " << p.in_use << ", available " << p.available << ", "
                  << p.status << "\n";
    }
    set_exit(r->refused.empty() ? kOk : exit_code(FailureClass::kRejected));
  });
}

void add_trust(CLI::App& m) {
  auto f = std::make_shared<ManagerFlags>();
  auto opts = std::make_shared<std::pair<std::string, bool>>("", false);
  auto* trust = m.add_subcommand("trust", "Pin the server's signing key, which offline answers must carry");
  add_manager_state_flags(*trust, f);
  add_manager_network_flags(*trust, f);
  trust->add_option("--fingerprint", opts->first, "Expected SHA-256 fingerprint (from the server's admin); refuse others");
  trust->add_flag("--replace", opts->second, "Replace a different key pinned earlier (after a server key change)");
  trust->callback([f, opts] {
    SystemClock clock;
    auto st = open_state("trust", *f, clock);
    if (!st) return set_exit(st.error());
    auto& [s, state] = *st;
    if (s.server.empty()) return set_exit(report_error("trust", Error::invalid("--server is required"), s.json));
    SyncClient client(client_options(s), credentials(s), clock);
    auto key = client.fetch_server_key();
    if (!key) return set_exit(report_failure("trust", key.error(), client.fix_context(), s.json));
    std::string fp = protocol::key_fingerprint(*key);
    std::string want = opts->first;
    std::erase(want, ' ');
    std::erase(want, ':');
    for (auto& c : want) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (!want.empty() && want != fp) {
      Failure fl;
      fl.cls = FailureClass::kOfflineRefused;
      fl.what = "the server's key has fingerprint " + protocol::display_fingerprint(fp) +
                ", not the one given with --fingerprint";
      return set_exit(report_failure("trust", fl, client.fix_context(), s.json));
    }
    auto pinned = state->pinned_key();
    if (!pinned) return set_exit(report_error("trust", pinned.error(), s.json));
    if (*pinned && (*pinned)->public_key != *key && !opts->second) {
      Failure fl;
      fl.cls = FailureClass::kOfflineRefused;
      fl.what = "a different server key is pinned already (" + protocol::display_fingerprint((*pinned)->fingerprint) +
                ", from " + (*pinned)->server + "); the server now shows " + protocol::display_fingerprint(fp);
      fl.detail = "if the server's key was changed on purpose, confirm the new fingerprint with its admin and run again with --replace";
      return set_exit(report_failure("trust", fl, client.fix_context(), s.json));
    }
    if (auto r = state->pin_key(s.server, *key); !r) return set_exit(report_error("trust", r.error(), s.json));
    if (s.json)
      std::cout << json{{"status", "ok"}, {"server", s.server}, {"fingerprint", fp}}.dump(2) << "\n";
    else
      std::cout
          << "Pinned the signing key of " << s.server << "\nSHA-256 fingerprint: " << protocol::display_fingerprint(fp)
          << "\nCompare it with the server's (Admin Workspace, or GET /api/v1/server-key) before relying on it.\n";
    set_exit(kOk);
  });
}

}  // namespace

void add_manager_offline_commands(CLI::App& m) {
  add_devices(m);
  add_offline(m);
  add_trust(m);
}

}  // namespace licsat::cli
