// The manager's settings file: the flags' names, top level or under [manager]; typos and passwords
// in files are refused.
#include <gtest/gtest.h>

#include "manager/settings.h"

namespace licsat::manager {
namespace {

TEST(ManagerSettings, TomlKeysUseTheFlagsNames) {
  ManagerSettings s;
  auto st = apply_manager_config_text(s, R"(
mode = "online"
server = "https://authority.example:8443"
client-id = "abc"
client_secret = "xyz"
[manager]
username = "netops"
insecure = true
interval = "15m"
retry_min = "2s"
)",
                                      "manager.toml");
  ASSERT_TRUE(st) << st.error().message;
  EXPECT_EQ(s.mode, "online");
  EXPECT_EQ(s.server, "https://authority.example:8443");
  EXPECT_EQ(s.client_id, "abc");
  EXPECT_EQ(s.client_secret, "xyz");
  EXPECT_EQ(s.username, "netops");
  EXPECT_TRUE(s.insecure);
  EXPECT_EQ(s.interval, 900);
  EXPECT_EQ(s.retry_min, 2);
}

TEST(ManagerSettings, UnknownKeysBadValuesAndPasswordsAreRefused) {
  ManagerSettings s;
  auto typo = apply_manager_config_text(s, "sever = \"https://x\"\n", "m.toml");
  ASSERT_FALSE(typo);
  EXPECT_NE(typo.error().message.find("unknown setting 'sever'"), std::string::npos);
  auto mode = apply_manager_config_text(s, "mode = \"cloud\"\n", "m.toml");
  ASSERT_FALSE(mode);
  EXPECT_NE(mode.error().message.find("online, onprem or offline"), std::string::npos);
  auto pw = apply_manager_config_text(s, "password = \"secret\"\n", "m.toml");
  ASSERT_FALSE(pw);
  EXPECT_NE(pw.error().message.find("LICSAT_PASSWORD"), std::string::npos);
  auto syntax = apply_manager_config_text(s, "server = \n", "m.toml");
  ASSERT_FALSE(syntax);
  EXPECT_NE(syntax.error().message.find("m.toml:1"), std::string::npos) << syntax.error().message;
}

TEST(ManagerSettings, NetworkCommandsNeedServerGrantAndPassword) {
  ManagerSettings s;
  EXPECT_FALSE(check_for_network(s));
  s.server = "https://sat:8443";
  auto no_grant = check_for_network(s);
  ASSERT_FALSE(no_grant);
  EXPECT_NE(no_grant.error().message.find("API Tool Kit"), std::string::npos);
  s.client_id = "id";
  s.client_secret = "secret";
  s.username = "netops";
  auto no_pw = check_for_network(s);
  ASSERT_FALSE(no_pw);
  EXPECT_NE(no_pw.error().message.find("LICSAT_PASSWORD"), std::string::npos);
  s.password = "pw";
  EXPECT_TRUE(check_for_network(s));
  s.mode = "offline";
  EXPECT_FALSE(check_for_network(s));
}

}  // namespace
}  // namespace licsat::manager
