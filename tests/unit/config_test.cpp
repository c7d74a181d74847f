#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "api/app.h"
#include "core/config.h"

using namespace licsat;

TEST(Config, DefaultsMatchTheDesign) {
  auto c = load_server_config(std::nullopt, {});
  ASSERT_TRUE(c);
  EXPECT_EQ(c->listen, "0.0.0.0:8443");
  EXPECT_EQ(c->auth.access_token_ttl, 3600);
  EXPECT_EQ(c->auth.refresh_token_ttl, 14 * 86400);
  EXPECT_EQ(c->auth.password_min_length, 12);
  EXPECT_EQ(c->auth.lockout_threshold, 5);
  EXPECT_EQ(c->upstream.interval, 86400);
}

TEST(Config, FileOverridesDefaultsAndFlagsOverrideFile) {
  ServerConfig c;
  ASSERT_TRUE(apply_config_text(c, R"(
listen = "127.0.0.1:9443"
log_format = "json"
[auth]
access_token_ttl = "2h"
lockout_threshold = 3
[upstream]
url = "https://authority:8443"
accounts = ["acme", "globex"]
interval = "12h"
)", "test.toml"));
  EXPECT_EQ(c.listen, "127.0.0.1:9443");
  EXPECT_EQ(c.auth.access_token_ttl, 7200);
  EXPECT_EQ(c.auth.lockout_threshold, 3);
  EXPECT_EQ(c.upstream.accounts, (std::vector<std::string>{"acme", "globex"}));
  EXPECT_EQ(c.upstream.interval, 12 * 3600);
  ASSERT_TRUE(set_config_key(c, "listen", "0.0.0.0:1"));
  EXPECT_EQ(c.listen, "0.0.0.0:1");
}

TEST(Config, LoadAppliesFlagsAfterFile) {
  char path[] = "/tmp/licsat-config-XXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  std::string text = "listen = \"127.0.0.1:1111\"\ndata = \"/tmp/x\"\n";
  ASSERT_EQ(write(fd, text.data(), text.size()), static_cast<ssize_t>(text.size()));
  close(fd);
  auto c = load_server_config(std::string(path), {{"listen", "127.0.0.1:2222"}});
  unlink(path);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->listen, "127.0.0.1:2222");
  EXPECT_EQ(c->data_dir, "/tmp/x");
}

TEST(Config, UnknownKeyIsAnErrorNamingIt) {
  ServerConfig c;
  auto s = apply_config_text(c, "[auth]\nlockout_treshold = 3\n", "site.toml");
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message.find("auth.lockout_treshold"), std::string::npos);
}

TEST(Config, EveryBadKeyIsReportedAtOnce) {
  ServerConfig c;
  auto s = apply_config_text(c, "lisen = \"x\"\n[auth]\nlockout_treshold = 3\n[tls]\ncert_fiel = \"c\"\n", "site.toml");
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message.find("unknown setting 'lisen'"), std::string::npos) << s.error().message;
  EXPECT_NE(s.error().message.find("unknown setting 'auth.lockout_treshold'"), std::string::npos) << s.error().message;
  EXPECT_NE(s.error().message.find("unknown setting 'tls.cert_fiel'"), std::string::npos) << s.error().message;
}

TEST(Config, SyntaxErrorNamesLine) {
  ServerConfig c;
  auto s = apply_config_text(c, "listen = \n", "site.toml");
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message.find("site.toml:1"), std::string::npos);
}

TEST(Config, BadValuesAreRefused) {
  ServerConfig c;
  EXPECT_FALSE(set_config_key(c, "auth.access_token_ttl", "soon"));
  EXPECT_FALSE(set_config_key(c, "log_format", "xml"));
  EXPECT_FALSE(set_config_key(c, "auth.password_min_length", "4"));
}

TEST(Config, Durations) {
  EXPECT_EQ(*parse_duration("90"), 90);
  EXPECT_EQ(*parse_duration("15m"), 900);
  EXPECT_EQ(*parse_duration("24h"), 86400);
  EXPECT_EQ(*parse_duration("14d"), 14 * 86400);
  EXPECT_FALSE(parse_duration("h"));
  EXPECT_FALSE(parse_duration("-5s"));
}

TEST(Config, UsageHistoryBucketAndRetentionAreDurations) {
  ServerConfig c;
  EXPECT_EQ(c.usage_history.bucket, 3600);
  EXPECT_EQ(c.usage_history.retention, 90 * 86400);
  ASSERT_TRUE(set_config_key(c, "usage_history.bucket", "5m"));
  ASSERT_TRUE(set_config_key(c, "usage_history.retention", "30d"));
  EXPECT_EQ(c.usage_history.bucket, 300);
  EXPECT_EQ(c.usage_history.retention, 30 * 86400);
  auto bad = set_config_key(c, "usage_history.bucket", "0");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("usage_history.bucket"), std::string::npos);
}

TEST(Config, InflightBodyBudgetDefaultsTo256MiBAndIsSetInTheLimitsTable) {
  auto d = load_server_config(std::nullopt, {});
  ASSERT_TRUE(d);
  EXPECT_EQ(d->limits.max_inflight_body_bytes, 256LL * 1024 * 1024);
  ServerConfig c;
  ASSERT_TRUE(apply_config_text(c, "[limits]\nmax_inflight_body_bytes = 1048576\n", "t.toml"));
  EXPECT_EQ(c.limits.max_inflight_body_bytes, 1048576);
  EXPECT_FALSE(set_config_key(c, "limits.max_inflight_body_bytes", "10"));  // below 1024
}

TEST(Config, EventLogRetentionIsADurationAndZeroKeepsEverything) {
  ServerConfig c;
  EXPECT_EQ(c.event_log.retention, 365 * 86400);
  ASSERT_TRUE(set_config_key(c, "event_log.retention", "30d"));
  EXPECT_EQ(c.event_log.retention, 30 * 86400);
  ASSERT_TRUE(set_config_key(c, "event_log.retention", "0"));
  EXPECT_EQ(c.event_log.retention, 0);
  auto bad = set_config_key(c, "event_log.retention", "forever");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("event_log.retention"), std::string::npos);
}

namespace licsat {
namespace {

TEST(Config, DatabasePasswordFileIsReadOnceAndNeverInTheConfiguredUrl) {
  char dir[] = "/tmp/licsat-pwfile-XXXXXX";
  ASSERT_NE(::mkdtemp(dir), nullptr);
  std::string path = std::string(dir) + "/pw";
  std::ofstream(path) << "s3cr:t/pw d\n";
  ::chmod(path.c_str(), 0644);
  auto loose = load_server_config(std::nullopt, {{"database", "postgresql://licsat@db/licsat"},
                                                 {"database_password_file", path}});
  ASSERT_FALSE(loose);
  EXPECT_NE(loose.error().message.find("chmod 600"), std::string::npos) << loose.error().message;

  ::chmod(path.c_str(), 0600);
  auto cfg = load_server_config(std::nullopt, {{"database", "postgresql://licsat@db/licsat"},
                                               {"database_password_file", path}});
  ASSERT_TRUE(cfg) << cfg.error().message;
  EXPECT_EQ(cfg->database_password, "s3cr:t/pw d");  // the line break is not part of it
  EXPECT_EQ(cfg->database, "postgresql://licsat@db/licsat");
  EXPECT_EQ(api::database_url(*cfg), "postgresql://licsat@db/licsat?password=s3cr%3At%2Fpw%20d");
  cfg->database = "postgresql://licsat@db/licsat?sslmode=require";
  EXPECT_EQ(api::database_url(*cfg), "postgresql://licsat@db/licsat?sslmode=require&password=s3cr%3At%2Fpw%20d");

  auto missing = load_server_config(std::nullopt, {{"database_password_file", std::string(dir) + "/none"}});
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("cannot be read"), std::string::npos);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace licsat
