// The SQLite log is copied into the database file and truncated by the store's checkpointer
// (store/sqlite/wal_checkpointer.h): past the page threshold while writes go on, and to zero
// bytes once they stop. Functional, polled with a generous bound: no timing assertion.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>

#include "test_support.h"

namespace licsat {
namespace {

class WalCheckpointerTest : public test::StoreTest {
 protected:
  uintmax_t size_of(const std::string& suffix) {
    std::error_code ec;
    auto n = std::filesystem::file_size(dir_ + "/test.db" + suffix, ec);
    return ec ? 0 : n;
  }
};

TEST_F(WalCheckpointerTest, TheLogIsCopiedIntoTheDatabaseAndTruncatedOnceWritesStop) {
  ASSERT_TRUE(db_->transact(store::TxMode::kWrite, [](store::Connection& c) {
    return c.exec_script("CREATE TABLE blobs (id INTEGER PRIMARY KEY, body TEXT NOT NULL)");
  }));
  // About 8 MB over 2,000 transactions: well past the 1,000-page threshold of a checkpoint.
  const std::string body(4000, 'x');
  for (int i = 0; i < 2000; ++i)
    ASSERT_TRUE(db_->transact(store::TxMode::kWrite, [&](store::Connection& c) -> Status {
      auto r = c.exec("INSERT INTO blobs (body) VALUES ($1)", {body});
      if (!r) return fail(r.error());
      return {};
    }));
  bool emptied = false;
  for (int i = 0; i < 600 && !emptied; ++i) {
    emptied = size_of("-wal") == 0;
    if (!emptied) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(emptied) << "log still " << size_of("-wal") << " bytes";
  EXPECT_GT(size_of(""), 8u * 1000 * 1000);  // the rows are in the database file itself
  // A reader taken from the pool afterwards sees every row.
  int64_t n = 0;
  ASSERT_TRUE(db_->transact(store::TxMode::kRead, [&](store::Connection& c) -> Status {
    auto r = c.query("SELECT COUNT(*) FROM blobs");
    if (!r) return fail(r.error());
    n = r->front().i64(0);
    return {};
  }));
  EXPECT_EQ(n, 2000);
}

}  // namespace
}  // namespace licsat
