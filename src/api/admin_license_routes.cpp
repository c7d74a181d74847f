// /api/v1/admin/accounts/**: admins create, change and delete smart accounts, virtual accounts
// and license pools. snake_case like the rest of the admin API; every change is in the Event Log.
#include <nlohmann/json.hpp>

#include "api/auth.h"
#include "core/clock.h"

namespace licsat::api {
namespace {

using domain::Role;
using http::Request;
using http::Response;
using nlohmann::json;

Response bad_request(const std::string& m) { return http::error_response(400, "invalid_request", m); }

template <typename F>
http::GuardedHandler admin(App& app, F f) {
  return with_role(app, Role::kAdmin, f);
}

json date_or_null(int64_t t) { return t ? json(format_date(t)) : json(nullptr); }

json to_json(const domain::SmartAccount& a) {
  return {{"name", a.name}, {"domain", a.domain}, {"created_at", format_iso8601(a.created_at)}, {"created_by", a.created_by}};
}

json to_json(const domain::VirtualAccount& v) {
  return {{"name", v.name},
          {"description", v.description},
          {"is_default", v.is_default},
          {"created_at", format_iso8601(v.created_at)},
          {"created_by", v.created_by}};
}

json to_json(const domain::LicensePool& p) {
  return {{"tag", p.tag},
          {"name", p.display_name},
          {"virtual_account", p.virtual_account},
          {"kind", std::string(domain::license_kind_name(p.kind))},
          {"quantity", p.quantity},
          {"starts", date_or_null(p.starts)},
          {"ends", date_or_null(p.ends)},
          {"origin", std::string(domain::pool_origin_name(p.origin))},
          {"created_at", format_iso8601(p.created_at)},
          {"updated_at", format_iso8601(p.updated_at)}};
}

// An optional string member: absent or null gives nullopt, another type a 400 naming it.
std::expected<std::optional<std::string>, Response> opt_str(const json& j, const char* name) {
  if (!j.contains(name) || j[name].is_null()) return std::optional<std::string>();
  if (!j[name].is_string()) return std::unexpected(bad_request(std::string("'") + name + "' must be a string."));
  return std::optional<std::string>(j[name].get<std::string>());
}

std::expected<std::optional<int64_t>, Response> opt_int(const json& j, const char* name) {
  if (!j.contains(name) || j[name].is_null()) return std::optional<int64_t>();
  if (!j[name].is_number_integer()) return std::unexpected(bad_request(std::string("'") + name + "' must be a whole number."));
  return std::optional<int64_t>(j[name].get<int64_t>());
}

// A date member ("YYYY-MM-DD" or an ISO 8601 time); "" or null clears it (0).
std::expected<std::optional<int64_t>, Response> opt_date(const json& j, const char* name) {
  if (!j.contains(name)) return std::optional<int64_t>();
  if (j[name].is_null()) return std::optional<int64_t>(0);
  if (!j[name].is_string()) return std::unexpected(bad_request(std::string("'") + name + "' must be a date, YYYY-MM-DD."));
  auto s = j[name].get<std::string>();
  if (s.empty()) return std::optional<int64_t>(0);
  auto t = parse_iso8601(s);
  if (!t) return std::unexpected(bad_request(std::string("'") + name + "' must be a date, YYYY-MM-DD."));
  return std::optional<int64_t>(*t);
}

std::expected<std::optional<domain::LicenseKind>, Response> opt_kind(const json& j) {
  auto s = opt_str(j, "kind");
  if (!s) return std::unexpected(s.error());
  if (!*s) return std::optional<domain::LicenseKind>();
  auto k = domain::parse_license_kind(**s);
  if (!k) return std::unexpected(bad_request("'kind' must be perpetual, term or subscription."));
  return std::optional<domain::LicenseKind>(*k);
}

Response create_account(App& app, Request& req, const oauth::Principal& p) {
  auto j = parse_json_body(req);
  if (!j) return j.error();
  auto name = opt_str(*j, "name");
  if (!name) return name.error();
  if (!*name) return bad_request("'name' is required.");
  // An admin limited to some accounts may not create others.
  if (!p.accounts.permits(**name))
    return http::error_response(403, "access_denied", "This token is not permitted for account '" + **name + "'.");
  auto domain = opt_str(*j, "domain");
  if (!domain) return domain.error();
  auto a = app.licensing->add_account(**name, domain->value_or(""), actor_of(p, req));
  if (!a) return error_of(a.error());
  return http::json_response(201, to_json(*a));
}

Response change_account(App& app, Request& req, const oauth::Principal& p) {
  auto j = parse_json_body(req);
  if (!j) return j.error();
  auto name = opt_str(*j, "name");
  if (!name) return name.error();
  auto domain = opt_str(*j, "domain");
  if (!domain) return domain.error();
  auto a = app.licensing->change_account(req.params["account"], *name, *domain, actor_of(p, req));
  if (!a) return error_of(a.error());
  return http::json_response(200, to_json(*a));
}

Response create_va(App& app, Request& req, const oauth::Principal& p) {
  auto j = parse_json_body(req);
  if (!j) return j.error();
  auto name = opt_str(*j, "name");
  if (!name) return name.error();
  if (!*name) return bad_request("'name' is required.");
  auto desc = opt_str(*j, "description");
  if (!desc) return desc.error();
  auto v = app.licensing->add_virtual_account(req.params["account"], **name, desc->value_or(""), actor_of(p, req));
  if (!v) return error_of(v.error());
  return http::json_response(201, to_json(*v));
}

Response change_va(App& app, Request& req, const oauth::Principal& p) {
  auto j = parse_json_body(req);
  if (!j) return j.error();
  auto name = opt_str(*j, "name");
  if (!name) return name.error();
  auto desc = opt_str(*j, "description");
  if (!desc) return desc.error();
  auto v = app.licensing->change_virtual_account(req.params["account"], req.params["va"], *name, *desc, actor_of(p, req));
  if (!v) return error_of(v.error());
  return http::json_response(200, to_json(*v));
}

Response create_pool(App& app, Request& req, const oauth::Principal& p) {
  auto j = parse_json_body(req);
  if (!j) return j.error();
  auto tag = opt_str(*j, "tag");
  if (!tag) return tag.error();
  if (!*tag) return bad_request("'tag' is required.");
  auto name = opt_str(*j, "name");
  if (!name) return name.error();
  auto qty = opt_int(*j, "quantity");
  if (!qty) return qty.error();
  if (!*qty) return bad_request("'quantity' is required.");
  auto kind = opt_kind(*j);
  if (!kind) return kind.error();
  auto starts = opt_date(*j, "starts");
  if (!starts) return starts.error();
  auto ends = opt_date(*j, "ends");
  if (!ends) return ends.error();
  domain::LicensePool pool;
  pool.tag = **tag;
  pool.display_name = name->value_or("");
  pool.quantity = **qty;
  pool.starts = starts->value_or(0);
  pool.ends = ends->value_or(0);
  // With an end date and no kind, the pool is a term license.
  pool.kind = kind->value_or(pool.ends ? domain::LicenseKind::kTerm : domain::LicenseKind::kPerpetual);
  auto made = app.licensing->add_pool(req.params["account"], req.params["va"], pool, actor_of(p, req));
  if (!made) return error_of(made.error());
  return http::json_response(201, to_json(*made));
}

Response change_pool(App& app, Request& req, const oauth::Principal& p) {
  auto j = parse_json_body(req);
  if (!j) return j.error();
  domain::PoolChange c;
  auto name = opt_str(*j, "name");
  if (!name) return name.error();
  c.display_name = *name;
  auto qty = opt_int(*j, "quantity");
  if (!qty) return qty.error();
  c.quantity = *qty;
  auto kind = opt_kind(*j);
  if (!kind) return kind.error();
  c.kind = *kind;
  auto starts = opt_date(*j, "starts");
  if (!starts) return starts.error();
  c.starts = *starts;
  auto ends = opt_date(*j, "ends");
  if (!ends) return ends.error();
  c.ends = *ends;
  auto made = app.licensing->change_pool(req.params["account"], req.params["va"], req.params["tag"], c, actor_of(p, req));
  if (!made) return error_of(made.error());
  return http::json_response(200, to_json(*made));
}

}  // namespace

void add_admin_license_routes(App& app) {
  auto& r = app.router;
  const std::string base = "/api/v1/admin/accounts";
  const std::string acct = base + "/{account}";
  const std::string va = acct + "/virtual-accounts/{va}";

  r.add("GET", base, admin(app, [&app](Request&, const oauth::Principal& p) -> Response {
          auto list = app.licensing->accounts();
          if (!list) return error_of(list.error());
          json arr = json::array();
          for (const auto& a : *list)
            if (p.accounts.permits(a.name)) arr.push_back(to_json(a));  // only the accounts the token reaches
          return http::json_response(200, {{"accounts", arr}});
        }));
  r.add("POST", base, admin(app, [&app](Request& req, const oauth::Principal& p) { return create_account(app, req, p); }));
  r.add("GET", acct, admin(app, [&app](Request& req, const oauth::Principal&) -> Response {
          auto a = app.licensing->account(req.params["account"]);
          if (!a) return error_of(a.error());
          auto vas = app.store->list_virtual_accounts(a->id);
          if (!vas) return error_of(vas.error());
          json j = to_json(*a);
          j["virtual_accounts"] = json::array();
          for (const auto& v : *vas) j["virtual_accounts"].push_back(to_json(v));
          return http::json_response(200, j);
        }));
  r.add("PATCH", acct, admin(app, [&app](Request& req, const oauth::Principal& p) { return change_account(app, req, p); }));
  r.add("DELETE", acct, admin(app, [&app](Request& req, const oauth::Principal& p) -> Response {
          if (auto s = app.licensing->remove_account(req.params["account"], actor_of(p, req)); !s) return error_of(s.error());
          return http::json_response(200, {{"deleted", req.params["account"]}});
        }));

  r.add("GET", acct + "/virtual-accounts", admin(app, [&app](Request& req, const oauth::Principal&) -> Response {
          auto vas = app.licensing->virtual_accounts(req.params["account"]);
          if (!vas) return error_of(vas.error());
          json arr = json::array();
          for (const auto& v : *vas) arr.push_back(to_json(v));
          return http::json_response(200, {{"virtual_accounts", arr}});
        }));
  r.add("POST", acct + "/virtual-accounts",
        admin(app, [&app](Request& req, const oauth::Principal& p) { return create_va(app, req, p); }));
  r.add("PATCH", va, admin(app, [&app](Request& req, const oauth::Principal& p) { return change_va(app, req, p); }));
  r.add("DELETE", va, admin(app, [&app](Request& req, const oauth::Principal& p) -> Response {
          if (auto s = app.licensing->remove_virtual_account(req.params["account"], req.params["va"], actor_of(p, req)); !s)
            return error_of(s.error());
          return http::json_response(200, {{"deleted", req.params["va"]}});
        }));

  r.add("GET", va + "/licenses", admin(app, [&app](Request& req, const oauth::Principal&) -> Response {
          auto pools = app.licensing->pools(req.params["account"], req.params["va"]);
          if (!pools) return error_of(pools.error());
          json arr = json::array();
          for (const auto& p : *pools) arr.push_back(to_json(p));
          return http::json_response(200, {{"licenses", arr}});
        }));
  r.add("POST", va + "/licenses",
        admin(app, [&app](Request& req, const oauth::Principal& p) { return create_pool(app, req, p); }));
  r.add("PATCH", va + "/licenses/{tag}",
        admin(app, [&app](Request& req, const oauth::Principal& p) { return change_pool(app, req, p); }));
  r.add("DELETE", va + "/licenses/{tag}", admin(app, [&app](Request& req, const oauth::Principal& p) -> Response {
          if (auto s = app.licensing->remove_pool(req.params["account"], req.params["va"], req.params["tag"], actor_of(p, req));
              !s)
            return error_of(s.error());
          return http::json_response(200, {{"deleted", req.params["tag"]}});
        }));
}

}  // namespace licsat::api
