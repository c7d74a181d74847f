#include <CLI/CLI.hpp>
#include <termios.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <iostream>

#include "cli/commands.h"
#include "core/crypto.h"

namespace licsat::cli {
namespace {
std::atomic<int> g_exit{0};
}

void set_exit(int code) { g_exit = code; }
int exit_code() { return g_exit; }

std::string password_from(const char* env_var, const std::string& prompt) {
  if (const char* v = std::getenv(env_var); v && *v) return v;
  if (!isatty(STDIN_FILENO)) {
    std::string line;
    std::getline(std::cin, line);
    return line;
  }
  std::cerr << prompt << std::flush;
  termios old{};
  tcgetattr(STDIN_FILENO, &old);
  termios quiet = old;
  quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
  tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
  std::string line;
  std::getline(std::cin, line);
  tcsetattr(STDIN_FILENO, TCSANOW, &old);
  std::cerr << "\n";
  return line;
}

int run(int argc, char** argv) {
  crypto::init();
  CLI::App app{"licsat: on-premises smart-licensing server and manager-side sync client"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("licsat ") + LICSAT_VERSION);
  add_serve(app);
  add_admin(app);
  add_manager(app);
  add_backup(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : kUsage;
  }
  return exit_code();
}

}  // namespace licsat::cli
