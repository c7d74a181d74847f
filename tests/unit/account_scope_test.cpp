// Per-account access (tenancy): the AccountScope type, and users' and grants' account lists in
// the store on both backends, including what the 0010 migration gives existing rows.
#include "domain/account_scope.h"
#include "test_support.h"

using namespace licsat;
using domain::AccountScope;
using domain::Event;

TEST(AccountScope, DefaultReachesEveryAccount) {
  AccountScope s;
  EXPECT_TRUE(s.is_every());
  EXPECT_TRUE(s.permits("acme"));
  EXPECT_EQ(s.to_string(), "all");
}

TEST(AccountScope, ParsesACommaListSortedWithoutDuplicates) {
  auto s = AccountScope::parse(" globex, acme ,globex");
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_FALSE(s->is_every());
  EXPECT_EQ(s->names(), (std::vector<std::string>{"acme", "globex"}));
  EXPECT_EQ(s->to_string(), "acme,globex");
  EXPECT_TRUE(s->permits("acme"));
  EXPECT_FALSE(s->permits("initech"));
  EXPECT_FALSE(s->permits("acm")) << "names match exactly, not by prefix";
}

TEST(AccountScope, AllAndStarMeanEveryAccount) {
  EXPECT_TRUE(AccountScope::parse("all")->is_every());
  EXPECT_TRUE(AccountScope::parse("*")->is_every());
}

TEST(AccountScope, RefusesEmptyListsAndBadNames) {
  EXPECT_FALSE(AccountScope::parse(""));
  EXPECT_FALSE(AccountScope::parse("acme,,globex"));
  EXPECT_FALSE(AccountScope::parse("acme,"));
  EXPECT_FALSE(AccountScope::parse("ac\nme"));
  EXPECT_FALSE(AccountScope::parse(std::string(129, 'a')));
  EXPECT_FALSE(AccountScope::check_name(" acme"));
  EXPECT_TRUE(AccountScope::check_name("acme corp"));
}

TEST(AccountScope, IntersectionIsWhatBothReach) {
  auto ab = AccountScope::only({"a", "b"});
  auto bc = AccountScope::only({"c", "b"});
  EXPECT_EQ(ab.intersect(bc), AccountScope::only({"b"}));
  EXPECT_EQ(bc.intersect(ab), AccountScope::only({"b"}));
  EXPECT_EQ(ab.intersect(AccountScope::every()), ab);
  EXPECT_EQ(AccountScope::every().intersect(bc), bc);
  EXPECT_TRUE(AccountScope::every().intersect(AccountScope::every()).is_every());
  auto none = ab.intersect(AccountScope::only({"z"}));
  EXPECT_FALSE(none.is_every());
  EXPECT_TRUE(none.names().empty());
  EXPECT_FALSE(none.permits("a")) << "disjoint scopes reach no account, not every account";
}

class AccountScopeStore : public test::BackendStoreTest {
 protected:
  AccountScopeStore() : BackendStoreTest("licsat_scope") {}
  Event ev(const std::string& action) { return Event{0, clock_.now(), "tester", "127.0.0.1", action, "success", "x"}; }
  domain::User user(const std::string& name, AccountScope accounts) {
    domain::User u;
    u.name = name;
    u.accounts = std::move(accounts);
    u.password_hash = "$argon2id$fake";
    u.created_at = clock_.now();
    u.created_by = "tester";
    return u;
  }
  domain::Grant grant(const std::string& name, AccountScope accounts) {
    domain::Grant g;
    g.name = name;
    g.type = domain::GrantType::kClientCredentials;
    g.client_id = "cid-" + name;
    g.secret_hash = "h";
    g.created_at = clock_.now();
    g.created_by = "tester";
    g.accounts = std::move(accounts);
    return g;
  }
  void add_token(const std::string& hash, std::optional<int64_t> grant_id, const std::string& username) {
    domain::Token t;
    t.hash = hash;
    t.grant_id = grant_id;
    t.client_id = "c";
    t.username = username;
    t.expires = clock_.now() + 3600;
    t.created_at = clock_.now();
    ASSERT_TRUE(store_->insert_tokens({t}));
  }
};

INSTANTIATE_TEST_SUITE_P(Backends, AccountScopeStore, ::testing::Values("sqlite", "postgres"),
                         [](const auto& info) { return info.param; });

TEST_P(AccountScopeStore, UsersKeepTheirAccountsAndChangesAreAudited) {
  ASSERT_TRUE(store_->create_user(user("all", AccountScope::every()), ev("user.create")));
  ASSERT_TRUE(store_->create_user(user("two", AccountScope::only({"b", "a"})), ev("user.create")));
  EXPECT_TRUE((*store_->find_user("all"))->accounts.is_every());
  EXPECT_EQ((*store_->find_user("two"))->accounts, AccountScope::only({"a", "b"}));

  ASSERT_TRUE(store_->set_user_accounts("all", AccountScope::only({"c"}), ev("user.accounts")));
  ASSERT_TRUE(store_->set_user_accounts("two", AccountScope::every(), ev("user.accounts")));
  EXPECT_EQ((*store_->find_user("all"))->accounts, AccountScope::only({"c"}));
  EXPECT_TRUE((*store_->find_user("two"))->accounts.is_every());
  auto users = store_->list_users();
  ASSERT_TRUE(users);
  ASSERT_EQ(users->size(), 2u);
  EXPECT_EQ(users->front().accounts, AccountScope::only({"c"}));

  auto missing = store_->set_user_accounts("nobody", AccountScope::every(), ev("user.accounts"));
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
  domain::EventFilter f;
  f.action = "user.accounts";
  auto page = store_->list_events(f);
  ASSERT_TRUE(page);
  EXPECT_EQ(page->total, 2) << "each change writes its event; the refused one none";
}

TEST_P(AccountScopeStore, GrantsKeepTheirAccountsThroughTheCache) {
  auto g = store_->create_grant(grant("sat", AccountScope::only({"acme"})), ev("grant.create"));
  ASSERT_TRUE(g);
  EXPECT_EQ((*store_->find_grant_by_client_id("cid-sat"))->accounts, AccountScope::only({"acme"}));
  ASSERT_TRUE(store_->set_grant_accounts("sat", AccountScope::only({"globex", "acme"}), ev("grant.accounts")));
  EXPECT_EQ((*store_->find_grant_by_client_id("cid-sat"))->accounts, AccountScope::only({"acme", "globex"}))
      << "a change is seen at once, not after the grant cache expires";
  EXPECT_EQ((*store_->find_grant_by_name("sat"))->accounts, AccountScope::only({"acme", "globex"}));
  EXPECT_EQ(store_->list_grants("")->front().accounts, AccountScope::only({"acme", "globex"}));
  EXPECT_FALSE(store_->set_grant_accounts("nope", AccountScope::every(), ev("grant.accounts")));
}

TEST_P(AccountScopeStore, ATokenRecordCarriesItsUsersAndGrantsAccountsAsTheyAreNow) {
  ASSERT_TRUE(store_->create_user(user("ann", AccountScope::only({"a", "b"})), ev("user.create")));
  auto g = store_->create_grant(grant("ro", AccountScope::only({"b", "c"})), ev("grant.create"));
  ASSERT_TRUE(g);
  add_token("t1", g->id, "ann");
  add_token("t2", std::nullopt, "ann");
  auto r1 = store_->find_token("t1");
  ASSERT_TRUE(r1 && *r1);
  EXPECT_EQ((*r1)->user_accounts, AccountScope::only({"a", "b"}));
  EXPECT_EQ((*r1)->grant_accounts, AccountScope::only({"b", "c"}));
  auto r2 = store_->find_token("t2");
  ASSERT_TRUE(r2 && *r2);
  EXPECT_TRUE((*r2)->grant_accounts.is_every()) << "the first-party client has no grant: no limit of its own";

  ASSERT_TRUE(store_->set_user_accounts("ann", AccountScope::every(), ev("user.accounts")));
  EXPECT_TRUE((*store_->find_token("t1"))->user_accounts.is_every());
}

TEST_P(AccountScopeStore, TheMigrationGivesExistingUsersAndGrantsEveryAccount) {
  // Back to the schema before 0010, with a user and a grant created then; then migrate again.
  ASSERT_TRUE(db_->transact(store::TxMode::kWrite, [](store::Connection& c) -> Status {
    if (auto r = c.exec_script("ALTER TABLE users DROP COLUMN accounts"); !r) return r;
    if (auto r = c.exec_script("ALTER TABLE api_grants DROP COLUMN accounts"); !r) return r;
    if (auto r = c.exec_script("DELETE FROM schema_migrations WHERE version = 10"); !r) return r;
    if (auto r = c.exec_script("INSERT INTO users (name, role, password_hash, created_at, created_by) "
                               "VALUES ('old', 'viewer', 'h', 1, 'x')");
        !r)
      return r;
    return c.exec_script("INSERT INTO api_grants (name, type, client_id, secret_hash, role, created_at, created_by) "
                         "VALUES ('oldgrant', 'client_credentials', 'cid-old', 'h', 'operator', 1, 'x')");
  }));
  auto m = store::migrate(*db_);
  ASSERT_TRUE(m) << m.error().message;
  EXPECT_EQ(*m, 1);
  auto u = store_->find_user("old");
  ASSERT_TRUE(u && *u);
  EXPECT_TRUE((*u)->accounts.is_every());
  auto g = store_->find_grant_by_name("oldgrant");
  ASSERT_TRUE(g && *g);
  EXPECT_TRUE((*g)->accounts.is_every());
}
