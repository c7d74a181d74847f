// The Event Log to syslog, end to end: a REAL rsyslogd (Debian's) started by the test on loopback
// ports (imudp, imtcp, imtcp over TLS with the ossl driver) writes what it receives to a file; an
// action on licsat (a refused token, an admin change) must appear there with its structured data.
// And with the syslog target down, requests still succeed while drops are counted.
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <functional>
#include <sstream>
#include <thread>

#include "harness.h"

namespace licsat::e2e {
namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Waits (30 s at most, a failure bound only) until `done` holds.
bool await(const std::function<bool()>& done) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return done();
}

bool rsyslog_installed() { return ::access("/usr/sbin/rsyslogd", X_OK) == 0; }
bool rsyslog_has_ossl() { return ::access("/usr/lib/x86_64-linux-gnu/rsyslog/lmnsd_ossl.so", R_OK) == 0; }

std::string hostname() {
  char h[256] = {};
  ::gethostname(h, sizeof h - 1);
  return h;
}

// A free loopback port of `type`, closed again. imudp cannot bind port 0 and report it (imtcp
// can), so a UDP port is found here and handed over: a window another process could use.
int free_port(int type) {
  int fd = ::socket(AF_INET, type, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

// rsyslogd in the foreground on a generated config, writing every message it receives to
// DIR/out.log as "INPUT PRI HOSTNAME APP-NAME PROCID MSGID STRUCTURED-DATA MSG".
class Rsyslog {
 public:
  enum class Mode { kUdpAndTcp, kTls };

  explicit Rsyslog(Mode mode) : mode_(mode) {
    std::string d = dir_.path();
    std::string conf = "global(workDirectory=\"" + d + "\"";
    if (mode == Mode::kTls) {
      auto gen = run_command("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 "
                             "-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 -keyout " + d +
                             "/key.pem -out " + d + "/cert.pem");
      EXPECT_EQ(gen.exit_code, 0) << gen.output;
      conf += " DefaultNetstreamDriverCAFile=\"" + d + "/cert.pem\" DefaultNetstreamDriverCertFile=\"" + d +
              "/cert.pem\" DefaultNetstreamDriverKeyFile=\"" + d + "/key.pem\"";
    }
    conf += ")\n";
    if (mode == Mode::kTls) {
      conf += "module(load=\"imtcp\" StreamDriver.Name=\"ossl\" StreamDriver.Mode=\"1\" StreamDriver.AuthMode=\"anon\")\n";
    } else {
      udp_port_ = free_port(SOCK_DGRAM);
      conf += "module(load=\"imudp\")\nmodule(load=\"imtcp\")\n";
      conf += "input(type=\"imudp\" address=\"127.0.0.1\" port=\"" + std::to_string(udp_port_) + "\")\n";
    }
    conf += "input(type=\"imtcp\" address=\"127.0.0.1\" port=\"0\" listenPortFileName=\"" + d + "/tcp.port\")\n";
    conf += "template(name=\"t\" type=\"string\" string=\"%inputname% %pri% %hostname% %app-name% %procid% %msgid% "
            "%structured-data% %msg%\\n\")\n";
    conf += "action(type=\"omfile\" file=\"" + out() + "\" template=\"t\")\n";
    std::ofstream(d + "/rsyslog.conf") << conf;

    pid_ = fork();
    if (pid_ == 0) {
      std::string log = d + "/rsyslogd.log";
      FILE* lf = std::fopen(log.c_str(), "ab");
      if (lf) {
        dup2(fileno(lf), 1);
        dup2(fileno(lf), 2);
      }
      std::string cf = d + "/rsyslog.conf", pf = d + "/rsyslogd.pid";
      execl("/usr/sbin/rsyslogd", "rsyslogd", "-n", "-f", cf.c_str(), "-i", pf.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    bool listening = await([&] {
      std::ifstream pf(d + "/tcp.port");
      return static_cast<bool>(pf >> tcp_port_) && tcp_port_ > 0;
    });
    EXPECT_TRUE(listening) << "rsyslogd did not start:\n" << read_file(d + "/rsyslogd.log");
  }

  ~Rsyslog() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      int status = 0;
      ::waitpid(pid_, &status, 0);
    }
  }

  std::string out() const { return dir_.path() + "/out.log"; }
  std::string received() const { return read_file(out()); }
  std::string ca_file() const { return dir_.path() + "/cert.pem"; }
  int tcp_port() const { return tcp_port_; }
  int udp_port() const { return udp_port_; }

  // Lines received that contain every one of `parts`.
  std::vector<std::string> lines_with(const std::vector<std::string>& parts) const {
    std::vector<std::string> found;
    std::istringstream in(received());
    for (std::string line; std::getline(in, line);) {
      bool all = true;
      for (const auto& p : parts) all = all && line.find(p) != std::string::npos;
      if (all) found.push_back(line);
    }
    return found;
  }

 private:
  Mode mode_;
  TempDir dir_;
  pid_t pid_ = -1;
  int tcp_port_ = 0;
  int udp_port_ = 0;
};

// A licsat server whose config file sends the Event Log to `targets`.
Server server_with_syslog(const TempDir& dir, const std::string& event_log_table) {
  std::string path = dir.path() + "/licsat.toml";
  std::ofstream(path) << "[event_log]\n" << event_log_table;
  return Server({"--config", path});
}

Reply refused_token(const Server& s, const std::string& client_id) {
  RequestOptions o;
  o.content_type = "application/x-www-form-urlencoded";
  return s.post("/oauth/token", "grant_type=client_credentials&client_id=" + client_id + "&client_secret=wrong", o);
}

TEST(Syslog, ARefusedTokenAndAnAdminChangeReachRsyslogOverUdpAndTcp) {
  if (!rsyslog_installed()) GTEST_SKIP() << "rsyslogd not installed (scripts/install-deps.sh)";
  Rsyslog rs(Rsyslog::Mode::kUdpAndTcp);
  ASSERT_GT(rs.tcp_port(), 0);
  TempDir cfg;
  std::string table = "syslog = [\"udp://127.0.0.1:" + std::to_string(rs.udp_port()) + "\", \"tcp://127.0.0.1:" +
                      std::to_string(rs.tcp_port()) + "\"]\n";
  Server s = server_with_syslog(cfg, table);
  s.start();

  // imudp has no "listening" signal: wait until an event sent over UDP arrives (an event sent
  // before rsyslogd bound its port is lost, as UDP syslog may lose any message).
  // One probe a second at most: refusals per address are throttled.
  int polls = 0;
  ASSERT_TRUE(await([&] {
    if (polls++ % 20 == 0) {
      EXPECT_EQ(refused_token(s, "udp-probe-" + std::to_string(polls)).status, 401);
    }
    // Names that match no grant are kept as a prefix and a keyed fingerprint: "ud…#<8 hex>".
    return !rs.lines_with({"imudp ", "actor=\"ud…#"}).empty();
  })) << rs.received();

  EXPECT_EQ(refused_token(s, "nosuch-client").status, 401);
  std::string admin = s.login();
  s.create_user("auditor", "viewer", "auditor-password-1", admin);
  // A Client Credentials token: its event is written with the token, in a group commit.
  auto grant = s.create_grant("syslog-cc", "client_credentials", admin);
  std::string cc_id = grant.value("client_id", "");
  RequestOptions form;
  form.content_type = "application/x-www-form-urlencoded";
  EXPECT_EQ(s.post("/oauth/token", "grant_type=client_credentials&client_id=" + cc_id +
                                       "&client_secret=" + grant.value("client_secret", ""), form)
                .status,
            200);

  std::string node = hostname();
  for (std::string input : {"imudp", "imtcp"}) {
    ASSERT_TRUE(await([&] { return !rs.lines_with({input + " ", "actor=\"nos…#"}).empty(); }))
        << input << " never got the refused token:\n" << rs.received();
    std::string line = rs.lines_with({input + " ", "actor=\"nos…#"}).front();
    // <36>: facility auth (4), severity warning (4) for a failure.
    EXPECT_EQ(line.rfind(input + " 36 " + node + " licsat " + std::to_string(s.pid()) + " token.issue [licsat@32473 "
                                                                                           "action=\"token.issue\" "
                                                                                           "outcome=\"failure\" "
                                                                                           "actor=\"nos…#",
                         0),
              0u)
        << line;
    EXPECT_NE(line.find("\" source=\"127.0.0.1\" node=\"" + node + "\"]"), std::string::npos) << line;
    EXPECT_EQ(line.find("nosuch-client"), std::string::npos) << line;  // never the name itself
    // An admin change is written with its event in one transaction by the store: it is sent too.
    ASSERT_TRUE(await([&] { return !rs.lines_with({input + " ", " user.create [", "outcome=\"success\"",
                                                   "actor=\"admin\""}).empty(); }))
        << input << " never got user.create:\n" << rs.received();
    // The admin's login goes through the Event Log's batched writer (every 200 ms), so it may
    // arrive after the user.create written with its change: awaited, not read at once.
    EXPECT_TRUE(await([&] { return !rs.lines_with({input + " ", " token.issue [", "outcome=\"success\"",
                                                   "actor=\"admin\""}).empty(); }))
        << rs.received();
    ASSERT_TRUE(await([&] { return !rs.lines_with({input + " 37 ", " token.issue [", "outcome=\"success\"",
                                                   "actor=\"" + cc_id + "\""}).empty(); }))
        << input << " never got the client credentials token:\n" << rs.received();
  }
}

TEST(Syslog, EventsReachRsyslogOverTlsVerifiedWithTheConfiguredCa) {
  if (!rsyslog_installed() || !rsyslog_has_ossl())
    GTEST_SKIP() << "rsyslogd or its ossl driver (rsyslog-openssl) not installed (scripts/install-deps.sh)";
  Rsyslog rs(Rsyslog::Mode::kTls);
  ASSERT_GT(rs.tcp_port(), 0);
  TempDir cfg;
  Server s = server_with_syslog(cfg, "syslog = \"tls://127.0.0.1:" + std::to_string(rs.tcp_port()) +
                                         "\"\nsyslog_ca_file = \"" + rs.ca_file() + "\"\n");
  s.start();
  EXPECT_EQ(refused_token(s, "tls-refused").status, 401);
  ASSERT_TRUE(await([&] { return !rs.lines_with({"imtcp 36 ", " token.issue [", "actor=\"tl…#"}).empty(); }))
      << rs.received() << "\n" << s.log();
}

TEST(Syslog, AnUntrustedTlsReceiverGetsNothingAndTheLogSaysWhy) {
  if (!rsyslog_installed() || !rsyslog_has_ossl()) GTEST_SKIP() << "rsyslogd or its ossl driver not installed";
  Rsyslog rs(Rsyslog::Mode::kTls);
  ASSERT_GT(rs.tcp_port(), 0);
  TempDir cfg;
  // The server's own certificate as the CA: it did not sign rsyslogd's.
  Server s = server_with_syslog(cfg, "syslog = \"tls://127.0.0.1:" + std::to_string(rs.tcp_port()) + "\"\n");
  s.start();
  EXPECT_EQ(refused_token(s, "untrusted").status, 401);
  ASSERT_TRUE(await([&] { return s.log().find("certificate not trusted") != std::string::npos; })) << s.log();
  EXPECT_TRUE(rs.lines_with({"token.issue"}).empty());
}

TEST(Syslog, WithTheTargetDownRequestsSucceedAndDropsAreCounted) {
  // A TCP port nothing listens on: every connection is refused.
  int closed_port = free_port(SOCK_STREAM);
  TempDir cfg;
  Server s = server_with_syslog(cfg, "syslog = \"tcp://127.0.0.1:" + std::to_string(closed_port) +
                                         "\"\nsyslog_queue = 2\n");
  s.start();
  std::string admin = s.login();
  RequestOptions as_admin;
  as_admin.bearer = admin;
  for (int i = 0; i < 5; ++i) EXPECT_EQ(refused_token(s, "down-" + std::to_string(i)).status, 401);
  s.create_user("still-works", "viewer", "still-works-password", admin);
  EXPECT_EQ(s.get("/api/v1/admin/users", as_admin).status, 200);
  ASSERT_TRUE(await([&] { return s.log().find("syslog queue full: dropping the newest events") != std::string::npos; }))
      << s.log();
  EXPECT_NE(s.log().find("syslog target unreachable"), std::string::npos) << s.log();
  // The Event Log itself keeps every event.
  auto events = s.get("/api/v1/admin/events?action=token.issue&outcome=failure", as_admin);
  ASSERT_EQ(events.status, 200) << events.body;
  size_t refused = 0;  // "down-0" … "down-4", each kept as "d…#<fingerprint>"
  for (size_t at = events.body.find("d…#"); at != std::string::npos; at = events.body.find("d…#", at + 1)) ++refused;
  EXPECT_GE(refused, 5u) << events.body;
  EXPECT_EQ(s.stop(), 0);
}

}  // namespace
}  // namespace licsat::e2e
