// The licensing API of managers, in the field's shapes (DESIGN.md section 5, camelCase names):
// accounts, virtual accounts, licenses, alerts, devices, usage reports and device registration
// tokens. Viewers read, operators also report usage, admins also create registration tokens.
#include <algorithm>
#include <chrono>

#include <nlohmann/json.hpp>

#include "api/auth.h"
#include "api/csv_exports.h"
#include "api/page_cursor.h"
#include "api/usage_report_parser.h"
#include "core/clock.h"
#include "protocol/license_line.h"

namespace licsat::api {
namespace {

using domain::Role;
using http::Request;
using http::Response;
using nlohmann::json;

Response bad_request(const std::string& m) { return http::error_response(400, "invalid_request", m); }

// Reads a whole number from a JSON member or a query parameter; `what` names it in the 400.
std::expected<int64_t, Response> whole(const json& v, const std::string& what) {
  if (v.is_number_integer()) return v.get<int64_t>();
  if (v.is_string()) {
    try {
      size_t n = 0;
      int64_t x = std::stoll(v.get<std::string>(), &n);
      if (n == v.get<std::string>().size()) return x;
    } catch (...) {
    }
  }
  return std::unexpected(bad_request("'" + what + "' must be a whole number."));
}

// The licenses query: {"virtualAccounts":[…],"limit":-1|N,"offset":N} from a POST body, or
// ?virtualAccount=…&virtualAccounts=a,b&limit=&offset= on GET.
Response licenses(App& app, Request& req) {
  std::vector<std::string> vas;
  int64_t limit = -1, offset = 0;
  if (req.method == "POST" && !req.body.empty()) {
    auto j = parse_json_body(req);
    if (!j) return j.error();
    if (j->contains("virtualAccounts") && !(*j)["virtualAccounts"].is_null()) {
      const auto& v = (*j)["virtualAccounts"];
      if (!v.is_array()) return bad_request("'virtualAccounts' must be an array of virtual account names.");
      for (const auto& n : v) {
        if (!n.is_string()) return bad_request("'virtualAccounts' must be an array of virtual account names.");
        vas.push_back(n.get<std::string>());
      }
    }
    if (j->contains("limit") && !(*j)["limit"].is_null()) {
      auto l = whole((*j)["limit"], "limit");
      if (!l) return l.error();
      limit = *l;
    }
    if (j->contains("offset") && !(*j)["offset"].is_null()) {
      auto o = whole((*j)["offset"], "offset");
      if (!o) return o.error();
      offset = *o;
    }
  } else {
    auto q = http::parse_form(req.query);
    for (const char* k : {"virtualAccount", "virtualAccounts"}) {
      std::string s = q[k];
      size_t i = 0;
      while (i < s.size()) {
        size_t j = s.find(',', i);
        if (j == std::string::npos) j = s.size();
        if (j > i) vas.push_back(s.substr(i, j - i));
        i = j + 1;
      }
    }
    if (!q["limit"].empty()) {
      auto l = whole(json(q["limit"]), "limit");
      if (!l) return l.error();
      limit = *l;
    }
    if (!q["offset"].empty()) {
      auto o = whole(json(q["offset"]), "offset");
      if (!o) return o.error();
      offset = *o;
    }
  }
  if (limit < -1 || limit == 0) return bad_request("'limit' must be -1 (all) or a positive number.");
  if (offset < 0) return bad_request("'offset' must be zero or more.");
  auto page = app.licensing->licenses(req.params["account"], vas, limit, offset);
  if (!page) return error_of(page.error());
  json arr = json::array();
  for (const auto& l : page->lines) arr.push_back(protocol::license_line_json(l));
  return http::json_response(200, {{"totalRecords", page->total}, {"licenses", arr}});
}

// Usage over time of one pool: ?virtualAccount=&tag=[&since=&until=] (ISO 8601 or a date;
// defaults: until now, since the oldest sample kept) → {"tag","virtualAccount","since","until",
// "bucketSeconds","points":[{"at","inUse","quantity"}]}, oldest first.
Response usage_history(App& app, Request& req) {
  auto q = http::parse_form(req.query);
  for (const char* k : {"virtualAccount", "tag"})
    if (q[k].empty()) return bad_request(std::string("'") + k + "' is required (the pool's " +
                                         (std::string(k) == "tag" ? "license tag" : "virtual account") + ").");
  const auto& policy = app.licensing->usage_history_policy();
  int64_t until = app.clock->now();
  if (!q["until"].empty()) {
    auto t = parse_iso8601(q["until"]);
    if (!t) return bad_request("'until' must be a date or an ISO 8601 time (2026-11-25T17:19:01Z).");
    until = *t;
  }
  int64_t since = until - policy.retention - policy.bucket;
  if (!q["since"].empty()) {
    auto t = parse_iso8601(q["since"]);
    if (!t) return bad_request("'since' must be a date or an ISO 8601 time (2026-11-25T17:19:01Z).");
    since = *t;
  }
  if (since > until) return bad_request("'since' must not be later than 'until'.");
  auto points = app.licensing->usage_history(req.params["account"], q["virtualAccount"], q["tag"], since, until);
  if (!points) return error_of(points.error());
  json arr = json::array();
  for (const auto& p : *points)
    arr.push_back({{"at", format_iso8601(p.at)}, {"inUse", p.in_use}, {"quantity", p.quantity}});
  return http::json_response(200, {{"tag", q["tag"]},
                                   {"virtualAccount", q["virtualAccount"]},
                                   {"since", format_iso8601(std::max<int64_t>(since, 0))},
                                   {"until", format_iso8601(until)},
                                   {"bucketSeconds", policy.bucket},
                                   {"points", arr}});
}

Response alerts(App& app, Request& req) {
  auto list = app.licensing->alerts(req.params["account"]);
  if (!list) return error_of(list.error());
  json arr = json::array();
  for (const auto& a : *list)
    arr.push_back({{"messageType", a.message_type},
                   {"severity", domain::severity_label(a.severity)},
                   {"source", a.source},
                   {"message", a.message}});
  return http::json_response(200, {{"alerts", arr}});
}

Response devices(App& app, Request& req) {
  auto q = http::parse_form(req.query);
  int64_t limit = 100, offset = 0;
  if (!q["limit"].empty()) {
    auto l = whole(json(q["limit"]), "limit");
    if (!l) return l.error();
    limit = *l == -1 ? 10000 : *l;
  }
  if (!q["offset"].empty()) {
    auto o = whole(json(q["offset"]), "offset");
    if (!o) return o.error();
    offset = *o;
  }
  if (limit < 1 || limit > 10000) return bad_request("'limit' must be between 1 and 10000 (-1: 10000).");
  if (offset < 0) return bad_request("'offset' must be zero or more.");
  // Paging by cursor: `after` is the `next` of the page before (an index range scan however deep).
  std::optional<int64_t> after;
  if (!q["after"].empty()) {
    if (offset != 0) return bad_request("'after' and 'offset' cannot be combined; page with one of them.");
    after = decode_cursor("devices", q["after"]);
    if (!after)
      return bad_request("'after' is not a cursor of this list; pass the 'next' of the previous page unchanged.");
  }
  std::optional<Response> refusal;
  if (wants_csv(q["format"], refusal)) return devices_csv(app, req.params["account"], q["virtualAccount"], after);
  if (refusal) return *refusal;
  auto page = app.licensing->devices(req.params["account"], q["virtualAccount"], limit, offset, after);
  if (!page) return error_of(page.error());
  json arr = json::array();
  for (const auto& d : page->devices) {
    json lic = json::array();
    for (const auto& l : d.licenses) lic.push_back({{"tag", l.tag}, {"count", l.count}});
    arr.push_back({{"pid", d.pid},
                   {"sn", d.sn},
                   {"hostname", d.hostname},
                   {"virtualAccount", d.virtual_account},
                   {"lastReport", format_iso8601(d.last_report)},
                   {"licenses", lic}});
  }
  json body = {{"totalRecords", page->total}, {"devices", arr}};
  if (page->next) body["next"] = encode_cursor("devices", *page->next);
  return http::json_response(200, body);
}

// The `outcome` label of a usage report refused with `e`.
const char* usage_outcome_of(const Error& e) {
  switch (e.code) {
    case ErrorCode::kInvalidArgument: return "invalid";
    case ErrorCode::kNotFound: return "not_found";
    case ErrorCode::kConflict:
    case ErrorCode::kAlreadyExists: return "conflict";
    default: return "error";
  }
}

Response usage(App& app, Request& req, const oauth::Principal& p) {
  auto started = std::chrono::steady_clock::now();
  size_t devices = 0;
  auto counted = [&](const std::string& outcome, Response r) {
    if (app.server_metrics)
      app.server_metrics->usage_report(
          outcome, devices, std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    return r;
  };
  auto report = parse_usage_report(req.body);
  if (!report) return counted(usage_outcome_of(report.error()), error_of(report.error()));
  devices = report->devices.size();
  auto out = app.licensing->report_usage(req.params["account"], req.params["va"], std::move(*report), "", actor_of(p, req));
  if (!out) return counted(usage_outcome_of(out.error()), error_of(out.error()));
  const auto& ack = out->ack;
  return counted(out->repeat ? "repeat" : "accepted",
                 http::json_response(200, {{"reportId", ack.report_id},
                                           {"status", "accepted"},
                                           {"devices", ack.devices},
                                           {"warnings", ack.warnings},
                                           {"at", format_iso8601(ack.at)}}));
}

json token_json(const domain::RegistrationToken& t, int64_t now) {
  return {{"token", t.hint + "..."},
          {"description", t.description},
          {"virtualAccount", t.virtual_account},
          {"createdBy", t.created_by},
          {"createdAt", format_iso8601(t.created_at)},
          {"expirationDate", format_iso8601(t.expires)},
          {"status", now < t.expires ? "VALID" : "EXPIRED"}};
}

Response list_tokens(App& app, Request& req) {
  auto list = app.licensing->registration_tokens(req.params["account"], req.params["va"]);
  if (!list) return error_of(list.error());
  json arr = json::array();
  int64_t now = app.clock->now();
  for (const auto& t : *list) arr.push_back(token_json(t, now));
  return http::json_response(200, {{"tokens", arr}});
}

Response create_token(App& app, Request& req, const oauth::Principal& p) {
  json j = json::object();
  if (!req.body.empty()) {
    auto b = parse_json_body(req);
    if (!b) return b.error();
    j = std::move(*b);
  }
  std::string description;
  if (j.contains("description") && !j["description"].is_null()) {
    if (!j["description"].is_string()) return bad_request("'description' must be a string.");
    description = j["description"].get<std::string>();
  }
  int64_t days = 30;
  if (j.contains("expiresAfterDays") && !j["expiresAfterDays"].is_null()) {
    auto d = whole(j["expiresAfterDays"], "expiresAfterDays");
    if (!d) return d.error();
    days = *d;
  }
  auto made = app.licensing->create_registration_token(req.params["account"], req.params["va"], description, days,
                                                       actor_of(p, req));
  if (!made) return error_of(made.error());
  json info = token_json(made->record, app.clock->now());
  info["token"] = made->token;
  info["expiresAfterDays"] = made->expires_after_days;
  auto r = http::json_response(200, {{"tokenInfo", info}});
  r.set("Cache-Control", "no-store");
  return r;
}

}  // namespace

void add_licensing_routes(App& app) {
  auto& r = app.router;
  const std::string acct = "/api/v1/accounts/{account}";
  const std::string va = acct + "/virtual-accounts/{va}";

  r.add("GET", "/api/v1/accounts", with_role(app, Role::kViewer, [&app](Request&, const oauth::Principal& p) -> Response {
          auto list = app.licensing->accounts();
          if (!list) return error_of(list.error());
          json arr = json::array();
          for (const auto& a : *list) {
            if (!p.accounts.permits(a.name)) continue;  // only the accounts the token reaches
            auto vas = app.store->list_virtual_accounts(a.id);
            if (!vas) return error_of(vas.error());
            json v = json::array();
            for (const auto& x : *vas) v.push_back({{"name", x.name}, {"description", x.description}, {"isDefault", x.is_default}});
            arr.push_back({{"accountName", a.name},
                           {"accountDomain", a.domain},
                           {"accountStatus", "ACTIVE"},
                           {"accountType", "CUSTOMER"},
                           {"virtualAccounts", v}});
          }
          return http::json_response(200, {{"accounts", arr}});
        }));
  r.add("GET", acct + "/customer/virtual-accounts",
        with_role(app, Role::kViewer, [&app](Request& req, const oauth::Principal&) -> Response {
          auto vas = app.licensing->virtual_accounts(req.params["account"]);
          if (!vas) return error_of(vas.error());
          json v = json::array();
          for (const auto& x : *vas) v.push_back({{"name", x.name}, {"description", x.description}, {"isDefault", x.is_default}});
          return http::json_response(200, {{"virtualAccounts", v}});
        }));
  for (const char* m : {"GET", "POST"}) {
    r.add(m, acct + "/licenses",
          with_role(app, Role::kViewer, [&app](Request& req, const oauth::Principal&) { return licenses(app, req); }));
    r.add(m, acct + "/alerts",
          with_role(app, Role::kViewer, [&app](Request& req, const oauth::Principal&) { return alerts(app, req); }));
  }
  r.add("GET", acct + "/licenses/usage-history",
        with_role(app, Role::kViewer, [&app](Request& req, const oauth::Principal&) { return usage_history(app, req); }));
  r.add("GET", acct + "/devices",
        with_role(app, Role::kViewer, [&app](Request& req, const oauth::Principal&) { return devices(app, req); }));
  r.add("POST", va + "/usage",
        with_role(app, Role::kOperator, [&app](Request& req, const oauth::Principal& p) { return usage(app, req, p); }),
        app.config.limits.max_usage_body_bytes);
  r.add("GET", va + "/tokens",
        with_role(app, Role::kViewer, [&app](Request& req, const oauth::Principal&) { return list_tokens(app, req); }));
  r.add("POST", va + "/tokens", with_role(app, Role::kAdmin, [&app](Request& req, const oauth::Principal& p) {
          return create_token(app, req, p);
        }));
}

}  // namespace licsat::api
