// GroupCommit: every submitted write is committed and told so; concurrent writes share
// transactions; one failing write never fails the others of its batch.
#include "store/group_commit.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "test_support.h"

namespace licsat {
namespace {

class GroupCommitTest : public test::StoreTest {
 protected:
  void SetUp() override {
    test::StoreTest::SetUp();
    ASSERT_TRUE(db_->transact(store::TxMode::kWrite, [](store::Connection& c) {
      return c.exec_script("CREATE TABLE gc_test (v INTEGER PRIMARY KEY)");
    }));
  }
  int64_t count() {
    int64_t n = -1;
    EXPECT_TRUE(db_->transact(store::TxMode::kRead, [&](store::Connection& c) -> Status {
      auto rows = c.query("SELECT COUNT(*) FROM gc_test");
      if (!rows) return fail(rows.error());
      n = rows->front().i64(0);
      return {};
    }));
    return n;
  }
  static store::GroupCommit::Work insert(int64_t v) {
    return [v](store::Connection& c) -> Status {
      auto r = c.exec("INSERT INTO gc_test (v) VALUES ($1)", {v});
      if (!r) return fail(r.error());
      return {};
    };
  }
};

TEST_F(GroupCommitTest, EverySubmittedWriteIsCommittedBeforeItsDoneRuns) {
  std::atomic<int> ok{0};
  {
    store::GroupCommit gc(*db_);
    for (int i = 0; i < 2000; ++i)
      gc.submit(insert(i), [&](const Status& s) {
        if (s) ++ok;
      });
    // run() waits: once it returns, its row and every row submitted before it are committed.
    ASSERT_TRUE(gc.run(insert(5000)));
    EXPECT_EQ(count(), 2001);
  }
  EXPECT_EQ(ok.load(), 2000);
}

TEST_F(GroupCommitTest, AFailingWriteFailsAloneInItsBatch) {
  store::GroupCommit gc(*db_);
  ASSERT_TRUE(gc.run(insert(1)));
  std::atomic<int> ok{0}, failed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) {
        // Thread 0 writes duplicates of row 1 (a primary-key violation) among good writes.
        int64_t v = (t == 0 && i % 10 == 0) ? 1 : 10 + t * 1000 + i;
        if (gc.run(insert(v))) ++ok;
        else ++failed;
      }
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(failed.load(), 20);
  EXPECT_EQ(ok.load(), 780);
  EXPECT_EQ(count(), 781);
}

TEST_F(GroupCommitTest, DestructionCommitsWhatIsQueued) {
  std::atomic<int> told{0};
  {
    store::GroupCommit gc(*db_);
    for (int i = 0; i < 500; ++i) gc.submit(insert(i), [&](const Status&) { ++told; });
  }
  EXPECT_EQ(told.load(), 500);
  EXPECT_EQ(count(), 500);
}

}  // namespace
}  // namespace licsat
