// The token endpoint's logic on a fake clock: grant types, expiry, rotation, lockout, throttling.
#include "oauth/token_service.h"

#include <algorithm>
#include <chrono>
#include <ctime>
#include <future>

#include <nlohmann/json.hpp>
#include <optional>

#include "test_support.h"

using namespace licsat;
using domain::GrantType;
using domain::Role;

class TokenServiceTest : public licsat::test::StoreTest {
 protected:
  void SetUp() override {
    licsat::test::StoreTest::SetUp();
    domain::AccessPolicy policy;
    policy.cost.ops = 1;
    policy.cost.mem = 8 * 1024 * 1024;
    policy.lockout_threshold = 3;
    events_ = std::make_unique<domain::EventLog>(*store_, clock_);
    access_ = std::make_unique<domain::AccessService>(*store_, clock_, policy);
    grants_ = std::make_unique<domain::GrantService>(*store_, clock_, "k");
    oauth::TokenPolicy tp;
    tp.client_failures_per_minute = 4;
    tp.address_failures_per_minute = 1000;
    tokens_ = std::make_unique<oauth::TokenService>(*store_, *access_, *events_, clock_, "k", tp);
    ASSERT_TRUE(access_->add_user("alice", Role::kOperator, "correct horse battery", {"t", "ip"}));
    ro_ = *grants_->create({"ro", GrantType::kResourceOwner, "", 0, Role::kOperator, {}}, {"t", "ip"});
    cc_ = *grants_->create({"cc", GrantType::kClientCredentials, "", 0, Role::kViewer, {}}, {"t", "ip"});
  }
  void TearDown() override {
    tokens_.reset();
    events_.reset();
    licsat::test::StoreTest::TearDown();
  }
  oauth::TokenRequest password_req(const domain::GrantWithSecret& g, std::string pw = "correct horse battery") {
    oauth::TokenRequest r;
    r.grant_type = "password";
    r.client_id = g.grant.client_id;
    r.client_secret = g.client_secret;
    r.client_secret_given = true;
    r.username = "alice";
    r.password = pw;
    r.source_ip = "10.0.0.1";
    return r;
  }
  oauth::TokenRequest cc_req(const domain::GrantWithSecret& g) {
    oauth::TokenRequest r;
    r.grant_type = "client_credentials";
    r.client_id = g.grant.client_id;
    r.client_secret = g.client_secret;
    r.client_secret_given = true;
    r.source_ip = "10.0.0.2";
    return r;
  }
  // A token service that holds an address back after 3 failed attempts in a minute.
  std::unique_ptr<oauth::TokenService> strict_throttle() {
    oauth::TokenPolicy tp;
    tp.client_failures_per_minute = 100;
    tp.address_failures_per_minute = 3;
    return std::make_unique<oauth::TokenService>(*store_, *access_, *events_, clock_, "k", tp);
  }
  oauth::TokenRequest wrong_secret() {
    auto r = cc_req(cc_);
    r.client_secret = "wrong";
    return r;
  }
  // Failure events whose detail contains `text`.
  size_t failures_saying(const std::string& text) {
    size_t n = 0;
    for (const auto& e : failures())
      if (e.detail.find(text) != std::string::npos) ++n;
    return n;
  }
  std::vector<domain::Event> failures() {
    events_->flush();
    domain::EventFilter f;
    f.outcome = "failure";
    return store_->list_events(f)->events;
  }

  std::unique_ptr<domain::EventLog> events_;
  std::unique_ptr<domain::AccessService> access_;
  std::unique_ptr<domain::GrantService> grants_;
  std::unique_ptr<oauth::TokenService> tokens_;
  domain::GrantWithSecret ro_, cc_;
};

TEST_F(TokenServiceTest, ClientIdAndSecretHaveTheRequiredEntropy) {
  EXPECT_GE(ro_.grant.client_id.size(), 48u);
  EXPECT_GE(ro_.client_secret.size(), 43u);  // >= 256 bits in base64url
  EXPECT_NE(ro_.grant.secret_hash, ro_.client_secret);
}

TEST_F(TokenServiceTest, PasswordGrantActsAsTheUserWithTheUsersRole) {
  auto t = tokens_->token(password_req(ro_));
  ASSERT_TRUE(t) << t.error().description;
  EXPECT_FALSE(t->refresh_token.empty());
  auto p = tokens_->authenticate(t->access_token);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->actor, "alice");
  EXPECT_EQ(p->role, Role::kOperator);
}

TEST_F(TokenServiceTest, ClientCredentialsGrantUsedWithPasswordIsInvalidClient) {
  auto r = password_req(cc_);
  auto t = tokens_->token(r);
  ASSERT_FALSE(t);
  EXPECT_EQ(t.error().status, 401);
  EXPECT_EQ(t.error().error, "invalid_client");
  EXPECT_EQ(t.error().message, "Grant not found. Ensure that the given grant details are correct.");
  auto f = failures();
  ASSERT_FALSE(f.empty());
  EXPECT_NE(f.front().detail.find("wrong grant type"), std::string::npos);
}

TEST_F(TokenServiceTest, ResourceOwnerGrantUsedWithClientCredentialsIsInvalidClient) {
  auto r = cc_req(ro_);
  auto t = tokens_->token(r);
  ASSERT_FALSE(t);
  EXPECT_EQ(t.error().error, "invalid_client");
}

TEST_F(TokenServiceTest, ClientCredentialsTokensCarryTheGrantsRole) {
  auto t = tokens_->token(cc_req(cc_));
  ASSERT_TRUE(t);
  EXPECT_TRUE(t->refresh_token.empty());
  EXPECT_EQ(tokens_->authenticate(t->access_token)->role, Role::kViewer);
}

TEST_F(TokenServiceTest, AccessTokenExpiresAfterItsLifetime) {
  auto t = tokens_->token(cc_req(cc_));
  ASSERT_TRUE(t);
  clock_.advance(3599);
  EXPECT_TRUE(tokens_->authenticate(t->access_token));
  clock_.advance(1);
  auto p = tokens_->authenticate(t->access_token);
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().status, 401);
}

TEST_F(TokenServiceTest, ExpiredGrantIsInvalidClientWithReasonLogged) {
  auto g = *grants_->create({"short", GrantType::kClientCredentials, "", clock_.now() + 86400, Role::kOperator, {}}, {"t", "ip"});
  ASSERT_TRUE(tokens_->token(cc_req(g)));
  clock_.advance(86400);
  auto t = tokens_->token(cc_req(g));
  ASSERT_FALSE(t);
  EXPECT_EQ(t.error().error, "invalid_client");
  EXPECT_NE(failures().front().detail.find("expired"), std::string::npos);
}

TEST_F(TokenServiceTest, RefreshTokenRotatesAndTheOldOneIsDead) {
  auto first = tokens_->token(password_req(ro_));
  ASSERT_TRUE(first);
  auto r = password_req(ro_);
  r.grant_type = "refresh_token";
  r.refresh_token = first->refresh_token;
  auto second = tokens_->token(r);
  ASSERT_TRUE(second) << second.error().description;
  EXPECT_NE(second->refresh_token, first->refresh_token);
  auto replay = tokens_->token(r);
  ASSERT_FALSE(replay);
  EXPECT_EQ(replay.error().error, "invalid_grant");
  // A replay ends the session: the successor is revoked too.
  EXPECT_FALSE(tokens_->authenticate(second->access_token));
}

TEST_F(TokenServiceTest, RefreshTokenExpiresAfterFourteenDays) {
  auto first = tokens_->token(password_req(ro_));
  auto r = password_req(ro_);
  r.grant_type = "refresh_token";
  r.refresh_token = first->refresh_token;
  clock_.advance(14 * 86400);
  auto t = tokens_->token(r);
  ASSERT_FALSE(t);
  EXPECT_EQ(t.error().error, "invalid_grant");
}

TEST_F(TokenServiceTest, RepeatedBadPasswordsLockTheUser) {
  for (int i = 0; i < 3; ++i) {
    auto t = tokens_->token(password_req(ro_, "wrong password!!"));
    ASSERT_FALSE(t);
    EXPECT_EQ(t.error().error, "invalid_grant");
  }
  auto t = tokens_->token(password_req(ro_));
  ASSERT_FALSE(t);
  EXPECT_NE(t.error().message.find("locked"), std::string::npos);
  ASSERT_TRUE(access_->set_locked("alice", false, {"admin", "ip"}));
  EXPECT_TRUE(tokens_->token(password_req(ro_)));
}

TEST_F(TokenServiceTest, LockingAUserStopsTheirTokens) {
  auto t = tokens_->token(password_req(ro_));
  ASSERT_TRUE(t);
  ASSERT_TRUE(access_->set_locked("alice", true, {"admin", "ip"}));
  EXPECT_FALSE(tokens_->authenticate(t->access_token));
}

TEST_F(TokenServiceTest, RegeneratedSecretStopsTheOldSecretAndTokensAtOnce) {
  auto t = tokens_->token(cc_req(cc_));
  ASSERT_TRUE(t);
  auto fresh = grants_->regenerate_secret("cc", {"admin", "ip"});
  ASSERT_TRUE(fresh);
  EXPECT_FALSE(tokens_->token(cc_req(cc_)));
  EXPECT_FALSE(tokens_->authenticate(t->access_token));
  EXPECT_TRUE(tokens_->token(cc_req(*fresh)));
}

TEST_F(TokenServiceTest, FailedClientAuthenticationsAreThrottledPerClientId) {
  auto r = cc_req(cc_);
  r.client_secret = "guess";
  for (int i = 0; i < 4; ++i) EXPECT_EQ(tokens_->token(r).error().status, 401);
  auto t = tokens_->token(r);
  EXPECT_EQ(t.error().status, 429);
  EXPECT_GT(t.error().retry_after, 0);
  // Even the right secret waits until the window passes.
  EXPECT_EQ(tokens_->token(cc_req(cc_)).error().status, 429);
  clock_.advance(61);
  EXPECT_TRUE(tokens_->token(cc_req(cc_)));
}

TEST_F(TokenServiceTest, ConsoleDisabledRefusesGrantsButNotTheFirstPartyClient) {
  ASSERT_TRUE(tokens_->set_console_enabled(false, {"admin", "ip"}));
  auto t = tokens_->token(cc_req(cc_));
  ASSERT_FALSE(t);
  EXPECT_EQ(t.error().status, 403);
  EXPECT_EQ(t.error().error, "access_denied");
  auto r = password_req(ro_);
  r.client_id = oauth::kFirstPartyClientId;
  r.client_secret.clear();
  r.client_secret_given = false;
  EXPECT_TRUE(tokens_->token(r));
}

TEST_F(TokenServiceTest, RevokedTokenIsRefused) {
  auto t = tokens_->token(cc_req(cc_));
  ASSERT_TRUE(tokens_->revoke(cc_req(cc_), t->access_token));
  EXPECT_FALSE(tokens_->authenticate(t->access_token));
}

TEST_F(TokenServiceTest, NoSecretOrTokenInTheEventLog) {
  auto t = tokens_->token(password_req(ro_));
  ASSERT_TRUE(t) << t.error().description;
  auto c = tokens_->token(cc_req(cc_));
  ASSERT_TRUE(c) << c.error().description;
  EXPECT_FALSE(tokens_->token(password_req(ro_, "wrong password!!")));
  events_->flush();
  auto all = store_->list_events({});
  ASSERT_TRUE(all) << all.error().message;
  // The log holds the three token requests (two issued, one refused): the checks below read them.
  size_t issued = 0, refused = 0;
  for (const auto& e : all->events) {
    if (e.action != "token.issue") continue;
    if (e.outcome == "success") ++issued;
    if (e.outcome == "failure") ++refused;
  }
  EXPECT_EQ(issued, 2u);
  EXPECT_EQ(refused, 1u);
  const std::vector<std::string> secrets{ro_.client_secret, cc_.client_secret, t->access_token, t->refresh_token,
                                         c->access_token,   "correct horse",   "wrong password"};
  for (const auto& e : all->events) {
    std::string fields = e.actor + "\n" + e.source_ip + "\n" + e.action + "\n" + e.detail;
    for (const auto& secret : secrets) {
      ASSERT_FALSE(secret.empty());
      EXPECT_EQ(fields.find(secret), std::string::npos) << e.action << " " << e.outcome << ": " << e.detail;
    }
  }
}

// ---- Security properties checked by docs/security.md (RFC 9700 / RFC 6819 review) ----

TEST_F(TokenServiceTest, ClientSecretCarries320BitsAndOnlyItsKeyedHashIsStored) {
  EXPECT_EQ(ro_.client_secret.size(), 54u);  // 40 random bytes in base64url without padding
  EXPECT_NE(ro_.client_secret, cc_.client_secret);
  auto stored = store_->find_grant_by_name("ro");
  ASSERT_TRUE(stored && *stored);
  EXPECT_EQ((*stored)->secret_hash, crypto::keyed_hash("k", "client-secret:" + ro_.client_secret));
  EXPECT_EQ((*stored)->secret_hash.size(), 64u);  // HMAC-SHA-256 hex
  EXPECT_EQ((*stored)->secret_hash.find(ro_.client_secret), std::string::npos);
  // Listing grants gives no way back to the secret.
  auto all = store_->list_grants("");
  ASSERT_TRUE(all);
  for (const auto& g : *all) EXPECT_NE(g.secret_hash, ro_.client_secret);
}

TEST_F(TokenServiceTest, TokensCarry256BitsAndAreStoredOnlyAsKeyedHashes) {
  auto t = tokens_->token(password_req(ro_));
  ASSERT_TRUE(t);
  EXPECT_EQ(t->access_token.size(), 54u);  // 8 bytes of time + 32 random bytes in base64url
  EXPECT_EQ(t->refresh_token.size(), 54u);
  EXPECT_NE(t->access_token, t->refresh_token);
  // The stored key: the token's time part in hex, then the keyed hash of the whole token.
  std::string key = tokens_->hash_token(t->access_token);
  EXPECT_EQ(key.size(), 16u + 64u);
  EXPECT_EQ(key.substr(16), crypto::keyed_hash("k", "token:" + t->access_token));
  auto by_hash = store_->find_token(key);
  ASSERT_TRUE(by_hash && *by_hash);
  auto by_clear = store_->find_token(t->access_token);
  ASSERT_TRUE(by_clear);
  EXPECT_FALSE(*by_clear) << "a token must not be findable by its clear value";
}

TEST_F(TokenServiceTest, KeysOfNewTokensSortByIssueTimeAndOldFormTokensKeepTheirKey) {
  // Appending to the primary-key index depends on this order.
  std::string prev = tokens_->hash_token(tokens_->new_token());
  for (int i = 0; i < 200; ++i) {
    std::string next = tokens_->hash_token(tokens_->new_token());
    EXPECT_LE(prev.substr(0, 16), next.substr(0, 16));
    EXPECT_NE(prev, next);
    prev = next;
  }
  // A token of the older form (32 random bytes, 43 characters) keeps the plain keyed hash, so
  // tokens issued before the upgrade still work.
  std::string old_form = crypto::random_urlsafe(32);
  EXPECT_EQ(tokens_->hash_token(old_form), crypto::keyed_hash("k", "token:" + old_form));
  // 54 characters that are not base64url are keyed the plain way too (and simply not found).
  std::string junk(54, '*');
  EXPECT_EQ(tokens_->hash_token(junk), crypto::keyed_hash("k", "token:" + junk));
}

TEST_F(TokenServiceTest, FailedAttemptsAreThrottledPerSourceAddressAcrossClientIds) {
  oauth::TokenPolicy tp;
  tp.client_failures_per_minute = 100;
  tp.address_failures_per_minute = 3;
  oauth::TokenService svc(*store_, *access_, *events_, clock_, "k", tp);
  for (int i = 0; i < 3; ++i) {
    auto r = cc_req(cc_);
    r.client_id = "guess-" + std::to_string(i);  // a new client ID each time: only the address links them
    EXPECT_EQ(svc.token(r).error().status, 401);
  }
  auto blocked = svc.token(cc_req(cc_));
  ASSERT_FALSE(blocked);
  EXPECT_EQ(blocked.error().status, 429);
  EXPECT_GT(blocked.error().retry_after, 0);
  auto elsewhere = cc_req(cc_);
  elsewhere.source_ip = "10.9.9.9";
  EXPECT_TRUE(svc.token(elsewhere)) << "another address is not held back";
  clock_.advance(61);
  EXPECT_TRUE(svc.token(cc_req(cc_)));
}

TEST_F(TokenServiceTest, ThrottledRequestsAreSummarisedNotWrittenOneByOne) {
  auto svc = strict_throttle();
  auto bad = wrong_secret();
  for (int i = 0; i < 3; ++i) EXPECT_EQ(svc->token(bad).error().status, 401);
  for (int i = 0; i < 500; ++i) EXPECT_EQ(svc->token(bad).error().status, 429);
  EXPECT_EQ(failures_saying("throttled"), 1u) << "the first throttled request of the minute, with its reason";
  // A minute on, the failures have aged out: three more fail, and the next throttled request
  // writes the count of the 499 held back in the last minute, then its own first event.
  clock_.advance(61);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(svc->token(bad).error().status, 401);
  EXPECT_EQ(svc->token(bad).error().status, 429);
  EXPECT_EQ(failures_saying("499 more throttled"), 1u);
  EXPECT_EQ(failures_saying("throttled"), 3u);
}

TEST_F(TokenServiceTest, ThrottledCountsAreWrittenWhenTheirMinuteEndsWithoutALaterRequest) {
  auto svc = strict_throttle();
  auto bad = wrong_secret();
  for (int i = 0; i < 3; ++i) (void)svc->token(bad);
  for (int i = 0; i < 20; ++i) EXPECT_EQ(svc->token(bad).error().status, 429);
  svc->write_ended_refusal_summaries();
  EXPECT_EQ(failures_saying("19 more throttled"), 0u) << "the minute has not ended";
  clock_.advance(60);
  svc->write_ended_refusal_summaries();  // what the housekeeping thread does once a minute
  EXPECT_EQ(failures_saying("19 more throttled"), 1u);
}

TEST_F(TokenServiceTest, RevokingARefreshTokenRevokesTheAccessTokenIssuedWithIt) {
  // RFC 7009 §2.1: revoking a refresh token should also invalidate access tokens of the same grant.
  auto t = tokens_->token(password_req(ro_));
  ASSERT_TRUE(t);
  ASSERT_TRUE(tokens_->revoke(password_req(ro_), t->refresh_token));
  EXPECT_FALSE(tokens_->authenticate(t->access_token));
  auto r = password_req(ro_);
  r.grant_type = "refresh_token";
  r.refresh_token = t->refresh_token;
  EXPECT_FALSE(tokens_->token(r));
}

TEST_F(TokenServiceTest, ClientsSeeAndRevokeOnlyTheirOwnTokens) {
  auto other = *grants_->create({"cc2", GrantType::kClientCredentials, "", 0, Role::kViewer, {}}, {"t", "ip"});
  auto t = tokens_->token(cc_req(cc_));
  ASSERT_TRUE(t);
  auto seen = tokens_->introspect(cc_req(other), t->access_token);
  ASSERT_TRUE(seen);
  EXPECT_FALSE(seen->has_value()) << "another client's token introspects as inactive";
  ASSERT_TRUE(tokens_->revoke(cc_req(other), t->access_token));  // RFC 7009: 200, but nothing happens
  EXPECT_TRUE(tokens_->authenticate(t->access_token));
  auto own = tokens_->introspect(cc_req(cc_), t->access_token);
  ASSERT_TRUE(own && own->has_value());
}

TEST_F(TokenServiceTest, RevocationAndIntrospectionRequireClientAuthentication) {
  auto t = tokens_->token(cc_req(cc_));
  ASSERT_TRUE(t);
  auto bad = cc_req(cc_);
  bad.client_secret = "guess";
  auto i = tokens_->introspect(bad, t->access_token);
  ASSERT_FALSE(i);
  EXPECT_EQ(i.error().status, 401);
  EXPECT_EQ(i.error().error, "invalid_client");
  auto r = tokens_->revoke(bad, t->access_token);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().error, "invalid_client");
  EXPECT_TRUE(tokens_->authenticate(t->access_token));
  auto none = cc_req(cc_);
  none.client_id.clear();
  EXPECT_EQ(tokens_->introspect(none, t->access_token).error().error, "invalid_request");
}

TEST_F(TokenServiceTest, ARefreshTokenIsBoundToItsClient) {
  auto ro2 = *grants_->create({"ro2", GrantType::kResourceOwner, "", 0, Role::kOperator, {}}, {"t", "ip"});
  auto t = tokens_->token(password_req(ro_));
  ASSERT_TRUE(t);
  auto r = password_req(ro2);
  r.grant_type = "refresh_token";
  r.refresh_token = t->refresh_token;
  auto stolen = tokens_->token(r);
  ASSERT_FALSE(stolen);
  EXPECT_EQ(stolen.error().error, "invalid_grant");
  auto f = failures();
  ASSERT_FALSE(f.empty());
  EXPECT_NE(f.front().detail.find("another client"), std::string::npos);
}

TEST_F(TokenServiceTest, RefreshTokenReuseIsLoggedAndEndsTheSession) {
  auto first = tokens_->token(password_req(ro_));
  ASSERT_TRUE(first);
  auto r = password_req(ro_);
  r.grant_type = "refresh_token";
  r.refresh_token = first->refresh_token;
  auto second = tokens_->token(r);
  ASSERT_TRUE(second);
  ASSERT_FALSE(tokens_->token(r));  // replay of the used one
  auto f = failures();
  ASSERT_FALSE(f.empty());
  EXPECT_NE(f.front().detail.find("refresh token reused"), std::string::npos) << f.front().detail;
  r.refresh_token = second->refresh_token;
  EXPECT_FALSE(tokens_->token(r)) << "the successor refresh token is revoked too";
}

TEST_F(TokenServiceTest, LockoutIsLoggedAsItsOwnEvent) {
  for (int i = 0; i < 3; ++i) (void)tokens_->token(password_req(ro_, "wrong password!!"));
  events_->flush();
  domain::EventFilter f;
  f.action = "user.lock";
  auto page = store_->list_events(f);
  ASSERT_TRUE(page);
  ASSERT_EQ(page->events.size(), 1u);
  EXPECT_EQ(page->events.front().actor, "system");
  EXPECT_EQ(page->events.front().source_ip, "10.0.0.1");
  EXPECT_NE(page->events.front().detail.find("alice"), std::string::npos);
}

TEST_F(TokenServiceTest, UnknownUserCostsOnePasswordVerificationLikeAKnownOne) {
  // A known user with a wrong password costs one argon2id verification; an unknown user must cost
  // the same (a dummy verification), or timing would tell which names exist. Without the dummy
  // the unknown path is a single indexed read, two orders of magnitude faster.
  // The cost is measured as this thread's CPU time, not wall time: argon2id runs on the calling
  // thread, and other work on a loaded machine then cannot make one path look cheaper.
  auto thread_cpu_ms = [] {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
  };
  // The sum over nine tries: on this kind of VM a single try's thread CPU time now and then reads
  // a few ms for a ~15 ms verification, on either path, so a median of five could pick those.
  // Without the dummy verification the unknown sum is well under 1 ms against ~100 ms.
  auto time_of = [&](const std::string& user) {
    double total = 0;
    for (int i = 0; i < 9; ++i) {
      // Each try from an address of its own: locks are per (name, address), and a name locked
      // after the threshold's failures answers without a verification, known or not.
      std::string source = "192.0.2." + std::to_string(i + 1);
      double start = thread_cpu_ms();
      (void)access_->authenticate(user, "not the password at all", nullptr, source);
      total += thread_cpu_ms() - start;
      EXPECT_TRUE(access_->set_locked("alice", false, {"t", "ip"}));  // keep alice unlocked between tries
    }
    return total;
  };
  double known = time_of("alice");
  double unknown = time_of("nobody-by-this-name");
  EXPECT_GT(unknown, known * 0.5) << "known " << known << " ms, unknown " << unknown << " ms";
}

TEST_F(TokenServiceTest, ALockedNameThatIsNotUtf8IsQuotedPrintably) {
  // Found by the fuzzer: names that exist nowhere lock too (per address), and the lock's message
  // quoted the name raw, so a name with invalid UTF-8 made the JSON answer throw (a 500).
  auto r = password_req(ro_, "wrong password!!");
  r.username = std::string("ad\x89in");
  std::optional<oauth::OAuthError> last;
  for (int i = 0; i < 5; ++i) {
    auto t = tokens_->token(r);
    ASSERT_FALSE(t);
    last = t.error();
  }
  EXPECT_NE(last->message.find("locked"), std::string::npos) << last->message;
  EXPECT_EQ(last->message.find('\x89'), std::string::npos) << last->message;
  EXPECT_NO_THROW((void)nlohmann::json({{"error_message", last->message}}).dump());
}

TEST_F(TokenServiceTest, AnOversizedClientIdIsClippedInTheEventLog) {
  // A made-up client ID as long as the body limit must not be copied into every failure event.
  auto r = cc_req(cc_);
  r.client_id = std::string(100000, 'x');
  auto t = tokens_->token(r);
  ASSERT_FALSE(t);
  EXPECT_EQ(t.error().error, "invalid_client");
  auto f = failures();
  ASSERT_FALSE(f.empty());
  EXPECT_LE(f.front().actor.size(), 131u);
  EXPECT_NE(f.front().detail.find("unknown client id"), std::string::npos);
}

TEST_F(TokenServiceTest, ALockIsRevealedOnlyToTheRightPassword) {
  // Whether a user exists or is locked is not told to someone guessing: a wrong password gets the
  // same words for an unknown user, a known one and a locked one.
  auto unknown = password_req(ro_, "wrong password!!");
  unknown.username = "nobody-here";
  std::string words = tokens_->token(unknown).error().message;
  EXPECT_EQ(tokens_->token(password_req(ro_, "wrong password!!")).error().message, words);
  ASSERT_TRUE(access_->set_locked("alice", true, {"admin", "ip"}));
  EXPECT_EQ(tokens_->token(password_req(ro_, "wrong password!!")).error().message, words);
  EXPECT_NE(tokens_->token(password_req(ro_)).error().message.find("locked"), std::string::npos);
}

TEST_F(TokenServiceTest, PasswordChangeRoleChangeAndDeletionReachLiveTokens) {
  auto t = tokens_->token(password_req(ro_));
  ASSERT_TRUE(t);
  ASSERT_TRUE(access_->set_role("alice", Role::kViewer, {"admin", "ip"}));
  auto p = tokens_->authenticate(t->access_token);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->role, Role::kViewer) << "a demotion applies to tokens already issued";
  ASSERT_TRUE(access_->set_password("alice", "a brand new long password", {"admin", "ip"}));
  EXPECT_FALSE(tokens_->authenticate(t->access_token)) << "a new password ends the old sessions";
  auto r = password_req(ro_, "a brand new long password");
  auto again = tokens_->token(r);
  ASSERT_TRUE(again);
  ASSERT_TRUE(access_->remove_user("alice", {"admin", "ip"}));
  EXPECT_FALSE(tokens_->authenticate(again->access_token)) << "a deleted user's tokens go with the user";
  auto refresh = password_req(ro_);
  refresh.grant_type = "refresh_token";
  refresh.refresh_token = again->refresh_token;
  EXPECT_FALSE(tokens_->token(refresh));
}

TEST_F(TokenServiceTest, PasswordPolicyRefusesShortOverlongAndTheUserNameItself) {
  EXPECT_FALSE(access_->add_user("bob", Role::kViewer, "short", {"t", "ip"}));
  EXPECT_FALSE(access_->add_user("bob", Role::kViewer, std::string(1025, 'p'), {"t", "ip"}));
  EXPECT_FALSE(access_->add_user("bob.the.builder", Role::kViewer, "bob.the.builder", {"t", "ip"}));
  EXPECT_FALSE(access_->set_password("alice", "too short", {"t", "ip"}));
  EXPECT_TRUE(access_->add_user("bob", Role::kViewer, "twelve chars", {"t", "ip"}));
}

TEST_F(TokenServiceTest, TokensOfAGrantStopWhenTheGrantExpires) {
  auto g = *grants_->create({"day", GrantType::kClientCredentials, "", clock_.now() + 7200, Role::kOperator, {}}, {"t", "ip"});
  clock_.advance(7000);
  auto t = tokens_->token(cc_req(g));
  ASSERT_TRUE(t);  // issued 200 s before the grant ends, for an hour
  EXPECT_TRUE(tokens_->authenticate(t->access_token));
  clock_.advance(200);
  auto p = tokens_->authenticate(t->access_token);
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().description, "The token's grant expired.");
}

// ---- P7: a lockout is temporary, so it is no remote kill switch (docs/security.md) ----

TEST_F(TokenServiceTest, ALockoutLastsLockoutDurationAndLeavesLiveSessionsAlone) {
  auto live = tokens_->token(password_req(ro_));
  ASSERT_TRUE(live);
  for (int i = 0; i < 3; ++i) (void)tokens_->token(password_req(ro_, "wrong password!!"));
  // During the lock the right and a wrong password get the same answer: no oracle for a guesser.
  auto right = tokens_->token(password_req(ro_));
  ASSERT_FALSE(right);
  EXPECT_EQ(right.error().error, "invalid_grant");
  EXPECT_NE(right.error().message.find("is locked"), std::string::npos) << right.error().message;
  EXPECT_NE(right.error().message.find("15 minutes"), std::string::npos) << right.error().message;
  EXPECT_EQ(tokens_->token(password_req(ro_, "wrong password!!")).error().message, right.error().message);
  // Someone who can only reach the token endpoint cannot end the user's session.
  EXPECT_TRUE(tokens_->authenticate(live->access_token));
  auto refresh = password_req(ro_);
  refresh.grant_type = "refresh_token";
  refresh.refresh_token = live->refresh_token;
  EXPECT_TRUE(tokens_->token(refresh));
  clock_.advance(15 * 60 - 1);
  EXPECT_FALSE(tokens_->token(password_req(ro_)));
  clock_.advance(1);
  EXPECT_TRUE(tokens_->token(password_req(ro_))) << "the lock ends by itself";
}

TEST_F(TokenServiceTest, EachFurtherLockoutLastsTwiceAsLongUntilALoginSucceeds) {
  auto lock = [&] { for (int i = 0; i < 3; ++i) (void)tokens_->token(password_req(ro_, "wrong password!!")); };
  lock();
  clock_.advance(15 * 60);
  lock();  // the second lock without a successful login in between: 30 minutes
  clock_.advance(29 * 60);
  EXPECT_FALSE(tokens_->token(password_req(ro_)));
  clock_.advance(60);
  ASSERT_TRUE(tokens_->token(password_req(ro_)));
  lock();  // after a successful login the next lock is short again
  clock_.advance(15 * 60);
  EXPECT_TRUE(tokens_->token(password_req(ro_)));
  events_->flush();
  domain::EventFilter f;
  f.action = "user.lock";
  auto page = store_->list_events(f);
  ASSERT_TRUE(page);
  ASSERT_EQ(page->events.size(), 3u);
  EXPECT_NE(page->events[1].detail.find("for 30 minutes"), std::string::npos) << page->events[1].detail;
}

TEST_F(TokenServiceTest, LockoutDurationZeroLocksUntilAnAdminUnlocks) {
  domain::AccessPolicy policy;
  policy.cost.ops = 1;
  policy.cost.mem = 8 * 1024 * 1024;
  policy.lockout_threshold = 3;
  policy.lockout_duration = 0;
  domain::AccessService access(*store_, clock_, policy);
  oauth::TokenService svc(*store_, access, *events_, clock_, "k", oauth::TokenPolicy{});
  auto live = svc.token(password_req(ro_));
  ASSERT_TRUE(live);
  for (int i = 0; i < 3; ++i) (void)svc.token(password_req(ro_, "wrong password!!"));
  clock_.advance(30 * 86400);
  auto t = svc.token(password_req(ro_));
  ASSERT_FALSE(t);
  EXPECT_NE(t.error().message.find("Ask an administrator"), std::string::npos);
  EXPECT_FALSE(svc.authenticate(live->access_token)) << "as before: the lock ends the user's tokens";
  ASSERT_TRUE(access.set_locked("alice", false, {"admin", "ip"}));
  EXPECT_TRUE(svc.token(password_req(ro_)));
}

TEST_F(TokenServiceTest, BreakGlassUnlockClearsTheLockAndCanSetAPassword) {
  for (int i = 0; i < 3; ++i) (void)tokens_->token(password_req(ro_, "wrong password!!"));
  ASSERT_FALSE(tokens_->token(password_req(ro_)));
  EXPECT_FALSE(access_->break_glass_unlock("alice", "short", {"local:root", "local"}))
      << "a password that breaks the policy changes nothing";
  ASSERT_FALSE(tokens_->token(password_req(ro_)));
  ASSERT_TRUE(access_->break_glass_unlock("alice", "", {"local:root", "local"}));
  EXPECT_TRUE(tokens_->token(password_req(ro_)));
  ASSERT_TRUE(access_->break_glass_unlock("alice", "a new long password", {"local:root", "local"}));
  EXPECT_TRUE(tokens_->token(password_req(ro_, "a new long password")));
  auto missing = access_->break_glass_unlock("nobody", "", {"local:root", "local"});
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
  events_->flush();
  domain::EventFilter f;
  f.action = "user.unlock";
  auto page = store_->list_events(f);
  ASSERT_TRUE(page);
  ASSERT_EQ(page->events.size(), 2u);
  EXPECT_EQ(page->events.back().actor, "local:root");
  EXPECT_NE(page->events.back().detail.find("locked temporarily"), std::string::npos) << page->events.back().detail;
  EXPECT_NE(page->events.back().detail.find("break-glass"), std::string::npos);
}

// ---- W5: the built-in client's sessions end on the server after session_idle_timeout ----

TEST_F(TokenServiceTest, TheBuiltInClientsSessionEndsAfterTheIdleLimit) {
  oauth::TokenPolicy tp;
  tp.session_idle_timeout = 30 * 60;  // the default
  oauth::TokenService svc(*store_, *access_, *events_, clock_, "k", tp);
  auto req = password_req(ro_);
  req.client_id = oauth::kFirstPartyClientId;
  req.client_secret.clear();
  req.client_secret_given = false;
  auto t = svc.token(req);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->expires_in, 30 * 60) << "access tokens live at most the idle limit";
  auto refresh = req;
  refresh.grant_type = "refresh_token";
  // Activity keeps the session: each rotation starts the idle limit again.
  for (int i = 0; i < 4; ++i) {
    clock_.advance(29 * 60);
    refresh.refresh_token = t->refresh_token;
    t = svc.token(refresh);
    ASSERT_TRUE(t) << "rotation " << i << ": " << t.error().description;
    EXPECT_EQ(t->expires_in, 30 * 60);
  }
  // Idle: the access token and the refresh token both end at the idle limit.
  clock_.advance(30 * 60 - 1);
  EXPECT_TRUE(svc.authenticate(t->access_token));
  clock_.advance(1);
  EXPECT_FALSE(svc.authenticate(t->access_token));
  refresh.refresh_token = t->refresh_token;
  auto late = svc.token(refresh);
  ASSERT_FALSE(late);
  // The same answer as any expired refresh token.
  EXPECT_EQ(late.error().status, 400);
  EXPECT_EQ(late.error().error, "invalid_grant");
  EXPECT_EQ(late.error().message, "The refresh token is invalid, expired or already used. Log in again.");
  auto f = failures();
  ASSERT_FALSE(f.empty());
  EXPECT_NE(f.front().detail.find("session idle"), std::string::npos) << f.front().detail;
}

TEST_F(TokenServiceTest, TheIdleLimitShortensOnlyTheBuiltInClientsTokens) {
  oauth::TokenPolicy tp;
  tp.access_ttl = 3600;
  tp.session_idle_timeout = 10 * 60;
  oauth::TokenService svc(*store_, *access_, *events_, clock_, "k", tp);
  EXPECT_EQ(svc.access_ttl_for(oauth::kFirstPartyClientId), 10 * 60);
  EXPECT_EQ(svc.refresh_ttl_for(oauth::kFirstPartyClientId), 10 * 60);
  EXPECT_EQ(svc.access_ttl_for(ro_.grant.client_id), 3600);
  EXPECT_EQ(svc.refresh_ttl_for(ro_.grant.client_id), 14 * 86400);
  // A Resource Owner Grant (a manager) keeps its hour and its 14 days.
  auto t = svc.token(password_req(ro_));
  ASSERT_TRUE(t);
  EXPECT_EQ(t->expires_in, 3600);
  clock_.advance(3599);
  EXPECT_TRUE(svc.authenticate(t->access_token));
  clock_.advance(13 * 86400);
  auto refresh = password_req(ro_);
  refresh.grant_type = "refresh_token";
  refresh.refresh_token = t->refresh_token;
  EXPECT_TRUE(svc.token(refresh));
  // An access-token lifetime shorter than the idle limit is kept for the built-in client too.
  tp.access_ttl = 300;
  oauth::TokenService short_svc(*store_, *access_, *events_, clock_, "k", tp);
  EXPECT_EQ(short_svc.access_ttl_for(oauth::kFirstPartyClientId), 300);
  EXPECT_EQ(short_svc.refresh_ttl_for(oauth::kFirstPartyClientId), 10 * 60);
}

// docs/security.md C4b: a client_credentials token is minted on the I/O thread and stored later
// by the writer thread. If the grant's secret is regenerated in between, the token must not be
// stored (the regeneration's revocation would otherwise miss it): the caller gets invalid_client
// and the Event Log says why. A token stored before the regeneration is revoked by it.
TEST_F(TokenServiceTest, ATokenMintedBeforeARegenerationIsRefusedWhenItsCommitComesAfter) {
  auto store_now = [&](oauth::PendingTokens p) {
    std::promise<std::optional<oauth::OAuthError>> done;
    auto f = done.get_future();
    tokens_->store_async(std::move(p), [&](const std::optional<oauth::OAuthError>& e) { done.set_value(e); });
    return f.get();
  };

  auto before = tokens_->mint_client_credentials(cc_req(cc_));
  ASSERT_TRUE(before);
  EXPECT_FALSE(store_now(*before));  // stored: the secret is unchanged
  auto late = tokens_->mint_client_credentials(cc_req(cc_));
  ASSERT_TRUE(late);
  ASSERT_TRUE(grants_->regenerate_secret("cc", {"admin", "ip"}));
  auto refused = store_now(*late);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 401);
  EXPECT_EQ(refused->error, "invalid_client");

  EXPECT_FALSE(tokens_->authenticate(before->issued.access_token)) << "the regeneration revokes the stored one";
  auto late_found = store_->find_token(tokens_->hash_token(late->issued.access_token));
  ASSERT_TRUE(late_found);
  EXPECT_FALSE(*late_found) << "the refused token was not stored";

  auto f = failures();
  ASSERT_FALSE(f.empty());
  EXPECT_NE(f.front().detail.find("was replaced"), std::string::npos) << f.front().detail;
}

// /metrics: each refusal counts under the reason the Event Log gives, each token issued under
// its grant type, and a lock by failed logins once.
TEST_F(TokenServiceTest, MetricsCountIssuedTokensRefusalsByReasonAndLocks) {
  metrics::Registry registry;
  tokens_->attach_metrics(registry);
  auto& refusals = registry.counter("licsat_token_refusals_total", "", {"reason"});
  auto& issued = registry.counter("licsat_tokens_issued_total", "", {"grant_type"});
  auto refused = [&](const char* reason) { return refusals.with({reason}).value(); };

  ASSERT_TRUE(tokens_->token(cc_req(cc_)));
  auto pw = tokens_->token(password_req(ro_));
  ASSERT_TRUE(pw);
  auto refresh = password_req(ro_);
  refresh.grant_type = "refresh_token";
  refresh.refresh_token = pw->refresh_token;
  ASSERT_TRUE(tokens_->token(refresh));
  EXPECT_FALSE(tokens_->token(refresh));  // the used refresh token again
  EXPECT_EQ(issued.with({"client_credentials"}).value(), 1u);
  EXPECT_EQ(issued.with({"password"}).value(), 1u);
  EXPECT_EQ(issued.with({"refresh_token"}).value(), 1u);
  EXPECT_EQ(refused("refresh_token_reused"), 1u);

  EXPECT_FALSE(tokens_->token(wrong_secret()));
  auto unknown = cc_req(cc_);
  unknown.client_id = "nope";
  EXPECT_FALSE(tokens_->token(unknown));
  EXPECT_FALSE(tokens_->token(password_req(cc_)));  // a Client Credentials Grant with grant_type=password
  auto nobody = password_req(ro_);
  nobody.username = "nobody";
  EXPECT_FALSE(tokens_->token(nobody));
  EXPECT_EQ(refused("bad_secret"), 1u);
  EXPECT_EQ(refused("unknown_client"), 1u);
  EXPECT_EQ(refused("wrong_grant_type"), 1u);
  EXPECT_EQ(refused("unknown_user"), 1u);

  // Three bad passwords lock alice (threshold 3); the right one is then refused as locked.
  for (int i = 0; i < 3; ++i) EXPECT_FALSE(tokens_->token(password_req(ro_, "wrong password!")));
  EXPECT_FALSE(tokens_->token(password_req(ro_)));
  EXPECT_EQ(refused("bad_password") + refused("locked"), 4u);
  EXPECT_GE(refused("locked"), 1u);
  EXPECT_EQ(registry.counter("licsat_logins_locked_total", "").get().value(), 1u);
  // Every reason has a series from the start, so a rate over it is defined.
  EXPECT_NE(registry.render().find("licsat_token_refusals_total{reason=\"console_disabled\"} 0"), std::string::npos);
}
