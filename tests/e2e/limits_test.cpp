// Connection floods and slow clients: hundreds of connections that send half a request and stall,
// and a flood of connections that send nothing at all, do not starve a client that is being
// served; the server closes every one of them once its read deadline has passed.
// (Server.SlowClientIsCutOffWith408 in server_test.cpp covers one slow client's 408.)
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <thread>

#include "harness.h"

namespace licsat::e2e {
namespace {

using SteadyClock = std::chrono::steady_clock;

int tcp_connect(int port) {
  int s = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<uint16_t>(port));
  if (::connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(s);
    return -1;
  }
  return s;
}

// A client connection that completed the TLS handshake and then sent part of a request.
struct SlowClient {
  int fd = -1;
  SSL* ssl = nullptr;
  bool closed = false;
  double closed_after = 0;  // seconds after the stall began
  std::string received;
};

// Reads what the server sends without blocking; true once the server closed the connection.
bool drained_to_eof(SlowClient& c) {
  char buf[4096];
  for (;;) {
    int n = SSL_read(c.ssl, buf, sizeof buf);
    if (n > 0) {
      c.received.append(buf, static_cast<size_t>(n));
      continue;
    }
    int e = SSL_get_error(c.ssl, n);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) return false;
    return true;  // close_notify, EOF or reset
  }
}

// True once the peer closed a plain TCP connection (EOF or reset).
bool tcp_closed(int fd) {
  char buf[256];
  ssize_t n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
  if (n == 0) return true;
  if (n < 0) return errno != EAGAIN && errno != EWOULDBLOCK;
  return false;  // the server sent something (a TLS alert, say); the close follows
}

bool contains(const std::string& hay, const std::string& needle) { return hay.find(needle) != std::string::npos; }

int64_t open_connections(const Server& s) {
  auto m = s.get("/metrics");
  auto at = m.body.find("\nlicsat_open_connections ");
  return at == std::string::npos ? -1 : std::stoll(m.body.substr(at + 25));
}

TEST(Limits, SlowAndSilentConnectionsAreClosedAtTheirDeadlineWhileAServedClientKeepsGettingAnswers) {
  constexpr int kSlow = 500;
  constexpr int kSilent = 1000;
  constexpr int kDeadline = 3;  // seconds: read_timeout and idle_timeout
  // This process holds every connection at once, and so does the server.
  rlimit rl{};
  getrlimit(RLIMIT_NOFILE, &rl);
  if (rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
  if (rl.rlim_cur < kSlow + kSilent + 200) GTEST_SKIP() << "needs " << kSlow + kSilent + 200 << " open files (ulimit -n)";

  TempDir cfg;
  std::string conf = cfg.path() + "/licsat.toml";
  // A header that stalls is bounded by idle_timeout (the wait for a request's first bytes and
  // headers), a body that stalls by read_timeout, the TLS handshake by read_timeout.
  std::ofstream(conf) << "[limits]\nread_timeout = \"" << kDeadline << "s\"\nidle_timeout = \"" << kDeadline << "s\"\n";
  Server s({"--config", conf});
  s.start();
  std::string admin = s.login();
  auto cc = s.create_grant("served", "client-credentials", admin);
  const std::string form = "grant_type=client_credentials&client_id=" + cc["client_id"].get<std::string>() +
                           "&client_secret=" + cc["client_secret"].get<std::string>();
  int64_t baseline = open_connections(s);

  // The served client: a token and /healthz, each on a new connection, until the end.
  std::atomic<bool> stop{false};
  std::atomic<int> served{0}, failed{0};
  std::string first_failure;
  std::thread client([&] {
    while (!stop) {
      RequestOptions o;
      o.content_type = "application/x-www-form-urlencoded";
      o.timeout_seconds = 20;
      auto t = s.post("/oauth/token", form, o);
      auto h = s.get("/healthz", o);
      for (const auto* r : {&t, &h}) {
        if (r->status == 200) {
          ++served;
        } else if (failed++ == 0) {
          first_failure = std::to_string(r->status) + " " + r->error + " " + r->body;
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  });

  // Slow clients: a TLS handshake, then half a request (half of them stop inside the headers,
  // half inside a body they promised), then nothing.
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
  std::vector<SlowClient> slow;
  for (int i = 0; i < kSlow; ++i) {
    SlowClient c;
    c.fd = tcp_connect(s.port());
    ASSERT_GE(c.fd, 0) << "connect " << i;
    c.ssl = SSL_new(ctx);
    SSL_set_fd(c.ssl, c.fd);
    ASSERT_EQ(SSL_connect(c.ssl), 1) << "TLS handshake " << i;
    std::string part = i % 2 ? "POST /oauth/token HTTP/1.1\r\nHost: localhost\r\nContent-Le"
                             : "POST /oauth/token HTTP/1.1\r\nHost: localhost\r\nContent-Type: "
                               "application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\ngrant_type=cl";
    ASSERT_EQ(SSL_write(c.ssl, part.data(), static_cast<int>(part.size())), static_cast<int>(part.size()));
    fcntl(c.fd, F_SETFL, fcntl(c.fd, F_GETFL) | O_NONBLOCK);
    slow.push_back(c);
  }
  auto slow_stalled = SteadyClock::now();
  // The flood: connections that never send a byte, not even a TLS hello.
  std::vector<int> silent;
  for (int i = 0; i < kSilent; ++i) {
    int fd = tcp_connect(s.port());
    ASSERT_GE(fd, 0) << "connect " << i;
    silent.push_back(fd);
  }
  auto silent_opened = SteadyClock::now();
  std::vector<double> silent_closed_after(silent.size(), -1);

  // Every one of them is closed by the server: wait up to the deadline plus a generous margin.
  const auto give_up = SteadyClock::now() + std::chrono::seconds(kDeadline + 20);
  size_t open_slow = slow.size(), open_silent = silent.size();
  while ((open_slow || open_silent) && SteadyClock::now() < give_up) {
    std::vector<pollfd> fds;
    for (auto& c : slow)
      if (!c.closed) fds.push_back({c.fd, POLLIN, 0});
    for (size_t i = 0; i < silent.size(); ++i)
      if (silent_closed_after[i] < 0) fds.push_back({silent[i], POLLIN, 0});
    ::poll(fds.data(), fds.size(), 200);
    auto now = SteadyClock::now();
    for (auto& c : slow)
      if (!c.closed && drained_to_eof(c)) {
        c.closed = true;
        c.closed_after = std::chrono::duration<double>(now - slow_stalled).count();
        --open_slow;
      }
    for (size_t i = 0; i < silent.size(); ++i)
      if (silent_closed_after[i] < 0 && tcp_closed(silent[i])) {
        silent_closed_after[i] = std::chrono::duration<double>(now - silent_opened).count();
        --open_silent;
      }
  }
  stop = true;
  client.join();
  // The server's side of each is gone too once its TLS shutdown ends (it waits up to 5 s for the
  // peer's close_notify, which these clients never send).
  int64_t still_open = open_connections(s);
  for (auto until = SteadyClock::now() + std::chrono::seconds(15);
       still_open > baseline + 2 && SteadyClock::now() < until; still_open = open_connections(s))
    std::this_thread::sleep_for(std::chrono::milliseconds(250));

  double slow_last = 0, silent_last = 0;
  int told_408 = 0;
  for (const auto& c : slow) {
    slow_last = std::max(slow_last, c.closed_after);
    if (c.received.find(" 408 ") != std::string::npos) ++told_408;
  }
  for (double t : silent_closed_after) silent_last = std::max(silent_last, t);
  EXPECT_EQ(open_slow, 0u) << "slow connections the server left open past " << kDeadline + 20 << " s";
  EXPECT_EQ(open_silent, 0u) << "silent connections the server left open past " << kDeadline + 20 << " s";
  EXPECT_EQ(told_408, kSlow) << "slow clients are told 408 before the close";
  EXPECT_EQ(failed.load(), 0) << "the served client failed " << failed << " times; the first: " << first_failure;
  EXPECT_GT(served.load(), 0);
  EXPECT_LE(still_open, baseline + 2) << "connections the server still counts as open";
  std::cerr << kSlow << " slow connections closed within " << slow_last << " s of stalling (" << told_408
            << " told 408), " << kSilent << " silent ones within " << silent_last << " s (deadline " << kDeadline
            << " s); the served client got " << served << " answers, " << failed << " failures\n";

  for (auto& c : slow) {
    SSL_free(c.ssl);
    ::close(c.fd);
  }
  for (int fd : silent) ::close(fd);
  SSL_CTX_free(ctx);
  EXPECT_EQ(s.get("/healthz").status, 200);
}

int count_lines_with(const std::string& text, const std::string& needle) {
  int n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

TEST(Limits, AFloodPastTheOpenFilesLimitMeetsTheConnectionLimitNotABusyAcceptLoop) {
  if (::access("/usr/bin/prlimit", X_OK) != 0) GTEST_SKIP() << "needs prlimit (util-linux)";
  constexpr int kFiles = 256;
  constexpr int kFlood = 400;
  constexpr int kDeadline = 3;
  TempDir cfg;
  std::string conf = cfg.path() + "/licsat.toml";
  std::ofstream(conf) << "[limits]\nread_timeout = \"" << kDeadline << "s\"\nidle_timeout = \"" << kDeadline << "s\"\n";
  Server s({"--config", conf});
  s.run_under({"/usr/bin/prlimit", "--nofile=" + std::to_string(kFiles) + ":" + std::to_string(kFiles), "--"});
  s.start();
  // The default max_connections (10,000) does not fit under 256 open files: the server says so.
  EXPECT_TRUE(contains(s.log(), "max_connections lowered to fit the open-files limit")) << s.log();

  // More connections than descriptors, none sending a byte.
  std::vector<int> flood;
  for (int i = 0; i < kFlood; ++i) {
    int fd = tcp_connect(s.port());
    if (fd >= 0) flood.push_back(fd);
  }
  // Past the limit, connections are closed at once; accept() never runs out of descriptors (and
  // so never spins on EMFILE, which wrote a log line per failed accept, without pause). The log
  // is read once the server has refused a connection (waited for: a loaded machine may take
  // seconds to accept the flood) and the flood is at least 2 s old, time for a spin to show.
  const auto flooded = SteadyClock::now();
  const char* refused = "connection refused: too many open connections";
  for (auto until = flooded + std::chrono::seconds(60);
       count_lines_with(s.log(), refused) == 0 && SteadyClock::now() < until;)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  std::this_thread::sleep_until(flooded + std::chrono::seconds(2));
  std::string log = s.log();
  EXPECT_LT(count_lines_with(log, "accept failed"), 30)
      << "accept failed " << count_lines_with(log, "accept failed") << " times in "
      << std::chrono::duration<double>(SteadyClock::now() - flooded).count() << " s";
  EXPECT_GT(count_lines_with(log, refused), 0);

  // Once the held connections reach their deadline the server answers again.
  auto give_up = SteadyClock::now() + std::chrono::seconds(kDeadline + 20);
  long status = 0;
  while (status != 200 && SteadyClock::now() < give_up) {
    RequestOptions o;
    o.timeout_seconds = 5;
    status = s.get("/healthz", o).status;
    if (status != 200) std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  EXPECT_EQ(status, 200) << "the server did not recover after the flood";
  auto m = s.get("/metrics");
  EXPECT_TRUE(contains(m.body, "licsat_http_limit_rejections_total{limit=\"connections\"}")) << m.body;
  for (int fd : flood) ::close(fd);
  EXPECT_EQ(s.get("/healthz").status, 200);
}

}  // namespace
}  // namespace licsat::e2e
