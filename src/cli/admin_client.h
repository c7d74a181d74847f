// What every `licsat admin …` command shares: the server connection options, the login (the
// user's password through the built-in first-party client, over TLS) and the printing of the
// server's errors.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "core/result.h"
#include "protocol/https_client.h"

namespace CLI {
class App;
}

namespace licsat::cli {

// Empty server, user and ca_file take their defaults from the operator's admin.toml
// (admin_defaults.h), then the built-in ones (resolve_admin_options).
struct AdminOptions {
  std::string server;
  std::string user;
  std::string ca_file;
  bool insecure = false;
  bool json = false;
  // --no-session (or $LICSAT_NO_SESSION): log in with the password on every command and keep
  // no session file (admin_session_cache.h).
  bool no_session = false;
};

// One command's connection. Unless sessions are off, it reuses the session the previous command
// cached: its access token while valid, else a refresh (the server rotates the refresh token; the
// new one is saved), else a password login, whose tokens are cached for the next command.
class AdminSession {
 public:
  explicit AdminSession(const AdminOptions& o);
  // Logs in (or resumes the cached session); on failure prints why and returns false.
  bool login();
  // Sends a request; on success returns the JSON body, else prints the server's error or the
  // transport failure and returns nullopt.
  std::optional<nlohmann::json> call(const std::string& method, const std::string& path,
                                     const nlohmann::json& body = nullptr);
  // As call(), but an answer with status `also_ok` is returned too (with *status set), for routes
  // whose error answer carries a result to show (a failed sync's outcome).
  std::optional<nlohmann::json> call(const std::string& method, const std::string& path, int also_ok, long* status);
  const AdminOptions& options() const { return opt_; }

 private:
  std::optional<nlohmann::json> call(const std::string& method, const std::string& path, const nlohmann::json& body,
                                     int also_ok, long* status);

  enum class Got { kTokens, kRefused, kUnreachable };
  bool password_login();
  // A refresh of the cached session; prints nothing on a refusal (a password login follows).
  Got refresh(const std::string& refresh_token);
  // After a 401 to a cached access token: another command's newer session, else the password.
  bool relogin();
  // Uses the tokens of a token endpoint answer and caches them.
  void use_tokens(const nlohmann::json& answer);
  void print_unreachable(const protocol::TransportError& e) const;

  AdminOptions opt_;
  protocol::HttpsClient client_;
  std::string cache_path_;  // empty: no session file
  std::string bearer_;
  bool bearer_from_cache_ = false;
};

// Whether `licsat admin` keeps a session file: not with --no-session or $LICSAT_NO_SESSION set
// (to anything but 0), nor without a cache directory. The file's path, else empty.
std::string admin_session_path(const AdminOptions& o);
// `licsat admin logout` (admin_logout.cpp).
void add_admin_logout(CLI::App& admin, std::shared_ptr<AdminOptions> o);

inline constexpr const char* kDefaultAdminServer = "https://localhost:8443";
inline constexpr const char* kDefaultAdminUser = "admin";
// Fills what the command line left empty from admin.toml, then the built-in defaults; a
// refused file is an error naming it.
Status resolve_admin_options(AdminOptions& o);

// Runs `fn` with a logged-in session and turns the outcome into the exit code.
void with_session(const AdminOptions& o, const std::function<bool(AdminSession&)>& fn);

// Registration of the admin command groups, one file each.
void add_admin_auth_commands(CLI::App& admin, std::shared_ptr<AdminOptions> o);
void add_admin_license_commands(CLI::App& admin, std::shared_ptr<AdminOptions> o);
void add_admin_offline_commands(CLI::App& admin, std::shared_ptr<AdminOptions> o);
// `user change`, `user reset-password` and `grant change` (admin_tenancy_commands.cpp), on the
// `user` and `grant` groups that add_admin_auth_commands made.
void add_admin_tenancy_commands(CLI::App& admin, std::shared_ptr<AdminOptions> o);
// A user's or a grant's `accounts` as the CLI shows it: "all", or the names joined by commas.
std::string accounts_text(const nlohmann::json& record);
void add_admin_sync_commands(CLI::App& admin, std::shared_ptr<AdminOptions> o);
// `devices list` and `alerts` (admin_device_commands.cpp).
void add_admin_device_commands(CLI::App& admin, std::shared_ptr<AdminOptions> o);

}  // namespace licsat::cli
