// The CLI an operator lives in (issue 20 item 5), against the real binary: `licsat admin` takes
// its connection defaults from $XDG_CONFIG_HOME/licsat/admin.toml.
#include <filesystem>
#include <fstream>

#include "harness.h"

namespace licsat::e2e {
namespace {

bool contains(const std::string& hay, const std::string& needle) { return hay.find(needle) != std::string::npos; }

class AdminCliE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    server_.start();
    std::filesystem::create_directories(config_.path() + "/licsat");
  }
  void write_defaults(const std::string& text) { std::ofstream(config_.path() + "/licsat/admin.toml") << text; }
  // `licsat admin ARGS` with only what the test gives on the command line, the admin's password
  // in the environment and this test's own config directory.
  CommandResult admin(const std::string& args, std::map<std::string, std::string> env = {}) {
    env.emplace("LICSAT_PASSWORD", kAdminPassword);
    env.emplace("XDG_CONFIG_HOME", config_.path());
    return run_command(licsat_binary() + " admin " + args + " </dev/null", env);
  }

  Server server_;
  TempDir config_;
};

TEST_F(AdminCliE2E, DefaultsComeFromAdminToml) {
  server_.create_user("netops", "admin", "netops-password-e2e", server_.login());
  write_defaults("server = \"" + server_.url() + "\"\nuser = \"netops\"\nca_file = \"" + server_.ca_file() + "\"\n");
  auto r = admin("user list", {{"LICSAT_PASSWORD", "netops-password-e2e"}});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(contains(r.output, "netops")) << r.output;

  // A flag wins over the file: --user admin logs in as admin, so netops's password is refused.
  auto flag = admin("--user admin user list", {{"LICSAT_PASSWORD", "netops-password-e2e"}});
  EXPECT_EQ(flag.exit_code, 1) << flag.output;
  EXPECT_TRUE(contains(flag.output, "login as 'admin' failed")) << flag.output;
}

TEST_F(AdminCliE2E, FlagsAloneWorkWithoutAFile) {
  auto r = admin("--server " + server_.url() + " --ca-file " + server_.ca_file() + " console status");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(contains(r.output, "API console enabled")) << r.output;
}

TEST_F(AdminCliE2E, UnknownKeysInAdminTomlAreRefusedByName) {
  write_defaults("server = \"" + server_.url() + "\"\ncafile = \"x.pem\"\nport = 8443\n");
  auto r = admin("console status");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_TRUE(contains(r.output, config_.path() + "/licsat/admin.toml")) << r.output;
  EXPECT_TRUE(contains(r.output, "unknown key 'cafile'")) << r.output;
  EXPECT_TRUE(contains(r.output, "unknown key 'port'")) << r.output;
}

}  // namespace
}  // namespace licsat::e2e
