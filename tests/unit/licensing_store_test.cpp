// The license database through LicenseService on a migrated SQLite store: admin changes, usage
// reports (idempotency, conflicts, latest counts), and the reads built on them.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "core/crypto.h"
#include "domain/licensing_service.h"
#include "store/migrations.h"
#include "store/store.h"
#include "test_support.h"

using namespace licsat;
using namespace licsat::domain;

namespace {

// Runs on SQLite always and on PostgreSQL when LICSAT_TEST_PG_URL names a server (each test in
// a schema of its own), so the portable SQL is proven on both.
class LicensingStore : public test::BackendStoreTest {
 protected:
  LicensingStore() : BackendStoreTest("licsat_lic") {}

  void SetUp() override {
    BackendStoreTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    svc_ = std::make_unique<LicenseService>(*store_, *store_, clock_, UpstreamConfig{}, "k");
    ASSERT_TRUE(svc_->add_account("acme", "acme.example", by_));
    ASSERT_TRUE(svc_->add_virtual_account("acme", "Physics", "", by_));
    LicensePool p;
    p.tag = "dna-adv";
    p.quantity = 10;
    ASSERT_TRUE(svc_->add_pool("acme", "Physics", p, by_));
  }
  void TearDown() override {
    svc_.reset();
    BackendStoreTest::TearDown();
  }

  static UsageReport report(const std::string& id, int devices, int64_t count, const std::string& tag = "dna-adv") {
    UsageReport r;
    r.report_id = id;
    r.manager = "vmanage-1";
    r.period_start = 1'799'900'000;
    r.period_end = 1'800'000'000;
    for (int i = 0; i < devices; ++i)
      r.devices.push_back({"C9300", "SN" + std::to_string(i), "sw" + std::to_string(i), {{tag, count}}});
    return r;
  }

  LicenseLine line(const std::string& tag) {
    auto page = svc_->licenses("acme", {}, -1, 0);
    EXPECT_TRUE(page);
    for (const auto& l : page->lines)
      if (l.tag == tag) return l;
    ADD_FAILURE() << "no line for " << tag;
    return {};
  }

  int64_t events(const std::string& action) {
    domain::EventFilter f;
    f.action = action;
    return store_->list_events(f)->total.value_or(-1);
  }

  Actor by_{"tester", "127.0.0.1"};
  std::unique_ptr<LicenseService> svc_;
};

}  // namespace

INSTANTIATE_TEST_SUITE_P(Backends, LicensingStore, ::testing::Values("sqlite", "postgres"),
                         [](const auto& info) { return info.param; });

TEST_P(LicensingStore, AReportSetsInUseAndAvailable) {
  auto ack = svc_->report_usage("acme", "Physics", report("r1", 3, 2), "", by_);
  ASSERT_TRUE(ack) << ack.error().message;
  EXPECT_EQ(ack->ack.devices, 3);
  EXPECT_FALSE(ack->repeat);
  EXPECT_TRUE(ack->ack.warnings.empty());
  auto l = line("dna-adv");
  EXPECT_EQ(l.in_use, 6);
  EXPECT_EQ(l.available, 4);
  EXPECT_EQ(l.status, Compliance::kInCompliance);
}

TEST_P(LicensingStore, TheSameReportTwiceCountsOnceAndGetsTheSameAnswer) {
  auto first = svc_->report_usage("acme", "Physics", report("r1", 3, 2), "", by_);
  ASSERT_TRUE(first);
  clock_.advance(60);
  auto again = svc_->report_usage("acme", "Physics", report("r1", 3, 2), "", by_);
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_TRUE(again->repeat);
  EXPECT_EQ(again->ack.at, first->ack.at);
  EXPECT_EQ(again->ack.devices, first->ack.devices);
  EXPECT_EQ(again->ack.warnings, first->ack.warnings);
  EXPECT_EQ(line("dna-adv").in_use, 6);
  EXPECT_EQ(events("usage.report"), 1);
}

TEST_P(LicensingStore, ADifferentBodyUnderAUsedReportIdIsAConflict) {
  ASSERT_TRUE(svc_->report_usage("acme", "Physics", report("r1", 3, 2), "", by_));
  auto other = svc_->report_usage("acme", "Physics", report("r1", 3, 5), "", by_);
  ASSERT_FALSE(other);
  EXPECT_EQ(other.error().code, ErrorCode::kConflict);
  EXPECT_NE(other.error().message.find("r1"), std::string::npos);
  EXPECT_EQ(line("dna-adv").in_use, 6) << "the refused report changed nothing";
}

TEST_P(LicensingStore, ALaterReportReplacesEachDevicesCountAndDropsTagsItNoLongerReports) {
  ASSERT_TRUE(svc_->report_usage("acme", "Physics", report("r1", 3, 2), "", by_));
  auto next = report("r2", 2, 5);  // SN0 and SN1 now use 5 each; SN2 keeps its 2
  next.period_start += 86400;
  next.period_end += 86400;
  ASSERT_TRUE(svc_->report_usage("acme", "Physics", next, "", by_));
  EXPECT_EQ(line("dna-adv").in_use, 12);
  EXPECT_EQ(line("dna-adv").status, Compliance::kInsufficient);

  auto moved = report("r3", 1, 1, "other-tag");  // SN0 stops using dna-adv
  moved.period_start += 2 * 86400;
  moved.period_end += 2 * 86400;
  ASSERT_TRUE(svc_->report_usage("acme", "Physics", moved, "", by_));
  EXPECT_EQ(line("dna-adv").in_use, 7);
  EXPECT_EQ(line("other-tag").in_use, 1);
}

TEST_P(LicensingStore, AnOlderReportDoesNotOverrideNewerCounts) {
  auto newer = report("new", 1, 4);
  newer.period_end += 86400;
  ASSERT_TRUE(svc_->report_usage("acme", "Physics", newer, "", by_));
  ASSERT_TRUE(svc_->report_usage("acme", "Physics", report("old", 1, 9), "", by_));
  EXPECT_EQ(line("dna-adv").in_use, 4);
}

TEST_P(LicensingStore, UnknownTagsAreAcceptedWithOneWarningEach) {
  auto r = report("r1", 4, 1, "mystery");
  auto ack = svc_->report_usage("acme", "Physics", r, "", by_);
  ASSERT_TRUE(ack);
  ASSERT_EQ(ack->ack.warnings.size(), 1u);
  EXPECT_NE(ack->ack.warnings[0].find("mystery"), std::string::npos);
  EXPECT_NE(ack->ack.warnings[0].find("4 devices"), std::string::npos);
  auto l = line("mystery");
  EXPECT_EQ(l.in_use, 4);
  EXPECT_EQ(l.status, Compliance::kInsufficient);
}

TEST_P(LicensingStore, RepeatedDevicesAndTagsAreMergedWithWarnings) {
  UsageReport r = report("r1", 1, 1);
  r.devices.push_back({"C9300", "SN0", "sw0", {{"dna-adv", 2}, {"dna-adv", 3}}});
  auto ack = svc_->report_usage("acme", "Physics", r, "", by_);
  ASSERT_TRUE(ack) << ack.error().message;
  EXPECT_EQ(ack->ack.devices, 1);
  EXPECT_EQ(ack->ack.warnings.size(), 2u);
  EXPECT_EQ(line("dna-adv").in_use, 5);
}

TEST_P(LicensingStore, UnknownAccountsAndVirtualAccountsAreNotFoundByName) {
  auto a = svc_->report_usage("nope", "Physics", report("r1", 1, 1), "", by_);
  ASSERT_FALSE(a);
  EXPECT_EQ(a.error().code, ErrorCode::kNotFound);
  EXPECT_NE(a.error().message.find("'nope'"), std::string::npos);
  auto v = svc_->report_usage("acme", "Biology", report("r1", 1, 1), "", by_);
  ASSERT_FALSE(v);
  EXPECT_EQ(v.error().code, ErrorCode::kNotFound);
  EXPECT_NE(v.error().message.find("'Biology'"), std::string::npos);
}

TEST_P(LicensingStore, AccountsAreFoundByNameOrDomain) {
  auto a = svc_->account("acme.example");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->name, "acme");
  auto vas = svc_->virtual_accounts("acme");
  ASSERT_TRUE(vas);
  ASSERT_EQ(vas->size(), 1u);
  EXPECT_TRUE((*vas)[0].is_default);
}

TEST_P(LicensingStore, AdminChangesAreAuditedAndDuplicatesRefused) {
  EXPECT_EQ(events("account.create"), 1);
  EXPECT_EQ(events("vaccount.create"), 1);
  EXPECT_EQ(events("license.create"), 1);
  auto dup = svc_->add_account("acme", "", by_);
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().code, ErrorCode::kAlreadyExists);
  LicensePool p;
  p.tag = "dna-adv";
  p.quantity = 1;
  auto dup_pool = svc_->add_pool("acme", "Physics", p, by_);
  ASSERT_FALSE(dup_pool);
  EXPECT_EQ(dup_pool.error().code, ErrorCode::kAlreadyExists);
  EXPECT_EQ(events("account.create"), 1);

  PoolChange c;
  c.quantity = 20;
  ASSERT_TRUE(svc_->change_pool("acme", "Physics", "dna-adv", c, by_));
  EXPECT_EQ(line("dna-adv").quantity, 20);
  EXPECT_EQ(events("license.update"), 1);
  ASSERT_TRUE(svc_->remove_pool("acme", "Physics", "dna-adv", by_));
  EXPECT_EQ(events("license.delete"), 1);
}

TEST_P(LicensingStore, TermPoolsNeedAnEndAndPerpetualOnesHaveNone) {
  LicensePool p;
  p.tag = "t";
  p.quantity = 1;
  p.kind = LicenseKind::kTerm;
  auto r = svc_->add_pool("acme", "Physics", p, by_);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  p.kind = LicenseKind::kPerpetual;
  p.ends = clock_.now() + 86400;
  EXPECT_FALSE(svc_->add_pool("acme", "Physics", p, by_));
  p.quantity = -1;
  p.ends = 0;
  EXPECT_FALSE(svc_->add_pool("acme", "Physics", p, by_));
}

TEST_P(LicensingStore, UpstreamPoolsAreReadOnly) {
  ASSERT_TRUE(db_->transact(store::TxMode::kWrite, [](store::Connection& c) -> Status {
    auto r = c.exec("UPDATE license_pools SET origin = 'upstream'");
    if (!r) return fail(r.error());
    return {};
  }));
  PoolChange c;
  c.quantity = 1;
  auto r = svc_->change_pool("acme", "Physics", "dna-adv", c, by_);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kConflict);
  EXPECT_FALSE(svc_->remove_pool("acme", "Physics", "dna-adv", by_));
}

TEST_P(LicensingStore, DevicesArePagedWithTheirLatestCounts) {
  ASSERT_TRUE(svc_->report_usage("acme", "Physics", report("r1", 5, 2), "", by_));
  auto page = svc_->devices("acme", "", 2, 1);
  ASSERT_TRUE(page);
  EXPECT_EQ(page->total, 5);
  ASSERT_EQ(page->devices.size(), 2u);
  EXPECT_EQ(page->devices[0].sn, "SN1");
  EXPECT_EQ(page->devices[0].virtual_account, "Physics");
  EXPECT_EQ(page->devices[0].last_report, clock_.now());
  ASSERT_EQ(page->devices[0].licenses.size(), 1u);
  EXPECT_EQ(page->devices[0].licenses[0].count, 2);
  ASSERT_TRUE(svc_->add_virtual_account("acme", "Chemistry", "", by_));
  auto none = svc_->devices("acme", "Chemistry", 10, 0);
  ASSERT_TRUE(none);
  EXPECT_EQ(none->total, 0);
}

TEST_P(LicensingStore, LargeReportsSpanManyBatchesInOneTransaction) {
  auto r = report("big", 1234, 1);
  for (auto& d : r.devices) d.licenses.push_back({"extra", 2});
  auto ack = svc_->report_usage("acme", "Physics", r, "", by_);
  ASSERT_TRUE(ack) << ack.error().message;
  EXPECT_EQ(line("dna-adv").in_use, 1234);
  EXPECT_EQ(line("extra").in_use, 2468);
  EXPECT_EQ(svc_->devices("acme", "", 10, 0)->total, 1234);
}

TEST_P(LicensingStore, RegistrationTokensAreShownOnceAndListedMasked) {
  auto t = svc_->create_registration_token("acme", "Physics", "lab", 30, by_);
  ASSERT_TRUE(t) << t.error().message;
  EXPECT_GE(t->token.size(), 43u);
  auto list = svc_->registration_tokens("acme", "Physics");
  ASSERT_TRUE(list);
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].hint, t->token.substr(0, 8));
  EXPECT_EQ((*list)[0].expires, clock_.now() + 30 * 86400);
  EXPECT_FALSE(svc_->create_registration_token("acme", "Physics", "", 0, by_));
}

TEST_P(LicensingStore, DeletingAnAccountRemovesEverythingInIt) {
  ASSERT_TRUE(svc_->report_usage("acme", "Physics", report("r1", 3, 2), "", by_));
  ASSERT_TRUE(svc_->remove_account("acme", by_));
  EXPECT_FALSE(svc_->account("acme"));
  ASSERT_TRUE(svc_->add_account("acme", "", by_));
  ASSERT_TRUE(svc_->add_virtual_account("acme", "Physics", "", by_));
  EXPECT_EQ(svc_->devices("acme", "", 10, 0)->total, 0);
  EXPECT_TRUE(svc_->licenses("acme", {}, -1, 0)->lines.empty());
}

// Usage over time (0004_usage_history.sql): each report records the resulting totals of its
// account's pools, one sample per pool and hour bucket (the bucket's last report wins).
TEST_P(LicensingStore, EachReportRecordsThePoolsUsageOncePerBucket) {
  const int64_t t0 = clock_.now();  // 1'800'000'000 is a whole hour
  ASSERT_TRUE(svc_->report_usage("acme", "Physics", report("r1", 3, 2), "", by_));
  clock_.advance(600);
  ASSERT_TRUE(svc_->report_usage("acme", "Physics", report("r2", 3, 3), "", by_));
  auto h = svc_->usage_history("acme", "Physics", "dna-adv", 0, clock_.now());
  ASSERT_TRUE(h) << h.error().message;
  ASSERT_EQ(h->size(), 1u) << "two reports in one hour: one sample, the later one";
  EXPECT_EQ((*h)[0].at, t0 + 600);
  EXPECT_EQ((*h)[0].in_use, 9);
  EXPECT_EQ((*h)[0].quantity, 10);

  clock_.advance(3600);
  ASSERT_TRUE(svc_->report_usage("acme", "Physics", report("r3", 2, 1), "", by_));
  h = svc_->usage_history("acme", "Physics", "dna-adv", 0, clock_.now());
  ASSERT_EQ(h->size(), 2u);
  EXPECT_EQ((*h)[1].at, t0 + 4200);
  EXPECT_EQ((*h)[1].in_use, 5) << "2 devices x 1 reported, the third still at its latest count 3";
  EXPECT_LT((*h)[0].at, (*h)[1].at);

  // since/until select by time; a repeated report records nothing new.
  EXPECT_EQ(svc_->usage_history("acme", "Physics", "dna-adv", t0 + 601, clock_.now())->size(), 1u);
  EXPECT_EQ(svc_->usage_history("acme", "Physics", "dna-adv", 0, t0 + 600)->size(), 1u);
  clock_.advance(3600);
  ASSERT_TRUE(svc_->report_usage("acme", "Physics", report("r3", 2, 1), "", by_));
  EXPECT_EQ(svc_->usage_history("acme", "Physics", "dna-adv", 0, clock_.now())->size(), 2u);
}

TEST_P(LicensingStore, UsageHistoryCoversEveryPoolOfTheAccountAndTagsWithoutAPool) {
  ASSERT_TRUE(svc_->add_virtual_account("acme", "Chemistry", "", by_));
  LicensePool p;
  p.tag = "dna-adv";
  p.quantity = 4;
  ASSERT_TRUE(svc_->add_pool("acme", "Chemistry", p, by_));
  ASSERT_TRUE(svc_->report_usage("acme", "Physics", report("r1", 3, 2, "other"), "", by_));
  // The pool nobody reported has samples of 0; the tag without a pool has quantity 0.
  auto zero = svc_->usage_history("acme", "Chemistry", "dna-adv", 0, clock_.now());
  ASSERT_EQ(zero->size(), 1u);
  EXPECT_EQ((*zero)[0].in_use, 0);
  EXPECT_EQ((*zero)[0].quantity, 4);
  auto other = svc_->usage_history("acme", "Physics", "other", 0, clock_.now());
  ASSERT_EQ(other->size(), 1u);
  EXPECT_EQ((*other)[0].in_use, 6);
  EXPECT_EQ((*other)[0].quantity, 0);

  // Devices moving to another virtual account lower the old one's usage in the same sample.
  clock_.advance(3600);
  ASSERT_TRUE(svc_->report_usage("acme", "Chemistry", report("r2", 3, 1, "other"), "", by_));
  other = svc_->usage_history("acme", "Physics", "other", 0, clock_.now());
  ASSERT_EQ(other->size(), 2u);
  EXPECT_EQ((*other)[1].in_use, 0);
  EXPECT_EQ(svc_->usage_history("acme", "Chemistry", "other", 0, clock_.now())->back().in_use, 3);
  EXPECT_TRUE(svc_->usage_history("acme", "Chemistry", "never-reported", 0, clock_.now())->empty());
}

TEST_P(LicensingStore, UsageHistoryIsPrunedPastItsRetention) {
  svc_->set_usage_history_policy({3600, 2 * 3600});
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(svc_->report_usage("acme", "Physics", report("r" + std::to_string(i), 1, i + 1), "", by_));
    clock_.advance(3600);
  }
  auto h = svc_->usage_history("acme", "Physics", "dna-adv", 0, clock_.now());
  ASSERT_TRUE(h);
  // Buckets 0..4 were written; at the last one (4) buckets older than 4 - 2 are gone.
  ASSERT_EQ(h->size(), 3u);
  EXPECT_EQ((*h)[0].in_use, 3);
  EXPECT_EQ((*h)[2].in_use, 5);

  // A finer bucket: one sample per report a minute apart. The clock is now 5 h after the first
  // report; these reports prune every bucket older than 2 h before them (those of 2 h and 3 h).
  svc_->set_usage_history_policy({60, 2 * 3600});
  for (int i = 0; i < 3; ++i) {
    clock_.advance(60);
    ASSERT_TRUE(svc_->report_usage("acme", "Physics", report("m" + std::to_string(i), 1, 7), "", by_));
  }
  h = svc_->usage_history("acme", "Physics", "dna-adv", 0, clock_.now());
  ASSERT_EQ(h->size(), 4u);
  EXPECT_EQ((*h)[0].in_use, 5);
  EXPECT_EQ((*h)[3].at, clock_.now());
}

TEST_P(LicensingStore, UsageHistoryNamesAnUnknownAccountOrVirtualAccountAndABadRange) {
  auto no_va = svc_->usage_history("acme", "Nowhere", "dna-adv", 0, clock_.now());
  ASSERT_FALSE(no_va);
  EXPECT_EQ(no_va.error().code, ErrorCode::kNotFound);
  EXPECT_NE(no_va.error().message.find("'Nowhere'"), std::string::npos);
  auto no_acct = svc_->usage_history("nobody", "Physics", "dna-adv", 0, clock_.now());
  ASSERT_FALSE(no_acct);
  EXPECT_EQ(no_acct.error().code, ErrorCode::kNotFound);
  auto backwards = svc_->usage_history("acme", "Physics", "dna-adv", clock_.now(), 0);
  ASSERT_FALSE(backwards);
  EXPECT_EQ(backwards.error().code, ErrorCode::kInvalidArgument);
}

TEST_P(LicensingStore, DeletingAVirtualAccountRemovesItsUsageHistory) {
  ASSERT_TRUE(svc_->report_usage("acme", "Physics", report("r1", 3, 2), "", by_));
  ASSERT_TRUE(svc_->remove_virtual_account("acme", "Physics", by_));
  ASSERT_TRUE(svc_->add_virtual_account("acme", "Physics", "", by_));
  EXPECT_TRUE(svc_->usage_history("acme", "Physics", "dna-adv", 0, clock_.now())->empty());
}
