// /api/v1/admin/sync/**: a satellite's link with its authority. Operators see the status and
// run a sync now; admins export and import the offline files and pin the authority's key.
//
//   GET  /api/v1/admin/sync          {configured, upstream, accounts, interval, lastOk, lastAttempt,
//                                     lastError, nextRun, running, pendingReports, authorityKeyFingerprint}
//   POST /api/v1/admin/sync/now      runs a sync; 200 with its outcome, or 502 with the outcome
//                                    and the error (409 when another node is syncing)
//   POST /api/v1/admin/sync/export   the signed usage-request file of the reports not yet forwarded
//   POST /api/v1/admin/sync/import   body: the authority's signed license-answer file → outcome;
//                                    400 with the reason when tampered, foreign or replayed
//   POST /api/v1/admin/sync/trust    {"publicKey"?} pins the authority's key (fetched when absent)
#include <nlohmann/json.hpp>

#include "api/auth.h"
#include "core/clock.h"
#include "protocol/bundle.h"

namespace licsat::api {
namespace {

using domain::Role;
using http::Request;
using http::Response;
using nlohmann::json;

json time_or_null(const std::optional<int64_t>& t) { return t ? json(format_iso8601(*t)) : json(nullptr); }

json to_json(const sync::SyncOutcome& o) {
  return {{"ok", o.ok},
          {"mode", o.mode},
          {"started", format_iso8601(o.started)},
          {"finished", format_iso8601(o.finished)},
          {"forwardedReports", o.forwarded},
          {"pendingReports", o.pending},
          {"poolsAdded", o.pools_added},
          {"poolsChanged", o.pools_changed},
          {"poolsRemoved", o.pools_removed},
          {"accounts", o.accounts},
          {"warnings", o.warnings},
          {"error", o.ok ? json(nullptr) : json(o.error)}};
}

Response not_satellite() {
  return http::error_response(409, "not_a_satellite",
                              "This server has no upstream; it is an authority. Configure [upstream] (or --upstream) "
                              "to make it a satellite.");
}

Response status(App& app) {
  auto s = app.upstream->status();
  if (!s) return error_of(s.error());
  std::optional<int64_t> next = s->next_run;
  bool running = false;
  if (app.sync_scheduler) {
    if (auto n = app.sync_scheduler->next_run()) next = n;
    running = app.sync_scheduler->running();
  }
  return http::json_response(
      200, {{"configured", s->configured},
            {"upstream", s->upstream},
            {"accounts", s->accounts},
            {"interval", s->interval},
            {"lastOk", time_or_null(s->last_ok)},
            {"lastAttempt", time_or_null(s->last_attempt)},
            {"lastError", s->last_error.empty() ? json(nullptr) : json(s->last_error)},
            {"nextRun", s->configured ? time_or_null(next) : json(nullptr)},
            {"running", running},
            {"pendingReports", s->pending},
            {"authorityKeyFingerprint", s->key_fingerprint.empty() ? json(nullptr) : json(s->key_fingerprint)}});
}

Response now(App& app, Request& req, const oauth::Principal& p) {
  if (!app.upstream->configured() || !app.sync_scheduler) return not_satellite();
  auto o = app.sync_scheduler->run_now(actor_of(p, req));
  json body = to_json(o);
  if (o.ok) return http::json_response(200, body);
  bool busy = o.error.find("another node") != std::string::npos;
  body["error"] = busy ? "sync_in_progress" : "sync_failed";
  body["error_description"] = o.error;
  body["error_message"] = o.error;
  return http::json_response(busy ? 409 : 502, body);
}

Response export_file(App& app, Request& req, const oauth::Principal& p) {
  auto text = app.upstream->export_request(actor_of(p, req));
  if (!text) return error_of(text.error());
  Response r;
  r.status = 200;
  r.content_type = "application/json";
  r.body = *text;
  r.set("Content-Disposition", "attachment; filename=\"usage-request.json\"");
  r.set("Cache-Control", "no-store");
  return r;
}

Response import_file(App& app, Request& req, const oauth::Principal& p) {
  if (req.body.empty())
    return http::error_response(400, "invalid_request", "The body must be the authority's signed license-answer file.");
  auto o = app.upstream->import_answer(req.body, actor_of(p, req));
  if (!o) return error_of(o.error());
  return http::json_response(200, to_json(*o));
}

Response trust(App& app, Request& req, const oauth::Principal& p) {
  std::string key;
  if (!req.body.empty()) {
    auto j = parse_json_body(req);
    if (!j) return j.error();
    if (j->contains("publicKey") && !(*j)["publicKey"].is_null()) {
      if (!(*j)["publicKey"].is_string())
        return http::error_response(400, "invalid_request", "'publicKey' must be a base64 string.");
      key = (*j)["publicKey"].get<std::string>();
    }
  }
  auto fp = app.upstream->trust(key, actor_of(p, req));
  if (!fp) return error_of(fp.error());
  return http::json_response(200, {{"fingerprint", *fp}, {"fingerprintDisplay", protocol::display_fingerprint(*fp)}});
}

}  // namespace

void add_sync_routes(App& app) {
  auto& r = app.router;
  r.add("GET", "/api/v1/admin/sync",
        with_role(app, Role::kOperator, [&app](Request&, const oauth::Principal&) { return status(app); }));
  r.add("POST", "/api/v1/admin/sync/now",
        with_role(app, Role::kOperator, [&app](Request& req, const oauth::Principal& p) { return now(app, req, p); }));
  r.add("POST", "/api/v1/admin/sync/export", with_role(app, Role::kAdmin, [&app](Request& req, const oauth::Principal& p) {
          return export_file(app, req, p);
        }));
  r.add("POST", "/api/v1/admin/sync/import",
        with_role(app, Role::kAdmin,
                  [&app](Request& req, const oauth::Principal& p) { return import_file(app, req, p); }),
        app.config.limits.max_usage_body_bytes);
  r.add("POST", "/api/v1/admin/sync/trust",
        with_role(app, Role::kAdmin, [&app](Request& req, const oauth::Principal& p) { return trust(app, req, p); }));
}

}  // namespace licsat::api
