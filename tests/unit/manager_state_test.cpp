// The manager's state: the outbox keeps each report until acknowledged, retries do not multiply
// reports, and an offline answer applies once.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "core/crypto.h"
#include "manager/manager_state.h"

namespace licsat::manager {
namespace {

class ManagerStateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    crypto::init();
    char tmpl[] = "/tmp/licsat-mgr-unit-XXXXXX";
    dir_ = mkdtemp(tmpl);
    auto s = ManagerState::open(dir_, clock_);
    ASSERT_TRUE(s) << s.error().message;
    state_ = std::move(*s);
    devices_ = {{"C9300", "FOC1", "edge-1", "Branches", "", {{"network-advantage", 1}}},
                {"C9300", "FOC2", "edge-2", "Campus", "acme", {{"network-advantage", 2}}}};
    ASSERT_TRUE(state_->replace_devices(devices_));
  }
  void TearDown() override {
    state_.reset();
    std::filesystem::remove_all(dir_);
  }
  std::string dir_;
  FakeClock clock_{1'800'000'000};
  std::unique_ptr<ManagerState> state_;
  std::vector<Device> devices_;
};

TEST_F(ManagerStateTest, OneReportPerVirtualAccountAndRetriesDoNotMultiplyThem) {
  auto first = state_->queue_usage("mgr-1");
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_EQ(first->size(), 2u);
  clock_.advance(60);
  auto again = state_->queue_usage("mgr-1");
  ASSERT_TRUE(again);
  EXPECT_TRUE(again->empty());  // same devices and counts: the waiting reports stand
  auto pending = state_->pending();
  ASSERT_TRUE(pending);
  ASSERT_EQ(pending->size(), 2u);
  EXPECT_EQ((*pending)[0].report.report_id, (*first)[0].report.report_id);
  EXPECT_EQ((*pending)[0].report.manager, "mgr-1");
}

TEST_F(ManagerStateTest, ChangedUsageQueuesANewReportBehindTheOldOne) {
  ASSERT_TRUE(state_->queue_usage("m"));
  devices_[0].licenses[0].count = 5;
  ASSERT_TRUE(state_->replace_devices(devices_));
  clock_.advance(3600);
  auto more = state_->queue_usage("m");
  ASSERT_TRUE(more);
  ASSERT_EQ(more->size(), 1u);
  EXPECT_EQ((*more)[0].virtual_account, "Branches");
  auto pending = state_->pending();
  ASSERT_TRUE(pending);
  EXPECT_EQ(pending->size(), 3u);
  EXPECT_EQ(pending->back().report.report_id, (*more)[0].report.report_id);
}

TEST_F(ManagerStateTest, AcknowledgedReportsLeaveTheOutboxAndKeepTheirId) {
  auto q = state_->queue_usage("m");
  ASSERT_TRUE(q);
  const auto id = (*q)[0].report.report_id;
  ASSERT_TRUE(state_->note_attempt(id, "connection refused"));
  auto r = state_->report(id);
  ASSERT_TRUE(r && *r);
  EXPECT_EQ((*r)->attempts, 1);
  Acknowledgement ack{id, "accepted", 1, {}, "2027-01-15T08:00:00Z"};
  ASSERT_TRUE(state_->mark_sent(id, ack, "online"));
  auto pending = state_->pending();
  ASSERT_TRUE(pending);
  ASSERT_EQ(pending->size(), 1u);
  EXPECT_NE((*pending)[0].report.report_id, id);
  // After a report was sent, the next sync reports the same devices afresh.
  auto next = state_->queue_usage("m");
  ASSERT_TRUE(next);
  EXPECT_EQ(next->size(), 1u);
}

TEST_F(ManagerStateTest, AnOfflineAnswerAppliesOnce) {
  auto q = state_->queue_usage("m");
  ASSERT_TRUE(q);
  ASSERT_TRUE(state_->record_request({"nonce-1", clock_.now(), {(*q)[0].report.report_id}, 0}));
  Acknowledgement ack{(*q)[0].report.report_id, "accepted", 1, {}, "x"};
  std::vector<Account> accounts = {{"acme", "", "ACTIVE", "CUSTOMER", {"Branches", "Campus"}}};
  LicensePool pool;
  pool.account = "acme";
  pool.tag = "network-advantage";
  pool.virtual_account = "Branches";
  pool.quantity = 10;
  ASSERT_TRUE(state_->apply_answer("nonce-1", {ack}, accounts, {pool}, 1000));
  auto twice = state_->apply_answer("nonce-1", {ack}, accounts, {pool}, 1000);
  ASSERT_FALSE(twice);
  EXPECT_EQ(twice.error().code, ErrorCode::kConflict);
  auto pools = state_->pools();
  ASSERT_TRUE(pools);
  ASSERT_EQ(pools->size(), 1u);
  EXPECT_EQ((*pools)[0].quantity, 10);
  auto pending = state_->pending();
  ASSERT_TRUE(pending);
  EXPECT_EQ(pending->size(), 1u);
}

TEST_F(ManagerStateTest, ReopeningKeepsEverythingAndTheManagerKey) {
  ASSERT_TRUE(state_->queue_usage("m"));
  auto key = state_->manager_key();
  ASSERT_TRUE(key);
  state_.reset();
  auto again = ManagerState::open(dir_, clock_);
  ASSERT_TRUE(again) << again.error().message;
  auto pending = (*again)->pending();
  ASSERT_TRUE(pending);
  EXPECT_EQ(pending->size(), 2u);
  auto key2 = (*again)->manager_key();
  ASSERT_TRUE(key2);
  EXPECT_EQ(key2->public_key, key->public_key);
}

TEST(ManagerReportId, IsAVersion4Uuid) {
  crypto::init();
  std::string id = new_report_id();
  ASSERT_EQ(id.size(), 36u);
  EXPECT_EQ(id[14], '4');
  EXPECT_NE(id, new_report_id());
}

}  // namespace
}  // namespace licsat::manager
