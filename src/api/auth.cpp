#include "api/auth.h"

#include <nlohmann/json.hpp>

namespace licsat::api {

void record_bearer_refusal(App& app, const http::Request& req, const std::string& reason, const std::string& action) {
  std::string detail = req.method + " " + domain::clip_text(req.path, domain::kMaxEventPathBytes) + ": " + reason;
  auto o = app.bearer_refusals->refuse(req.peer, detail);
  if (o.write_now) {
    if (o.address != req.peer)
      detail += " (further refusals from addresses new this minute are counted under \"" + o.address + "\")";
    app.events->record(app.events->make("(bearer)", req.peer, action, "failure", detail));
  }
  write_bearer_summaries(app, o.due);
}

void write_bearer_summaries(App& app, const std::vector<domain::RefusalSummary::Summary>& due) {
  for (const auto& d : due) {
    std::string from = d.address == domain::RefusalSummary::kOtherAddresses ? "other addresses" : "this address";
    app.events->record(app.events->make("(bearer)", d.address, "api.auth", "failure",
                                        std::to_string(d.refusals) + " more refused from " + from +
                                            " in the minute after the last event; the last: " + d.reason));
  }
}

void write_ended_refusal_summaries(App& app) {
  write_bearer_summaries(app, app.bearer_refusals->take_ended());
  app.tokens->write_ended_refusal_summaries();
}

std::expected<oauth::Principal, http::Response> require_role(App& app, const http::Request& req, domain::Role need) {
  std::string token;
  if (auto h = req.header("authorization")) {
    std::string_view v = *h;
    if (v.size() > 7 && http::auth_scheme_is(v, "Bearer")) token = std::string(v.substr(7));
  }
  auto p = app.tokens->authenticate(token);
  if (!p) {
    const auto& e = p.error();
    record_bearer_refusal(app, req, e.description);
    auto r = http::error_response(e.status, e.error, e.description);
    if (e.status == 401) {
      std::string www = "Bearer realm=\"licsat\"";
      if (!token.empty()) www += ", error=\"" + e.error + "\", error_description=\"" + e.description + "\"";
      r.set("WWW-Authenticate", www);
    }
    return std::unexpected(r);
  }
  if (!domain::role_allows(p->role, need)) {
    std::string m = "Your role (" + std::string(domain::role_name(p->role)) + ") may not do this; it needs the " +
                    std::string(domain::role_name(need)) + " role.";
    app.events->record(app.events->make(p->actor, req.peer, "api.authorize", "failure",
                                        req.method + " " + domain::clip_text(req.path, domain::kMaxEventPathBytes) + ": " + m));
    return std::unexpected(http::error_response(403, "insufficient_role", m));
  }
  return *p;
}

std::optional<http::Response> refuse_other_account(App& app, const http::Request& req, const oauth::Principal& p) {
  auto it = req.params.find("account");
  if (it == req.params.end() || p.accounts.permits(it->second)) return std::nullopt;
  std::string m = "This token is not permitted for account '" + it->second + "'.";
  app.events->record(app.events->make(p.actor, req.peer, "api.authorize", "failure",
                                      req.method + " " + domain::clip_text(req.path, domain::kMaxEventPathBytes) + ": " +
                                          "not permitted for account '" +
                                          domain::clip_text(it->second, domain::kMaxEventPathBytes) + "'"));
  return http::error_response(403, "access_denied", m);
}

domain::Actor actor_of(const oauth::Principal& p, const http::Request& req) { return {p.actor, req.peer}; }

http::Response error_of(const Error& e) {
  return http::error_response(http_status(e.code), code_name(e.code), e.message);
}

std::expected<nlohmann::json, http::Response> parse_json_body(const http::Request& req) {
  if (req.body.empty()) return std::unexpected(http::error_response(400, "invalid_request", "A JSON request body is required."));
  auto j = nlohmann::json::parse(req.body, nullptr, false);
  if (j.is_discarded()) return std::unexpected(http::error_response(400, "invalid_request", "The request body is not valid JSON."));
  if (!j.is_object()) return std::unexpected(http::error_response(400, "invalid_request", "The request body must be a JSON object."));
  return j;
}

}  // namespace licsat::api
