// Every database connection licsat opens commits durably: SQLite with synchronous=FULL (each
// COMMIT syncs the write-ahead log before it returns; the server's store, a satellite's outbox and
// the manager's --state (manager::ManagerState::open) all open through store::open_sqlite), PostgreSQL sessions with
// synchronous_commit=on whatever the server's default. tests/e2e/durability_test.cpp counts the
// syncs themselves.
#include <cstdlib>

#include "store/db.h"
#include "test_support.h"

using namespace licsat;

namespace {

std::string setting(store::Database& db, store::TxMode mode, const std::string& sql) {
  std::string value;
  auto s = db.transact(mode, [&](store::Connection& c) -> Status {
    auto rows = c.query(sql);
    if (!rows) return fail(rows.error());
    if (!rows->empty()) value = rows->front().str(0);
    return {};
  });
  EXPECT_TRUE(s) << s.error().message;
  return value;
}

}  // namespace

class Durability : public test::StoreTest {};

TEST_F(Durability, TheWriterAndEveryReaderSyncEachCommit) {
  // 2 is FULL (1 would be NORMAL: a power loss could roll back acknowledged commits).
  EXPECT_EQ(setting(*db_, store::TxMode::kWrite, "PRAGMA synchronous"), "2");
  for (int i = 0; i < 3; ++i) EXPECT_EQ(setting(*db_, store::TxMode::kRead, "PRAGMA synchronous"), "2");
  EXPECT_EQ(setting(*db_, store::TxMode::kRead, "PRAGMA journal_mode"), "wal");
}

TEST_F(Durability, ALazilySyncedTransactionLeavesTheWriterSyncingAgain) {
  // Token issuance commits with kWriteLazySync: inside it the log is not synced, and the very
  // next transaction (a revocation, say) is FULL again, so its sync covers the token too.
  std::string inside;
  ASSERT_TRUE(db_->transact(store::TxMode::kWriteLazySync, [&](store::Connection& c) -> Status {
    auto rows = c.query("PRAGMA synchronous");
    if (!rows) return fail(rows.error());
    inside = rows->front().str(0);
    return {};
  }));
  EXPECT_EQ(inside, "1");
  EXPECT_EQ(setting(*db_, store::TxMode::kWrite, "PRAGMA synchronous"), "2");
  // A failed lazy transaction too.
  auto failed = db_->transact(store::TxMode::kWriteLazySync, [](store::Connection&) -> Status {
    return fail(Error::invalid("rolled back on purpose"));
  });
  EXPECT_FALSE(failed);
  EXPECT_EQ(setting(*db_, store::TxMode::kWrite, "PRAGMA synchronous"), "2");
}

TEST(DurabilityPostgres, SessionsCommitSynchronously) {
  const char* url = std::getenv("LICSAT_TEST_PG_URL");
  if (!url) GTEST_SKIP() << "LICSAT_TEST_PG_URL is not set";
  auto db = store::open_postgres(url, 2);
  ASSERT_TRUE(db) << db.error().message;
  EXPECT_EQ(setting(**db, store::TxMode::kWrite, "SHOW synchronous_commit"), "on");
  EXPECT_EQ(setting(**db, store::TxMode::kRead, "SHOW synchronous_commit"), "on");
  EXPECT_EQ(setting(**db, store::TxMode::kWriteLazySync, "SHOW synchronous_commit"), "off");
  // SET LOCAL ends with its transaction: the pooled session is synchronous again.
  for (int i = 0; i < 3; ++i) EXPECT_EQ(setting(**db, store::TxMode::kWrite, "SHOW synchronous_commit"), "on");
}
