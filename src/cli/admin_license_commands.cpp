// licsat admin account|vaccount|license: the license database over the admin REST API.
#include <CLI/CLI.hpp>

#include <iostream>

#include "cli/admin_client.h"
#include "cli/commands.h"
#include "cli/output.h"
#include "http/message.h"

namespace licsat::cli {
namespace {

using nlohmann::json;

std::string enc(const std::string& s) { return http::url_encode(s); }
std::string account_path(const std::string& a) { return "/api/v1/admin/accounts/" + enc(a); }
std::string va_path(const std::string& a, const std::string& v) {
  return account_path(a) + "/virtual-accounts/" + enc(v);
}

void add_account(CLI::App& admin, std::shared_ptr<AdminOptions> o) {
  auto* account = admin.add_subcommand("account", "Smart accounts");
  account->require_subcommand(1);

  struct Args {
    std::string name, domain, new_name;
    bool json = false;
  };
  auto a = std::make_shared<Args>();
  auto* add = account->add_subcommand("add", "Create a smart account");
  add->add_option("SMART_ACCOUNT", a->name, "Smart account name")->required();
  add->add_option("--domain", a->domain, "Its domain (e.g. example.com); the API accepts it in place of the name");
  add->callback([o, a] {
    with_session(*o, [&](AdminSession& s) {
      json body = {{"name", a->name}};
      if (!a->domain.empty()) body["domain"] = a->domain;
      if (!s.call("POST", "/api/v1/admin/accounts", body)) return false;
      std::cout << "added smart account " << a->name << "\n";
      return true;
    });
  });

  auto* list = account->add_subcommand("list", "List smart accounts");
  list->add_flag("--json", a->json, "Print JSON");
  list->callback([o, a] {
    with_session(*o, [&](AdminSession& s) {
      auto r = s.call("GET", "/api/v1/admin/accounts");
      if (!r) return false;
      if (a->json) {
        std::cout << (*r)["accounts"].dump(2) << "\n";
        return true;
      }
      std::vector<std::vector<std::string>> rows;
      for (const auto& x : (*r)["accounts"]) rows.push_back({json_text(x, "name"), json_text(x, "domain"), json_text(x, "created_at")});
      print_table({"SMART ACCOUNT", "DOMAIN", "CREATED"}, rows);
      return true;
    });
  });

  auto c = std::make_shared<Args>();
  auto* change = account->add_subcommand("change", "Rename a smart account or change its domain");
  change->add_option("SMART_ACCOUNT", c->name, "Smart account name or domain")->required();
  auto* dom = change->add_option("--domain", c->domain, "New domain (\"\" to clear)");
  auto* nn = change->add_option("--name", c->new_name, "New name");
  change->callback([o, c, dom, nn] {
    with_session(*o, [&](AdminSession& s) {
      json body = json::object();
      if (dom->count()) body["domain"] = c->domain;
      if (nn->count()) body["name"] = c->new_name;
      if (!s.call("PATCH", account_path(c->name), body)) return false;
      std::cout << "changed smart account " << c->name << "\n";
      return true;
    });
  });

  auto d = std::make_shared<Args>();
  auto* del = account->add_subcommand("delete", "Delete a smart account with its virtual accounts, pools and devices");
  del->add_option("SMART_ACCOUNT", d->name, "Smart account name or domain")->required();
  del->callback([o, d] {
    with_session(*o, [&](AdminSession& s) {
      if (!s.call("DELETE", account_path(d->name))) return false;
      std::cout << "deleted smart account " << d->name << "\n";
      return true;
    });
  });
}

void add_vaccount(CLI::App& admin, std::shared_ptr<AdminOptions> o) {
  auto* va = admin.add_subcommand("vaccount", "Virtual accounts");
  va->require_subcommand(1);
  struct Args {
    std::string account, name, description, new_name;
    bool json = false;
  };
  auto a = std::make_shared<Args>();
  auto* add = va->add_subcommand("add", "Create a virtual account");
  add->add_option("SMART_ACCOUNT", a->account, "Smart account")->required();
  add->add_option("VIRTUAL_ACCOUNT", a->name, "Virtual account name")->required();
  add->add_option("--description", a->description, "Description");
  add->callback([o, a] {
    with_session(*o, [&](AdminSession& s) {
      if (!s.call("POST", account_path(a->account) + "/virtual-accounts", {{"name", a->name}, {"description", a->description}}))
        return false;
      std::cout << "added virtual account " << a->name << " to " << a->account << "\n";
      return true;
    });
  });

  auto l = std::make_shared<Args>();
  auto* list = va->add_subcommand("list", "List the virtual accounts of a smart account");
  list->add_option("SMART_ACCOUNT", l->account, "Smart account")->required();
  list->add_flag("--json", l->json, "Print JSON");
  list->callback([o, l] {
    with_session(*o, [&](AdminSession& s) {
      auto r = s.call("GET", account_path(l->account) + "/virtual-accounts");
      if (!r) return false;
      if (l->json) {
        std::cout << (*r)["virtual_accounts"].dump(2) << "\n";
        return true;
      }
      std::vector<std::vector<std::string>> rows;
      for (const auto& x : (*r)["virtual_accounts"])
        rows.push_back({json_text(x, "name"), x.value("is_default", false) ? "yes" : "", json_text(x, "description")});
      print_table({"VIRTUAL ACCOUNT", "DEFAULT", "DESCRIPTION"}, rows);
      return true;
    });
  });

  auto c = std::make_shared<Args>();
  auto* change = va->add_subcommand("change", "Rename a virtual account or change its description");
  change->add_option("SMART_ACCOUNT", c->account, "Smart account")->required();
  change->add_option("VIRTUAL_ACCOUNT", c->name, "Virtual account")->required();
  auto* desc = change->add_option("--description", c->description, "New description");
  auto* nn = change->add_option("--name", c->new_name, "New name");
  change->callback([o, c, desc, nn] {
    with_session(*o, [&](AdminSession& s) {
      json body = json::object();
      if (desc->count()) body["description"] = c->description;
      if (nn->count()) body["name"] = c->new_name;
      if (!s.call("PATCH", va_path(c->account, c->name), body)) return false;
      std::cout << "changed virtual account " << c->name << "\n";
      return true;
    });
  });

  auto d = std::make_shared<Args>();
  auto* del = va->add_subcommand("delete", "Delete a virtual account with its pools and devices");
  del->add_option("SMART_ACCOUNT", d->account, "Smart account")->required();
  del->add_option("VIRTUAL_ACCOUNT", d->name, "Virtual account")->required();
  del->callback([o, d] {
    with_session(*o, [&](AdminSession& s) {
      if (!s.call("DELETE", va_path(d->account, d->name))) return false;
      std::cout << "deleted virtual account " << d->name << " of " << d->account << "\n";
      return true;
    });
  });
}

void add_license(CLI::App& admin, std::shared_ptr<AdminOptions> o) {
  auto* lic = admin.add_subcommand("license", "License pools");
  lic->require_subcommand(1);
  struct Args {
    std::string account, va, tag, kind, starts, ends, name;
    int64_t quantity = 0;
    bool json = false;
  };
  auto a = std::make_shared<Args>();
  auto* add = lic->add_subcommand("add", "Create a license pool: TAG for a virtual account");
  add->add_option("SMART_ACCOUNT", a->account, "Smart account")->required();
  add->add_option("VIRTUAL_ACCOUNT", a->va, "Virtual account")->required();
  add->add_option("TAG", a->tag, "License tag (entitlement tag)")->required();
  add->add_option("--quantity", a->quantity, "Number of licenses")->required()->check(CLI::NonNegativeNumber);
  add->add_option("--kind", a->kind, "perpetual, term or subscription (default: term with --ends, else perpetual)")
      ->check(CLI::IsMember({"perpetual", "term", "subscription"}));
  add->add_option("--starts", a->starts, "First day, YYYY-MM-DD");
  add->add_option("--ends", a->ends, "Day it expires, YYYY-MM-DD (term and subscription)");
  add->add_option("--name", a->name, "Display name (default: the tag)");
  add->callback([o, a] {
    with_session(*o, [&](AdminSession& s) {
      json body = {{"tag", a->tag}, {"quantity", a->quantity}};
      if (!a->kind.empty()) body["kind"] = a->kind;
      if (!a->starts.empty()) body["starts"] = a->starts;
      if (!a->ends.empty()) body["ends"] = a->ends;
      if (!a->name.empty()) body["name"] = a->name;
      auto r = s.call("POST", va_path(a->account, a->va) + "/licenses", body);
      if (!r) return false;
      std::cout << "added license pool " << a->tag << " (" << json_text(*r, "kind") << ", quantity " << a->quantity << ") to "
                << a->account << "/" << a->va << "\n";
      return true;
    });
  });

  auto l = std::make_shared<Args>();
  auto* list = lic->add_subcommand("list", "Licenses of a smart account with usage and status");
  list->add_option("SMART_ACCOUNT", l->account, "Smart account")->required();
  list->add_option("VIRTUAL_ACCOUNT", l->va, "Only this virtual account");
  list->add_flag("--json", l->json, "Print JSON (the licensing API's answer)");
  list->callback([o, l] {
    with_session(*o, [&](AdminSession& s) {
      json body = {{"limit", -1}, {"offset", 0}};
      if (!l->va.empty()) body["virtualAccounts"] = json::array({l->va});
      auto r = s.call("POST", "/api/v1/accounts/" + enc(l->account) + "/licenses", body);
      if (!r) return false;
      if (l->json) {
        std::cout << r->dump(2) << "\n";
        return true;
      }
      std::vector<std::vector<std::string>> rows;
      for (const auto& x : (*r)["licenses"]) {
        std::string type, ends;
        if (!x["licenseDetails"].empty()) {
          type = json_text(x["licenseDetails"][0], "licenseType");
          ends = json_text(x["licenseDetails"][0], "endDate");
        }
        rows.push_back({json_text(x, "virtualAccount"), json_text(x, "tag"), json_text(x, "license"), type, json_text(x, "quantity"),
                        json_text(x, "inUse"), json_text(x, "available"), ends, json_text(x, "status"),
                        json_text(x, "source") == "upstream" ? "mirrored" : json_text(x, "source")});
      }
      print_table({"VIRTUAL ACCOUNT", "TAG", "NAME", "TYPE", "QUANTITY", "IN USE", "AVAILABLE", "ENDS", "STATUS", "SOURCE"},
                  rows);
      return true;
    });
  });

  auto c = std::make_shared<Args>();
  auto* change = lic->add_subcommand("change", "Change a local license pool");
  change->add_option("SMART_ACCOUNT", c->account, "Smart account")->required();
  change->add_option("VIRTUAL_ACCOUNT", c->va, "Virtual account")->required();
  change->add_option("TAG", c->tag, "License tag")->required();
  auto* qty = change->add_option("--quantity", c->quantity, "Number of licenses")->check(CLI::NonNegativeNumber);
  auto* kind = change->add_option("--kind", c->kind, "perpetual, term or subscription")
                   ->check(CLI::IsMember({"perpetual", "term", "subscription"}));
  auto* starts = change->add_option("--starts", c->starts, "First day, YYYY-MM-DD (\"\" to clear)");
  auto* ends = change->add_option("--ends", c->ends, "Day it expires, YYYY-MM-DD (\"\" to clear)");
  auto* name = change->add_option("--name", c->name, "Display name");
  change->callback([o, c, qty, kind, starts, ends, name] {
    with_session(*o, [&](AdminSession& s) {
      json body = json::object();
      if (qty->count()) body["quantity"] = c->quantity;
      if (kind->count()) body["kind"] = c->kind;
      if (starts->count()) body["starts"] = c->starts;
      if (ends->count()) body["ends"] = c->ends;
      if (name->count()) body["name"] = c->name;
      if (!s.call("PATCH", va_path(c->account, c->va) + "/licenses/" + enc(c->tag), body)) return false;
      std::cout << "changed license pool " << c->tag << "\n";
      return true;
    });
  });

  auto d = std::make_shared<Args>();
  auto* del = lic->add_subcommand("delete", "Delete a local license pool");
  del->add_option("SMART_ACCOUNT", d->account, "Smart account")->required();
  del->add_option("VIRTUAL_ACCOUNT", d->va, "Virtual account")->required();
  del->add_option("TAG", d->tag, "License tag")->required();
  del->callback([o, d] {
    with_session(*o, [&](AdminSession& s) {
      if (!s.call("DELETE", va_path(d->account, d->va) + "/licenses/" + enc(d->tag))) return false;
      std::cout << "deleted license pool " << d->tag << "\n";
      return true;
    });
  });
}

}  // namespace

void add_admin_license_commands(CLI::App& admin, std::shared_ptr<AdminOptions> o) {
  add_account(admin, o);
  add_vaccount(admin, o);
  add_license(admin, o);
}

}  // namespace licsat::cli
