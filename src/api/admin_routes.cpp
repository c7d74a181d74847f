// /api/v1/admin/**: Access Management, the API Tool Kit, the console toggle and the Event Log.
// Every route needs the admin role except GET /api/v1/me.
#include <nlohmann/json.hpp>

#include "api/account_scope_json.h"
#include "api/auth.h"
#include "api/csv_exports.h"
#include "api/json_views.h"
#include "api/page_cursor.h"
#include "core/clock.h"

namespace licsat::api {
namespace {

using domain::Role;
using http::Request;
using http::Response;
using nlohmann::json;

Response ok(const json& j, int status = 200) { return http::json_response(status, j); }

// Reads an optional string member; a member of another type is a 400 naming it.
std::expected<std::string, Response> str_field(const json& j, const char* name, bool required) {
  if (!j.contains(name) || j[name].is_null()) {
    if (required) return std::unexpected(http::error_response(400, "invalid_request", std::string("'") + name + "' is required."));
    return std::string();
  }
  if (!j[name].is_string())
    return std::unexpected(http::error_response(400, "invalid_request", std::string("'") + name + "' must be a string."));
  return j[name].get<std::string>();
}

template <typename F>
http::GuardedHandler admin(App& app, F f) {
  return with_role(app, Role::kAdmin, f);
}

Response create_user(App& app, Request& req, const oauth::Principal& p) {
  auto j = parse_json_body(req);
  if (!j) return j.error();
  auto name = str_field(*j, "name", true);
  if (!name) return name.error();
  auto role_s = str_field(*j, "role", true);
  if (!role_s) return role_s.error();
  auto pw = str_field(*j, "password", true);
  if (!pw) return pw.error();
  auto role = domain::parse_role(*role_s);
  if (!role) return http::error_response(400, "invalid_request", "'role' must be admin, operator or viewer.");
  auto accounts = accounts_field(app, *j);
  if (!accounts) return accounts.error();
  if (auto s = app.access->add_user(*name, *role, *pw, actor_of(p, req), accounts->value_or(domain::AccountScope::every()));
      !s)
    return error_of(s.error());
  auto u = app.store->find_user(*name);
  if (!u || !*u) return error_of(Error::internal("user vanished after creation"));
  return ok(to_json(**u, app.clock->now()), 201);
}

Response update_user(App& app, Request& req, const oauth::Principal& p) {
  auto j = parse_json_body(req);
  if (!j) return j.error();
  const std::string& name = req.params["name"];
  auto by = actor_of(p, req);
  // Every member is read and checked before any change is made, so a bad request changes nothing.
  auto accounts = accounts_field(app, *j);
  if (!accounts) return accounts.error();
  std::optional<Role> role;
  if (j->contains("role")) {
    auto role_s = str_field(*j, "role", true);
    if (!role_s) return role_s.error();
    role = domain::parse_role(*role_s);
    if (!role) return http::error_response(400, "invalid_request", "'role' must be admin, operator or viewer.");
  }
  std::optional<std::string> password;
  if (j->contains("password")) {
    auto pw = str_field(*j, "password", true);
    if (!pw) return pw.error();
    if (auto s = app.access->check_password_policy(name, *pw); !s) return error_of(s.error());
    password = *pw;
  }
  if (j->contains("locked") && !(*j)["locked"].is_boolean())
    return http::error_response(400, "invalid_request", "'locked' must be true or false.");
  if (*accounts)
    if (auto s = app.access->set_accounts(name, **accounts, by); !s) return error_of(s.error());
  if (role)
    if (auto s = app.access->set_role(name, *role, by); !s) return error_of(s.error());
  if (password)
    if (auto s = app.access->set_password(name, *password, by); !s) return error_of(s.error());
  if (j->contains("locked"))
    if (auto s = app.access->set_locked(name, (*j)["locked"].get<bool>(), by); !s) return error_of(s.error());
  auto u = app.store->find_user(name);
  if (!u) return error_of(u.error());
  if (!*u) return error_of(Error::not_found("user '" + name + "' does not exist"));
  return ok(to_json(**u, app.clock->now()));
}

Response create_grant(App& app, Request& req, const oauth::Principal& p) {
  auto j = parse_json_body(req);
  if (!j) return j.error();
  auto name = str_field(*j, "name", true);
  if (!name) return name.error();
  auto type_s = str_field(*j, "type", true);
  if (!type_s) return type_s.error();
  auto desc = str_field(*j, "description", false);
  if (!desc) return desc.error();
  auto expires_s = str_field(*j, "expires", false);
  if (!expires_s) return expires_s.error();
  auto role_s = str_field(*j, "role", false);
  if (!role_s) return role_s.error();
  domain::NewGrantRequest g;
  g.name = *name;
  g.description = *desc;
  auto type = domain::parse_grant_type(*type_s);
  if (!type) return http::error_response(400, "invalid_request", "'type' must be resource_owner or client_credentials.");
  g.type = *type;
  if (!expires_s->empty()) {
    auto t = parse_iso8601(*expires_s);
    if (!t) return http::error_response(400, "invalid_request", "'expires' must be a date, YYYY-MM-DD.");
    // A date means the grant works through that whole day (UTC).
    g.expires = expires_s->size() == 10 ? *t + 86400 : *t;
  }
  if (!role_s->empty()) {
    auto role = domain::parse_role(*role_s);
    if (!role) return http::error_response(400, "invalid_request", "'role' must be admin, operator or viewer.");
    g.role = *role;
  }
  auto accounts = accounts_field(app, *j);
  if (!accounts) return accounts.error();
  g.accounts = accounts->value_or(domain::AccountScope::every());
  auto made = app.grants->create(g, actor_of(p, req));
  if (!made) return error_of(made.error());
  auto r = ok(to_json(*made), 201);
  r.set("Cache-Control", "no-store");
  return r;
}

// PATCH /api/v1/admin/grants/{name}: what may change after creation (the accounts).
Response update_grant(App& app, Request& req, const oauth::Principal& p) {
  auto j = parse_json_body(req);
  if (!j) return j.error();
  const std::string& name = req.params["name"];
  auto accounts = accounts_field(app, *j);
  if (!accounts) return accounts.error();
  if (!*accounts) return http::error_response(400, "invalid_request", "Nothing to change: give 'accounts'.");
  if (auto s = app.grants->set_accounts(name, **accounts, actor_of(p, req)); !s) return error_of(s.error());
  auto g = app.grants->get(name);
  if (!g) return error_of(g.error());
  return ok(to_json(*g));
}

Response list_events(App& app, Request& req) {
  auto q = http::parse_form(req.query);
  domain::EventFilter f;
  if (auto it = q.find("since"); it != q.end() && !it->second.empty()) {
    auto t = parse_iso8601(it->second);
    if (!t) return http::error_response(400, "invalid_request", "'since' must be an ISO 8601 time, e.g. 2026-01-31T00:00:00Z.");
    f.since = *t;
  }
  f.action = q["action"];
  f.outcome = q["outcome"];
  f.actor = q["actor"];
  try {
    if (!q["limit"].empty()) f.limit = std::clamp<int64_t>(std::stoll(q["limit"]), 1, 1000);
    if (!q["offset"].empty()) f.offset = std::max<int64_t>(0, std::stoll(q["offset"]));
  } catch (...) {
    return http::error_response(400, "invalid_request", "'limit' and 'offset' must be whole numbers.");
  }
  // Paging by cursor: `after` is the `next` of the page before; an empty `after` starts from
  // the newest event. Such pages are index range scans and carry no total.
  if (auto it = q.find("after"); it != q.end()) {
    if (f.offset != 0)
      return http::error_response(400, "invalid_request", "'after' and 'offset' cannot be combined; page with one of them.");
    f.paging_by_cursor = true;
    if (!it->second.empty()) {
      auto id = decode_cursor("events", it->second);
      if (!id)
        return http::error_response(400, "invalid_request",
                                    "'after' is not a cursor of this list; pass the 'next' of the previous page unchanged, "
                                    "or leave it empty to start from the newest event.");
      f.before = *id;
    }
  }
  app.events->flush();
  std::optional<Response> refusal;
  if (wants_csv(q["format"], refusal)) return events_csv(app, f);
  if (refusal) return *refusal;
  auto page = app.store->list_events(f);
  if (!page) return error_of(page.error());
  json arr = json::array();
  for (const auto& e : page->events) arr.push_back(to_json(e));
  json body = {{"limit", f.limit}, {"offset", f.offset}, {"events", arr}};
  if (page->total) body["total"] = *page->total;
  if (page->next) body["next"] = encode_cursor("events", *page->next);
  return ok(body);
}

}  // namespace

void add_admin_routes(App& app) {
  auto& r = app.router;
  r.add("GET", "/api/v1/me", with_role(app, Role::kViewer, [](Request&, const oauth::Principal& p) -> Response {
          return ok({{"name", p.actor},
                     {"role", std::string(domain::role_name(p.role))},
                     {"client_id", p.client_id},
                     {"accounts", to_json(p.accounts)},
                     {"expires", format_iso8601(p.expires)}});
        }));

  r.add("GET", "/api/v1/admin/users", admin(app, [&app](Request&, const oauth::Principal&) -> Response {
          auto users = app.access->list_users();
          if (!users) return error_of(users.error());
          json arr = json::array();
          for (const auto& u : *users) {
            json j = to_json(u, app.clock->now());
            // Temporary lockouts are per source address (domain::LoginGuard, this node's).
            json from = json::array();
            for (const auto& [address, until] : app.access->login_guard().locked_addresses(u.name, app.clock->now()))
              from.push_back({{"address", address}, {"until", format_iso8601(until)}});
            if (!from.empty()) j["locked_from"] = from;
            arr.push_back(j);
          }
          return ok({{"users", arr}});
        }));
  r.add("POST", "/api/v1/admin/users", admin(app, [&app](Request& req, const oauth::Principal& p) {
          return create_user(app, req, p);
        }));
  r.add("PATCH", "/api/v1/admin/users/{name}", admin(app, [&app](Request& req, const oauth::Principal& p) {
          return update_user(app, req, p);
        }));
  r.add("POST", "/api/v1/admin/users/{name}/lock", admin(app, [&app](Request& req, const oauth::Principal& p) -> Response {
          if (auto s = app.access->set_locked(req.params["name"], true, actor_of(p, req)); !s) return error_of(s.error());
          return ok({{"name", req.params["name"]}, {"locked", true}});
        }));
  r.add("POST", "/api/v1/admin/users/{name}/unlock", admin(app, [&app](Request& req, const oauth::Principal& p) -> Response {
          if (auto s = app.access->set_locked(req.params["name"], false, actor_of(p, req)); !s) return error_of(s.error());
          return ok({{"name", req.params["name"]}, {"locked", false}});
        }));
  r.add("DELETE", "/api/v1/admin/users/{name}", admin(app, [&app](Request& req, const oauth::Principal& p) -> Response {
          if (auto s = app.access->remove_user(req.params["name"], actor_of(p, req)); !s) return error_of(s.error());
          return ok({{"deleted", req.params["name"]}});
        }));

  r.add("GET", "/api/v1/admin/grants", admin(app, [&app](Request& req, const oauth::Principal&) -> Response {
          auto q = http::parse_form(req.query);
          auto grants = app.grants->list(q["search"]);
          if (!grants) return error_of(grants.error());
          json arr = json::array();
          for (const auto& g : *grants) arr.push_back(to_json(g));
          return ok({{"grants", arr}, {"total", arr.size()}});
        }));
  r.add("POST", "/api/v1/admin/grants", admin(app, [&app](Request& req, const oauth::Principal& p) {
          return create_grant(app, req, p);
        }));
  r.add("GET", "/api/v1/admin/grants/{name}", admin(app, [&app](Request& req, const oauth::Principal&) -> Response {
          auto g = app.grants->get(req.params["name"]);
          if (!g) return error_of(g.error());
          return ok(to_json(*g));
        }));
  r.add("PATCH", "/api/v1/admin/grants/{name}", admin(app, [&app](Request& req, const oauth::Principal& p) {
          return update_grant(app, req, p);
        }));
  r.add("POST", "/api/v1/admin/grants/{name}/regenerate-secret",
        admin(app, [&app](Request& req, const oauth::Principal& p) -> Response {
          auto g = app.grants->regenerate_secret(req.params["name"], actor_of(p, req));
          if (!g) return error_of(g.error());
          auto resp = ok(to_json(*g));
          resp.set("Cache-Control", "no-store");
          return resp;
        }));
  r.add("DELETE", "/api/v1/admin/grants/{name}", admin(app, [&app](Request& req, const oauth::Principal& p) -> Response {
          if (auto s = app.grants->remove(req.params["name"], actor_of(p, req)); !s) return error_of(s.error());
          return ok({{"deleted", req.params["name"]}});
        }));

  r.add("GET", "/api/v1/admin/console", admin(app, [&app](Request&, const oauth::Principal&) -> Response {
          return ok({{"enabled", app.tokens->console_enabled()}});
        }));
  r.add("PUT", "/api/v1/admin/console", admin(app, [&app](Request& req, const oauth::Principal& p) -> Response {
          auto j = parse_json_body(req);
          if (!j) return j.error();
          if (!j->contains("enabled") || !(*j)["enabled"].is_boolean())
            return http::error_response(400, "invalid_request", "'enabled' must be true or false.");
          bool on = (*j)["enabled"].get<bool>();
          if (auto s = app.tokens->set_console_enabled(on, actor_of(p, req)); !s) return error_of(s.error());
          return ok({{"enabled", on}});
        }));

  r.add("GET", "/api/v1/admin/events", admin(app, [&app](Request& req, const oauth::Principal&) {
          return list_events(app, req);
        }));
}

}  // namespace licsat::api
