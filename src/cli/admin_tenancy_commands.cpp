// licsat admin user change | user reset-password | grant change: per-account access and the
// changes an admin makes to existing users and grants.
#include <CLI/CLI.hpp>

#include <iostream>

#include "cli/admin_client.h"
#include "cli/commands.h"
#include "http/message.h"

namespace licsat::cli {

using nlohmann::json;

std::string accounts_text(const json& record) {
  if (!record.contains("accounts") || record["accounts"].is_null()) return "all";
  std::string out;
  for (const auto& a : record["accounts"]) {
    if (!out.empty()) out += ",";
    out += a.is_string() ? a.get<std::string>() : a.dump();
  }
  return out.empty() ? "(none)" : out;
}

namespace {

void add_user_change(CLI::App& user, std::shared_ptr<AdminOptions> o) {
  struct Change {
    std::string name, role, accounts;
  };
  auto c = std::make_shared<Change>();
  auto* change = user.add_subcommand("change", "Change a user's role or smart accounts");
  change->add_option("name", c->name, "User name")->required();
  change->add_option("--role", c->role, "admin, operator or viewer");
  change->add_option("--accounts", c->accounts, "Smart accounts the user may reach, A,B, or 'all'");
  change->callback([o, c] {
    if (c->role.empty() && c->accounts.empty()) {
      std::cerr << "error: nothing to change; give --role and/or --accounts\n";
      set_exit(kUsage);
      return;
    }
    with_session(*o, [&](AdminSession& s) {
      json body = json::object();
      if (!c->role.empty()) body["role"] = c->role;
      if (!c->accounts.empty()) body["accounts"] = c->accounts;
      auto r = s.call("PATCH", "/api/v1/admin/users/" + http::url_encode(c->name), body);
      if (!r) return false;
      std::cout << "user " << c->name << ": role " << (*r).value("role", "") << ", accounts " << accounts_text(*r) << "\n";
      return true;
    });
  });

  auto n = std::make_shared<std::string>();
  auto* reset = user.add_subcommand("reset-password",
                                    "Set a new password (from $LICSAT_NEW_PASSWORD, else prompt); ends the user's sessions");
  reset->add_option("name", *n, "User name")->required();
  reset->callback([o, n] {
    with_session(*o, [&](AdminSession& s) {
      std::string pw = password_from("LICSAT_NEW_PASSWORD", "New password for user " + *n + ": ");
      if (!s.call("PATCH", "/api/v1/admin/users/" + http::url_encode(*n), {{"password", pw}})) return false;
      std::cout << "password of user " << *n << " reset; its sessions ended\n";
      return true;
    });
  });
}

void add_grant_change(CLI::App& grant, std::shared_ptr<AdminOptions> o) {
  struct Change {
    std::string name, accounts;
  };
  auto c = std::make_shared<Change>();
  auto* change = grant.add_subcommand("change", "Change the smart accounts a grant's tokens may reach");
  change->add_option("name", c->name, "Grant name")->required();
  change->add_option("--accounts", c->accounts, "Smart accounts, A,B, or 'all'")->required();
  change->callback([o, c] {
    with_session(*o, [&](AdminSession& s) {
      auto r = s.call("PATCH", "/api/v1/admin/grants/" + http::url_encode(c->name), {{"accounts", c->accounts}});
      if (!r) return false;
      std::cout << "grant " << c->name << ": accounts " << accounts_text(*r) << "\n";
      return true;
    });
  });
}

}  // namespace

void add_admin_tenancy_commands(CLI::App& admin, std::shared_ptr<AdminOptions> o) {
  add_user_change(*admin.get_subcommand("user"), o);
  add_grant_change(*admin.get_subcommand("grant"), o);
}

}  // namespace licsat::cli
