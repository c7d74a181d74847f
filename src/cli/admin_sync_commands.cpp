// licsat admin sync now|status|export FILE|import FILE|trust: a satellite's link with its
// authority, over the satellite's REST API (/api/v1/admin/sync/**).
#include <CLI/CLI.hpp>

#include <fstream>
#include <iostream>
#include <sstream>

#include "cli/admin_client.h"
#include "cli/commands.h"

namespace licsat::cli {
namespace {

using nlohmann::json;

std::string text(const json& j, const char* k, const std::string& none = "-") {
  if (!j.contains(k) || j[k].is_null()) return none;
  return j[k].is_string() ? j[k].get<std::string>() : j[k].dump();
}

void print_outcome(const json& o) {
  std::cout << (o.value("ok", false) ? "sync done" : "sync failed") << " (" << text(o, "mode") << ", "
            << text(o, "finished") << ")\n"
            << "  usage reports forwarded  " << text(o, "forwardedReports") << " (" << text(o, "pendingReports")
            << " still pending)\n"
            << "  license pools            " << text(o, "poolsAdded") << " added, " << text(o, "poolsChanged")
            << " changed, " << text(o, "poolsRemoved") << " removed\n";
  if (o.contains("accounts") && o["accounts"].is_array() && !o["accounts"].empty()) {
    std::cout << "  smart accounts mirrored ";
    for (const auto& a : o["accounts"]) std::cout << " " << a.get<std::string>();
    std::cout << "\n";
  }
  if (o.contains("warnings") && o["warnings"].is_array())
    for (const auto& w : o["warnings"]) std::cout << "  warning: " << w.get<std::string>() << "\n";
}

bool read_file(const std::string& path, std::string& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::stringstream ss;
  ss << in.rdbuf();
  out = ss.str();
  return true;
}

bool write_file(const std::string& path, const std::string& content) {
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << content;
    if (!out.flush()) return false;
  }
  return std::rename(tmp.c_str(), path.c_str()) == 0;
}

}  // namespace

void add_admin_sync_commands(CLI::App& admin, std::shared_ptr<AdminOptions> o) {
  auto* sync = admin.add_subcommand("sync", "A satellite's sync with its authority (online or by signed files)");
  sync->require_subcommand(1);
  struct Args {
    std::string file, key;
    bool json = false;
  };
  auto a = std::make_shared<Args>();

  auto* now = sync->add_subcommand("now", "Sync with the authority now: forward usage, mirror its license pools");
  now->add_flag("--json", a->json, "Print the outcome as JSON");
  now->callback([o, a] {
    with_session(*o, [&](AdminSession& s) {
      long status = 0;
      auto r = s.call("POST", "/api/v1/admin/sync/now", 502, &status);
      if (!r) return false;
      if (a->json) {
        std::cout << r->dump(2) << "\n";
        return r->value("ok", false);
      }
      if (status == 502) {
        // The satellite answered: it is its own sync with its authority that failed.
        std::cerr << "licsat admin sync now: " << s.options().server
                  << " answered, but its sync with its authority failed; the satellite's words:\n  "
                  << text(*r, "error_message", text(*r, "error")) << "\n"
                  << "  (the satellite's [upstream] settings: url, ca_file, client_id; `licsat admin sync status` shows "
                     "the last success and the next retry)\n";
      }
      print_outcome(*r);
      return r->value("ok", false);
    });
  });

  auto* status = sync->add_subcommand("status", "Last success, last error, next run and pending usage");
  status->add_flag("--json", a->json, "Print JSON");
  status->callback([o, a] {
    with_session(*o, [&](AdminSession& s) {
      auto r = s.call("GET", "/api/v1/admin/sync");
      if (!r) return false;
      if (a->json) {
        std::cout << r->dump(2) << "\n";
        return true;
      }
      const json& j = *r;
      if (!j.value("configured", false)) {
        std::cout << "no upstream: this server is an authority\n";
        return true;
      }
      std::cout << "upstream        " << text(j, "upstream") << "\n"
                << "last success    " << text(j, "lastOk", "never") << "\n"
                << "last attempt    " << text(j, "lastAttempt", "never") << "\n"
                << "last error      " << text(j, "lastError", "none") << "\n"
                << "next run        " << text(j, "nextRun") << (j.value("running", false) ? " (a sync is running)" : "")
                << "\n"
                << "pending reports " << text(j, "pendingReports") << "\n"
                << "authority key   " << text(j, "authorityKeyFingerprint", "not pinned yet") << "\n";
      return true;
    });
  });

  auto* exp = sync->add_subcommand(
      "export", "Write the signed usage-request file of the usage not yet forwarded, for the authority's "
                "`licsat admin offline answer`");
  exp->add_option("FILE", a->file, "Where to write the request file")->required();
  exp->callback([o, a] {
    with_session(*o, [&](AdminSession& s) {
      auto r = s.call("POST", "/api/v1/admin/sync/export");
      if (!r) return false;
      if (!write_file(a->file, r->dump(2) + "\n")) {
        std::cerr << "licsat admin sync export: cannot write " << a->file << "\n";
        return false;
      }
      std::cout << "Request written to " << a->file << "; on the authority run `licsat admin offline answer "
                << a->file << " ANSWER`, then here `licsat admin sync import ANSWER`.\n";
      return true;
    });
  });

  auto* imp = sync->add_subcommand("import", "Apply the authority's signed license-answer file");
  imp->add_option("FILE", a->file, "The answer file written by `licsat admin offline answer` on the authority")->required();
  imp->callback([o, a] {
    std::string content;
    if (!read_file(a->file, content)) {
      std::cerr << "licsat admin sync import: cannot read " << a->file << "\n";
      return set_exit(kUsage);
    }
    auto body = json::parse(content, nullptr, false);
    if (!body.is_object()) {
      std::cerr << "licsat admin sync import: " << a->file << " is not an answer file (not a JSON object)\n";
      return set_exit(kUsage);
    }
    with_session(*o, [&](AdminSession& s) {
      auto r = s.call("POST", "/api/v1/admin/sync/import", body);
      if (!r) return false;
      print_outcome(*r);
      return true;
    });
  });

  auto* trust = sync->add_subcommand(
      "trust", "Pin the authority's signing key (fetched from the authority, or given with --key)");
  trust->add_option("--key", a->key, "The authority's public key (publicKey of its GET /api/v1/server-key), base64");
  trust->callback([o, a] {
    with_session(*o, [&](AdminSession& s) {
      json body = json::object();
      if (!a->key.empty()) body["publicKey"] = a->key;
      auto r = s.call("POST", "/api/v1/admin/sync/trust", body);
      if (!r) return false;
      std::cout << "pinned the authority's key " << text(*r, "fingerprintDisplay") << "\n";
      return true;
    });
  });
}

}  // namespace licsat::cli
