// The syslog sender (core/syslog_sink.h) against loopback sockets: UDP datagrams, TCP octet
// counting, a target that is down (the queue keeps the oldest, drops and counts the newest, and
// submit() returns at once) and the reconnection that delivers what waited.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/syslog_sink.h"

namespace licsat::syslog {
namespace {

constexpr int kWaitMs = 30000;  // a failure bound only: every wait returns as soon as data comes

// A loopback socket of `type` bound to `port` (0: any free port); -1 when the bind fails.
int bound_socket(int type, uint16_t port = 0) {
  int fd = ::socket(AF_INET, type | SOCK_CLOEXEC, 0);
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(port);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return -1;
  }
  if (type == SOCK_STREAM) ::listen(fd, 8);
  return fd;
}

uint16_t port_of(int fd) {
  sockaddr_in a{};
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  return ntohs(a.sin_port);
}

bool readable(int fd) {
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, kWaitMs) == 1;
}

// Reads `count` octet-counted frames from a connected stream socket.
std::vector<std::string> read_frames(int fd, size_t count) {
  std::vector<std::string> out;
  std::string buf;
  while (out.size() < count) {
    size_t sp = buf.find(' ');
    if (sp != std::string::npos) {
      size_t len = std::stoul(buf.substr(0, sp));
      if (buf.size() >= sp + 1 + len) {
        out.push_back(buf.substr(sp + 1, len));
        buf.erase(0, sp + 1 + len);
        continue;
      }
    }
    if (!readable(fd)) break;
    char chunk[4096];
    ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
    if (n <= 0) break;
    buf.append(chunk, static_cast<size_t>(n));
  }
  return out;
}

Record event(int n) {
  Record r;
  r.time = 1'800'000'000 + n;
  r.hostname = "node-a";
  r.procid = 7;
  r.action = "token.issue";
  r.outcome = "failure";
  r.actor = "client-" + std::to_string(n);
  r.source = "127.0.0.1";
  r.detail = "unknown client";
  return r;
}

SinkOptions options(const std::string& url, size_t capacity = 100) {
  SinkOptions o;
  auto t = parse_target(url);
  EXPECT_TRUE(t) << url;
  o.targets.push_back(*t);
  o.queue_capacity = capacity;
  o.min_backoff_ms = 20;
  o.max_backoff_ms = 200;
  return o;
}

TEST(SyslogSink, UdpSendsOneDatagramPerMessage) {
  int rx = bound_socket(SOCK_DGRAM);
  ASSERT_GE(rx, 0);
  auto sink = Sink::start(options("udp://127.0.0.1:" + std::to_string(port_of(rx))));
  ASSERT_TRUE(sink) << sink.error().message;
  (*sink)->submit(event(1));
  (*sink)->submit(event(2));
  for (int n : {1, 2}) {
    ASSERT_TRUE(readable(rx));
    char buf[4096];
    ssize_t got = ::recv(rx, buf, sizeof buf, 0);
    ASSERT_GT(got, 0);
    EXPECT_EQ(std::string(buf, static_cast<size_t>(got)), format_message(event(n)));
  }
  ::close(rx);
}

TEST(SyslogSink, TcpSendsOctetCountedFramesInOrder) {
  int listener = bound_socket(SOCK_STREAM);
  ASSERT_GE(listener, 0);
  auto sink = Sink::start(options("tcp://127.0.0.1:" + std::to_string(port_of(listener))));
  ASSERT_TRUE(sink);
  for (int n = 1; n <= 3; ++n) (*sink)->submit(event(n));
  ASSERT_TRUE(readable(listener));
  int conn = ::accept(listener, nullptr, nullptr);
  ASSERT_GE(conn, 0);
  auto frames = read_frames(conn, 3);
  ASSERT_EQ(frames.size(), 3u);
  for (int n = 1; n <= 3; ++n) EXPECT_EQ(frames[n - 1], format_message(event(n)));
  ::close(conn);
  ::close(listener);
}

TEST(SyslogSink, ATargetDownKeepsTheOldestDropsTheNewestAndDeliversOnceBack) {
  // A port nothing listens on (yet): connections are refused.
  int probe = bound_socket(SOCK_STREAM);
  ASSERT_GE(probe, 0);
  uint16_t port = port_of(probe);
  ::close(probe);
  auto sink = Sink::start(options("tcp://127.0.0.1:" + std::to_string(port), 2));
  ASSERT_TRUE(sink);
  for (int n = 1; n <= 5; ++n) (*sink)->submit(event(n));  // returns at once, target or not
  EXPECT_EQ((*sink)->depth(), 2u);
  EXPECT_EQ((*sink)->dropped(), 3u);
  EXPECT_EQ((*sink)->sent(), 0u);

  int listener = bound_socket(SOCK_STREAM, port);
  if (listener < 0) GTEST_SKIP() << "port " << port << " was taken meanwhile";
  ASSERT_TRUE(readable(listener));  // the sender's retry connects
  int conn = ::accept(listener, nullptr, nullptr);
  ASSERT_GE(conn, 0);
  auto frames = read_frames(conn, 2);
  ASSERT_EQ(frames.size(), 2u);
  EXPECT_EQ(frames[0], format_message(event(1)));
  EXPECT_EQ(frames[1], format_message(event(2)));
  ::close(conn);
  ::close(listener);
}

TEST(SyslogSink, TlsWithAnUnreadableCaFileIsAnErrorAtStart) {
  SinkOptions o = options("tls://127.0.0.1:6514");
  o.ca_file = "/nonexistent/ca.pem";
  auto sink = Sink::start(o);
  ASSERT_FALSE(sink);
  EXPECT_NE(sink.error().message.find("event_log.syslog_ca_file"), std::string::npos) << sink.error().message;
}

}  // namespace
}  // namespace licsat::syslog
