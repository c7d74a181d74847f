// Shared fixtures of the unit tests: a migrated SQLite store in a temporary file and a fake clock.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

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

}  // namespace licsat::test
