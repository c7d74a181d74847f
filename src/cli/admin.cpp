// licsat admin: the server's administration over its REST API.
#include <CLI/CLI.hpp>

#include "cli/admin_client.h"
#include "cli/commands.h"

namespace licsat::cli {

void add_admin(CLI::App& app) {
  auto o = std::make_shared<AdminOptions>();
  auto* admin = app.add_subcommand("admin", "Administer a licsat server (password: $LICSAT_PASSWORD, else prompt; "
                                   "defaults: $XDG_CONFIG_HOME/licsat/admin.toml)");
  // Defaults of these three: admin.toml (admin_defaults.h), then the built-in ones.
  admin->add_option("--server", o->server, "Server URL (default: admin.toml's server, else https://localhost:8443)");
  admin->add_option("--user", o->user, "User name (default: admin.toml's user, else admin)");
  admin->add_option("--ca-file", o->ca_file,
                    "CA certificate (or the server's self-signed certificate) to trust (default: admin.toml's ca_file)");
  admin->add_flag("--insecure", o->insecure, "Do not verify the server certificate (tests only)");
  admin->add_flag("--no-session", o->no_session,
                  "Log in with the password for this command only: no session kept or used (also $LICSAT_NO_SESSION=1)");
  admin->require_subcommand(1);
  add_admin_auth_commands(*admin, o);
  add_admin_license_commands(*admin, o);
  add_admin_offline_commands(*admin, o);
  add_admin_sync_commands(*admin, o);
  add_admin_logout(*admin, o);
  add_admin_device_commands(*admin, o);
}

}  // namespace licsat::cli
