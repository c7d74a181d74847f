// Retention (store/pruner.h) on a FakeClock: tokens past expiry plus the grace and events past
// the Event Log retention go, in batches; recent ones stay; retention 0 keeps every event.
// Runs on SQLite always and on PostgreSQL when LICSAT_TEST_PG_URL names a server.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "core/clock.h"
#include "core/crypto.h"
#include "store/migrations.h"
#include "store/pruner.h"
#include "store/store.h"
#include "test_support.h"

using namespace licsat;

namespace {

class PrunerTest : public test::BackendStoreTest {
 protected:
  PrunerTest() : BackendStoreTest("licsat_prune") {}

  void SetUp() override {
    BackendStoreTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
  }
  void TearDown() override {
    BackendStoreTest::TearDown();
  }

  // `n` access tokens of the built-in client, expiring at `expires`.
  void add_tokens(const std::string& prefix, int n, int64_t expires) {
    std::vector<domain::Token> ts;
    for (int i = 0; i < n; ++i) {
      domain::Token t;
      t.hash = prefix + std::to_string(i);
      t.client_id = "licsat-admin";
      t.scope = "licensing";
      t.expires = expires;
      t.created_at = expires - 3600;
      ts.push_back(t);
    }
    ASSERT_TRUE(store_->insert_tokens(ts));
  }
  void add_events(int n, int64_t time) {
    std::vector<domain::Event> es;
    for (int i = 0; i < n; ++i) es.push_back({0, time, "system", "", "test.event", "success", ""});
    ASSERT_TRUE(store_->append_events(es));
  }
  int64_t count(const std::string& table, const std::string& where = "1 = 1") {
    int64_t n = -1;
    EXPECT_TRUE(db_->transact(store::TxMode::kRead, [&](store::Connection& c) -> Status {
      auto r = c.query("SELECT COUNT(*) FROM " + table + " WHERE " + where);
      if (!r) return fail(r.error());
      n = r->front().i64(0);
      return {};
    }));
    return n;
  }
  store::Pruner pruner(int64_t retention, int* batches = nullptr) {
    return store::Pruner(*store_, clock_,
                         {.event_retention = retention, .token_grace = 3600, .batch = 7,
                          .between_batches = [batches] { if (batches) ++*batches; }});
  }

};

}  // namespace

INSTANTIATE_TEST_SUITE_P(Backends, PrunerTest, ::testing::Values("sqlite", "postgres"),
                         [](const auto& info) { return info.param; });

TEST_P(PrunerTest, ExpiredTokensAndOldEventsGoInBatchesRecentOnesStay) {
  const int64_t now = clock_.now();
  add_tokens("old", 20, now - 7200);      // expired two hours ago: past the one-hour grace
  add_tokens("grace", 5, now - 600);      // expired ten minutes ago: kept for now
  add_tokens("live", 5, now + 3600);
  add_events(30, now - 400 * 86400);      // past a 365-day retention
  add_events(4, now - 10 * 86400);
  int64_t events_before = count("events");

  int batches = 0;
  auto p = pruner(365 * 86400, &batches);
  auto r = p.run_once();
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->tokens, 20);
  EXPECT_EQ(r->events, 30);
  EXPECT_GE(batches, 4 + 2);  // 20 rows in batches of 7, then 30: several transactions each
  EXPECT_EQ(count("tokens"), 10);
  EXPECT_EQ(count("tokens", "hash LIKE 'old%'"), 0);
  EXPECT_EQ(count("events"), events_before - 30);
  EXPECT_EQ(count("events", "time < " + std::to_string(now - 365 * 86400)), 0);
  EXPECT_EQ(p.tokens_pruned(), 20u);
  EXPECT_EQ(p.events_pruned(), 30u);
  // Extents on SQLite; on PostgreSQL the planner's estimate, which is 0 until the table has been
  // analyzed, and never negative.
  EXPECT_GE(p.tokens_rows(), 0);
  if (GetParam() == "sqlite") {
    EXPECT_EQ(p.tokens_rows(), 10);
  }
  EXPECT_EQ(p.events_rows(), events_before - 30);  // ids of the kept events are contiguous

  // Time passes: the grace ends for the next five, and the second round takes them too.
  clock_.advance(3600);
  auto r2 = p.run_once();
  ASSERT_TRUE(r2);
  EXPECT_EQ(r2->tokens, 5);
  EXPECT_EQ(r2->events, 0);
  EXPECT_EQ(count("tokens"), 5);
  EXPECT_EQ(p.tokens_pruned(), 25u);
}

TEST_P(PrunerTest, RetentionZeroKeepsEveryEvent) {
  const int64_t now = clock_.now();
  add_events(12, now - 3000 * 86400);
  add_tokens("old", 3, now - 7200);
  int64_t events_before = count("events");
  auto p = pruner(0);
  auto r = p.run_once();
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->events, 0);
  EXPECT_EQ(r->tokens, 3);  // expired tokens go whatever the Event Log keeps
  EXPECT_EQ(count("events"), events_before);
}
