// The CLI an operator lives in (issue 20 item 5), against the real binary: `licsat admin` takes
// its connection defaults from $XDG_CONFIG_HOME/licsat/admin.toml, and reuses a session cached in
// $XDG_CACHE_HOME/licsat between commands until `licsat admin logout`.
#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

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

// The same commands with the session cache on, in this test's own cache directory.
class AdminSessionE2E : public AdminCliE2E {
 protected:
  CommandResult cached(const std::string& args, std::map<std::string, std::string> env = {}) {
    env.emplace("LICSAT_NO_SESSION", "");
    env.emplace("XDG_CACHE_HOME", cache_.path());
    return admin("--server " + server_.url() + " --ca-file " + server_.ca_file() + " " + args, env);
  }
  // The session files in the cache directory (not their lock files).
  std::vector<std::string> session_files() {
    std::vector<std::string> out;
    if (!std::filesystem::exists(cache_.path() + "/licsat")) return out;
    for (const auto& e : std::filesystem::directory_iterator(cache_.path() + "/licsat"))
      if (e.path().filename().string().starts_with("session-") && e.path().extension() != ".lock")
        out.push_back(e.path().string());
    return out;
  }
  nlohmann::json session() {
    auto files = session_files();
    EXPECT_EQ(files.size(), 1u);
    if (files.empty()) return nullptr;
    std::ifstream in(files[0]);
    return nlohmann::json::parse(in, nullptr, false);
  }
  // Password logins of the built-in client in the Event Log, read with tokens of its own (whose
  // logins are left out); waits for the batched writer to store at least `at_least`.
  size_t password_logins(size_t at_least) {
    std::string token = server_.login();
    size_t own = ++own_logins_;
    RequestOptions o;
    o.bearer = token;
    size_t n = 0;
    for (auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
         std::chrono::steady_clock::now() < deadline; std::this_thread::sleep_for(std::chrono::milliseconds(50))) {
      auto r = server_.get("/api/v1/admin/events?limit=1000&action=token.issue&outcome=success", o);
      n = 0;
      for (const auto& e : r.json()["events"])
        if (e.value("detail", "").find("grant_type=password") != std::string::npos) ++n;
      if (n >= at_least + own) break;
    }
    return n < own ? 0 : n - own;
  }

  TempDir cache_;
  size_t own_logins_ = 0;
};

TEST_F(AdminSessionE2E, TwoCommandsInARowLogInWithThePasswordOnce) {
  auto first = cached("console status");
  ASSERT_EQ(first.exit_code, 0) << first.output;
  // The second command has no password at all: only the cached session can serve it.
  auto second = cached("user list", {{"LICSAT_PASSWORD", ""}});
  ASSERT_EQ(second.exit_code, 0) << second.output;
  EXPECT_TRUE(contains(second.output, "admin")) << second.output;
  EXPECT_EQ(password_logins(1), 1u);

  auto files = session_files();
  ASSERT_EQ(files.size(), 1u);
  struct stat st {};
  ASSERT_EQ(::stat(files[0].c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(::stat((cache_.path() + "/licsat").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  // The file holds tokens only, never the password.
  std::ifstream in(files[0]);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_FALSE(contains(text, kAdminPassword));

  // --no-session logs in with the password again and leaves the cached session alone.
  auto before = session()["access_token"];
  auto plain = cached("--no-session console status");
  ASSERT_EQ(plain.exit_code, 0) << plain.output;
  EXPECT_EQ(session()["access_token"], before);
  EXPECT_EQ(password_logins(2), 2u);
}

TEST_F(AdminSessionE2E, LogoutRevokesAndTheNextCommandNeedsThePassword) {
  ASSERT_EQ(cached("console status").exit_code, 0);
  std::string access = session()["access_token"].get<std::string>();
  RequestOptions o;
  o.bearer = access;
  ASSERT_EQ(server_.get("/api/v1/admin/console", o).status, 200);

  auto out = cached("logout");
  ASSERT_EQ(out.exit_code, 0) << out.output;
  EXPECT_TRUE(contains(out.output, "revoked")) << out.output;
  EXPECT_TRUE(session_files().empty());
  EXPECT_EQ(server_.get("/api/v1/admin/console", o).status, 401) << "the cached access token is revoked";

  auto again = cached("console status", {{"LICSAT_PASSWORD", ""}});
  EXPECT_EQ(again.exit_code, 1) << again.output;
  EXPECT_TRUE(contains(again.output, "no password for 'admin'")) << again.output;
}

TEST_F(AdminSessionE2E, ACacheFileOthersMayReadIsRefused) {
  ASSERT_EQ(cached("console status").exit_code, 0);
  auto files = session_files();
  ASSERT_EQ(files.size(), 1u);
  ASSERT_EQ(::chmod(files[0].c_str(), 0644), 0);
  auto r = cached("console status");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_TRUE(contains(r.output, "refusing the session file " + files[0])) << r.output;
  EXPECT_TRUE(contains(r.output, "mode 0644")) << r.output;
  EXPECT_FALSE(contains(r.output, "API console enabled")) << r.output;

  // Logout still revokes its tokens and deletes it.
  std::string access = session()["access_token"].get<std::string>();
  auto out = cached("logout");
  ASSERT_EQ(out.exit_code, 0) << out.output;
  EXPECT_TRUE(session_files().empty());
  RequestOptions o;
  o.bearer = access;
  EXPECT_EQ(server_.get("/api/v1/admin/console", o).status, 401);
}

TEST_F(AdminSessionE2E, LogoutWithTheServerDownDeletesAndSaysTheTokensLive) {
  ASSERT_EQ(cached("console status").exit_code, 0);
  ASSERT_EQ(server_.stop(), 0);
  auto out = cached("logout");
  EXPECT_EQ(out.exit_code, 0) << out.output;
  EXPECT_TRUE(contains(out.output, "NOT revoked")) << out.output;
  EXPECT_TRUE(contains(out.output, "The access token expires at 20")) << out.output;
  EXPECT_TRUE(contains(out.output, "the refresh token at 20")) << out.output;
  EXPECT_TRUE(session_files().empty());
}

}  // namespace
}  // namespace licsat::e2e
