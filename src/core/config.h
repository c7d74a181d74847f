// Server configuration: defaults, then a TOML file, then command-line flags (flags win).
// Every setting has one dotted key ("listen", "auth.access_token_ttl", "upstream.url") used in
// the file and, with dashes for dots and underscores, as a flag.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/ldap_config.h"
#include "core/result.h"

namespace licsat {

struct UpstreamConfig {
  std::string url;                 // empty: this server is an authority
  std::string client_id;
  std::string client_secret;
  std::string client_secret_file;
  std::vector<std::string> accounts;
  std::string ca_file;
  bool insecure = false;
  int64_t interval = 24 * 3600;    // seconds
};

struct ServerConfig {
  std::string data_dir = "./data";
  std::string listen = "0.0.0.0:8443";
  std::string tls_cert;
  std::string tls_key;
  std::string database;            // empty: SQLite at DATA/licsat.db; or postgresql://…
  // A file holding the PostgreSQL password (mode 0600 or 0400), so that it is in neither the URL
  // nor `ps`; read once at start into database_password, which is never printed.
  std::string database_password_file;
  std::string database_password;
  // [server] key_file: the key that seals the server's keys in the database (core/key_file.h);
  // empty: DATA/keys/master.key. Every node of one PostgreSQL database needs the same file.
  std::string key_file;
  std::string log_format = "text"; // text | json
  std::string log_level = "info";
  int threads = 0;                 // I/O threads, one event loop each (TLS, HTTP); 0: one per core, at least 2
  int workers = 0;                 // handler threads (database work); 0: 32

  struct Limits {
    int64_t max_header_bytes = 16 * 1024;
    int64_t max_body_bytes = 1024 * 1024;
    int64_t max_usage_body_bytes = 32 * 1024 * 1024;  // a 100,000-device report is about 15 MB
    int64_t read_timeout = 30;                          // seconds to receive one whole request
    int64_t idle_timeout = 60;                          // keep-alive idle seconds
    int64_t max_connections = 10000;
    // Bytes all request bodies being read or handled may hold together; a request whose body
    // would go over gets 503 with Retry-After before its body is read.
    int64_t max_inflight_body_bytes = 256 * 1024 * 1024;
  } limits;

  struct Auth {
    int64_t access_token_ttl = 3600;
    int64_t refresh_token_ttl = 14 * 86400;
    int64_t password_min_length = 12;
    int64_t lockout_threshold = 5;
    int64_t lockout_window = 15 * 60;
    int64_t lockout_duration = 15 * 60;  // 0: until an admin unlocks; doubled per further lock, up to 24 h
    int64_t pwhash_ops = 2;
    int64_t pwhash_mem_mib = 64;
    int64_t client_failures_per_minute = 10;
    int64_t address_failures_per_minute = 50;
    int64_t session_idle_timeout = 30 * 60;  // built-in client (web UI, admin CLI): refresh-token life
  } auth;

  // Usage over time (the Licenses page's chart): one sample per pool and `bucket` seconds,
  // samples older than `retention` seconds pruned as reports arrive.
  struct UsageHistory {
    int64_t bucket = 3600;
    int64_t retention = 90 * 86400;
  } usage_history;

  // The Event Log and expired tokens: events older than `retention` seconds (0: kept forever) and
  // tokens past their expiry are deleted in the background in small batches (store/pruner.h).
  struct EventLog {
    int64_t retention = 365 * 86400;
    // Every event also sent as RFC 5424 to these targets (core/syslog_target.h), off the request
    // path through a queue of `syslog_queue` messages per target (core/syslog_sink.h).
    std::vector<std::string> syslog;
    std::string syslog_ca_file;     // tls:// targets: the receiver's CA; empty: the system's CAs
    int64_t syslog_queue = 10000;
  } event_log;

  UpstreamConfig upstream;
  LdapConfig ldap;                 // [ldap]: directory users (core/ldap_config.h)
};

// Parses "90", "90s", "15m", "24h", "14d" into seconds.
Result<int64_t> parse_duration(const std::string& text);

// Sets one setting by its dotted key from text; an unknown key or a bad value is an error that
// names the key.
Status set_config_key(ServerConfig& cfg, const std::string& key, const std::string& value);

// Applies a TOML file (tables become dotted keys). Unknown keys are errors, so a typo in a
// security setting is never silently ignored.
Status apply_config_file(ServerConfig& cfg, const std::string& path);

// Same, from TOML text (for tests and for error messages that name the source).
Status apply_config_text(ServerConfig& cfg, const std::string& toml_text, const std::string& source);

// A password file's content without its trailing line break; refused when group or others may
// read it, or when it is empty. Messages name the file by `setting`.
Result<std::string> read_password_file(const std::string& path, const std::string& setting = "database_password_file");

// The key file in use: `key_file`, or DATA/keys/master.key.
std::string key_file_path(const ServerConfig& cfg);

// Defaults, then the file (if any), then the flags given on the command line; then the database
// password file, if one is named.
Result<ServerConfig> load_server_config(const std::optional<std::string>& file,
                                        const std::map<std::string, std::string>& flags);

}  // namespace licsat
