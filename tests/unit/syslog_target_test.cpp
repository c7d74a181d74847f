// Syslog target URLs ([event_log] syslog): what parses, and errors that say what is wrong.
#include <gtest/gtest.h>

#include "core/config.h"
#include "core/syslog_target.h"

namespace licsat::syslog {
namespace {

TEST(SyslogTarget, ParsesEachTransportHostAndPort) {
  auto u = parse_target("udp://127.0.0.1:514");
  ASSERT_TRUE(u) << u.error().message;
  EXPECT_EQ(u->transport, Transport::kUdp);
  EXPECT_EQ(u->host, "127.0.0.1");
  EXPECT_EQ(u->port, 514);
  auto t = parse_target("tcp://logs.example.org:601");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->transport, Transport::kTcp);
  EXPECT_EQ(t->host, "logs.example.org");
  auto s = parse_target("tls://[::1]:6514");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->transport, Transport::kTls);
  EXPECT_EQ(s->host, "::1");
  EXPECT_EQ(s->port, 6514);
}

TEST(SyslogTarget, RefusesWhatIsNotSchemeHostPortWithAReason) {
  const std::pair<const char*, const char*> cases[] = {
      {"127.0.0.1:514", "no scheme"},
      {"http://h:514", "unknown scheme 'http'"},
      {"udp://h", "no port"},
      {"udp://:514", "no host"},
      {"udp://h:0", "port '0'"},
      {"udp://h:65536", "port '65536'"},
      {"udp://h:51x", "port '51x'"},
      {"udp://::1:514", "brackets"},
      {"tcp://[::1:514", "unclosed"},
      {"tcp://h:514/path", "only HOST:PORT"},
      {"tcp://user@h:514", "only HOST:PORT"},
      {"ftp://h:1", "expected udp://HOST:PORT, tcp://HOST:PORT or tls://HOST:PORT"},
  };
  for (const auto& [url, why] : cases) {
    auto r = parse_target(url);
    ASSERT_FALSE(r) << url;
    EXPECT_NE(r.error().message.find(why), std::string::npos) << url << ": " << r.error().message;
  }
}

TEST(SyslogTarget, ConfigTakesAListOrOneStringAndNamesTheKeyOnError) {
  ServerConfig c;
  ASSERT_TRUE(apply_config_text(c, R"(
[event_log]
syslog = ["udp://127.0.0.1:514", "tls://logs:6514"]
syslog_ca_file = "/etc/licsat/syslog-ca.pem"
syslog_queue = 500
)", "t.toml"));
  EXPECT_EQ(c.event_log.syslog, (std::vector<std::string>{"udp://127.0.0.1:514", "tls://logs:6514"}));
  EXPECT_EQ(c.event_log.syslog_ca_file, "/etc/licsat/syslog-ca.pem");
  EXPECT_EQ(c.event_log.syslog_queue, 500);

  ServerConfig one;
  ASSERT_TRUE(apply_config_text(one, "[event_log]\nsyslog = \"tcp://h:601\"\n", "t.toml"));
  EXPECT_EQ(one.event_log.syslog, (std::vector<std::string>{"tcp://h:601"}));
  ServerConfig none;
  ASSERT_TRUE(apply_config_text(none, "[event_log]\nsyslog = \"\"\n", "t.toml"));
  EXPECT_TRUE(none.event_log.syslog.empty());

  ServerConfig bad;
  auto s = apply_config_text(bad, "[event_log]\nsyslog = [\"udp://h:514\", \"tcp://h\"]\n", "t.toml");
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message.find("t.toml: setting 'event_log.syslog': syslog target 'tcp://h': no port"),
            std::string::npos)
      << s.error().message;
  EXPECT_FALSE(apply_config_text(bad, "[event_log]\nsyslog_queue = 0\n", "t.toml"));
}

}  // namespace
}  // namespace licsat::syslog
