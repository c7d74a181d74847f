// Nothing unauthenticated grows the server's disk or memory (issue 17): a protected route
// refuses a caller without a valid bearer token on the header alone, before any body byte is
// read or invited with 100 Continue; a flood of such refusals writes a bounded number of Event
// Log rows (every refusal counted in the metrics); and the bodies of all requests in flight
// together stay within limits.max_inflight_body_bytes (503 with Retry-After beyond it).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "harness.h"

namespace licsat::e2e {
namespace {

const std::string kUsagePath = "/api/v1/accounts/acme/virtual-accounts/default/usage";
const std::string kUsagePattern = "/api/v1/accounts/{account}/virtual-accounts/{va}/usage";

bool contains(const std::string& hay, const std::string& needle) { return hay.find(needle) != std::string::npos; }

// The value of one sample line of /metrics ("name{labels}"), or -1 when absent.
int64_t metric(const Server& s, const std::string& sample) {
  auto m = s.get("/metrics");
  auto at = m.body.find("\n" + sample + " ");
  return at == std::string::npos ? -1 : std::stoll(m.body.substr(at + sample.size() + 2));
}

// A TLS connection to the server driven by hand: send part of a request, read what comes back.
class RawClient {
 public:
  explicit RawClient(int port) {
    ctx_ = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_verify(ctx_, SSL_VERIFY_NONE, nullptr);
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(static_cast<uint16_t>(port));
    ok_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    if (!ok_) return;
    timeval tv{20, 0};  // a read that gets nothing fails the test instead of hanging it
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ssl_ = SSL_new(ctx_);
    SSL_set_fd(ssl_, fd_);
    ok_ = SSL_connect(ssl_) == 1;
  }
  ~RawClient() {
    if (ssl_) SSL_free(ssl_);
    if (fd_ >= 0) ::close(fd_);
    SSL_CTX_free(ctx_);
  }
  bool ok() const { return ok_; }
  bool send(const std::string& data) {
    return SSL_write(ssl_, data.data(), static_cast<int>(data.size())) == static_cast<int>(data.size());
  }
  // Reads until `needle` has arrived, the connection closes or a read times out.
  std::string read_until(const std::string& needle) {
    char buf[4096];
    while (!contains(got_, needle)) {
      int n = SSL_read(ssl_, buf, sizeof buf);
      if (n <= 0) break;
      got_.append(buf, static_cast<size_t>(n));
    }
    return got_;
  }

 private:
  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
  int fd_ = -1;
  bool ok_ = false;
  std::string got_;
};

TEST(Hostile, AnUnauthenticated32MBUsageReportIsRefused401WithoutAnInvitationToSendIt) {
  Server s;
  s.start();
  std::string port = std::to_string(s.port());
  // curl waits for the 100 Continue before sending the body; the 401 comes instead.
  auto r = run_command("head -c 32000000 /dev/zero | curl -sk -v --expect100-timeout 15 -H 'Expect: 100-continue' "
                       "-H 'Content-Type: application/json' -o /dev/null -w 'status=%{http_code} sent=%{size_upload}\\n' "
                       "--data-binary @- https://127.0.0.1:" + port + kUsagePath + " 2>&1");
  EXPECT_FALSE(contains(r.output, "100 Continue")) << r.output;
  EXPECT_TRUE(contains(r.output, "status=401")) << r.output;
  EXPECT_TRUE(contains(r.output, "WWW-Authenticate: Bearer realm=\"licsat\"")) << r.output;
  EXPECT_TRUE(contains(r.output, "sent=0")) << r.output;  // not one body byte went out
  EXPECT_EQ(s.get("/healthz").status, 200);
}

TEST(Hostile, AClientThatSendsItsBodyAnywayGetsThe401OnTheHeaderAloneAndIsDisconnected) {
  Server s;
  s.start();
  RawClient c(s.port());
  ASSERT_TRUE(c.ok());
  // A 32 MB body announced, 64 kB of it sent, then nothing more: the server answers without
  // waiting for the rest (before, it read on until its 30 s read timeout).
  ASSERT_TRUE(c.send("POST " + kUsagePath + " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     "Authorization: Bearer not-a-token\r\nContent-Length: 32000000\r\n\r\n" +
                     std::string(64 * 1024, '{')));
  std::string got = c.read_until("\r\n\r\n");
  EXPECT_EQ(got.substr(0, 12), "HTTP/1.1 401") << got;
  EXPECT_TRUE(contains(got, "error=\"invalid_token\"")) << got;
  EXPECT_TRUE(contains(got, "Connection: close")) << got;
  EXPECT_EQ(metric(s, "licsat_http_unauthenticated_total{route=\"" + kUsagePattern + "\"}"), 1);
}

TEST(Hostile, ManyUnauthenticatedRequestsWriteABoundedNumberOfEventsAndAreAllCounted) {
  Server s;
  s.start();
  constexpr int kRequests = 150;
  // The first carries a long path: what the Event Log keeps of it is clipped.
  std::string long_path = "/api/v1/accounts/" + std::string(8000, 'p') + "/devices";
  EXPECT_EQ(s.get(long_path).status, 401);
  for (int i = 1; i < kRequests; ++i) {
    RequestOptions o;
    if (i % 2) o.bearer = "forged-token-" + std::to_string(i);
    EXPECT_EQ(s.get("/api/v1/accounts/acme/devices", o).status, 401);
  }
  EXPECT_EQ(metric(s, "licsat_http_unauthenticated_total{route=\"/api/v1/accounts/{account}/devices\"}"), kRequests);

  std::string admin = s.login();
  RequestOptions o;
  o.bearer = admin;
  auto ev = s.get("/api/v1/admin/events?action=api.auth&limit=1000", o);
  ASSERT_EQ(ev.status, 200) << ev.body;
  // One address, one minute: the first refusal, written at once with its reason; the rest
  // are counted and written as one summary once the minute has passed.
  ASSERT_EQ(ev.json()["total"], 1) << ev.body;
  auto e = ev.json()["events"][0];
  EXPECT_EQ(e["outcome"], "failure");
  EXPECT_EQ(e["source_ip"], "127.0.0.1");
  std::string detail = e["detail"];
  EXPECT_LE(detail.size(), 512u);
  EXPECT_EQ(detail.substr(0, 21), "GET /api/v1/accounts/");
  EXPECT_TRUE(contains(detail, "(clipped)")) << detail;
}

TEST(Hostile, BodiesInFlightOverTheBudgetGet503WithRetryAfterAndTheBudgetComesBack) {
  Server s({"--max-inflight-body-bytes", "1000000"});
  s.start();
  std::string admin = s.login();
  std::string body(600000, ' ');
  RequestOptions o;
  o.bearer = admin;
  {
    // An authenticated upload that holds 600 kB of the budget: its 100 Continue is sent once
    // its body is reserved.
    RawClient slow(s.port());
    ASSERT_TRUE(slow.ok());
    ASSERT_TRUE(slow.send("POST " + kUsagePath + " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                          "Authorization: Bearer " + admin + "\r\nExpect: 100-continue\r\nContent-Length: 600000\r\n\r\n"));
    ASSERT_TRUE(contains(slow.read_until("100 Continue"), "HTTP/1.1 100 Continue"));
    ASSERT_TRUE(slow.send(std::string(1000, ' ')));

    auto busy = s.post(kUsagePath, body, o);
    EXPECT_EQ(busy.status, 503) << busy.body;
    EXPECT_EQ(busy.json()["error"], "server_busy");
    EXPECT_EQ(busy.header("retry-after"), "5");
    // The header check comes first: a caller without a token is still told 401, not 503.
    EXPECT_EQ(s.post(kUsagePath, body).status, 401);
    EXPECT_EQ(metric(s, "licsat_http_limit_rejections_total{limit=\"inflight_body\"}"), 1);
  }
  // The stalled connection is gone: its reservation is given back (once the server has seen
  // the close; asked again until then).
  long status = 503;
  for (int i = 0; i < 100 && status == 503; ++i) {
    status = s.post(kUsagePath, body, o).status;
    if (status == 503) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_NE(status, 503);
}

}  // namespace
}  // namespace licsat::e2e
