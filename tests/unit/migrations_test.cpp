#include "test_support.h"

using namespace licsat;

class Migrations : public licsat::test::StoreTest {};

TEST_F(Migrations, ApplyingTwiceIsANoOp) {
  auto again = store::migrate(*db_);
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, 0);
}

TEST_F(Migrations, EveryEmbeddedMigrationIsRecordedInOrder) {
  std::vector<int64_t> versions;
  ASSERT_TRUE(db_->transact(store::TxMode::kRead, [&](store::Connection& c) -> Status {
    auto rows = c.query("SELECT version FROM schema_migrations ORDER BY version");
    if (!rows) return fail(rows.error());
    for (auto& r : *rows) versions.push_back(r.i64(0));
    return {};
  }));
  ASSERT_EQ(versions.size(), store::embedded_migrations().size());
  for (size_t i = 0; i < versions.size(); ++i) EXPECT_EQ(versions[i], store::embedded_migrations()[i].version);
}

TEST_F(Migrations, AFailingMigrationLeavesNothingBehind) {
  std::vector<store::Migration> bad = {{9001, "9001_ok.sql", "CREATE TABLE ok_table (x INTEGER);"},
                                       {9002, "9002_bad.sql", "CREATE TABLE half (x INTEGER); THIS IS NOT SQL;"}};
  auto r = store::migrate(*db_, bad);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("9002_bad.sql"), std::string::npos);
  bool half_exists = true, ok_exists = false;
  ASSERT_TRUE(db_->transact(store::TxMode::kRead, [&](store::Connection& c) -> Status {
    auto h = c.query("SELECT COUNT(*) FROM sqlite_master WHERE name = 'half'");
    auto o = c.query("SELECT COUNT(*) FROM sqlite_master WHERE name = 'ok_table'");
    half_exists = h->front().i64(0) != 0;
    ok_exists = o->front().i64(0) != 0;
    return {};
  }));
  EXPECT_FALSE(half_exists);
  EXPECT_TRUE(ok_exists);
}

TEST(MigrationDialect, IdMarkerExpandsPerEngine) {
  EXPECT_EQ(store::dialect_sql("id @@ID@@", store::Dialect::kSqlite), "id INTEGER PRIMARY KEY AUTOINCREMENT");
  EXPECT_EQ(store::dialect_sql("id @@ID@@", store::Dialect::kPostgres), "id BIGSERIAL PRIMARY KEY");
}
