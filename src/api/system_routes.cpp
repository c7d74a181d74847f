// GET /healthz and GET /metrics.
#include <nlohmann/json.hpp>

#include "api/app.h"
#include "api/auth.h"
#include "http/web_assets.h"

namespace licsat::api {

void add_system_routes(App& app) {
  app.router.add("GET", "/healthz", [&app](http::Request&) {
    // Ready means the database answers.
    auto s = app.store->get_setting("hash_key");
    if (!s) return http::json_response(503, {{"status", "unavailable"}, {"reason", "database unavailable"}});
    return http::json_response(200, {{"status", "ok"}, {"version", LICSAT_VERSION}});
  });
  app.router.add("GET", "/metrics", [&app](http::Request& req) {
    // The local host, the ranges of [metrics] allow, or the bearer token of [metrics] token_file.
    if (app.metrics_access) {
      if (auto why = app.metrics_access->refusal(req.peer, req.header("authorization"))) {
        record_bearer_refusal(app, req, *why, "metrics.auth");
        return http::error_response(403, "access_denied",
                                    "GET /metrics is open to the local host, the address ranges of [metrics] allow "
                                    "and the bearer token of [metrics] token_file only.");
      }
    }
    http::Response r;
    r.content_type = "text/plain; version=0.0.4";
    r.body = app.metrics.render();
    return r;
  });
  // The Admin Workspace: static files embedded in the binary; "/" is its index.html.
  for (const auto& asset : http::web_assets()) {
    auto serve = [&asset](http::Request&) {
      http::Response r;
      r.content_type = std::string(asset.content_type);
      r.body = std::string(asset.body);
      r.set("Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; "
            "frame-ancestors 'none'; base-uri 'none'; form-action 'self'");
      r.set("X-Frame-Options", "DENY");
      r.set("Referrer-Policy", "no-referrer");
      r.set("Cache-Control", "no-cache");
      return r;
    };
    app.router.add("GET", std::string(asset.path), serve);
    if (asset.path == "/index.html") app.router.add("GET", "/", serve);
  }
}

}  // namespace licsat::api
