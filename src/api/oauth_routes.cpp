// POST /oauth/token (also /backend/oauth/token), /oauth/revoke, /oauth/introspect.
// Parameters come from a form body, a JSON body or the query string (field tools use all three);
// client authentication by HTTP Basic or client_id + client_secret parameters.
#include <nlohmann/json.hpp>

#include "api/app.h"
#include "core/crypto.h"

namespace licsat::api {
namespace {

using Params = std::map<std::string, std::string>;

// Collects parameters: body first (form or JSON), then the query string for what is missing.
std::expected<Params, oauth::OAuthError> collect(const http::Request& req) {
  Params p;
  std::string ct(req.header("content-type").value_or(""));
  for (auto& c : ct) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (!req.body.empty()) {
    if (ct.starts_with("application/json")) {
      auto j = nlohmann::json::parse(req.body, nullptr, false);
      if (j.is_discarded() || !j.is_object())
        return std::unexpected(oauth::invalid_request_error("The request body is not a JSON object."));
      for (auto& [k, v] : j.items()) {
        if (v.is_string()) p[k] = v.get<std::string>();
        else if (v.is_number_integer()) p[k] = std::to_string(v.get<int64_t>());
        else if (!v.is_null())
          return std::unexpected(oauth::invalid_request_error("Parameter '" + k + "' must be a string."));
      }
    } else {
      p = http::parse_form(req.body);
    }
  }
  for (auto& [k, v] : http::parse_form(req.query)) p.emplace(k, v);
  return p;
}

std::expected<oauth::TokenRequest, oauth::OAuthError> to_token_request(const http::Request& req, bool* used_basic) {
  auto p = collect(req);
  if (!p) return std::unexpected(p.error());
  oauth::TokenRequest t;
  auto get = [&](const char* k) {
    auto it = p->find(k);
    return it == p->end() ? std::string() : it->second;
  };
  t.grant_type = get("grant_type");
  t.username = get("username");
  t.password = get("password");
  t.refresh_token = get("refresh_token");
  t.scope = get("scope");
  t.source_ip = req.peer;
  *used_basic = false;
  if (auto h = req.header("authorization"); h && h->size() > 6 && http::auth_scheme_is(*h, "Basic")) {
    *used_basic = true;

    auto raw = crypto::from_base64(std::string(h->substr(6)));
    if (!raw) return std::unexpected(oauth::invalid_request_error("The HTTP Basic credentials are not valid base64."));
    auto colon = raw->find(':');
    if (colon == std::string::npos)
      return std::unexpected(oauth::invalid_request_error("The HTTP Basic credentials must be client_id:client_secret."));
    // RFC 6749 §2.3.1: both parts are form-urlencoded before base64.
    t.client_id = http::url_decode(raw->substr(0, colon));
    t.client_secret = http::url_decode(raw->substr(colon + 1));
    t.client_secret_given = true;
    // RFC 6749 §2.3: one authentication method per request. A client_id parameter that repeats
    // the Basic one is no second method; a secret, or another client_id, is.
    if (p->count("client_secret") || (p->count("client_id") && get("client_id") != t.client_id))
      return std::unexpected(oauth::invalid_request_error(
          "The client authenticated with both HTTP Basic and client_id/client_secret parameters; use one of them."));
  } else {
    t.client_id = get("client_id");
    t.client_secret = get("client_secret");
    t.client_secret_given = p->count("client_secret") > 0;
  }
  return t;
}

http::Response oauth_error(const oauth::OAuthError& e, bool used_basic) {
  auto r = http::error_response(e.status, e.error, e.description);
  nlohmann::json j = {{"error", e.error}, {"error_description", e.description}, {"error_message", e.message}};
  // A message may quote the caller's own bytes (a user name): invalid UTF-8 is replaced, never
  // thrown on.
  r.body = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  r.set("Cache-Control", "no-store").set("Pragma", "no-cache");
  if (e.status == 401) r.set("WWW-Authenticate", used_basic ? "Basic realm=\"licsat\", charset=\"UTF-8\"" : "Basic realm=\"licsat\"");
  if (e.retry_after > 0) r.set("Retry-After", std::to_string(e.retry_after));
  return r;
}

http::Response issued_response(const oauth::IssuedTokens& t) {
  nlohmann::json j = {{"access_token", t.access_token},
                      {"token_type", "Bearer"},
                      {"expires_in", t.expires_in},
                      {"scope", t.scope},
                      {"created_at", t.created_at}};
  if (!t.refresh_token.empty()) {
    j["refresh_token"] = t.refresh_token;
    j["refresh_token_expires_in"] = t.refresh_expires_in;
  }
  auto r = http::json_response(200, j);
  r.set("Cache-Control", "no-store").set("Pragma", "no-cache");
  return r;
}

http::Response token_response(const oauth::TokenService::TokenResult& issued, bool basic) {
  return issued ? issued_response(*issued) : oauth_error(issued.error(), basic);
}

// Runs on the I/O thread. client_credentials is minted and its answer built here, and sent once
// the writer thread has committed the token, without holding a thread meanwhile; the grants with
// slow work (argon2id, a refresh token's rotation) run on the worker pool.
http::Response token(App& app, http::Request& req) {
  bool basic = false;
  auto t = to_token_request(req, &basic);
  if (!t) return oauth_error(t.error(), basic);
  if (t->grant_type != "client_credentials")
    return http::defer([&app, t = std::move(*t), basic](const http::Respond& respond) {
      respond(token_response(app.tokens->token(t), basic));
    }, true);
  auto pending = app.tokens->mint_client_credentials(*t);
  if (!pending) return oauth_error(pending.error(), basic);
  auto answer = std::make_shared<http::Response>(issued_response(pending->issued));
  return http::defer([&app, pending = std::make_shared<oauth::PendingTokens>(std::move(*pending)), answer,
                      basic](const http::Respond& respond) {
    app.tokens->store_async(std::move(*pending), [respond, answer, basic](const std::optional<oauth::OAuthError>& e) {
      respond(e ? oauth_error(*e, basic) : std::move(*answer));
    });
  }, false);
}

}  // namespace

void add_oauth_routes(App& app) {
  auto tok = [&app](http::Request& req) { return token(app, req); };
  app.router.add_inline("POST", "/oauth/token", tok);
  app.router.add_inline("POST", "/backend/oauth/token", tok);

  app.router.add("POST", "/oauth/revoke", [&app](http::Request& req) {
    bool basic = false;
    auto t = to_token_request(req, &basic);
    if (!t) return oauth_error(t.error(), basic);
    auto p = collect(req);
    auto r = app.tokens->revoke(*t, p ? (*p)["token"] : "");
    if (!r) return oauth_error(r.error(), basic);
    auto ok = http::json_response(200, nlohmann::json::object());
    ok.set("Cache-Control", "no-store");
    return ok;
  });

  app.router.add("POST", "/oauth/introspect", [&app](http::Request& req) {
    bool basic = false;
    auto t = to_token_request(req, &basic);
    if (!t) return oauth_error(t.error(), basic);
    auto p = collect(req);
    auto r = app.tokens->introspect(*t, p ? (*p)["token"] : "");
    if (!r) return oauth_error(r.error(), basic);
    nlohmann::json j = {{"active", r->has_value()}};
    if (*r) {
      const auto& pr = **r;
      j["scope"] = pr.scope;
      j["client_id"] = pr.client_id;
      if (!pr.username.empty()) j["username"] = pr.username;
      j["token_type"] = "Bearer";
      j["exp"] = pr.expires;
      j["role"] = std::string(domain::role_name(pr.role));
    }
    auto ok = http::json_response(200, j);
    ok.set("Cache-Control", "no-store");
    return ok;
  });
}

}  // namespace licsat::api
