// A whole server application for the fuzz targets that go through the HTTP API: api::App over
// SQLite in a temporary directory, built once per process with every route registered, an admin
// bearer token for the protected routes and a Resource Owner Grant. No network: requests go
// straight to the App's router, as the HTTP session hands them over.
#pragma once

#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "api/app.h"
#include "fuzz_support.h"
#include "http/message.h"

namespace licsat::fuzz {

struct FuzzApp {
  std::unique_ptr<api::App> app;
  std::string admin_token;   // bearer token of the user admin (role admin)
  std::string client_id;     // a Resource Owner Grant
  std::string client_secret;

  // Serves a request as the HTTP session would, after the request has been read.
  http::Response serve(http::Request& req) {
    if (req.peer.empty()) req.peer = "192.0.2.7";
    std::string route;
    http::Response r;
    try {
      r = http::settle(app->router.dispatch(req, &route));
    } catch (const std::exception& e) {
      // The session would answer 500 and log "handler failed": a bug on any client input.
      std::fprintf(stderr, "fuzz: handler of %s %s threw: %s\n", req.method.c_str(), route.c_str(), e.what());
      std::abort();
    }
    if (r.status == 500) {
      std::fprintf(stderr, "fuzz: %s %s answered 500: %s\n", req.method.c_str(), route.c_str(), r.body.c_str());
      std::abort();
    }
    return r;
  }

  http::Response call(const std::string& method, const std::string& path, const std::string& body,
                      bool as_admin = true) {
    http::Request req;
    req.method = method;
    req.path = path;
    req.body = body;
    req.headers.emplace_back("content-type", "application/json");
    if (as_admin) req.headers.emplace_back("authorization", "Bearer " + admin_token);
    return serve(req);
  }
};

inline constexpr const char* kAdminPassword = "fuzz-admin-password-1";

// The process's App: first call builds it (cheap password hashing, logs off) and seeds an
// account "acme" with virtual account "Branches" and a license pool "network-advantage", and a
// Resource Owner Grant.
inline FuzzApp& fuzz_app() {
  static FuzzApp* fa = [] {
    quiet();
    auto* f = new FuzzApp;
    ServerConfig cfg;
    cfg.data_dir = temp_dir("app");
    cfg.threads = 1;
    cfg.auth.pwhash_ops = 1;
    cfg.auth.pwhash_mem_mib = 1;  // below the config file's minimum: argon2id runs on most token requests
    // Throttles would turn most token requests into 429s before their parameters are read.
    cfg.auth.client_failures_per_minute = 1'000'000'000;
    cfg.auth.address_failures_per_minute = 1'000'000'000;
    setenv("LICSAT_ADMIN_PASSWORD", kAdminPassword, 1);
    auto app = api::build_app(cfg, nullptr);
    if (!app) {
      std::fprintf(stderr, "fuzz: build_app failed: %s\n", app.error().message.c_str());
      std::abort();
    }
    f->app = std::move(*app);
    oauth::TokenRequest t;
    t.grant_type = "password";
    t.client_id = oauth::kFirstPartyClientId;
    t.username = "admin";
    t.password = kAdminPassword;
    t.source_ip = "127.0.0.1";
    auto issued = f->app->tokens->token(t);
    if (!issued) {
      std::fprintf(stderr, "fuzz: admin login failed: %s\n", issued.error().description.c_str());
      std::abort();
    }
    f->admin_token = issued->access_token;
    auto expect = [](const http::Response& r, const char* what) {
      if (r.status >= 300) {
        std::fprintf(stderr, "fuzz: seeding %s failed: %d %s\n", what, r.status, r.body.c_str());
        std::abort();
      }
    };
    expect(f->call("POST", "/api/v1/admin/accounts", R"({"name":"acme","domain":"acme.example"})"), "account");
    expect(f->call("POST", "/api/v1/admin/accounts/acme/virtual-accounts", R"({"name":"Branches"})"), "va");
    expect(f->call("POST", "/api/v1/admin/accounts/acme/virtual-accounts/Branches/licenses",
                   R"({"tag":"network-advantage","quantity":10})"),
           "license");
    auto g = f->call("POST", "/api/v1/admin/grants", R"({"name":"vManage","type":"resource-owner"})");
    expect(g, "grant");
    auto gj = nlohmann::json::parse(g.body);
    f->client_id = gj.value("client_id", "");
    f->client_secret = gj.value("client_secret", "");
    return f;
  }();
  return *fa;
}

}  // namespace licsat::fuzz
