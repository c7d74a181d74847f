// licsat admin's defaults file (admin.toml): its three keys, every refused key named with the
// file, and flags that win over it.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "cli/admin_client.h"
#include "cli/admin_defaults.h"

namespace licsat::cli {
namespace {

// Points $XDG_CONFIG_HOME at a temporary directory for one test, and restores it.
class AdminDefaultsFile : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/licsat-admin-defaults-XXXXXX";
    dir_ = mkdtemp(tmpl);
    if (const char* v = std::getenv("XDG_CONFIG_HOME")) saved_ = v;
    setenv("XDG_CONFIG_HOME", dir_.c_str(), 1);
  }
  void TearDown() override {
    if (saved_) setenv("XDG_CONFIG_HOME", saved_->c_str(), 1);
    else unsetenv("XDG_CONFIG_HOME");
    std::filesystem::remove_all(dir_);
  }
  void write(const std::string& text) {
    std::filesystem::create_directories(dir_ + "/licsat");
    std::ofstream(dir_ + "/licsat/admin.toml") << text;
  }
  std::string dir_;
  std::optional<std::string> saved_;
};

TEST(AdminDefaults, ReadsServerUserAndCaFile) {
  auto d = parse_admin_defaults("server = \"https://sat.example:8443\"\nuser = \"netops\"\nca_file = \"/etc/ca.pem\"\n",
                                "admin.toml");
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_EQ(d->server, "https://sat.example:8443");
  EXPECT_EQ(d->user, "netops");
  EXPECT_EQ(d->ca_file, "/etc/ca.pem");
}

TEST(AdminDefaults, EveryUnknownKeyIsNamedWithTheFile) {
  auto d = parse_admin_defaults("server = \"https://x\"\nsevrer = \"https://y\"\npassword = \"pw\"\n", "/home/a/admin.toml");
  ASSERT_FALSE(d);
  EXPECT_NE(d.error().message.find("/home/a/admin.toml"), std::string::npos) << d.error().message;
  EXPECT_NE(d.error().message.find("unknown key 'sevrer'"), std::string::npos) << d.error().message;
  EXPECT_NE(d.error().message.find("unknown key 'password'"), std::string::npos) << d.error().message;
}

TEST(AdminDefaults, NonStringValuesAndTablesAreRefused) {
  auto d = parse_admin_defaults("user = 3\n", "admin.toml");
  ASSERT_FALSE(d);
  EXPECT_NE(d.error().message.find("'user' must be a non-empty string"), std::string::npos) << d.error().message;
  auto t = parse_admin_defaults("[admin]\nserver = \"https://x\"\n", "admin.toml");
  ASSERT_FALSE(t);
  EXPECT_NE(t.error().message.find("unknown key 'admin'"), std::string::npos) << t.error().message;
}

TEST(AdminDefaults, SyntaxErrorsGiveFileAndLine) {
  auto d = parse_admin_defaults("server = \"https://x\"\nuser = \n", "admin.toml");
  ASSERT_FALSE(d);
  EXPECT_NE(d.error().message.find("admin.toml:2"), std::string::npos) << d.error().message;
}

TEST_F(AdminDefaultsFile, PathFollowsXdgConfigHome) {
  EXPECT_EQ(admin_defaults_path(), dir_ + "/licsat/admin.toml");
}

TEST_F(AdminDefaultsFile, NoFileMeansTheBuiltInDefaults) {
  AdminOptions o;
  ASSERT_TRUE(resolve_admin_options(o));
  EXPECT_EQ(o.server, kDefaultAdminServer);
  EXPECT_EQ(o.user, kDefaultAdminUser);
  EXPECT_EQ(o.ca_file, "");
}

TEST_F(AdminDefaultsFile, FileFillsWhatFlagsLeftAndFlagsWin) {
  write("server = \"https://sat.example:8443\"\nuser = \"netops\"\nca_file = \"/etc/ca.pem\"\n");
  AdminOptions o;
  o.user = "alice";  // given on the command line
  ASSERT_TRUE(resolve_admin_options(o));
  EXPECT_EQ(o.server, "https://sat.example:8443");
  EXPECT_EQ(o.user, "alice");
  EXPECT_EQ(o.ca_file, "/etc/ca.pem");

  AdminOptions insecure;
  insecure.insecure = true;
  ASSERT_TRUE(resolve_admin_options(insecure));
  EXPECT_EQ(insecure.ca_file, "") << "--insecure on the command line wins over the file's ca_file";
}

TEST_F(AdminDefaultsFile, RefusedFileIsAnError) {
  write("server = \"https://x\"\ntimeout = \"5s\"\n");
  AdminOptions o;
  auto r = resolve_admin_options(o);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find(dir_ + "/licsat/admin.toml"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("unknown key 'timeout'"), std::string::npos) << r.error().message;
}

}  // namespace
}  // namespace licsat::cli
