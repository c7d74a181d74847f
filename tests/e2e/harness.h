// The end-to-end harness: starts the real `licsat` binary on a free loopback port with a
// temporary data directory, and speaks HTTPS to it with libcurl, trusting the server's own
// self-signed certificate. Every e2e test uses it.
//
// Backend: SQLite by default. When LICSAT_E2E_PG_URL names a PostgreSQL server
// (postgresql://user@127.0.0.1:port/postgres), each server gets a fresh database on it.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace licsat::e2e {

inline constexpr const char* kAdminPassword = "admin-password-e2e";

struct Reply {
  long status = 0;
  std::string body;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string error;                           // transport error, empty when a reply came
  mutable std::optional<nlohmann::json> parsed;
  // The parsed body (a discarded value when not JSON), kept in the Reply so that
  // `for (auto& x : reply.json()["items"])` does not iterate a destroyed temporary.
  nlohmann::json& json() const;
  std::string header(const std::string& name) const;
};

struct RequestOptions {
  std::vector<std::string> headers;   // "Name: value"
  std::string content_type = "application/json";
  std::string bearer;
  bool tls12_max = false;             // force TLS 1.2
  long tls_max_version = 0;           // CURL_SSLVERSION_MAX_* to cap the client's version
  long tls_version = 0;               // CURL_SSLVERSION_* minimum
  long timeout_seconds = 60;
};

// Runs one HTTPS request; `ca_file` empty means do not verify.
Reply https(const std::string& method, const std::string& url, const std::string& body = "",
            const RequestOptions& opt = {}, const std::string& ca_file = "");

// A temporary directory removed at destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

class Server {
 public:
  // extra: more arguments for `licsat serve`; env: extra environment variables.
  explicit Server(std::vector<std::string> extra = {}, std::map<std::string, std::string> env = {});
  ~Server();  // SIGKILLs a server still running

  // Starts and waits until /healthz answers 200 (fails the test after 30 s).
  void start();
  // SIGTERM, then waits; returns the exit status (or -signal).
  int stop();
  void kill9();
  bool running() const { return pid_ > 0; }
  // The server's process id (-1 when it is not running).
  int pid() const { return pid_; }
  // CPU time the server's process has used so far (all threads), in clock ticks, from
  // /proc/PID/stat; -1 when unreadable. Tests wait on it to know the server is at work on
  // something (a slow password hash) instead of sleeping a guess.
  long long cpu_ticks() const;

  std::string url() const;                 // https://localhost:PORT
  int port() const { return port_; }
  const std::string& data_dir() const { return data_.path(); }
  std::string ca_file() const;             // DATA/tls/cert.pem
  std::string log() const;                 // everything the server printed
  std::string log_file() const { return logs_.path() + "/server.log"; }
  std::string database_url() const { return database_; }  // empty on SQLite
  // Several nodes over one database (PostgreSQL only): from now on this server uses `other`'s
  // database instead of the fresh one it was given (dropped here). Call before start(). Does
  // nothing on SQLite, where every server keeps its own data dir. The server then also uses
  // `other`'s key file (--key-file), as every node of one database must.
  void share_database_with(const Server& other);
  // Runs the server under a wrapper command from the next start() on, e.g.
  // {"/usr/bin/prlimit", "--nofile=256:256", "--"} (the wrapper must exec the server in its place).
  void run_under(std::vector<std::string> wrapper) { wrapper_ = std::move(wrapper); }

  // HTTPS to this server, trusting its certificate.
  Reply get(const std::string& path, const RequestOptions& o = {}) const;
  Reply post(const std::string& path, const std::string& body, const RequestOptions& o = {}) const;
  Reply post_json(const std::string& path, const nlohmann::json& body, const std::string& bearer = "") const;
  Reply request(const std::string& method, const std::string& path, const std::string& body = "",
                const RequestOptions& o = {}) const;

  // Logs in through the built-in client (password grant) and returns the access token.
  std::string login(const std::string& user = "admin", const std::string& password = kAdminPassword) const;
  // Admin convenience: creates a grant, returns the creation answer (client_id, client_secret).
  nlohmann::json create_grant(const std::string& name, const std::string& type, const std::string& admin_token) const;
  // Creates a user with a role.
  void create_user(const std::string& name, const std::string& role, const std::string& password,
                   const std::string& admin_token) const;

 private:
  std::vector<std::string> extra_;
  std::vector<std::string> wrapper_;
  std::map<std::string, std::string> env_;
  TempDir data_;
  TempDir logs_;
  std::string database_;
  std::string key_file_;  // --key-file when set (a node sharing another's database)
  int pid_ = -1;
  int port_ = 0;
};

// Runs a command line through /bin/sh, returns exit code and combined output. `licsat admin` runs
// with LICSAT_NO_SESSION=1 unless `env` sets it.
struct CommandResult {
  int exit_code = -1;
  std::string output;
};
CommandResult run_command(const std::string& command_line, const std::map<std::string, std::string>& env = {});

// The licsat binary under test.
std::string licsat_binary();

}  // namespace licsat::e2e
