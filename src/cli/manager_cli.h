// What the `licsat manager …` commands share: their flags (which also live in a TOML file given by
// --config), the settings they resolve to, and the printing of failures with their fixes.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "core/result.h"
#include "manager/settings.h"
#include "protocol/failure.h"

namespace CLI {
class App;
}

namespace licsat::cli {

struct ManagerFlags {
  std::string config;
  std::map<std::string, std::string> given;  // setting name → value, only flags on the command line
};

// --config, --state, --json (every manager command).
void add_manager_state_flags(CLI::App& cmd, const std::shared_ptr<ManagerFlags>& f);
// Also --mode, --server, --client-id, --client-secret, --username, --proxy, --ca-file, --insecure,
// --account, --manager-name, --timeout.
void add_manager_network_flags(CLI::App& cmd, const std::shared_ptr<ManagerFlags>& f);

// Defaults, then --config, then the flags; the password from $LICSAT_PASSWORD (or a prompt on a
// terminal) when a user name is set.
Result<manager::ManagerSettings> resolve_manager_settings(const ManagerFlags& f);

// Prints a failure (human text on stderr; with --json also a JSON object on stdout) and returns
// its exit code.
int report_failure(const std::string& command, const protocol::Failure& f, const protocol::FixContext& ctx, bool json);
// A usage or state error before anything ran.
// `fix`, when the caller knows it, replaces the class's generic advice.
int report_error(const std::string& command, const Error& e, bool json, const std::string& fix = "");

void add_manager_sync_commands(CLI::App& manager);
void add_manager_offline_commands(CLI::App& manager);

}  // namespace licsat::cli
