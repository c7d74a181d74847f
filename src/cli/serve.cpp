// licsat serve: the HTTPS server.
#include <CLI/CLI.hpp>
#include <malloc.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <thread>

#include "api/app.h"
#include "api/metrics_access_config.h"
#include "cli/boot_wait.h"
#include "cli/commands.h"
#include "cli/housekeeping.h"
#include "core/log.h"
#include "http/server.h"
#include "http/tls.h"
#include "store/db.h"

namespace licsat::cli {
namespace {

struct ServeFlags {
  std::string config_file;
  std::string port_file;
  std::string unlock_user;     // break-glass: unlock this user on the database, then exit
  bool password_stdin = false; // … and set its password from stdin
  std::map<std::string, std::string> given;  // dotted config key -> value, only flags on the command line
};

// glibc's allocator, set before any thread starts. By default every thread that allocates under
// contention gets an arena of its own (up to 8 per core) and keeps what it freed: after ten
// 100,000-device usage reports five arenas held ~70 MB each of free memory (RSS 400-450 MB with
// 24 MB in use). Two arenas, and blocks from 1 MiB (a report's body and parse buffers) mapped
// and unmapped on their own instead of carved from an arena (a fixed threshold: glibc's
// adaptive one rises to the largest block freed, which put those buffers back in the arenas).
void bound_malloc() {
  mallopt(M_ARENA_MAX, 2);
  mallopt(M_MMAP_THRESHOLD, 1 << 20);
  mallopt(M_TRIM_THRESHOLD, 8 << 20);
}

int serve(ServeFlags& f) {
  std::optional<std::string> file;
  if (!f.config_file.empty()) file = f.config_file;
  auto cfg = load_server_config(file, f.given);
  if (!cfg) {
    std::cerr << "licsat serve: " << cfg.error().message << "\n";
    return kUsage;
  }
  if (!f.unlock_user.empty()) return break_glass_unlock(*cfg, f.unlock_user, f.password_stdin);
  bound_malloc();
  if (f.password_stdin) {
    std::cerr << "licsat serve: --password-stdin goes with --unlock-user\n";
    return kUsage;
  }
  log::init(cfg->log_format, cfg->log_level);
  if (cfg->threads <= 0) cfg->threads = static_cast<int>(std::max(2u, std::thread::hardware_concurrency()));
  if (cfg->workers <= 0) cfg->workers = 32;

  auto listen = http::parse_listen(cfg->listen);
  if (!listen) {
    std::cerr << "licsat serve: " << listen.error().message << "\n";
    return kUsage;
  }
  std::string cert = cfg->tls_cert, key = cfg->tls_key;
  if (cert.empty() != key.empty()) {
    std::cerr << "licsat serve: --tls-cert and --tls-key go together\n";
    return kUsage;
  }
  std::string note;
  auto app = build_app_when_reachable(*cfg, &note);  // PostgreSQL down at boot: retried, not fatal
  if (!app) {
    log::error("cannot start", {{"error", app.error().message}});
    std::cerr << "licsat serve: " << app.error().message << "\n";
    return kFailure;
  }
  // Who may read /metrics besides the local host: [metrics] of the config file.
  auto metrics_access = api::metrics_access_from_config_file(file, (*app)->hash_key);
  if (!metrics_access) {
    std::cerr << "licsat serve: " << metrics_access.error().message << "\n";
    return kUsage;
  }
  (*app)->metrics_access = std::move(*metrics_access);
  if (cert.empty()) {
    cert = cfg->data_dir + "/tls/cert.pem";
    key = cfg->data_dir + "/tls/key.pem";
    if (auto s = http::ensure_self_signed(cert, key); !s) {
      std::cerr << "licsat serve: " << s.error().message << "\n";
      return kFailure;
    }
  }
  if (!note.empty()) {
    // Printed once: the generated password is also in this file (mode 0600).
    std::ifstream in(note);
    std::string pw;
    std::getline(in, pw);
    std::cerr << "licsat: created user 'admin' with password " << pw << " (also in " << note << ")\n";
  }
  http::ServerOptions opt;
  opt.host = listen->first;
  opt.port = listen->second;
  opt.cert_file = cert;
  opt.key_file = key;
  opt.limits = cfg->limits;
  opt.threads = cfg->threads;
  opt.workers = cfg->workers;
  // Housekeeping: retention (expired tokens, old events) in small batches, once a minute. Made
  // before the server, whose /metrics renders its counters, and so destroyed after it.
  Housekeeping housekeeping(**app);
  http::Server server(opt, (*app)->router, (*app)->metrics);
  if (auto s = server.start(); !s) {
    log::error("cannot start", {{"error", s.error().message}});
    std::cerr << "licsat serve: " << s.error().message << "\n";
    return kFailure;
  }
  if (!f.port_file.empty()) {
    std::ofstream pf(f.port_file + ".tmp");
    pf << server.port() << "\n";
    pf.close();
    std::filesystem::rename(f.port_file + ".tmp", f.port_file);
  }
  log::info("licsat serving", {{"url", "https://" + (opt.host == "0.0.0.0" ? std::string("localhost") : opt.host) + ":" +
                                           std::to_string(server.port())},
                               {"database", (*app)->db->describe()},
                               {"threads", std::to_string(opt.threads)},
                               {"workers", std::to_string(opt.workers)}});

  housekeeping.start();
  // A satellite syncs with its authority at start and every interval (src/sync/scheduler.h).
  if ((*app)->sync_scheduler) (*app)->sync_scheduler->start();
  server.run();
  if ((*app)->sync_scheduler) (*app)->sync_scheduler->stop();
  (*app)->events->flush();
  log::info("licsat stopped");
  return kOk;
}

}  // namespace

void add_serve(CLI::App& app) {
  auto f = std::make_shared<ServeFlags>();
  auto* sub = app.add_subcommand("serve", "Run the HTTPS license server");
  sub->add_option("--config", f->config_file, "TOML config file (flags win over it)")->type_name("FILE");
  sub->add_option("--port-file", f->port_file, "Write the bound port to this file (useful with --listen HOST:0)")
      ->type_name("FILE");
  sub->add_option("--unlock-user", f->unlock_user,
                  "Break-glass: unlock this user (and clear its failed logins) on the database this server uses, "
                  "then exit without serving; works while the server runs");
  sub->add_flag("--password-stdin", f->password_stdin, "With --unlock-user: also set the user's password from stdin");
  // Each flag sets the config key of the same name; only flags actually given are applied. Their
  // help shows the value's type and the default, read from a default ServerConfig so it cannot drift.
  const ServerConfig d;
  auto secs = [](int64_t s) { return std::to_string(s) + "s"; };
  struct Flag {
    const char* flag;
    const char* key;
    const char* type;
    std::string def;
    const char* help;
  };
  const Flag flags[] = {
      {"--data", "data", "DIR", d.data_dir, "Data directory (database, TLS certificate, initial admin password)"},
      {"--listen", "listen", "HOST:PORT", d.listen, "Address and port to listen on (port 0: the kernel picks one)"},
      {"--tls-cert", "tls_cert", "FILE", "self-signed in DATA/tls/", "PEM certificate chain"},
      {"--tls-key", "tls_key", "FILE", "self-signed in DATA/tls/", "PEM private key"},
      {"--database", "database", "URL", "SQLite in DATA/licsat.db", "postgresql://… for several nodes"},
      {"--key-file", "server.key_file", "FILE", "DATA/keys/master.key",
       "Key that seals the server's keys in the database (made at first start; the same on every node)"},
      {"--upstream", "upstream.url", "URL", "none (an authority)", "URL of the authority this server is a satellite of"},
      {"--log-format", "log_format", "text|json", d.log_format, "Log line format"},
      {"--log-level", "log_level", "LEVEL", d.log_level, "debug, info, warn or error"},
      {"--threads", "threads", "INT", "one per core, at least 2", "I/O threads, one event loop each: TLS and HTTP"},
      {"--workers", "workers", "INT", "32", "Handler threads: requests that wait on the database"},
      {"--max-body-bytes", "limits.max_body_bytes", "BYTES", std::to_string(d.limits.max_body_bytes),
       "Largest request body, except usage reports"},
      {"--max-usage-body-bytes", "limits.max_usage_body_bytes", "BYTES", std::to_string(d.limits.max_usage_body_bytes),
       "Largest usage report body"},
      {"--max-inflight-body-bytes", "limits.max_inflight_body_bytes", "BYTES",
       std::to_string(d.limits.max_inflight_body_bytes), "Bytes all request bodies in flight may hold together"},
      {"--read-timeout", "limits.read_timeout", "DURATION", secs(d.limits.read_timeout),
       "Time to receive one request (90s, 15m, 24h, 14d)"},
      {"--access-token-ttl", "auth.access_token_ttl", "DURATION", secs(d.auth.access_token_ttl), "Access token lifetime"},
      {"--refresh-token-ttl", "auth.refresh_token_ttl", "DURATION", secs(d.auth.refresh_token_ttl),
       "Refresh token lifetime"},
  };
  for (const auto& fl : flags) {
    std::string key = fl.key;
    sub->add_option_function<std::string>(
           fl.flag, [f, key](const std::string& v) { f->given[key] = v; }, fl.help)
        ->type_name(fl.type)
        ->default_str(fl.def);
  }
  sub->callback([f] { set_exit(serve(*f)); });
}

}  // namespace licsat::cli
