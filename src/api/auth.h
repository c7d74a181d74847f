// The bearer middleware of /api/v1/**: finds the token, checks it and the caller's role, and
// records every refusal in the Event Log. On refusal the Response is ready to send
// (401 with WWW-Authenticate: Bearer …, or 403).
#pragma once

#include <expected>

#include "api/app.h"
#include "http/message.h"

namespace licsat::api {

std::expected<oauth::Principal, http::Response> require_role(App& app, const http::Request& req, domain::Role need);

// Builds the domain Actor of an authenticated request.
domain::Actor actor_of(const oauth::Principal& p, const http::Request& req);

// A handler that runs only for callers with at least `need`; refusals are answered by
// require_role. `f` is called as f(request, principal).
template <typename F>
http::Handler with_role(App& app, domain::Role need, F f) {
  return [&app, need, f](http::Request& req) -> http::Response {
    auto p = require_role(app, req, need);
    if (!p) return p.error();
    return f(req, *p);
  };
}

// Turns an Error into its JSON error response (the one place for that mapping in the API).
http::Response error_of(const Error& e);

// Parses a JSON request body; on failure the Response names the problem (400).
std::expected<nlohmann::json, http::Response> parse_json_body(const http::Request& req);

}  // namespace licsat::api
