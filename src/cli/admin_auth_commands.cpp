// licsat admin grant|user|console|events.
#include <CLI/CLI.hpp>

#include <iostream>

#include "cli/admin_client.h"
#include "cli/commands.h"
#include "cli/output.h"
#include "http/message.h"

namespace licsat::cli {
namespace {

using nlohmann::json;

// Prints the one-time secret answer of create / regenerate-secret.
void print_secret(const json& g, bool as_json) {
  if (as_json) {
    std::cout << json{{"name", g["name"]}, {"type", g["type"]}, {"client_id", g["client_id"]},
                      {"client_secret", g["client_secret"]}, {"expires", g["expires"]}}
                     .dump(2)
              << "\n";
    return;
  }
  std::cout << "Grant:         " << json_text(g, "name") << " (" << json_text(g, "type_label") << ")\n"
            << "Client ID:     " << json_text(g, "client_id") << "\n"
            << "Client Secret: " << json_text(g, "client_secret") << "\n"
            << "Expires:       " << (json_text(g, "expires").empty() ? "never" : json_text(g, "expires")) << "\n"
            << "The client secret is shown this once; store it now.\n";
}

void add_grant(CLI::App& admin, std::shared_ptr<AdminOptions> o) {
  auto* grant = admin.add_subcommand("grant", "API Tool Kit: Resource Owner and Client Credentials Grants");
  grant->require_subcommand(1);

  struct Create {
    std::string type, name, description, expires, role, accounts;
    bool json = false;
  };
  auto c = std::make_shared<Create>();
  auto* create = grant->add_subcommand("create", "Create a grant; prints its client ID and secret once");
  create->add_option("--type", c->type, "resource-owner or client-credentials")->required();
  create->add_option("--name", c->name, "Unique name")->required();
  create->add_option("--description", c->description, "Description");
  create->add_option("--expires", c->expires, "Expiration date, YYYY-MM-DD");
  create->add_option("--role", c->role, "Role of client-credentials tokens (default operator)");
  create->add_option("--accounts", c->accounts, "Smart accounts its tokens may reach, A,B (default: every account)");
  create->add_flag("--json", c->json, "Print JSON");
  create->callback([o, c] {
    with_session(*o, [&](AdminSession& a) {
      json body = {{"name", c->name}, {"type", c->type}, {"description", c->description}};
      if (!c->expires.empty()) body["expires"] = c->expires;
      if (!c->role.empty()) body["role"] = c->role;
      if (!c->accounts.empty()) body["accounts"] = c->accounts;
      auto r = a.call("POST", "/api/v1/admin/grants", body);
      if (!r) return false;
      print_secret(*r, c->json);
      return true;
    });
  });

  struct List {
    std::string search;
    bool json = false;
  };
  auto l = std::make_shared<List>();
  auto* list = grant->add_subcommand("list", "List grants");
  list->add_option("--search", l->search, "Only grants whose name contains this text");
  list->add_flag("--json", l->json, "Print JSON");
  list->callback([o, l] {
    with_session(*o, [&](AdminSession& a) {
      auto r = a.call("GET", "/api/v1/admin/grants?search=" + http::url_encode(l->search));
      if (!r) return false;
      if (l->json) {
        std::cout << (*r)["grants"].dump(2) << "\n";
        return true;
      }
      std::vector<std::vector<std::string>> rows;
      for (const auto& g : (*r)["grants"])
        rows.push_back({json_text(g, "name"), json_text(g, "created_at").substr(0, 10), json_text(g, "type_label"), json_text(g, "description"),
                        json_text(g, "client_id"), json_text(g, "expires").empty() ? "never" : json_text(g, "expires"),
                        accounts_text(g)});
      print_table({"NAME", "CREATED", "TYPE", "DESCRIPTION", "CLIENT ID", "EXPIRES", "ACCOUNTS"}, rows);
      return true;
    });
  });

  struct Named {
    std::string name;
    bool json = false;
  };
  auto rg = std::make_shared<Named>();
  auto* regen = grant->add_subcommand("regenerate-secret", "New client secret; the old one stops working at once");
  regen->add_option("name", rg->name, "Grant name")->required();
  regen->add_flag("--json", rg->json, "Print JSON");
  regen->callback([o, rg] {
    with_session(*o, [&](AdminSession& a) {
      auto r = a.call("POST", "/api/v1/admin/grants/" + http::url_encode(rg->name) + "/regenerate-secret");
      if (!r) return false;
      print_secret(*r, rg->json);
      return true;
    });
  });

  auto dl = std::make_shared<Named>();
  auto* del = grant->add_subcommand("delete", "Delete a grant; its tokens stop working");
  del->add_option("name", dl->name, "Grant name")->required();
  del->callback([o, dl] {
    with_session(*o, [&](AdminSession& a) {
      if (!a.call("DELETE", "/api/v1/admin/grants/" + http::url_encode(dl->name))) return false;
      std::cout << "deleted grant " << dl->name << "\n";
      return true;
    });
  });
}

void add_user(CLI::App& admin, std::shared_ptr<AdminOptions> o) {
  auto* user = admin.add_subcommand("user", "Access Management: users and roles");
  user->require_subcommand(1);
  struct Add {
    std::string name, role, accounts;
  };
  auto a = std::make_shared<Add>();
  auto* add = user->add_subcommand("add", "Add a user (password: $LICSAT_NEW_PASSWORD, else prompt)");
  add->add_option("name", a->name, "User name")->required();
  add->add_option("--role", a->role, "admin, operator or viewer")->required();
  add->add_option("--accounts", a->accounts, "Smart accounts the user may reach, A,B (default: every account)");
  add->callback([o, a] {
    with_session(*o, [&](AdminSession& s) {
      std::string pw = password_from("LICSAT_NEW_PASSWORD", "Password for new user " + a->name + ": ");
      if (pw.empty()) {
        std::cerr << "licsat admin: no password for the new user '" << a->name
                  << "': set $LICSAT_NEW_PASSWORD, pipe it on standard input, or run from a terminal\n";
        return false;
      }
      json body = {{"name", a->name}, {"role", a->role}, {"password", pw}};
      if (!a->accounts.empty()) body["accounts"] = a->accounts;
      if (!s.call("POST", "/api/v1/admin/users", body)) return false;
      std::cout << "added user " << a->name << " (" << a->role << ")\n";
      return true;
    });
  });
  auto lj = std::make_shared<bool>(false);
  auto* list = user->add_subcommand("list", "List users");
  list->add_flag("--json", *lj, "Print JSON");
  list->callback([o, lj] {
    with_session(*o, [&](AdminSession& s) {
      auto r = s.call("GET", "/api/v1/admin/users");
      if (!r) return false;
      if (*lj) {
        std::cout << (*r)["users"].dump(2) << "\n";
        return true;
      }
      std::vector<std::vector<std::string>> rows;
      for (const auto& u : (*r)["users"]) {
        size_t from = u.contains("locked_from") ? u["locked_from"].size() : 0;
        std::string state = u.value("locked", false) ? "locked"
                            : from > 0 ? "locked from " + std::to_string(from) + (from == 1 ? " address" : " addresses")
                                       : "active";
        rows.push_back({json_text(u, "name"), json_text(u, "role"), state, json_text(u, "created_at"), accounts_text(u)});
      }
      print_table({"NAME", "ROLE", "STATE", "CREATED", "ACCOUNTS"}, rows);
      return true;
    });
  });
  struct Act {
    const char* name;
    const char* method;
    const char* suffix;
    const char* help;
    const char* done;
  };
  static const Act acts[] = {{"lock", "POST", "/lock", "Lock a user", "locked"},
                             {"unlock", "POST", "/unlock", "Unlock a user", "unlocked"},
                             {"delete", "DELETE", "", "Delete a user", "deleted"}};
  for (const auto& act : acts) {
    auto n = std::make_shared<std::string>();
    auto* sub = user->add_subcommand(act.name, act.help);
    sub->add_option("name", *n, "User name")->required();
    sub->callback([o, n, act] {
      with_session(*o, [&](AdminSession& s) {
        if (!s.call(act.method, "/api/v1/admin/users/" + http::url_encode(*n) + act.suffix)) return false;
        std::cout << act.done << " user " << *n << "\n";
        return true;
      });
    });
  }
}

void add_console(CLI::App& admin, std::shared_ptr<AdminOptions> o) {
  auto* console = admin.add_subcommand("console", "Enable or disable the API console (token issuance to grants)");
  console->require_subcommand(1);
  for (bool on : {true, false}) {
    auto* sub = console->add_subcommand(on ? "enable" : "disable", on ? "Enable the API console" : "Disable the API console");
    sub->callback([o, on] {
      with_session(*o, [&](AdminSession& s) {
        if (!s.call("PUT", "/api/v1/admin/console", {{"enabled", on}})) return false;
        std::cout << "API console " << (on ? "enabled" : "disabled") << "\n";
        return true;
      });
    });
  }
  auto* status = console->add_subcommand("status", "Show whether the API console is enabled");
  status->callback([o] {
    with_session(*o, [&](AdminSession& s) {
      auto r = s.call("GET", "/api/v1/admin/console");
      if (!r) return false;
      std::cout << "API console " << ((*r)["enabled"].get<bool>() ? "enabled" : "disabled") << "\n";
      return true;
    });
  });
}

void add_events(CLI::App& admin, std::shared_ptr<AdminOptions> o) {
  struct Ev {
    std::string since, action, outcome;
    int limit = 100;
    bool json = false;
    bool csv = false;
  };
  auto e = std::make_shared<Ev>();
  auto* ev = admin.add_subcommand("events", "Read the Event Log, newest first");
  ev->add_option("--since", e->since, "Only events at or after this ISO 8601 time");
  ev->add_option("--action", e->action, "Only actions starting with this (e.g. token.)");
  ev->add_option("--outcome", e->outcome, "success or failure");
  ev->add_option("--limit", e->limit, "At most this many events (default 100)");
  auto* json_flag = ev->add_flag("--json", e->json, "Print JSON");
  ev->add_flag("--csv", e->csv, "Print every event the filters match as CSV (--limit ignored)")->excludes(json_flag);
  ev->callback([o, e] {
    with_session(*o, [&](AdminSession& s) {
      std::string filters = "since=" + http::url_encode(e->since) + "&action=" + http::url_encode(e->action) +
                            "&outcome=" + http::url_encode(e->outcome);
      if (e->csv) {
        auto r = s.call("GET", "/api/v1/admin/events?format=csv&" + filters);
        if (!r) return false;
        std::cout << (r->is_string() ? r->get<std::string>() : r->dump());
        return true;
      }
      std::string q = "?limit=" + std::to_string(e->limit) + "&" + filters;
      auto r = s.call("GET", "/api/v1/admin/events" + q);
      if (!r) return false;
      if (e->json) {
        std::cout << (*r)["events"].dump(2) << "\n";
        return true;
      }
      std::vector<std::vector<std::string>> rows;
      for (const auto& x : (*r)["events"])
        rows.push_back({json_text(x, "time"), json_text(x, "actor"), json_text(x, "source_ip"), json_text(x, "action"), json_text(x, "outcome"), json_text(x, "detail")});
      print_table({"TIME", "ACTOR", "SOURCE", "ACTION", "OUTCOME", "DETAIL"}, rows);
      return true;
    });
  });
}

}  // namespace

void add_admin_auth_commands(CLI::App& admin, std::shared_ptr<AdminOptions> o) {
  add_grant(admin, o);
  add_user(admin, o);
  add_console(admin, o);
  add_events(admin, o);
  add_admin_tenancy_commands(admin, o);
}

}  // namespace licsat::cli
