#include "test_support.h"

using namespace licsat;
using domain::Event;
using domain::Role;

class AuthStoreTest : public licsat::test::StoreTest {
 protected:
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

TEST_F(AuthStoreTest, UserNamesAreUnique) {
  ASSERT_TRUE(store_->create_user(user("alice"), ev("user.create")));
  auto again = store_->create_user(user("alice"), ev("user.create"));
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::kAlreadyExists);
}

TEST_F(AuthStoreTest, AdminChangesWriteTheirEventInTheSameTransaction) {
  ASSERT_TRUE(store_->create_user(user("alice"), ev("user.create")));
  auto failed = store_->create_user(user("alice"), ev("user.create"));
  ASSERT_FALSE(failed);
  auto page = store_->list_events({});
  ASSERT_TRUE(page);
  EXPECT_EQ(page->total, 1) << "a refused change must not leave an event behind";
}

TEST_F(AuthStoreTest, LockoutCountsFailuresInsideTheWindowOnly) {
  ASSERT_TRUE(store_->create_user(user("bob"), ev("user.create")));
  for (int i = 0; i < 4; ++i) EXPECT_FALSE(*store_->record_login_failure("bob", clock_.now() + i, 900, 5));
  // The window has passed: counting starts again.
  EXPECT_FALSE(*store_->record_login_failure("bob", clock_.now() + 1000, 900, 5));
  for (int i = 0; i < 3; ++i) EXPECT_FALSE(*store_->record_login_failure("bob", clock_.now() + 1001 + i, 900, 5));
  EXPECT_TRUE(*store_->record_login_failure("bob", clock_.now() + 1010, 900, 5));
  EXPECT_TRUE((*store_->find_user("bob"))->locked);
  ASSERT_TRUE(store_->set_user_locked("bob", false, ev("user.unlock")));
  auto u = *store_->find_user("bob");
  EXPECT_FALSE(u->locked);
  EXPECT_EQ(u->failed_logins, 0);
}

TEST_F(AuthStoreTest, GrantSearchIsCaseInsensitiveSubstringAndEscapesWildcards) {
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

TEST_F(AuthStoreTest, DeletingAGrantDeletesItsTokens) {
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

TEST_F(AuthStoreTest, RefreshRotationIsOneShot) {
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

TEST_F(AuthStoreTest, EventFiltersAndPaging) {
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
