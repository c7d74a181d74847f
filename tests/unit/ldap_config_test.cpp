// The [ldap] section: keys, required settings, the URL's scheme and the bind password file's mode.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "core/config.h"

namespace licsat {
namespace {

class LdapConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/licsat-ldapcfg-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    pw_ = dir_ + "/ldap-password";
    std::ofstream(pw_) << "service-secret\n";
    ::chmod(pw_.c_str(), 0600);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // A complete section, with `extra` lines appended (a later key wins).
  std::string section(const std::string& extra = "") const {
    return "[ldap]\nurl = \"ldap://127.0.0.1:389\"\nbind_dn = \"cn=licsat,dc=example,dc=org\"\n"
           "bind_password_file = \"" +
           pw_ +
           "\"\nuser_base = \"ou=people,dc=example,dc=org\"\n"
           "admin_group = \"cn=admins,ou=groups,dc=example,dc=org\"\n" +
           extra;
  }
  Result<ServerConfig> load(const std::string& toml) const {
    std::string path = dir_ + "/licsat.toml";
    std::ofstream(path, std::ios::trunc) << toml;
    return load_server_config(path, {});
  }

  std::string dir_, pw_;
};

TEST_F(LdapConfigTest, ACompleteSectionIsReadWithItsPasswordAndDefaults) {
  auto c = load(section("viewer_group = \"cn=viewers,dc=example,dc=org\"\nnested_groups = true\ntimeout = \"3s\"\n"));
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_TRUE(c->ldap.configured());
  EXPECT_EQ(c->ldap.bind_password, "service-secret");  // without its line break
  EXPECT_EQ(c->ldap.user_filter, "(uid={user})");
  EXPECT_EQ(c->ldap.viewer_group, "cn=viewers,dc=example,dc=org");
  EXPECT_TRUE(c->ldap.nested_groups);
  EXPECT_FALSE(c->ldap.start_tls);
  EXPECT_EQ(c->ldap.timeout, 3);
}

TEST_F(LdapConfigTest, WithoutTheSectionThereIsNoDirectory) {
  auto c = load_server_config(std::nullopt, {});
  ASSERT_TRUE(c);
  EXPECT_FALSE(c->ldap.configured());
  EXPECT_EQ(c->ldap.timeout, 5);
}

TEST_F(LdapConfigTest, TheUrlMustBeLdapOrLdaps) {
  // A TOML key may not be set twice: each URL is the section's only one.
  auto bad = load("[ldap]\nurl = \"https://dc.example.org\"\nbind_dn = \"cn=x\"\nbind_password_file = \"" + pw_ +
                  "\"\nuser_base = \"dc=x\"\nadmin_group = \"cn=a\"\n");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("ldap:// or ldaps://"), std::string::npos) << bad.error().message;
  auto ldaps = load("[ldap]\nurl = \"ldaps://dc.example.org\"\nbind_dn = \"cn=x\"\nbind_password_file = \"" + pw_ +
                    "\"\nuser_base = \"dc=x\"\nadmin_group = \"cn=a\"\n");
  EXPECT_TRUE(ldaps) << ldaps.error().message;
}

TEST_F(LdapConfigTest, StartTlsOnLdapsIsRefused) {
  auto c =
      load("[ldap]\nurl = \"ldaps://dc.example.org\"\nstart_tls = true\nbind_dn = \"cn=x\"\nbind_password_file = \"" +
           pw_ + "\"\nuser_base = \"dc=x\"\nadmin_group = \"cn=a\"\n");
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().message.find("start_tls"), std::string::npos) << c.error().message;
}

TEST_F(LdapConfigTest, EveryMissingRequiredKeyIsNamedAtOnce) {
  auto c = load("[ldap]\nurl = \"ldap://127.0.0.1\"\n");
  ASSERT_FALSE(c);
  for (const char* key : {"ldap.bind_dn", "ldap.bind_password_file", "ldap.user_base", "ldap.admin_group"})
    EXPECT_NE(c.error().message.find(key), std::string::npos) << key << ": " << c.error().message;
}

TEST_F(LdapConfigTest, TheUserFilterMustHoldThePlaceholderInParentheses) {
  auto none = load(section("user_filter = \"(uid=alice)\"\n"));
  ASSERT_FALSE(none);
  EXPECT_NE(none.error().message.find("{user}"), std::string::npos) << none.error().message;
  auto bare = load(section("user_filter = \"uid={user}\"\n"));
  ASSERT_FALSE(bare);
  EXPECT_NE(bare.error().message.find("parentheses"), std::string::npos) << bare.error().message;
}

TEST_F(LdapConfigTest, ABindPasswordFileOthersCanReadIsRefused) {
  for (mode_t mode : {0640, 0604, 0644}) {
    ::chmod(pw_.c_str(), mode);
    auto c = load(section());
    ASSERT_FALSE(c) << std::oct << mode;
    EXPECT_NE(c.error().message.find("ldap.bind_password_file"), std::string::npos) << c.error().message;
    EXPECT_NE(c.error().message.find("chmod 600"), std::string::npos) << c.error().message;
  }
  ::chmod(pw_.c_str(), 0400);
  EXPECT_TRUE(load(section()));
}

TEST_F(LdapConfigTest, AnUnreadableCaFileAndABadTimeoutAreRefused) {
  auto ca = load(section("ca_file = \"" + dir_ + "/no-such-ca.pem\"\n"));
  ASSERT_FALSE(ca);
  EXPECT_NE(ca.error().message.find("ldap.ca_file"), std::string::npos) << ca.error().message;
  auto t = load(section("timeout = \"0s\"\n"));
  ASSERT_FALSE(t);
  EXPECT_NE(t.error().message.find("ldap.timeout"), std::string::npos) << t.error().message;
}

TEST_F(LdapConfigTest, SettingsWithoutAUrlAndUnknownKeysAreErrors) {
  auto half = load("[ldap]\nbind_dn = \"cn=x\"\n");
  ASSERT_FALSE(half);
  EXPECT_NE(half.error().message.find("'ldap.url' is not"), std::string::npos) << half.error().message;
  auto typo = load(section("admin_groups = \"cn=a\"\n"));
  ASSERT_FALSE(typo);
  EXPECT_NE(typo.error().message.find("ldap.admin_groups"), std::string::npos) << typo.error().message;
}

}  // namespace
}  // namespace licsat
