// Shared fixtures of the unit tests: a migrated SQLite store in a temporary file and a fake clock;
// and the same on either backend, for tests that prove the portable SQL on both.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "core/clock.h"
#include "core/crypto.h"
#include "store/migrations.h"
#include "store/store.h"

namespace licsat::test {

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    crypto::init();
    char tmpl[] = "/tmp/licsat-unit-XXXXXX";
    dir_ = mkdtemp(tmpl);
    auto db = store::open_sqlite(dir_ + "/test.db");
    ASSERT_TRUE(db) << db.error().message;
    db_ = std::move(*db);
    auto m = store::migrate(*db_);
    ASSERT_TRUE(m) << m.error().message;
    store_ = store::make_sql_store(db_);
  }
  void TearDown() override {
    store_.reset();
    db_.reset();
    std::filesystem::remove_all(dir_);
  }

  std::string dir_;
  std::shared_ptr<store::Database> db_;
  std::unique_ptr<store::Store> store_;
  FakeClock clock_{1'800'000'000};
};

// A migrated store on the test's parameter, "sqlite" (a temporary file) or "postgres" (a schema of
// its own on LICSAT_TEST_PG_URL, dropped afterwards; skipped when the variable is unset). Use with
// INSTANTIATE_TEST_SUITE_P(Backends, Suite, ::testing::Values("sqlite", "postgres"), ...).
// `schema_prefix` names the PostgreSQL schemas of a suite.
class BackendStoreTest : public ::testing::TestWithParam<std::string> {
 protected:
  explicit BackendStoreTest(std::string schema_prefix) : prefix_(std::move(schema_prefix)) {}

  void SetUp() override {
    crypto::init();
    if (GetParam() == "sqlite") {
      char tmpl[] = "/tmp/licsat-unit-XXXXXX";
      dir_ = mkdtemp(tmpl);
      auto db = store::open_sqlite(dir_ + "/test.db");
      ASSERT_TRUE(db) << db.error().message;
      db_ = std::move(*db);
    } else {
      const char* url = std::getenv("LICSAT_TEST_PG_URL");
      if (!url || !*url) GTEST_SKIP() << "set LICSAT_TEST_PG_URL to run the PostgreSQL tests";
      auto admin = store::open_postgres(url, 1);
      ASSERT_TRUE(admin) << admin.error().message;
      admin_ = std::move(*admin);
      schema_ = prefix_ + "_" + std::to_string(::getpid()) + "_" + std::to_string(++counter_);
      ASSERT_TRUE(admin_->transact(store::TxMode::kWrite,
                                   [&](store::Connection& c) { return c.exec_script("CREATE SCHEMA " + schema_); }));
      std::string u = url;
      u += (u.find('?') == std::string::npos ? "?" : "&");
      u += "options=-csearch_path%3D" + schema_;
      auto db = store::open_postgres(u, 2);
      ASSERT_TRUE(db) << db.error().message;
      db_ = std::move(*db);
    }
    auto m = store::migrate(*db_);
    ASSERT_TRUE(m) << m.error().message;
    store_ = store::make_sql_store(db_);
  }

  // Subclasses holding services over store_ reset them first, then call this.
  void TearDown() override {
    store_.reset();
    db_.reset();
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
    if (admin_)
      (void)admin_->transact(store::TxMode::kWrite,
                             [&](store::Connection& c) { return c.exec_script("DROP SCHEMA " + schema_ + " CASCADE"); });
  }

  FakeClock clock_{1'800'000'000};
  std::string dir_, schema_;
  std::shared_ptr<store::Database> db_;
  std::unique_ptr<store::Database> admin_;
  std::unique_ptr<store::Store> store_;

 private:
  std::string prefix_;
  static inline int counter_ = 0;
};

}  // namespace licsat::test
