// The red-team findings (issue 21), on both backends where a store is involved: the scope limit,
// locks that end sessions for good, introspection of tokens the bearer check would refuse,
// case-insensitive auth schemes, HEAD where GET works, the argon2id gate; names that match no
// grant or user kept as fingerprints; lockout per (user, source address) with a delay, not a
// lock, when many addresses fail, and client throttling per (client ID, address).
#include <algorithm>
#include <future>
#include <thread>

#include <nlohmann/json.hpp>

#include "domain/name_fingerprint.h"
#include "domain/verify_gate.h"
#include "http/router.h"
#include "oauth/token_service.h"
#include "test_support.h"

using namespace licsat;
using domain::GrantType;
using domain::Role;

namespace {

class RedTeam : public test::BackendStoreTest {
 protected:
  RedTeam() : BackendStoreTest("licsat_redteam") {}
  void SetUp() override {
    BackendStoreTest::SetUp();
    if (IsSkipped()) return;
    domain::AccessPolicy policy;
    policy.cost.ops = 1;
    policy.cost.mem = 8 * 1024 * 1024;
    policy.lockout_threshold = 3;
    events_ = std::make_unique<domain::EventLog>(*store_, clock_);
    access_ = std::make_unique<domain::AccessService>(*store_, clock_, policy);
    grants_ = std::make_unique<domain::GrantService>(*store_, clock_, "k");
    tokens_ = std::make_unique<oauth::TokenService>(*store_, *access_, *events_, clock_, "k", oauth::TokenPolicy{});
    ASSERT_TRUE(access_->add_user("alice", Role::kOperator, "correct horse battery", {"t", "ip"}));
    ro_ = *grants_->create({"ro", GrantType::kResourceOwner, "", 0, Role::kOperator, {}}, {"t", "ip"});
    cc_ = *grants_->create({"cc", GrantType::kClientCredentials, "", 0, Role::kViewer, {}}, {"t", "ip"});
  }
  void TearDown() override {
    tokens_.reset();
    events_.reset();
    BackendStoreTest::TearDown();
  }
  oauth::TokenRequest login(const std::string& client_id = oauth::kFirstPartyClientId) {
    oauth::TokenRequest r;
    r.grant_type = "password";
    r.client_id = client_id;
    r.username = "alice";
    r.password = "correct horse battery";
    r.source_ip = "10.0.0.1";
    return r;
  }
  oauth::TokenRequest client(const domain::GrantWithSecret& g) {
    oauth::TokenRequest r;
    r.grant_type = "client_credentials";
    r.client_id = g.grant.client_id;
    r.client_secret = g.client_secret;
    r.client_secret_given = true;
    r.source_ip = "10.0.0.2";
    return r;
  }

  std::unique_ptr<domain::EventLog> events_;
  std::unique_ptr<domain::AccessService> access_;
  std::unique_ptr<domain::GrantService> grants_;
  std::unique_ptr<oauth::TokenService> tokens_;
  domain::GrantWithSecret ro_, cc_;
};

INSTANTIATE_TEST_SUITE_P(Backends, RedTeam, ::testing::Values("sqlite", "postgres"),
                         [](const auto& info) { return info.param; });

TEST_P(RedTeam, AScopeOverOneKilobyteIsInvalidScopeAndOneKilobyteIsIssued) {
  auto r = client(cc_);
  r.scope = std::string(oauth::kMaxScopeBytes + 1, 's');
  auto t = tokens_->token(r);
  ASSERT_FALSE(t);
  EXPECT_EQ(t.error().status, 400);
  EXPECT_EQ(t.error().error, "invalid_scope");
  r.scope = std::string(oauth::kMaxScopeBytes, 's');
  auto ok = tokens_->token(r);
  ASSERT_TRUE(ok) << ok.error().description;
  EXPECT_EQ(ok->scope.size(), oauth::kMaxScopeBytes);
}

TEST_P(RedTeam, UnlockingAUserDoesNotBringBackTheTokensTheLockEnded) {
  auto t = tokens_->token(login());
  ASSERT_TRUE(t) << t.error().description;
  ASSERT_TRUE(tokens_->authenticate(t->access_token));
  ASSERT_TRUE(access_->set_locked("alice", true, {"admin", "ip"}));
  EXPECT_FALSE(tokens_->authenticate(t->access_token));
  ASSERT_TRUE(access_->set_locked("alice", false, {"admin", "ip"}));
  auto after = tokens_->authenticate(t->access_token);
  ASSERT_FALSE(after);
  EXPECT_EQ(after.error().description, "The access token was revoked.");
  auto refreshed = tokens_->token([&] {
    oauth::TokenRequest r;
    r.grant_type = "refresh_token";
    r.client_id = oauth::kFirstPartyClientId;
    r.refresh_token = t->refresh_token;
    r.source_ip = "10.0.0.1";
    return r;
  }());
  EXPECT_FALSE(refreshed);
  // A fresh login after the unlock works.
  auto again = tokens_->token(login());
  ASSERT_TRUE(again) << again.error().description;
  EXPECT_TRUE(tokens_->authenticate(again->access_token));
}

TEST_P(RedTeam, AnUnlockOfAUserWhoWasNotLockedLeavesTheirSessions) {
  auto t = tokens_->token(login());
  ASSERT_TRUE(t);
  ASSERT_TRUE(access_->set_locked("alice", false, {"admin", "ip"}));
  EXPECT_TRUE(tokens_->authenticate(t->access_token));
}

TEST_P(RedTeam, IntrospectionIsInactiveWhileTheConsoleIsOffAndAfterTheGrantExpired) {
  auto t = tokens_->token(client(cc_));
  ASSERT_TRUE(t) << t.error().description;
  auto active = tokens_->introspect(client(cc_), t->access_token);
  ASSERT_TRUE(active);
  EXPECT_TRUE(active->has_value());
  ASSERT_TRUE(tokens_->set_console_enabled(false, {"admin", "ip"}));
  auto off = tokens_->introspect(client(cc_), t->access_token);
  ASSERT_TRUE(off);
  EXPECT_FALSE(off->has_value());
  // The built-in client's tokens are not the console's.
  auto user = tokens_->token(login());
  ASSERT_TRUE(user);
  auto own = tokens_->introspect(login(), user->access_token);
  ASSERT_TRUE(own);
  EXPECT_TRUE(own->has_value());
  ASSERT_TRUE(tokens_->set_console_enabled(true, {"admin", "ip"}));

  auto shortlived = *grants_->create({"short", GrantType::kClientCredentials, "", clock_.now() + 60, Role::kViewer, {}},
                                     {"t", "ip"});
  auto st = tokens_->token(client(shortlived));
  ASSERT_TRUE(st) << st.error().description;
  clock_.advance(61);
  // The grant expired: its client cannot even authenticate; the other client's view of the
  // token is inactive either way, and the bearer check refuses it.
  EXPECT_FALSE(tokens_->authenticate(st->access_token));
  auto other = tokens_->introspect(client(cc_), st->access_token);
  ASSERT_TRUE(other);
  EXPECT_FALSE(other->has_value());
}

TEST_P(RedTeam, APasswordLoginRefusedAtAFullGateIs429SlowDownAndCountsNothing) {
  domain::AccessPolicy policy;
  policy.cost.ops = 1;
  policy.cost.mem = 8 * 1024 * 1024;
  policy.lockout_threshold = 1;
  policy.verify_running = 1;
  policy.verify_queued = 0;
  domain::AccessService access(*store_, clock_, policy);
  oauth::TokenService tokens(*store_, access, *events_, clock_, "k", oauth::TokenPolicy{});
  auto held = access.verify_gate().enter();  // a verification in progress
  ASSERT_TRUE(held);
  auto r = login();
  r.password = "wrong wrong wrong";
  auto t = tokens.token(r);
  ASSERT_FALSE(t);
  EXPECT_EQ(t.error().status, 429);
  EXPECT_EQ(t.error().error, "slow_down");
  EXPECT_EQ(t.error().retry_after, 1);
  held = {};
  // Not counted: with a threshold of 1 a counted failure would have locked alice.
  auto ok = tokens.token(login());
  ASSERT_TRUE(ok) << ok.error().description;
}

TEST_P(RedTeam, ASecretTypedAsClientIdOrPasswordTypedAsUserNameIsStoredOnlyAsAFingerprint) {
  // A client secret sent as client_id, twice: refused, and stored as prefix + fingerprint.
  auto r = client(cc_);
  r.client_id = cc_.client_secret;
  for (int i = 0; i < 2; ++i) EXPECT_FALSE(tokens_->token(r));
  // A password sent as the user name (and the user name as the password).
  auto l = login();
  l.username = "correct horse battery";
  l.password = "alice";
  EXPECT_FALSE(tokens_->token(l));
  // Unknown client ID with no grant_type and an unsupported one: the same fingerprint.
  auto g = r;
  g.grant_type = "";
  EXPECT_FALSE(tokens_->token(g));
  events_->flush();
  auto all = store_->list_events(domain::EventFilter{});
  ASSERT_TRUE(all);
  domain::NameFingerprint fp("k");
  const std::string secret_fp = fp(cc_.client_secret), password_fp = fp("correct horse battery");
  EXPECT_EQ(secret_fp.substr(0, 3), cc_.client_secret.substr(0, 3));
  EXPECT_EQ(password_fp.substr(0, 3), "cor");
  size_t secret_events = 0, password_events = 0;
  for (const auto& e : all->events) {
    for (const auto* text : {&e.actor, &e.detail}) {
      EXPECT_EQ(text->find(cc_.client_secret), std::string::npos) << *text;
      EXPECT_EQ(text->find("correct horse battery"), std::string::npos) << *text;
    }
    if (e.actor == secret_fp) ++secret_events;
    if (e.detail.find(password_fp) != std::string::npos) ++password_events;
  }
  EXPECT_EQ(secret_events, 3u);  // correlated: both token requests and the one without grant_type
  EXPECT_EQ(password_events, 1u);
  // A known user's name and a known client's ID stay readable.
  auto bad = login();
  bad.password = "wrong wrong wrong";
  EXPECT_FALSE(tokens_->token(bad));
  auto wrong_secret = client(cc_);
  wrong_secret.client_secret = "nope";
  EXPECT_FALSE(tokens_->token(wrong_secret));
  events_->flush();
  bool named_user = false, named_client = false;
  auto later = store_->list_events(domain::EventFilter{});
  ASSERT_TRUE(later);
  for (const auto& e : later->events) {
    if (e.detail.find("for 'alice'") != std::string::npos) named_user = true;
    if (e.actor.starts_with(cc_.grant.client_id.substr(0, 32))) named_client = true;  // actors are clipped at 64 bytes
  }
  EXPECT_TRUE(named_user);
  EXPECT_TRUE(named_client);
}

// Item 3: lockout that an attacker cannot aim.
oauth::TokenRequest from(oauth::TokenRequest r, const std::string& address, const std::string& password) {
  r.source_ip = address;
  r.password = password;
  return r;
}

TEST_P(RedTeam, ALockFromOneAddressLeavesTheUserFreeAtAnother) {
  for (int i = 0; i < 3; ++i) EXPECT_FALSE(tokens_->token(from(login(), "203.0.113.9", "wrong wrong wrong")));
  auto at_attacker = tokens_->token(from(login(), "203.0.113.9", "correct horse battery"));
  ASSERT_FALSE(at_attacker);
  EXPECT_NE(at_attacker.error().message.find("is locked"), std::string::npos) << at_attacker.error().message;
  auto at_home = tokens_->token(login());
  ASSERT_TRUE(at_home) << at_home.error().description;
  auto locked = access_->login_guard().locked_addresses("alice", clock_.now());
  ASSERT_EQ(locked.size(), 1u);
  EXPECT_EQ(locked.front().first, "203.0.113.9");
}

TEST_P(RedTeam, AnUnknownNameGetsTheSameAnswersAsAKnownOneThroughALock) {
  auto answers = [&](const std::string& name) {
    std::vector<std::string> out;
    for (int i = 0; i < 4; ++i) {
      auto r = from(login(), "198.51.100.7", "wrong wrong wrong");
      r.username = name;
      auto t = tokens_->token(r);
      EXPECT_FALSE(t);
      std::string m = t.error().message;
      if (auto at = m.find(name); at != std::string::npos) m.replace(at, name.size(), "NAME");
      out.push_back(std::to_string(t.error().status) + " " + t.error().error + " " + m);
    }
    return out;
  };
  auto known = answers("alice");
  auto unknown = answers("mallory");
  EXPECT_EQ(known, unknown);
  EXPECT_NE(known.back().find("is locked"), std::string::npos) << known.back();
}

TEST_P(RedTeam, ManyAddressesFailingDelayNewAddressesButNotOneThatLoggedInBefore) {
  ASSERT_TRUE(tokens_->token(login()));  // alice's usual address: 10.0.0.1
  const int64_t global = access_->policy().lockout_global_threshold;
  for (int64_t i = 0; i < global; ++i) {
    auto t = tokens_->token(from(login(), "192.0.2." + std::to_string(i % 10), "wrong wrong wrong"));
    ASSERT_FALSE(t);
    ASSERT_EQ(t.error().status, 400) << i << ": " << t.error().message;
  }
  auto fresh = tokens_->token(from(login(), "192.0.2.200", "correct horse battery"));
  ASSERT_FALSE(fresh);
  EXPECT_EQ(fresh.error().status, 429);
  EXPECT_EQ(fresh.error().error, "slow_down");
  EXPECT_GT(fresh.error().retry_after, 0);
  EXPECT_LE(fresh.error().retry_after, access_->policy().lockout_global_delay);
  auto home = tokens_->token(login());
  ASSERT_TRUE(home) << home.error().message;
  // A delay, not a lock: once it has passed the new address is heard.
  clock_.advance(access_->policy().lockout_global_delay);
  EXPECT_TRUE(tokens_->token(from(login(), "192.0.2.200", "correct horse battery")));
  events_->flush();
  domain::EventFilter f;
  f.action = "user.delay";
  auto delays = store_->list_events(f);
  ASSERT_TRUE(delays);
  ASSERT_EQ(delays->events.size(), 1u);
  EXPECT_NE(delays->events.front().detail.find("'alice'"), std::string::npos);
}

TEST_P(RedTeam, AnAdminUnlockEndsTheLocksOfEveryAddress) {
  for (const char* a : {"203.0.113.1", "203.0.113.2"})
    for (int i = 0; i < 3; ++i) (void)tokens_->token(from(login(), a, "wrong wrong wrong"));
  EXPECT_EQ(access_->login_guard().locked_addresses("alice", clock_.now()).size(), 2u);
  ASSERT_TRUE(access_->set_locked("alice", false, {"admin", "ip"}));
  EXPECT_TRUE(access_->login_guard().locked_addresses("alice", clock_.now()).empty());
  EXPECT_TRUE(tokens_->token(from(login(), "203.0.113.1", "correct horse battery")));
  EXPECT_TRUE(tokens_->token(from(login(), "203.0.113.2", "correct horse battery")));
}

TEST_P(RedTeam, BadClientSecretsFromOneAddressDoNotHoldTheClientBackAtItsOwn) {
  oauth::TokenPolicy tp;
  tp.client_failures_per_minute = 4;
  oauth::TokenService svc(*store_, *access_, *events_, clock_, "k", tp);
  auto bad = client(cc_);
  bad.client_secret = "guess";
  bad.source_ip = "203.0.113.66";
  for (int i = 0; i < 4; ++i) EXPECT_EQ(svc.token(bad).error().status, 401);
  EXPECT_EQ(svc.token(bad).error().status, 429);
  auto right_there = client(cc_);
  right_there.source_ip = "203.0.113.66";
  EXPECT_EQ(svc.token(right_there).error().status, 429) << "the guessing address waits, right secret or not";
  auto t = svc.token(client(cc_));  // the real client, at its own address
  EXPECT_TRUE(t) << t.error().description;
}

TEST(NameFingerprint, KeepsAtMostAQuarterAndThreeCharactersAndDependsOnTheKey) {
  domain::NameFingerprint a("key-a"), b("key-b");
  EXPECT_EQ(a("abcdefghijklmnop").substr(0, 3), "abc");
  EXPECT_EQ(a("abcdefghijklmnop").size(), 3 + std::string("…#").size() + 8);
  EXPECT_EQ(a("abcdefgh").substr(0, 2), "ab");
  EXPECT_TRUE(a("abc").starts_with("…#"));  // too short to keep anything
  EXPECT_TRUE(a("äöüßäöüß").starts_with("äö…#"));  // whole characters
  EXPECT_EQ(a("same value"), a("same value"));
  EXPECT_NE(a("same value"), a("same valuf"));
  EXPECT_NE(a("same value"), b("same value"));
  EXPECT_EQ(a(""), "(none)");
}

TEST(VerifyGate, AdmitsTheRunningLimitQueuesUpToTheQueueLimitAndRefusesPastIt) {
  domain::VerifyGate gate(1, 1);
  auto first = gate.enter();
  ASSERT_TRUE(first);
  std::promise<void> entered;
  std::thread waiter([&] {
    auto p = gate.enter();  // waits for `first`
    EXPECT_TRUE(p);
    entered.set_value();
  });
  while (gate.waiting() == 0) std::this_thread::yield();
  EXPECT_FALSE(gate.enter());  // the one queue place is taken
  first = {};
  entered.get_future().wait();
  waiter.join();
  EXPECT_EQ(gate.running(), 0);
  EXPECT_TRUE(gate.enter());
}

TEST(VerifyGate, DefaultsFollowTheCoreCount) {
  domain::VerifyGate gate;
  int64_t cores = std::max<int64_t>(1, std::thread::hardware_concurrency());
  EXPECT_EQ(gate.running_limit(), cores);
  EXPECT_EQ(gate.queue_limit(), 4 * cores);
}

TEST(AuthScheme, IsRecognisedWhateverItsCase) {
  EXPECT_TRUE(http::auth_scheme_is("Bearer abc", "Bearer"));
  EXPECT_TRUE(http::auth_scheme_is("bEARER abc", "Bearer"));
  EXPECT_TRUE(http::auth_scheme_is("BASIC eDp5", "Basic"));
  EXPECT_FALSE(http::auth_scheme_is("Bearerabc", "Bearer"));
  EXPECT_FALSE(http::auth_scheme_is("Bearer", "Bearer"));
  EXPECT_FALSE(http::auth_scheme_is("Basic abc", "Bearer"));
}

TEST(RouterHead, HeadIsServedByTheGetRouteAndListedInAllow) {
  http::Router router;
  router.add("GET", "/things/{id}", [](http::Request& r) { return http::json_response(200, nlohmann::json{{"id", r.params["id"]}}); });
  router.add("POST", "/things/{id}", [](http::Request&) { return http::json_response(201, nlohmann::json::object()); });
  http::Request head;
  head.method = "HEAD";
  head.path = "/things/7";
  auto m = router.match(head);
  ASSERT_NE(m.route, nullptr);
  EXPECT_EQ(m.route->method, "GET");
  EXPECT_EQ(head.params["id"], "7");
  EXPECT_NE(router.find("HEAD", "/things/7"), nullptr);
  http::Request del;
  del.method = "DELETE";
  del.path = "/things/7";
  auto r = router.dispatch(del, nullptr);
  EXPECT_EQ(r.status, 405);
  std::string allow;
  for (const auto& [k, v] : r.headers)
    if (k == "Allow") allow = v;
  EXPECT_EQ(allow, "GET, HEAD, POST");
}

}  // namespace
