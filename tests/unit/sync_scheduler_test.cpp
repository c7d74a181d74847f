// The satellite's sync schedule with a fake clock: an unreachable authority makes each attempt
// fail, and the next run backs off exponentially (capped at the interval); the outcome and the
// error are kept in settings for `licsat admin sync status`.
#include "domain/event_log.h"
#include "store/sync_store.h"
#include "sync/scheduler.h"
#include "sync/upstream_sync.h"
#include "test_support.h"

namespace licsat::test {
namespace {

class SyncSchedulerTest : public StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    sync_store_ = store::make_sql_sync_store(db_);
    events_ = std::make_unique<domain::EventLog>(*store_, clock_);
    key_ = crypto::generate_signing_key();
    UpstreamConfig cfg;
    cfg.url = "https://127.0.0.1:1";  // nothing listens there
    cfg.client_id = "id";
    cfg.client_secret = "secret";
    cfg.interval = 3600;
    upstream_ = std::make_unique<sync::UpstreamSync>(cfg, *sync_store_, *store_, *events_, clock_, key_);
    scheduler_ = std::make_unique<sync::SyncScheduler>(*upstream_, *db_, *store_, clock_, cfg.interval);
  }
  void TearDown() override {
    scheduler_.reset();
    upstream_.reset();
    events_.reset();
    sync_store_.reset();
    StoreTest::TearDown();
  }

  std::unique_ptr<store::SyncStore> sync_store_;
  std::unique_ptr<domain::EventLog> events_;
  crypto::SigningKey key_;
  std::unique_ptr<sync::UpstreamSync> upstream_;
  std::unique_ptr<sync::SyncScheduler> scheduler_;
};

TEST_F(SyncSchedulerTest, FailuresBackOffExponentiallyAndAreRecorded) {
  int64_t t0 = clock_.now();
  auto o = scheduler_->run_now({"admin", "127.0.0.1"});
  EXPECT_FALSE(o.ok);
  EXPECT_NE(o.error.find("127.0.0.1"), std::string::npos) << o.error;
  ASSERT_TRUE(scheduler_->next_run());
  int64_t first = *scheduler_->next_run() - t0;
  EXPECT_GE(first, 12);  // 15 s less up to 20 % jitter
  EXPECT_LE(first, 15);

  o = scheduler_->run_now({"admin", "127.0.0.1"});
  int64_t second = *scheduler_->next_run() - clock_.now();
  EXPECT_GE(second, 24);
  EXPECT_LE(second, 30);
  for (int i = 0; i < 12; ++i) (void)scheduler_->run_now({"admin", "127.0.0.1"});
  EXPECT_LE(*scheduler_->next_run() - clock_.now(), 3600);  // capped at the interval
  EXPECT_GE(*scheduler_->next_run() - clock_.now(), 2880);

  auto s = upstream_->status();
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_TRUE(s->configured);
  EXPECT_FALSE(s->last_ok);
  EXPECT_TRUE(s->last_attempt);
  EXPECT_FALSE(s->last_error.empty());
  EXPECT_TRUE(s->next_run);
  EXPECT_EQ(s->pending, 0);
}

TEST_F(SyncSchedulerTest, ForwardIdIsStableDerivedFromTheOriginalAndBounded) {
  std::string a = upstream_->forward_id("r-1");
  EXPECT_EQ(a, upstream_->forward_id("r-1"));
  EXPECT_EQ(a.rfind("sat-", 0), 0u);
  EXPECT_NE(a.find("-r-1"), std::string::npos);
  EXPECT_NE(a, upstream_->forward_id("r-2"));
  EXPECT_LE(upstream_->forward_id(std::string(256, 'x')).size(), 256u);
}

}  // namespace
}  // namespace licsat::test
