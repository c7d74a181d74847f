// SyncStore on a migrated store, SQLite and PostgreSQL (when LICSAT_TEST_PG_URL names a server):
// the outbox fixes a report's forwarded body once, marking forwarded is once and only after the
// ack, and the mirror adds, changes and removes only the pools that came from upstream.
#include "domain/licensing_service.h"
#include "store/sync_store.h"
#include "test_support.h"

namespace licsat::test {
namespace {

class SyncStoreTest : public BackendStoreTest {
 protected:
  SyncStoreTest() : BackendStoreTest("licsat_sync") {}
  void SetUp() override {
    BackendStoreTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    sync_ = store::make_sql_sync_store(db_);
    svc_ = std::make_unique<domain::LicenseService>(*store_, *store_, clock_, UpstreamConfig{}, "k");
    ASSERT_TRUE(svc_->add_account("acme", "", by_));
    ASSERT_TRUE(svc_->add_virtual_account("acme", "Branches", "", by_));
  }

  void report(const std::string& id, const std::vector<std::pair<std::string, int64_t>>& devices) {
    domain::UsageReport r;
    r.report_id = id;
    r.period_start = clock_.now() - 86400;
    r.period_end = clock_.now();
    for (const auto& [sn, n] : devices) {
      domain::DeviceUsage d{"C9300", sn, "h-" + sn, {}};
      if (n > 0) d.licenses.push_back({"network-advantage", n});
      r.devices.push_back(d);
    }
    ASSERT_TRUE(svc_->report_usage("acme", "Branches", r, "", by_));
  }

  void TearDown() override {
    svc_.reset();
    sync_.reset();
    BackendStoreTest::TearDown();
  }

  std::unique_ptr<store::SyncStore> sync_;
  std::unique_ptr<domain::LicenseService> svc_;
  domain::Actor by_{"admin", "127.0.0.1"};
};

INSTANTIATE_TEST_SUITE_P(Backends, SyncStoreTest, ::testing::Values("sqlite", "postgres"),
                         [](const auto& info) { return info.param; });

TEST_P(SyncStoreTest, UnqueuedReportCarriesItsDevicesIncludingThoseWithNoLicenses) {
  report("r1", {{"A", 2}, {"B", 0}});
  auto pending = sync_->unqueued_reports(10);
  ASSERT_TRUE(pending);
  ASSERT_EQ(pending->size(), 1u);
  const auto& p = pending->front();
  EXPECT_EQ(p.report_id, "r1");
  EXPECT_EQ(p.account, "acme");
  EXPECT_EQ(p.virtual_account, "Branches");
  ASSERT_EQ(p.devices.size(), 2u);
  EXPECT_EQ(p.devices[0].sn, "A");
  ASSERT_EQ(p.devices[0].licenses.size(), 1u);
  EXPECT_EQ(p.devices[0].licenses[0].second, 2);
  EXPECT_EQ(p.devices[1].sn, "B");
  EXPECT_TRUE(p.devices[1].licenses.empty());
}

TEST_P(SyncStoreTest, OutboxBodyIsFixedOnceAndForwardedIsMarkedOnce) {
  report("r1", {{"A", 2}});
  auto pending = sync_->unqueued_reports(10);
  ASSERT_TRUE(pending && pending->size() == 1);
  ASSERT_TRUE(sync_->add_to_outbox({{pending->front().id, "acme", "Branches", "sat-x-r1", "first", clock_.now()}}));
  // A second taking (another node, a race) keeps the first body.
  ASSERT_TRUE(sync_->add_to_outbox({{pending->front().id, "acme", "Branches", "sat-x-r1", "second", clock_.now()}}));
  auto again = sync_->unqueued_reports(10);
  ASSERT_TRUE(again);
  EXPECT_TRUE(again->empty());
  auto box = sync_->outbox(10);
  ASSERT_TRUE(box && box->size() == 1);
  EXPECT_EQ(box->front().body, "first");
  EXPECT_EQ(*sync_->pending_count(), 1);

  auto m = sync_->mark_forwarded("sat-x-r1", clock_.now());
  ASSERT_TRUE(m);
  EXPECT_TRUE(*m);
  EXPECT_EQ(*sync_->pending_count(), 0);
  EXPECT_TRUE(sync_->outbox(10)->empty());
  EXPECT_FALSE(*sync_->mark_forwarded("sat-x-r1", clock_.now()));
  EXPECT_TRUE(sync_->unqueued_reports(10)->empty());
}

TEST_P(SyncStoreTest, MirrorAddsChangesAndRemovesOnlyUpstreamPools) {
  domain::LicensePool local;
  local.tag = "local-only";
  local.quantity = 3;
  ASSERT_TRUE(svc_->add_pool("acme", "Branches", local, by_));
  domain::Event e{0, clock_.now(), "system", "", "sync.mirror", "success", "mirror"};

  std::vector<store::MirrorPool> pools = {{"Branches", "network-advantage", "Network Advantage", "perpetual", 10, 0, 0},
                                          {"Branches", "local-only", "Local", "perpetual", 99, 0, 0},
                                          {"Campus", "dna", "DNA", "term", 5, 0, clock_.now() + 86400}};
  auto r = sync_->mirror_account("acme", "", {"Branches", "Campus"}, pools, clock_.now(), e);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->added, 2);
  EXPECT_EQ(r->virtual_accounts_added, 1);
  ASSERT_EQ(r->conflicts.size(), 1u);
  EXPECT_EQ(r->conflicts[0], "Branches/local-only");

  auto all = svc_->pools("acme", "");
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 3u);
  for (const auto& p : *all) {
    if (p.tag == "local-only") {
      EXPECT_EQ(p.origin, domain::PoolOrigin::kLocal);
      EXPECT_EQ(p.quantity, 3);
    } else {
      EXPECT_EQ(p.origin, domain::PoolOrigin::kUpstream);
    }
  }
  // Mirrored pools are read-only through the licensing service.
  domain::PoolChange c;
  c.quantity = 1;
  auto refused = svc_->change_pool("acme", "Branches", "network-advantage", c, by_);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kConflict);

  // Same again: nothing changes. Then one changed, one gone.
  r = sync_->mirror_account("acme", "", {"Branches", "Campus"}, pools, clock_.now(), e);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->added + r->changed + r->removed, 0);
  pools = {{"Branches", "network-advantage", "Network Advantage", "perpetual", 20, 0, 0}};
  r = sync_->mirror_account("acme", "", {"Branches", "Campus"}, pools, clock_.now(), e);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->changed, 1);
  EXPECT_EQ(r->removed, 1);
  all = svc_->pools("acme", "");
  ASSERT_TRUE(all);
  EXPECT_EQ(all->size(), 2u);  // network-advantage (20) and the local pool
}

TEST_P(SyncStoreTest, OfflineRequestIsAnsweredOnce) {
  ASSERT_TRUE(sync_->record_request({"n1", clock_.now(), {"sat-x-r1", "sat-x-r2"}, std::nullopt}));
  auto r = sync_->find_request("n1");
  ASSERT_TRUE(r && *r);
  EXPECT_EQ((*r)->forward_ids.size(), 2u);
  EXPECT_FALSE((*r)->answered_at);
  EXPECT_FALSE(*sync_->answer_applied("a1"));
  EXPECT_TRUE(*sync_->mark_request_answered("n1", "a1", clock_.now()));
  EXPECT_FALSE(*sync_->mark_request_answered("n1", "a2", clock_.now()));
  EXPECT_TRUE(*sync_->answer_applied("a1"));
  EXPECT_FALSE(*sync_->find_request("unknown"));
}

}  // namespace
}  // namespace licsat::test
