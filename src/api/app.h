// The server application: configuration, database, services and routes, wired once at start.
// `licsat serve` builds one App; the e2e harness runs the real binary around it.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "api/metrics_access.h"
#include "api/server_metrics.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/syslog_sink.h"
#include "domain/access.h"
#include "domain/directory.h"
#include "domain/event_log.h"
#include "domain/grants.h"
#include "domain/licensing_service.h"
#include "domain/refusal_summary.h"
#include "http/metrics.h"
#include "http/router.h"
#include "oauth/token_service.h"
#include "store/store.h"
#include "store/sync_store.h"
#include "sync/scheduler.h"
#include "sync/upstream_sync.h"

namespace licsat::api {

struct App {
  ServerConfig config;
  // The families of /metrics beyond HTTP (api/server_metrics.h). Declared first, so destroyed
  // last: the database, the store's writer thread and the services count into it to the end.
  std::unique_ptr<ServerMetrics> server_metrics;
  // The Event Log to syslog ([event_log] syslog); null when no target is set. Declared first so
  // that it outlives everything that writes events.
  std::unique_ptr<syslog::Sink> syslog;
  std::unique_ptr<Clock> clock;
  std::shared_ptr<store::Database> db;
  std::unique_ptr<store::Store> store;
  std::string hash_key;                 // keyed-hash key of secrets and tokens (in the database)
  crypto::SigningKey signing_key;       // Ed25519 key of offline answers and sync files
  std::unique_ptr<domain::EventLog> events;
  // Bearer refusals (api.auth) are written through it: a bounded number per address and minute.
  std::unique_ptr<domain::RefusalSummary> bearer_refusals;
  // Directory users ([ldap]); null without one. Declared before `access`, which asks it.
  std::unique_ptr<domain::Directory> directory;
  std::unique_ptr<domain::AccessService> access;
  std::unique_ptr<domain::GrantService> grants;
  std::unique_ptr<oauth::TokenService> tokens;
  std::unique_ptr<domain::LicenseService> licensing;
  http::Metrics metrics;
  std::optional<MetricsAccess> metrics_access;  // who may read GET /metrics (api/metrics_access.h)
  http::Router router;
  // The upstream link (issue 7). `upstream` exists on every server (configured() is false on an
  // authority); the scheduler only on a satellite, started by `licsat serve`. Declared last so
  // that the scheduler's thread stops before what it uses goes.
  std::unique_ptr<store::SyncStore> sync_store;
  std::unique_ptr<sync::UpstreamSync> upstream;
  std::unique_ptr<sync::SyncScheduler> sync_scheduler;

  ~App();
};

// The database a configuration names: `database`, else SQLite at DATA/licsat.db.
std::string database_url(const ServerConfig& cfg);

// Opens (and migrates) the database, loads or creates the server keys, creates the initial
// admin on first start, builds the services and registers every route.
// `admin_password_note` receives where the generated admin password went, if one was made.
Result<std::unique_ptr<App>> build_app(const ServerConfig& cfg, std::string* admin_password_note);

// Route registration, one function per API area.
void add_system_routes(App& app);
void add_oauth_routes(App& app);
void add_admin_routes(App& app);
void add_licensing_routes(App& app);
void add_admin_license_routes(App& app);
// POST /api/v1/admin/offline/answer and GET /api/v1/server-key (offline_routes.cpp).
void add_offline_routes(App& app);
// /api/v1/admin/sync[/now|/export|/import|/trust] (sync_routes.cpp).
void add_sync_routes(App& app);
// GET /api/openapi.json; registered last, it describes every route registered before it.
void add_openapi_route(App& app);

}  // namespace licsat::api
