// What every `licsat admin …` command shares: the server connection options, the login (the
// user's password through the built-in first-party client, over TLS) and the printing of the
// server's errors.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "manager/https_client.h"

namespace CLI {
class App;
}

namespace licsat::cli {

struct AdminOptions {
  std::string server = "https://localhost:8443";
  std::string user = "admin";
  std::string ca_file;
  bool insecure = false;
  bool json = false;
};

class AdminSession {
 public:
  explicit AdminSession(const AdminOptions& o);
  // Logs in; on failure prints why and returns false.
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

  AdminOptions opt_;
  manager::HttpsClient client_;
};

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
