// licsat manager: the manager-side client — sync with a licensing server (online or on-prem,
// through a proxy if need be), the 24 h scheduler, offline files and the doctor.
#include <CLI/CLI.hpp>
#include <unistd.h>

#include <cstdlib>
#include <iostream>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/manager_cli.h"

namespace licsat::cli {
namespace {

void setting(CLI::App& cmd, const std::shared_ptr<ManagerFlags>& f, const std::string& flag, const std::string& key,
             const std::string& help) {
  cmd.add_option_function<std::string>(flag, [f, key](const std::string& v) { f->given[key] = v; }, help);
}

}  // namespace

void add_manager_state_flags(CLI::App& cmd, const std::shared_ptr<ManagerFlags>& f) {
  cmd.add_option("--config", f->config, "TOML file with the same settings as the flags (flags win)");
  setting(cmd, f, "--state", "state", "State directory (default $LICSAT_MANAGER_STATE or ~/.local/state/licsat/manager)");
  cmd.add_flag_callback("--json", [f] { f->given["json"] = "true"; }, "Print JSON");
}

void add_manager_network_flags(CLI::App& cmd, const std::shared_ptr<ManagerFlags>& f) {
  setting(cmd, f, "--mode", "mode", "online (an authority), onprem (a satellite) or offline");
  setting(cmd, f, "--server", "server", "The licensing server's URL, https://host:8443");
  setting(cmd, f, "--client-id", "client_id", "Client ID of a grant from the server's API Tool Kit");
  setting(cmd, f, "--client-secret", "client_secret", "Its client secret");
  setting(cmd, f, "--username", "username",
          "User for the password grant (needs a Resource Owner Grant; password from $LICSAT_PASSWORD). "
          "Without it: client_credentials");
  setting(cmd, f, "--proxy", "proxy", "HTTP(S) proxy URL, credentials in it (default: https_proxy/no_proxy)");
  setting(cmd, f, "--ca-file", "ca_file", "CA certificate (or the server's self-signed certificate) to trust");
  cmd.add_flag_callback("--insecure", [f] { f->given["insecure"] = "true"; }, "Do not verify the certificate (tests only)");
  setting(cmd, f, "--account", "account", "Smart account to show (default: every account of the user)");
  setting(cmd, f, "--manager-name", "manager_name", "This manager's name in usage reports (default: host name)");
  setting(cmd, f, "--timeout", "timeout", "Seconds per request (default 60)");
}

Result<manager::ManagerSettings> resolve_manager_settings(const ManagerFlags& f) {
  manager::ManagerSettings s;
  if (!f.config.empty())
    if (auto st = manager::apply_manager_config_file(s, f.config); !st) return fail(st.error());
  for (const auto& [k, v] : f.given)
    if (auto st = manager::set_manager_setting(s, k, v); !st) return fail(st.error());
  if (s.state_dir.empty()) s.state_dir = manager::default_state_dir();
  if (!s.username.empty()) {
    if (const char* pw = std::getenv("LICSAT_PASSWORD"); pw && *pw) s.password = pw;
    else if (isatty(STDIN_FILENO)) s.password = password_from("LICSAT_PASSWORD", "Password for " + s.username + ": ");
  }
  return s;
}

int report_failure(const std::string& command, const protocol::Failure& f, const protocol::FixContext& ctx, bool json) {
  std::cerr << "licsat manager " << command << ": " << protocol::render(f, ctx) << "\n";
  if (json) {
    nlohmann::json j = {
        {"status", "failed"}, {"class", protocol::class_name(f.cls)}, {"exitCode", protocol::exit_code(f.cls)},
        {"message", f.what},  {"serverMessage", f.server_words},      {"httpStatus", f.http_status},
        {"detail", f.detail}, {"fix", protocol::fix_for(f, ctx)}};
    std::cout << j.dump(2) << "\n";
  }
  return protocol::exit_code(f.cls);
}

int report_error(const std::string& command, const Error& e, bool json, const std::string& fix) {
  protocol::Failure f;
  f.cls = e.code == ErrorCode::kInvalidArgument ? protocol::FailureClass::kUsage : protocol::FailureClass::kState;
  f.what = e.message;
  f.fix = fix;
  return report_failure(command, f, {}, json);
}

void add_manager(CLI::App& app) {
  auto* manager = app.add_subcommand("manager", "The manager-side client: sync licenses and usage with a licsat server");
  manager->require_subcommand(1);
  add_manager_sync_commands(*manager);
  add_manager_offline_commands(*manager);
}

}  // namespace licsat::cli
