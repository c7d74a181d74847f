// The manager's settings: defaults, then a TOML file (--config), then flags (flags win). The file
// uses the flags' names, with underscores or dashes, at the top level or in a [manager] table:
//
//   mode = "onprem"                       # online | onprem | offline
//   server = "https://satellite.example:8443"
//   client_id = "…"                       # a Resource Owner Grant (with username) or a
//   client_secret = "…"                   # Client Credentials Grant (without); or client_secret_file
//   username = "netops"                   # the password comes from $LICSAT_PASSWORD only
//   proxy = "http://proxy.example:3128"
//   ca_file = "/etc/licsat/server.pem"    # or insecure = true (tests only)
//   state = "/var/lib/licsat-manager"
//   interval = "24h"
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "core/result.h"
#include "manager/protocol_names.h"

namespace licsat::manager {

struct ManagerSettings {
  std::string mode = "onprem";
  std::string server;
  std::string client_id;
  std::string client_secret;
  std::string client_secret_file;
  std::string username;
  std::string password;            // from $LICSAT_PASSWORD, never from a file or flag
  std::string proxy;
  std::string ca_file;
  bool insecure = false;
  std::string state_dir;           // default: $LICSAT_MANAGER_STATE, else ~/.local/state/licsat/manager
  std::string account;             // smart account whose licenses to show; empty: every account
  std::string manager_name;        // name in usage reports; default: the host name
  int64_t interval = 24 * 3600;    // run: seconds between syncs
  int64_t retry_min = 5;           // run: first retry delay (seconds)
  int64_t retry_max = 3600;        // run: longest retry delay (seconds; never above interval)
  int64_t timeout = 60;            // seconds per request
  bool json = false;
};

// The default --state directory.
std::string default_state_dir();

// Sets one setting by name ("client_id" or "client-id"); unknown names and bad values are errors
// naming the setting.
Status set_manager_setting(ManagerSettings& s, const std::string& name, const std::string& value);
// Applies a TOML file.
Status apply_manager_config_file(ManagerSettings& s, const std::string& path);
Status apply_manager_config_text(ManagerSettings& s, const std::string& toml, const std::string& source);

// Checks what a network command needs (server URL, credentials, mode) and reads the secret file.
Status check_for_network(ManagerSettings& s);

ClientOptions client_options(const ManagerSettings& s);
Credentials credentials(const ManagerSettings& s);

}  // namespace licsat::manager
