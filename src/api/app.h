// The server application: configuration, database, services and routes, wired once at start.
// `licsat serve` builds one App; the e2e harness runs the real binary around it.
#pragma once

#include <memory>
#include <string>

#include "core/clock.h"
#include "core/config.h"
#include "domain/access.h"
#include "domain/event_log.h"
#include "domain/grants.h"
#include "http/metrics.h"
#include "http/router.h"
#include "oauth/token_service.h"
#include "store/store.h"

namespace licsat::api {

struct App {
  ServerConfig config;
  std::unique_ptr<Clock> clock;
  std::shared_ptr<store::Database> db;
  std::unique_ptr<store::Store> store;
  std::string hash_key;                 // keyed-hash key of secrets and tokens (in the database)
  crypto::SigningKey signing_key;       // Ed25519 key of offline answers and sync files
  std::unique_ptr<domain::EventLog> events;
  std::unique_ptr<domain::AccessService> access;
  std::unique_ptr<domain::GrantService> grants;
  std::unique_ptr<oauth::TokenService> tokens;
  http::Metrics metrics;
  http::Router router;

  ~App();
};

// Opens (and migrates) the database, loads or creates the server keys, creates the initial
// admin on first start, builds the services and registers every route.
// `admin_password_note` receives where the generated admin password went, if one was made.
Result<std::unique_ptr<App>> build_app(const ServerConfig& cfg, std::string* admin_password_note);

// Route registration, one function per API area.
void add_system_routes(App& app);
void add_oauth_routes(App& app);
void add_admin_routes(App& app);

}  // namespace licsat::api
