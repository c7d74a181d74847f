// Security properties of the primitives, as docs/security.md lists them: argon2id parameters,
// constant-time comparison semantics, and the HTTPS-only client that carries secrets.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <set>

#include "core/clock.h"
#include "core/config.h"
#include "core/crypto.h"
#include "manager/manager_state.h"
#include "protocol/failure.h"
#include "protocol/https_client.h"

using namespace licsat;

TEST(Security, PasswordHashIsArgon2idWithTheDefaultCost) {
  crypto::init();
  auto h = crypto::hash_password("correct horse battery staple", crypto::PwhashCost{});
  ASSERT_TRUE(h) << h.error().message;
  // libsodium's encoded form: algorithm, version, memory in KiB, passes, lanes, salt, hash.
  EXPECT_EQ(h->rfind("$argon2id$v=19$m=65536,t=2,p=1$", 0), 0u) << *h;
  EXPECT_TRUE(crypto::verify_password(*h, "correct horse battery staple"));
  EXPECT_FALSE(crypto::verify_password(*h, "correct horse battery stapler"));
  // A fresh salt each time: the same password never gives the same string.
  EXPECT_NE(*h, *crypto::hash_password("correct horse battery staple", crypto::PwhashCost{}));
}

TEST(Security, RandomTokensAreDistinctAndUrlSafe) {
  crypto::init();
  std::set<std::string> seen;
  for (int i = 0; i < 2000; ++i) {
    auto t = crypto::random_urlsafe(32);
    ASSERT_EQ(t.size(), 43u);
    ASSERT_EQ(t.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"), std::string::npos);
    seen.insert(t);
  }
  EXPECT_EQ(seen.size(), 2000u);
}

TEST(Security, ConstantTimeEqualityComparesWholeValues) {
  EXPECT_TRUE(crypto::equal_ct("abcdef", "abcdef"));
  EXPECT_FALSE(crypto::equal_ct("abcdef", "abcdeg"));
  EXPECT_FALSE(crypto::equal_ct("abcdef", "abcde"));  // a prefix is not a match
  EXPECT_FALSE(crypto::equal_ct("", "a"));
  // Keyed hashes depend on the key: a database without the key cannot be checked offline.
  EXPECT_NE(crypto::keyed_hash("k1", "token:x"), crypto::keyed_hash("k2", "token:x"));
}

TEST(Security, TheClientRefusesPlainHttpBeforeConnecting) {
  // A listening socket stands in for a server on http://: the client must not even connect,
  // because its first request would carry a client secret or a password in clear.
  int s = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(s, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(::listen(s, 4), 0);
  socklen_t len = sizeof a;
  ASSERT_EQ(::getsockname(s, reinterpret_cast<sockaddr*>(&a), &len), 0);
  int port = ntohs(a.sin_port);

  protocol::HttpsClient client(
      protocol::ClientOptions{"http://127.0.0.1:" + std::to_string(port), "", false, "", 5, 2});
  auto r = client.request("POST", "/oauth/token", "grant_type=client_credentials&client_id=x&client_secret=s3cret",
                          "application/x-www-form-urlencoded");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, protocol::TransportFailure::kTls) << r.error().message;
  EXPECT_NE(protocol::from_transport(r.error()).what.find("HTTPS only"), std::string::npos)
      << protocol::from_transport(r.error()).what;

  ::fcntl(s, F_SETFL, O_NONBLOCK);
  int c = ::accept(s, nullptr, nullptr);
  EXPECT_LT(c, 0) << "the client connected to an http:// server";
  if (c >= 0) ::close(c);
  ::close(s);
}

TEST(Security, TheManagerStateHoldingItsSigningKeyIsOwnerOnly) {
  crypto::init();
  char tmpl[] = "/tmp/licsat-unit-XXXXXX";
  std::string dir = mkdtemp(tmpl);
  mode_t old = ::umask(022);  // a usual umask would make new files world-readable
  FakeClock clock{1'800'000'000};
  {
    auto st = manager::ManagerState::open(dir + "/state", clock);
    ASSERT_TRUE(st) << st.error().message;
    ASSERT_TRUE((*st)->manager_key());  // creates and stores the signing key
  }
  ::umask(old);
  struct stat info {};
  ASSERT_EQ(::stat((dir + "/state/manager.db").c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  if (::stat((dir + "/state/manager.db-wal").c_str(), &info) == 0) {
    EXPECT_EQ(info.st_mode & 0777, 0600u);
  }
  std::filesystem::remove_all(dir);
}

TEST(Security, DefaultLimitsAndCostsAreTheDocumentedOnes) {
  auto c = load_server_config(std::nullopt, {});
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->auth.pwhash_ops, 2);
  EXPECT_EQ(c->auth.pwhash_mem_mib, 64);
  EXPECT_EQ(c->auth.lockout_threshold, 5);
  EXPECT_EQ(c->auth.lockout_window, 15 * 60);
  EXPECT_EQ(c->auth.lockout_duration, 15 * 60);
  EXPECT_EQ(c->auth.session_idle_timeout, 30 * 60);
  EXPECT_EQ(c->auth.client_failures_per_minute, 10);
  EXPECT_EQ(c->auth.address_failures_per_minute, 50);
  EXPECT_EQ(c->auth.access_token_ttl, 3600);
  EXPECT_EQ(c->limits.max_header_bytes, 16 * 1024);
  EXPECT_EQ(c->limits.max_body_bytes, 1024 * 1024);
  EXPECT_EQ(c->limits.read_timeout, 30);
  EXPECT_EQ(c->limits.idle_timeout, 60);
  EXPECT_EQ(c->limits.max_connections, 10000);
  EXPECT_FALSE(c->upstream.insecure);
}

TEST(Security, KeyedHasherGivesTheSameHashAsKeyedHash) {
  crypto::init();
  crypto::KeyedHasher h("a server key", "token:");
  for (std::string data : {std::string(), std::string("x"), crypto::random_urlsafe(40), std::string(1000, 'q')})
    EXPECT_EQ(h(data), crypto::keyed_hash("a server key", "token:" + data));
  EXPECT_NE(h("x"), crypto::keyed_hash("another key", "token:x"));
}

TEST(Security, Base64UrlRoundTripsAndRejectsOtherAlphabets) {
  crypto::init();
  std::string raw = crypto::random_bytes(40);
  auto text = crypto::to_base64url(raw);
  EXPECT_EQ(text.size(), 54u);
  EXPECT_EQ(text.find_first_of("+/="), std::string::npos);
  EXPECT_EQ(*crypto::from_base64url(text), raw);
  EXPECT_FALSE(crypto::from_base64url("ab+/"));
}
