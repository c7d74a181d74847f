#include "test_support.h"

using namespace licsat;
using domain::Event;
using domain::Role;

// Runs on SQLite always and on PostgreSQL when LICSAT_TEST_PG_URL names a server (each test in a
// schema of its own), like the licensing store tests.
class AuthStoreTest : public licsat::test::BackendStoreTest {
 protected:
  AuthStoreTest() : BackendStoreTest("licsat_auth") {}
  Event ev(const std::string& action) { return Event{0, clock_.now(), "tester", "127.0.0.1", action, "success", "x"}; }
  domain::User user(const std::string& name) {
    domain::User u;
    u.name = name;
    u.role = Role::kOperator;
    u.password_hash = "$argon2id$fake";
    u.created_at = clock_.now();
    u.created_by = "tester";
    return u;
  }
};

INSTANTIATE_TEST_SUITE_P(Backends, AuthStoreTest, ::testing::Values("sqlite", "postgres"),
                         [](const auto& info) { return info.param; });

TEST_P(AuthStoreTest, UserNamesAreUnique) {
  ASSERT_TRUE(store_->create_user(user("alice"), ev("user.create")));
  auto again = store_->create_user(user("alice"), ev("user.create"));
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::kAlreadyExists);
}

TEST_P(AuthStoreTest, AdminChangesWriteTheirEventInTheSameTransaction) {
  ASSERT_TRUE(store_->create_user(user("alice"), ev("user.create")));
  auto failed = store_->create_user(user("alice"), ev("user.create"));
  ASSERT_FALSE(failed);
  auto page = store_->list_events({});
  ASSERT_TRUE(page);
  EXPECT_EQ(page->total, 1) << "a refused change must not leave an event behind";
}

TEST_P(AuthStoreTest, LockoutCountsFailuresInsideTheWindowOnly) {
  ASSERT_TRUE(store_->create_user(user("bob"), ev("user.create")));
  auto fail_at = [&](int64_t t) { return store_->record_login_failure("bob", clock_.now() + t, 900, 5, 0, 86400)->locked_now; };
  for (int i = 0; i < 4; ++i) EXPECT_FALSE(fail_at(i));
  // The window has passed: counting starts again.
  EXPECT_FALSE(fail_at(1000));
  for (int i = 0; i < 3; ++i) EXPECT_FALSE(fail_at(1001 + i));
  EXPECT_TRUE(fail_at(1010));
  EXPECT_TRUE((*store_->find_user("bob"))->locked) << "lock_for = 0: locked until an admin unlocks";
  ASSERT_TRUE(store_->set_user_locked("bob", false, ev("user.unlock")));
  auto u = *store_->find_user("bob");
  EXPECT_FALSE(u->locked);
  EXPECT_EQ(u->failed_logins, 0);
}

TEST_P(AuthStoreTest, TemporaryLockoutsDoubleUntilASuccessfulLoginOrUnlock) {
  ASSERT_TRUE(store_->create_user(user("bob"), ev("user.create")));
  int64_t t = clock_.now();
  auto lock_round = [&](int64_t at) {
    store::LockoutResult r;
    for (int i = 0; i < 3; ++i) r = *store_->record_login_failure("bob", at + i, 900, 3, 600, 2400);
    return r;
  };
  auto r1 = lock_round(t);
  EXPECT_TRUE(r1.locked_now);
  EXPECT_EQ(r1.locked_until, t + 2 + 600);
  auto u = *store_->find_user("bob");
  EXPECT_FALSE(u->locked) << "a temporary lock is not the admin's lock (it leaves live tokens alone)";
  EXPECT_EQ(u->locked_until, t + 602);
  EXPECT_EQ(u->lockouts, 1);
  // Failures during the lock are not counted.
  EXPECT_FALSE(store_->record_login_failure("bob", t + 300, 900, 3, 600, 2400)->locked_now);
  EXPECT_EQ((*store_->find_user("bob"))->failed_logins, 3);
  // After it, a fresh count; the next lock lasts twice as long, then four times, capped at 2400.
  EXPECT_EQ(lock_round(t + 700).locked_until, t + 702 + 1200);
  EXPECT_EQ(lock_round(t + 2000).locked_until, t + 2002 + 2400);
  EXPECT_EQ(lock_round(t + 5000).locked_until, t + 5002 + 2400);
  // A successful login forgets the history: the next lock is the short one again.
  ASSERT_TRUE(store_->clear_login_failures("bob"));
  u = *store_->find_user("bob");
  EXPECT_EQ(u->locked_until, 0);
  EXPECT_EQ(u->lockouts, 0);
  EXPECT_EQ(u->failed_logins, 0);
  EXPECT_EQ(lock_round(t + 8000).locked_until, t + 8002 + 600);
  // An admin's unlock clears the temporary lock and its history too.
  ASSERT_TRUE(store_->set_user_locked("bob", false, ev("user.unlock")));
  u = *store_->find_user("bob");
  EXPECT_EQ(u->locked_until, 0);
  EXPECT_EQ(u->lockouts, 0);
}

TEST_P(AuthStoreTest, GrantSearchIsCaseInsensitiveSubstringAndEscapesWildcards) {
  domain::Grant g;
  g.type = domain::GrantType::kResourceOwner;
  g.secret_hash = "h";
  g.created_at = clock_.now();
  g.created_by = "t";
  for (auto name : {"Test5", "vManage_prod", "other"}) {
    g.name = name;
    g.client_id = std::string("cid-") + name;
    ASSERT_TRUE(store_->create_grant(g, ev("grant.create")));
  }
  EXPECT_EQ(store_->list_grants("test")->size(), 1u);
  EXPECT_EQ(store_->list_grants("_")->size(), 1u);
  EXPECT_EQ(store_->list_grants("")->size(), 3u);
}

TEST_P(AuthStoreTest, DeletingAGrantDeletesItsTokens) {
  domain::Grant g;
  g.name = "g";
  g.client_id = "cid";
  g.secret_hash = "h";
  auto made = store_->create_grant(g, ev("grant.create"));
  ASSERT_TRUE(made);
  domain::Token t;
  t.hash = "tokhash";
  t.grant_id = made->id;
  t.client_id = "cid";
  t.expires = clock_.now() + 100;
  ASSERT_TRUE(store_->insert_tokens({t}));
  ASSERT_TRUE(*store_->find_token("tokhash"));
  ASSERT_TRUE(store_->delete_grant("g", ev("grant.delete")));
  EXPECT_FALSE(*store_->find_token("tokhash"));
}

TEST_P(AuthStoreTest, RefreshRotationIsOneShot) {
  domain::Token r;
  r.hash = "r1";
  r.kind = domain::TokenKind::kRefresh;
  r.client_id = "c";
  r.expires = clock_.now() + 100;
  ASSERT_TRUE(store_->insert_tokens({r}));
  domain::Token next = r;
  next.hash = "r2";
  EXPECT_TRUE(*store_->rotate_refresh_token("r1", {next}));
  next.hash = "r3";
  EXPECT_FALSE(*store_->rotate_refresh_token("r1", {next}));
  EXPECT_FALSE(*store_->find_token("r3"));
}

TEST_P(AuthStoreTest, EventFiltersAndPaging) {
  std::vector<Event> batch;
  for (int i = 0; i < 30; ++i)
    batch.push_back(Event{0, clock_.now() + i, "a", "ip", i % 2 ? "token.issue" : "grant.create", i % 3 ? "success" : "failure", "d"});
  ASSERT_TRUE(store_->append_events(batch));
  domain::EventFilter f;
  f.action = "token.";
  EXPECT_EQ(store_->list_events(f)->total, 15);
  f = {};
  f.outcome = "failure";
  EXPECT_EQ(store_->list_events(f)->total, 10);
  f = {};
  f.since = clock_.now() + 20;
  EXPECT_EQ(store_->list_events(f)->total, 10);
  f = {};
  f.limit = 7;
  f.offset = 28;
  auto p = store_->list_events(f);
  EXPECT_EQ(p->total, 30);
  EXPECT_EQ(p->events.size(), 2u);
}

// SQLite's query plan (EXPLAIN QUERY PLAN); PostgreSQL's planner picks by table statistics.
class AuthStoreSqlitePlan : public licsat::test::StoreTest {};

// Migration 0007 made the user and parent indexes of tokens partial; the lookups that need them
// (a refresh token's revocation reaching its access tokens, a user's deletion cascading to their
// tokens) must still be index searches, not scans of every token.
TEST_F(AuthStoreSqlitePlan, TokenLookupsByParentAndUserStillUseTheirPartialIndexes) {
  auto plan = [&](const std::string& sql) {
    std::string out;
    EXPECT_TRUE(db_->transact(store::TxMode::kRead, [&](store::Connection& c) -> Status {
      auto rows = c.query("EXPLAIN QUERY PLAN " + sql);
      if (!rows) return fail(rows.error());
      for (const auto& r : *rows) out += r.str(3) + "\n";
      return {};
    }));
    return out;
  };
  EXPECT_NE(plan("UPDATE tokens SET revoked = 1 WHERE parent = 'p' AND parent <> ''").find("INDEX tokens_parent"),
            std::string::npos);
  EXPECT_NE(plan("SELECT 1 FROM tokens WHERE username = 'u'").find("INDEX tokens_user"), std::string::npos);
}
