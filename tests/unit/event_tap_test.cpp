// The Event Log tap (store/event_tap.h) on both backends: every event a committed transaction
// inserted reaches the observer, with its fields; a rolled-back transaction hands over nothing.
#include <mutex>
#include <vector>

#include "store/event_tap.h"
#include "store/sql_store.h"
#include "test_support.h"

namespace licsat {
namespace {

using domain::Event;

class EventTap : public test::BackendStoreTest {
 protected:
  EventTap() : BackendStoreTest("event_tap") {}
  void SetUp() override {
    BackendStoreTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    tapped_ = store::tap_events(db_, [this](const Event& e) {
      std::lock_guard l(mu_);
      seen_.push_back(e);
    });
    store_ = store::make_sql_store(tapped_);
  }
  void TearDown() override {
    store_.reset();
    tapped_.reset();
    BackendStoreTest::TearDown();
  }
  std::vector<Event> seen() {
    std::lock_guard l(mu_);
    return seen_;
  }
  Event ev(const std::string& action, const std::string& outcome = "success") {
    return Event{0, clock_.now(), "tester", "192.0.2.1", action, outcome, "detail of " + action};
  }
  domain::User user(const std::string& name) {
    domain::User u;
    u.name = name;
    u.role = domain::Role::kOperator;
    u.password_hash = "$argon2id$fake";
    u.created_at = clock_.now();
    u.created_by = "tester";
    return u;
  }

  std::shared_ptr<store::Database> tapped_;
  std::mutex mu_;
  std::vector<Event> seen_;
};

INSTANTIATE_TEST_SUITE_P(Backends, EventTap, ::testing::Values("sqlite", "postgres"),
                         [](const auto& info) { return info.param; });

TEST_P(EventTap, AnAdminChangeHandsItsEventOverOnceCommitted) {
  ASSERT_TRUE(store_->create_user(user("alice"), ev("user.create")));
  auto s = seen();
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].time, clock_.now());
  EXPECT_EQ(s[0].actor, "tester");
  EXPECT_EQ(s[0].source_ip, "192.0.2.1");
  EXPECT_EQ(s[0].action, "user.create");
  EXPECT_EQ(s[0].outcome, "success");
  EXPECT_EQ(s[0].detail, "detail of user.create");
}

TEST_P(EventTap, AFailedChangeHandsNothingOver) {
  ASSERT_TRUE(store_->create_user(user("alice"), ev("user.create")));
  ASSERT_FALSE(store_->create_user(user("alice"), ev("user.create")));
  EXPECT_EQ(seen().size(), 1u);
}

TEST_P(EventTap, ARolledBackTransactionHandsNothingOver) {
  auto s = tapped_->transact(store::TxMode::kWrite, [&](store::Connection& c) -> Status {
    if (auto st = store::insert_event(c, ev("grant.create")); !st) return st;
    return fail(Error::invalid("changed my mind"));
  });
  ASSERT_FALSE(s);
  EXPECT_TRUE(seen().empty());
  domain::EventFilter f;
  f.action = "grant.create";
  auto page = store_->list_events(f);
  ASSERT_TRUE(page);
  EXPECT_TRUE(page->events.empty());
}

TEST_P(EventTap, AppendedBatchesAreHandedOverInOrder) {
  ASSERT_TRUE(store_->append_events({ev("token.issue", "failure"), ev("token.issue"), ev("user.lock")}));
  auto s = seen();
  ASSERT_EQ(s.size(), 3u);
  EXPECT_EQ(s[0].outcome, "failure");
  EXPECT_EQ(s[1].outcome, "success");
  EXPECT_EQ(s[2].action, "user.lock");
}

}  // namespace
}  // namespace licsat
