// The bearer middleware of /api/v1/**: finds the token, checks it and the caller's role, and
// records every refusal in the Event Log. On refusal the Response is ready to send
// (401 with WWW-Authenticate: Bearer …, or 403).
#pragma once

#include <any>
#include <expected>
#include <optional>

#include "api/app.h"
#include "http/message.h"

namespace licsat::api {

std::expected<oauth::Principal, http::Response> require_role(App& app, const http::Request& req, domain::Role need);

// Per-account access: a request whose path names a smart account (the route's {account}) that
// the token may not reach is refused with 403 access_denied naming the account, and the refusal
// is in the Event Log. Returns nothing when the path names no account or a permitted one.
std::optional<http::Response> refuse_other_account(App& app, const http::Request& req, const oauth::Principal& p);

// Builds the domain Actor of an authenticated request.
domain::Actor actor_of(const oauth::Principal& p, const http::Request& req);

// A handler that runs only for callers with at least `need`; refusals are answered by
// require_role. `f` is called as f(request, principal). The check runs on the request's
// header, before its body is read (see http::Precheck), and leaves the principal for the
// handler; a request that reaches the handler unchecked (the router called directly, as tests
// do) is checked there. A path naming a smart account the token may not reach is refused
// (refuse_other_account) before `f` runs.
template <typename F>
http::GuardedHandler with_role(App& app, domain::Role need, F f) {
  http::GuardedHandler g;
  g.precheck = [&app, need](http::Request& req) -> std::optional<http::Response> {
    auto p = require_role(app, req, need);
    if (!p) return std::move(p.error());
    req.context = std::move(*p);
    return std::nullopt;
  };
  g.handler = [&app, need, f](http::Request& req) -> http::Response {
    if (const auto* checked = std::any_cast<oauth::Principal>(&req.context)) {
      if (auto refused = refuse_other_account(app, req, *checked)) return std::move(*refused);
      return f(req, *checked);
    }
    auto p = require_role(app, req, need);
    if (!p) return p.error();
    if (auto refused = refuse_other_account(app, req, *p)) return std::move(*refused);
    return f(req, *p);
  };
  return g;
}

// Writes the Event Log summaries of refusals (bearer refusals, throttled token requests) whose
// minute has ended; the housekeeping thread calls it, so the count of a burst's last refusals is
// written although no later refusal comes.
void write_ended_refusal_summaries(App& app);
// A refusal's Event Log record (`action`: api.auth, metrics.auth), through the refusal summary:
// the first from an address in a minute is written at once, the others of that minute as one
// event with their count.
void record_bearer_refusal(App& app, const http::Request& req, const std::string& reason,
                           const std::string& action = "api.auth");
// Writes summaries of bearer refusals (see domain::RefusalSummary).
void write_bearer_summaries(App& app, const std::vector<domain::RefusalSummary::Summary>& due);

// Turns an Error into its JSON error response (the one place for that mapping in the API).
http::Response error_of(const Error& e);

// Parses a JSON request body; on failure the Response names the problem (400).
std::expected<nlohmann::json, http::Response> parse_json_body(const http::Request& req);

}  // namespace licsat::api
