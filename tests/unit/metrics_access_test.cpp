// Who may read /metrics: CIDR ranges (IPv4, IPv6, IPv4-mapped peers), the local host always,
// and a bearer token compared as a keyed hash; bad ranges and token files are refused.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <unistd.h>

#include "api/metrics_access.h"
#include "api/metrics_access_config.h"
#include "core/cidr.h"
#include "core/config.h"

namespace licsat {
namespace {

TEST(Cidr, Ipv4RangesMatchByPrefix) {
  auto c = Cidr::parse("10.1.0.0/16");
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_TRUE(c->contains("10.1.0.1"));
  EXPECT_TRUE(c->contains("10.1.255.255"));
  EXPECT_FALSE(c->contains("10.2.0.1"));
  EXPECT_FALSE(c->contains("::1"));
  EXPECT_FALSE(c->contains("not an address"));
  auto odd = Cidr::parse("192.168.1.128/25");
  ASSERT_TRUE(odd);
  EXPECT_TRUE(odd->contains("192.168.1.200"));
  EXPECT_FALSE(odd->contains("192.168.1.127"));
}

TEST(Cidr, AnAddressAloneIsOneAddressAndSlashZeroIsEverything) {
  auto one = Cidr::parse("192.0.2.7");
  ASSERT_TRUE(one);
  EXPECT_TRUE(one->contains("192.0.2.7"));
  EXPECT_FALSE(one->contains("192.0.2.8"));
  auto all = Cidr::parse("0.0.0.0/0");
  ASSERT_TRUE(all);
  EXPECT_TRUE(all->contains("203.0.113.9"));
  EXPECT_FALSE(all->contains("2001:db8::1"));  // IPv4 ranges do not cover IPv6 peers
}

TEST(Cidr, Ipv6RangesAndIpv4MappedPeers) {
  auto c = Cidr::parse("2001:db8:aa::/48");
  ASSERT_TRUE(c);
  EXPECT_TRUE(c->contains("2001:db8:aa:1::5"));
  EXPECT_FALSE(c->contains("2001:db8:ab::5"));
  auto v4 = Cidr::parse("198.51.100.0/24");
  ASSERT_TRUE(v4);
  EXPECT_TRUE(v4->contains("::ffff:198.51.100.20"));  // a peer on a dual-stack socket
  auto mapped = Cidr::parse("::ffff:198.51.100.0/120");
  ASSERT_TRUE(mapped);
  EXPECT_TRUE(mapped->contains("198.51.100.3"));
  EXPECT_FALSE(mapped->contains("198.51.101.3"));
}

TEST(Cidr, BadRangesAreErrorsNamingTheText) {
  for (const char* bad : {"10.0.0.0/33", "10.0.0.0/", "10.0.0/8", "2001:db8::/129", "host.example", "10.0.0.0/-1",
                          "10.0.0.0/8x", ""}) {
    auto c = Cidr::parse(bad);
    ASSERT_FALSE(c) << bad;
    EXPECT_NE(c.error().message.find(std::string("'") + bad + "'"), std::string::npos) << c.error().message;
  }
}

TEST(Cidr, LoopbackIsTheLocalHostOnly) {
  EXPECT_TRUE(is_loopback("127.0.0.1"));
  EXPECT_TRUE(is_loopback("127.3.2.1"));
  EXPECT_TRUE(is_loopback("::1"));
  EXPECT_TRUE(is_loopback("::ffff:127.0.0.1"));
  EXPECT_FALSE(is_loopback("10.0.0.1"));
  EXPECT_FALSE(is_loopback("::2"));
  EXPECT_FALSE(is_loopback("unknown"));
}

TEST(MetricsConfig, TheConfigLoaderChecksTheMetricsKeysAndNamesABadRange) {
  ServerConfig cfg;
  EXPECT_TRUE(apply_config_text(cfg, "[metrics]\nallow = [\"10.0.0.0/8\", \"2001:db8::/32\"]\ntoken_file = \"/x\"\n", "t"));
  ServerConfig bad;
  auto s = apply_config_text(bad, "[metrics]\nallow = [\"10.0.0.0/40\"]\n", "t");
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message.find("metrics.allow"), std::string::npos) << s.error().message;
  EXPECT_NE(s.error().message.find("10.0.0.0/40"), std::string::npos) << s.error().message;
  EXPECT_FALSE(apply_config_text(bad, "[metrics]\nallw = [\"10.0.0.0/8\"]\n", "t"));  // a typo is an error
}

class MetricsAccessTest : public ::testing::Test {
 protected:
  std::string write_token(const std::string& text) {
    auto path = std::filesystem::temp_directory_path() / ("licsat-metrics-token-" + std::to_string(::getpid()));
    std::ofstream(path) << text;
    files_.push_back(path);
    return path.string();
  }
  void TearDown() override {
    for (const auto& f : files_) std::filesystem::remove(f);
  }
  std::vector<std::filesystem::path> files_;
};

TEST_F(MetricsAccessTest, LocalHostAndAllowedRangesReadOthersAreRefusedWithAReason) {
  auto a = api::MetricsAccess::load({"192.0.2.0/24"}, "", "key");
  ASSERT_TRUE(a) << a.error().message;
  EXPECT_FALSE(a->refusal("127.0.0.1", std::nullopt));
  EXPECT_FALSE(a->refusal("::1", std::nullopt));
  EXPECT_FALSE(a->refusal("192.0.2.99", std::nullopt));
  auto why = a->refusal("198.51.100.1", std::nullopt);
  ASSERT_TRUE(why);
  EXPECT_NE(why->find("metrics.allow"), std::string::npos);
  // A token where none is configured opens nothing.
  EXPECT_TRUE(a->refusal("198.51.100.1", "Bearer whatever-it-is-long-enough"));
}

TEST_F(MetricsAccessTest, TheBearerTokenOfTheTokenFileOpensItFromAnywhere) {
  auto a = api::MetricsAccess::load({}, write_token("s3cret-scrape-token-0123456789\n"), "key");
  ASSERT_TRUE(a) << a.error().message;
  EXPECT_FALSE(a->refusal("203.0.113.5", "Bearer s3cret-scrape-token-0123456789"));
  EXPECT_EQ(a->refusal("203.0.113.5", "Bearer s3cret-scrape-token-012345678"), "wrong metrics bearer token");
  EXPECT_EQ(a->refusal("203.0.113.5", "Basic czNjcmV0"), "the Authorization header is not a bearer token");
  EXPECT_TRUE(a->refusal("203.0.113.5", std::nullopt));
}

TEST_F(MetricsAccessTest, TheConfigFileGivesTheRangesAndTheTokenNoFileIsTheLocalHostOnly) {
  auto local = api::metrics_access_from_config_file(std::nullopt, "key");
  ASSERT_TRUE(local);
  EXPECT_FALSE(local->refusal("::1", std::nullopt));
  EXPECT_TRUE(local->refusal("192.0.2.1", std::nullopt));
  std::string token = write_token("another-scrape-token-abcdef\n");
  std::string conf = token + ".toml";
  files_.push_back(conf);
  std::ofstream(conf) << "listen = \"127.0.0.1:0\"\n[metrics]\nallow = [\"192.0.2.0/28\"]\ntoken_file = \"" << token
                      << "\"\n";
  auto a = api::metrics_access_from_config_file(conf, "key");
  ASSERT_TRUE(a) << a.error().message;
  EXPECT_FALSE(a->refusal("192.0.2.15", std::nullopt));
  EXPECT_TRUE(a->refusal("192.0.2.16", std::nullopt));
  EXPECT_FALSE(a->refusal("192.0.2.16", "Bearer another-scrape-token-abcdef"));
}

TEST_F(MetricsAccessTest, AMissingOrShortTokenFileIsAnErrorNamingIt) {
  auto a = api::MetricsAccess::load({}, "/nonexistent/licsat-token", "key");
  ASSERT_FALSE(a);
  EXPECT_NE(a.error().message.find("/nonexistent/licsat-token"), std::string::npos);
  auto b = api::MetricsAccess::load({}, write_token("short\n"), "key");
  ASSERT_FALSE(b);
  EXPECT_NE(b.error().message.find("at least 16"), std::string::npos);
}

}  // namespace
}  // namespace licsat
