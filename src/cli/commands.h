// The subcommands of the one `licsat` binary. Each registers its options on the CLI11 app and
// runs through a callback that returns the process exit code.
#pragma once

#include <functional>
#include <string>

#include "core/config.h"

namespace CLI {
class App;
}

namespace licsat::cli {

// Exit codes shared by every subcommand (the manager's own are in docs/manager.md).
enum Exit : int {
  kOk = 0,
  kFailure = 1,      // the operation failed for a reason printed
  kUsage = 2,        // bad command line or input file
};

// Where a subcommand leaves its exit code for main() to return.
void set_exit(int code);
int exit_code();

void add_serve(CLI::App& app);
void add_admin(CLI::App& app);
void add_manager(CLI::App& app);
// `licsat backup` and `licsat restore` (backup.cpp).
void add_backup(CLI::App& app);

// `licsat serve --unlock-user NAME [--password-stdin]` (break_glass.cpp): unlocks a user on the
// server's database directly, without the network; returns the exit code.
int break_glass_unlock(const ServerConfig& cfg, const std::string& name, bool password_stdin);

// Reads a password from an environment variable, else asks on the terminal without echo.
std::string password_from(const char* env_var, const std::string& prompt);

int run(int argc, char** argv);

}  // namespace licsat::cli
