// The red-team findings (issue 21) against the real server, with real curl and openssl where a
// user or an attacker would use them: scope bounds, HEAD, auth-scheme case, one client
// authentication method per request, refused Transfer-Encodings; lockout per source address
// (curl --interface 127.0.0.N: Linux answers on every loopback address); control bytes in
// `licsat admin events`; no mistyped secret in clear in the data directory.
#include <cctype>
#include <chrono>
#include <thread>

#include "core/crypto.h"
#include "harness.h"

namespace licsat::e2e {
namespace {

bool contains(const std::string& hay, const std::string& needle) { return hay.find(needle) != std::string::npos; }

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string curl(const Server& s, const std::string& args) {
  auto r = run_command("curl -sS --cacert " + s.ca_file() + " " + args + " 2>&1");
  return r.output;
}

// Sends `request` as is over TLS (openssl s_client) and returns what came back.
std::string raw(const Server& s, const std::string& request) {
  return run_command("printf '" + request + "' | timeout 20 openssl s_client -quiet -connect 127.0.0.1:" +
                     std::to_string(s.port()) + " 2>/dev/null")
      .output;
}

class RedTeamE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    server_.start();
    admin_ = server_.login();
    cc_ = server_.create_grant("monitoring", "client_credentials", admin_);
  }
  Server server_;
  std::string admin_;
  nlohmann::json cc_;
};

TEST_F(RedTeamE2E, AScopeOverOneKilobyteIsRefusedWithInvalidScope) {
  std::string id = cc_["client_id"], secret = cc_["client_secret"];
  std::string base = "-d grant_type=client_credentials -d client_id=" + id + " -d client_secret=" + secret;
  auto big = curl(server_, base + " -d scope=" + std::string(1025, 'a') + " -w ' %{http_code}' " + server_.url() +
                               "/oauth/token");
  EXPECT_TRUE(contains(big, "\"invalid_scope\"")) << big;
  EXPECT_TRUE(big.ends_with(" 400")) << big;
  auto ok = curl(server_, base + " -d scope=" + std::string(1024, 'a') + " -w ' %{http_code}' " + server_.url() +
                              "/oauth/token");
  EXPECT_TRUE(ok.ends_with(" 200")) << ok;
}

TEST_F(RedTeamE2E, HeadAnswersWhereGetDoesWithoutABody) {
  auto get = server_.get("/healthz");
  ASSERT_EQ(get.status, 200);
  auto head = lower(curl(server_, "-I " + server_.url() + "/healthz"));
  EXPECT_TRUE(contains(head, "http/1.1 200")) << head;
  EXPECT_TRUE(contains(head, "content-length: " + std::to_string(get.body.size()))) << head;
  EXPECT_FALSE(contains(head, get.body)) << head;
  auto me = curl(server_, "-I -H 'Authorization: Bearer " + admin_ + "' " + server_.url() + "/api/v1/me");
  EXPECT_TRUE(contains(me, "HTTP/1.1 200")) << me;
  auto anon = curl(server_, "-I " + server_.url() + "/api/v1/me");
  EXPECT_TRUE(contains(anon, "HTTP/1.1 401")) << anon;
  // POST-only endpoints still say 405, and name HEAD only where GET is.
  auto post_only = lower(curl(server_, "-I " + server_.url() + "/oauth/token"));
  EXPECT_TRUE(contains(post_only, "http/1.1 405")) << post_only;
  EXPECT_TRUE(contains(post_only, "allow: post")) << post_only;
}

TEST_F(RedTeamE2E, BasicAndBearerAreRecognisedWhateverTheirCase) {
  std::string id = cc_["client_id"], secret = cc_["client_secret"];
  std::string basic = crypto::to_base64(id + ":" + secret);
  auto t = curl(server_, "-H 'Authorization: BASIC " + basic + "' -d grant_type=client_credentials -w ' %{http_code}' " +
                             server_.url() + "/oauth/token");
  EXPECT_TRUE(t.ends_with(" 200")) << t;
  auto me = curl(server_, "-H 'authorization: bEaReR " + admin_ + "' -w ' %{http_code}' " + server_.url() + "/api/v1/me");
  EXPECT_TRUE(me.ends_with(" 200")) << me;
}

TEST_F(RedTeamE2E, BasicTogetherWithBodyClientAuthenticationIsInvalidRequest) {
  std::string id = cc_["client_id"], secret = cc_["client_secret"];
  std::string basic = crypto::to_base64(id + ":" + secret);
  auto both = curl(server_, "-H 'Authorization: Basic " + basic + "' -d grant_type=client_credentials -d client_id=" + id +
                                " -d client_secret=" + secret + " -w ' %{http_code}' " + server_.url() + "/oauth/token");
  EXPECT_TRUE(contains(both, "\"invalid_request\"")) << both;
  EXPECT_TRUE(both.ends_with(" 400")) << both;
  auto other_id = curl(server_, "-H 'Authorization: Basic " + basic +
                                    "' -d grant_type=client_credentials -d client_id=someone-else -w ' %{http_code}' " +
                                    server_.url() + "/oauth/token");
  EXPECT_TRUE(other_id.ends_with(" 400")) << other_id;
  // The same client_id repeated in the body is no second method.
  auto same_id = curl(server_, "-H 'Authorization: Basic " + basic + "' -d grant_type=client_credentials -d client_id=" +
                                   id + " -w ' %{http_code}' " + server_.url() + "/oauth/token");
  EXPECT_TRUE(same_id.ends_with(" 200")) << same_id;
}

TEST_F(RedTeamE2E, UnknownOrDuplicateTransferEncodingIs400) {
  const std::string body = "5\\r\\nhello\\r\\n0\\r\\n\\r\\n";
  const std::string head = "POST /oauth/token HTTP/1.1\\r\\nHost: x\\r\\nConnection: close\\r\\n"
                           "Content-Type: application/x-www-form-urlencoded\\r\\n";
  auto gz = raw(server_, head + "Transfer-Encoding: gzip, chunked\\r\\n\\r\\n" + body);
  EXPECT_TRUE(contains(gz, "HTTP/1.1 400")) << gz;
  EXPECT_TRUE(contains(gz, "Transfer-Encoding")) << gz;
  auto dup = raw(server_, head + "Transfer-Encoding: chunked\\r\\nTransfer-Encoding: chunked\\r\\n\\r\\n" + body);
  EXPECT_TRUE(contains(dup, "HTTP/1.1 400")) << dup;
  auto unknown = raw(server_, head + "Transfer-Encoding: x-custom\\r\\nContent-Length: 5\\r\\n\\r\\nhello");
  EXPECT_TRUE(contains(unknown, "HTTP/1.1 400")) << unknown;
  // One plain "chunked" is read: the token endpoint answers about the grant, not the framing.
  auto ok = raw(server_, head + "Transfer-Encoding: chunked\\r\\n\\r\\n" + body);
  EXPECT_TRUE(contains(ok, "HTTP/1.1 400")) << ok;
  EXPECT_TRUE(contains(ok, "grant_type")) << ok;
  EXPECT_EQ(server_.get("/healthz").status, 200);
}

// A password login through the built-in client from a loopback source address, with curl.
std::string login_from(const Server& s, const std::string& address, const std::string& user, const std::string& pw) {
  return curl(s, "-4 --interface " + address + " -d grant_type=password -d client_id=licsat-admin --data-urlencode username=" +
                     user + " --data-urlencode password=" + pw + " -w ' %{http_code}' " + s.url() + "/oauth/token");
}

TEST_F(RedTeamE2E, FailuresFromOneAddressLockTheAdminOutThereOnlyAndUnknownNamesLookTheSame) {
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(login_from(server_, "127.0.0.2", "admin", "not-the-password").ends_with(" 400"));
  auto there = login_from(server_, "127.0.0.2", "admin", kAdminPassword);
  EXPECT_TRUE(contains(there, "is locked")) << there;
  // The real admin, at another address, logs in.
  auto here = login_from(server_, "127.0.0.1", "admin", kAdminPassword);
  EXPECT_TRUE(here.ends_with(" 200")) << here;
  // A name that does not exist gets the very same answers.
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(login_from(server_, "127.0.0.3", "ghost", "not-the-password").ends_with(" 400"));
  auto ghost = login_from(server_, "127.0.0.3", "ghost", "not-the-password");
  std::string admin_words = there.substr(0, there.find(" 400")), ghost_words = ghost.substr(0, ghost.find(" 400"));
  ASSERT_TRUE(contains(admin_words, "'admin'")) << admin_words;
  for (auto at = admin_words.find("'admin'"); at != std::string::npos; at = admin_words.find("'admin'"))
    admin_words.replace(at, 7, "'ghost'");
  EXPECT_EQ(admin_words, ghost_words);
  // The admin sees where the lock is, and lifts it.
  RequestOptions bearer;
  bearer.bearer = admin_;
  auto users = server_.get("/api/v1/admin/users", bearer);
  ASSERT_EQ(users.status, 200);
  EXPECT_EQ(users.json()["users"][0]["locked_from"][0]["address"], "127.0.0.2") << users.body;
  EXPECT_EQ(server_.post("/api/v1/admin/users/admin/unlock", "", bearer).status, 200);
  EXPECT_TRUE(login_from(server_, "127.0.0.2", "admin", kAdminPassword).ends_with(" 200"));
}

TEST_F(RedTeamE2E, ControlBytesSentByACallerReachTheEventsTableEscaped) {
  // A clear-screen and a forged row in a grant_type (the Event Log keeps 64 bytes of it) and in
  // a client_id (kept as a 3-character prefix and a fingerprint).
  std::string forged = "%1B%5B2J%1B%5BH%0D%0A2026-01-01T00:00:00Z%20%20admin%20%20user.delete";
  curl(server_, "-d grant_type=" + forged + " -d client_id=licsat-admin " + server_.url() + "/oauth/token");
  curl(server_, "-d grant_type=client_credentials -d client_id=" + forged + " -d client_secret=x " + server_.url() +
                    "/oauth/token");
  // Failure events are written in batches (every 200 ms): wait until both are there.
  CommandResult out;
  for (int i = 0; i < 100; ++i) {
    out = run_command(licsat_binary() + " admin --server " + server_.url() + " --user admin --ca-file " +
                          server_.ca_file() + " events",
                      {{"LICSAT_PASSWORD", kAdminPassword}});
    if (out.exit_code != 0 || (contains(out.output, "unsupported grant_type") && contains(out.output, "unknown client id")))
      break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_EQ(out.exit_code, 0) << out.output;
  EXPECT_EQ(out.output.find('\x1b'), std::string::npos) << out.output;
  EXPECT_EQ(out.output.find('\r'), std::string::npos) << out.output;
  EXPECT_FALSE(contains(out.output, "\n2026-01-01T00:00:00Z")) << "a forged row: " << out.output;
  EXPECT_TRUE(contains(out.output, "\\x1b[2J\\x1b[H\\r\\n2026-01-01T00:00:00Z")) << out.output;
}

TEST_F(RedTeamE2E, ASecretTypedIntoTheWrongFieldIsNotInTheDataDirectory) {
  std::string secret = cc_["client_secret"];
  const std::string password = "typed-as-the-user-name-42";
  curl(server_, "-d grant_type=client_credentials -d client_id=" + secret + " -d client_secret=x " + server_.url() +
                    "/oauth/token");
  login_from(server_, "127.0.0.1", password, "admin");
  RequestOptions bearer;
  bearer.bearer = admin_;
  // Failure events are written in batches (every 200 ms): wait until both are there.
  Reply events;
  for (int i = 0; i < 200; ++i) {
    events = server_.get("/api/v1/admin/events?outcome=failure", bearer);
    if (contains(events.body, "unknown client id") && contains(events.body, "unknown user")) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_EQ(events.status, 200);
  EXPECT_TRUE(contains(events.body, secret.substr(0, 3) + "…#")) << events.body;
  EXPECT_TRUE(contains(events.body, "typ…#")) << events.body;
  server_.stop();
  // grep -a reads the database, its write-ahead log and the server's log as text.
  for (const auto& needle : {secret, password}) {
    auto g = run_command("grep -r -a -l -F -e '" + needle + "' " + server_.data_dir() + " " + server_.log_file());
    EXPECT_EQ(g.exit_code, 1) << "found in clear in: " << g.output;
  }
}

}  // namespace
}  // namespace licsat::e2e
