#include "api/app.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "core/crypto.h"
#include "core/log.h"
#include "directory/ldap_directory.h"
#include "http/message.h"
#include "store/event_tap.h"
#include "store/migrations.h"
#include "store/sealed_keys.h"
#include "store/timed_database.h"

namespace licsat::api {

App::~App() {
  if (sync_scheduler) sync_scheduler->stop();
  if (events) events->flush();
}

namespace {

Status write_private_file(const std::string& path, const std::string& content) {
  std::string tmp = path + ".tmp";
  FILE* f = std::fopen(tmp.c_str(), "wb");
  if (!f) return fail(Error::internal("cannot write " + tmp));
  ::fchmod(fileno(f), 0600);
  bool ok = std::fwrite(content.data(), 1, content.size(), f) == content.size();
  ok = std::fflush(f) == 0 && ok;
  std::fclose(f);
  if (!ok || std::rename(tmp.c_str(), path.c_str()) != 0) return fail(Error::internal("cannot write " + path));
  return {};
}

// With [event_log] syslog set: starts the sink and taps the database so that every committed
// event is queued for it, stamped with this node's host name and process id.
Status start_syslog(App& app) {
  const auto& cfg = app.config.event_log;
  if (cfg.syslog.empty()) return {};
  syslog::SinkOptions opt;
  for (const auto& url : cfg.syslog) {
    auto t = syslog::parse_target(url);
    if (!t) return fail(t.error());
    opt.targets.push_back(*t);
  }
  opt.ca_file = cfg.syslog_ca_file;
  opt.queue_capacity = static_cast<size_t>(cfg.syslog_queue);
  auto sink = syslog::Sink::start(std::move(opt));
  if (!sink) return fail(sink.error());
  app.syslog = std::move(*sink);
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) != 0) std::snprintf(host, sizeof host, "%s", "localhost");
  syslog::Sink* out = app.syslog.get();
  app.db = store::tap_events(app.db, [out, node = std::string(host), pid = static_cast<int64_t>(::getpid())](
                                         const domain::Event& e) {
    out->submit({e.time, node, pid, e.action, e.outcome, e.actor, e.source_ip, e.detail});
  });
  return {};
}

}  // namespace

std::string database_url(const ServerConfig& cfg) {
  if (cfg.database.empty()) return cfg.data_dir + "/licsat.db";
  if (cfg.database_password.empty()) return cfg.database;
  // libpq takes any connection keyword as a URI parameter; the URL stays in memory only and the
  // store scrubs ?password= from every message.
  return cfg.database + (cfg.database.find('?') == std::string::npos ? "?" : "&") +
         "password=" + http::url_encode(cfg.database_password);
}

Result<std::unique_ptr<App>> build_app(const ServerConfig& cfg, std::string* admin_password_note) {
  crypto::init();
  auto app = std::make_unique<App>();
  app->config = cfg;
  app->clock = std::make_unique<SystemClock>();

  std::error_code ec;
  std::filesystem::create_directories(cfg.data_dir, ec);
  if (ec) return fail(Error::invalid("cannot create data directory '" + cfg.data_dir + "': " + ec.message()));
  ::chmod(cfg.data_dir.c_str(), 0700);

  std::string url = database_url(cfg);
  if (cfg.database.empty()) {
    // The database holds the server's keys: owner-only, whatever the umask. SQLite gives its
    // -wal and -shm files the database file's mode, so creating it 0600 covers them too.
    int fd = ::open(url.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd >= 0) {
      ::fchmod(fd, 0600);
      ::close(fd);
    }
  }
  auto db = store::open_database(url, std::max(8, cfg.threads * 4));
  if (!db) return fail(db.error());
  app->db = std::move(*db);
  if (auto s = start_syslog(*app); !s) return fail(s.error());
  // Write transactions and group commits are measured for /metrics (outermost, so that the group
  // commit finds the timer; the syslog tap, when on, is inside it).
  app->server_metrics = std::make_unique<ServerMetrics>();
  app->db = std::make_shared<store::TimedDatabase>(app->db, app->server_metrics->commit_seconds(),
                                                   app->server_metrics->group_commit_size());
  if (app->syslog) {
    syslog::Sink* out = app->syslog.get();
    app->server_metrics->registry().callback(
        "licsat_syslog_queue_depth", "Event Log records waiting to be sent to syslog (every target)", "gauge", {},
        [out] { return std::vector<metrics::Sample>{{{}, static_cast<double>(out->depth())}}; });
    app->server_metrics->registry().callback(
        "licsat_syslog_dropped_total", "Event Log records not sent to syslog because a target's queue was full",
        "counter", {}, [out] { return std::vector<metrics::Sample>{{{}, static_cast<double>(out->dropped())}}; });
  }
  auto applied = store::migrate(*app->db);
  if (!applied) return fail(applied.error());
  app->store = store::make_sql_store(app->db);

  // Server keys live in the database so that every node over one PostgreSQL shares them, sealed
  // under the key file's key (store/sealed_keys.h); keys still in clear are sealed here.
  const std::string key_file = key_file_path(cfg);
  auto kek = store::key_for_database(*app->db, key_file);
  if (!kek) return fail(kek.error());
  auto fresh = crypto::generate_signing_key();
  auto keys = store::load_sealed_keys(*app->db, *kek, key_file, crypto::to_hex(crypto::random_urlsafe(32)),
                                      crypto::to_hex(fresh.secret_key));
  if (!keys) return fail(keys.error());
  if (keys->sealed_now > 0) {
    log::info("server keys sealed with key file " + key_file + " (they were stored in clear)");
    if (cfg.database.empty())
      if (auto s = store::scrub_sqlite_file(url); !s) return fail(s.error());
  }
  app->hash_key = keys->hash_key;
  auto raw = crypto::from_hex(keys->signing_key);
  if (!raw || raw->size() != 64) return fail(Error::internal("stored signing key is damaged"));
  app->signing_key.secret_key = *raw;
  app->signing_key.public_key = raw->substr(32);  // libsodium's Ed25519 secret key ends with the public key

  domain::AccessPolicy policy;
  policy.password_min_length = cfg.auth.password_min_length;
  policy.lockout_threshold = cfg.auth.lockout_threshold;
  policy.lockout_window = cfg.auth.lockout_window;
  policy.lockout_duration = cfg.auth.lockout_duration;
  policy.cost.ops = static_cast<uint64_t>(cfg.auth.pwhash_ops);
  policy.cost.mem = static_cast<size_t>(cfg.auth.pwhash_mem_mib) * 1024 * 1024;

  app->events = std::make_unique<domain::EventLog>(*app->store, *app->clock);
  app->bearer_refusals = std::make_unique<domain::RefusalSummary>(*app->clock);
  app->access = std::make_unique<domain::AccessService>(*app->store, *app->clock, policy);
  if (cfg.ldap.configured()) {
    app->directory = std::make_unique<directory::LdapDirectory>(cfg.ldap);
    app->access->set_directory(app->directory.get());
  }
  app->grants = std::make_unique<domain::GrantService>(*app->store, *app->clock, app->hash_key);
  oauth::TokenPolicy tp{cfg.auth.access_token_ttl, cfg.auth.refresh_token_ttl, cfg.auth.client_failures_per_minute,
                        cfg.auth.address_failures_per_minute, cfg.auth.session_idle_timeout};
  app->tokens = std::make_unique<oauth::TokenService>(*app->store, *app->access, *app->events, *app->clock,
                                                      app->hash_key, tp);
  app->licensing = std::make_unique<domain::LicenseService>(*app->store, *app->store, *app->clock, cfg.upstream,
                                                            app->hash_key);
  app->licensing->set_usage_history_policy({cfg.usage_history.bucket, cfg.usage_history.retention});
  app->sync_store = store::make_sql_sync_store(app->db);
  app->upstream = std::make_unique<sync::UpstreamSync>(cfg.upstream, *app->sync_store, *app->store, *app->events,
                                                       *app->clock, app->signing_key);
  if (app->upstream->configured())
    app->sync_scheduler = std::make_unique<sync::SyncScheduler>(*app->upstream, *app->db, *app->store, *app->clock,
                                                                cfg.upstream.interval);

  // First start: the admin user, from LICSAT_ADMIN_PASSWORD or a generated password written once
  // to DATA/initial-admin-password (mode 0600).
  std::string password;
  bool generated = false;
  if (const char* env = std::getenv("LICSAT_ADMIN_PASSWORD"); env && *env) {
    password = env;
  } else {
    password = crypto::random_urlsafe(18);
    generated = true;
  }
  auto users = app->store->list_users();
  if (!users) return fail(users.error());
  if (users->empty()) {
    if (auto s = app->access->check_password_policy("admin", password); !s)
      return fail(Error::invalid("LICSAT_ADMIN_PASSWORD: " + s.error().message));
    // Several nodes may start together on one empty database: only the one whose insert wins
    // created the admin, and only it writes (and announces) the generated password.
    auto made = app->access->ensure_initial_admin(password);
    if (!made) return fail(made.error());
    if (*made && generated) {
      std::string path = cfg.data_dir + "/initial-admin-password";
      if (auto s = write_private_file(path, password + "\n"); !s) return fail(s.error());
      if (admin_password_note) *admin_password_note = path;
    }
  }

  app->server_metrics->attach(*app);

  add_system_routes(*app);
  add_oauth_routes(*app);
  add_admin_routes(*app);
  add_licensing_routes(*app);
  add_admin_license_routes(*app);
  add_offline_routes(*app);
  add_sync_routes(*app);
  add_openapi_route(*app);
  return app;
}

}  // namespace licsat::api
