// The token endpoint's logic on a fake clock: grant types, expiry, rotation, lockout, throttling.
#include "oauth/token_service.h"
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
    ro_ = *grants_->create({"ro", GrantType::kResourceOwner, "", 0, Role::kOperator}, {"t", "ip"});
    cc_ = *grants_->create({"cc", GrantType::kClientCredentials, "", 0, Role::kViewer}, {"t", "ip"});
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
  auto g = *grants_->create({"short", GrantType::kClientCredentials, "", clock_.now() + 86400, Role::kOperator}, {"t", "ip"});
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
  (void)tokens_->token(password_req(ro_, "wrong password!!"));
  events_->flush();
  auto all = store_->list_events({});
  for (const auto& e : all->events) {
    EXPECT_EQ(e.detail.find(ro_.client_secret), std::string::npos);
    EXPECT_EQ(e.detail.find(t->access_token), std::string::npos);
    EXPECT_EQ(e.detail.find("correct horse"), std::string::npos);
    EXPECT_EQ(e.detail.find("wrong password"), std::string::npos);
  }
}
