// inUse, available, compliance status and alerts, computed on a fake clock.
#include <gtest/gtest.h>

#include "core/clock.h"
#include "domain/licensing_status.h"

using namespace licsat;
using namespace licsat::domain;

namespace {

constexpr int64_t kDay = 86400;

LicensePool pool(const std::string& tag, int64_t qty, LicenseKind kind = LicenseKind::kPerpetual, int64_t ends = 0,
                 int64_t starts = 0) {
  LicensePool p;
  p.id = 1;
  p.va_id = 7;
  p.virtual_account = "Physics";
  p.tag = tag;
  p.display_name = tag + " name";
  p.kind = kind;
  p.quantity = qty;
  p.starts = starts;
  p.ends = ends;
  return p;
}

const std::map<int64_t, std::string> kNames = {{7, "Physics"}, {8, "Chemistry"}};

}  // namespace

TEST(LicenseLines, InUseIsTheSumOfLatestCountsAndAvailableTheRest) {
  FakeClock clock;
  auto lines = license_lines({pool("dna-adv", 10)}, {{7, "dna-adv", 4}, {7, "dna-adv", 3}}, kNames, clock.now());
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0].quantity, 10);
  EXPECT_EQ(lines[0].in_use, 7);
  EXPECT_EQ(lines[0].available, 3);
  EXPECT_EQ(lines[0].status, Compliance::kInCompliance);
  EXPECT_EQ(compliance_label(lines[0].status), "In Compliance");
  EXPECT_EQ(lines[0].license, "dna-adv name");
}

TEST(LicenseLines, OverUseIsInsufficientWithNegativeAvailable) {
  FakeClock clock;
  auto lines = license_lines({pool("dna-adv", 2)}, {{7, "dna-adv", 5}}, kNames, clock.now());
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0].available, -3);
  EXPECT_EQ(compliance_label(lines[0].status), "Insufficient Licenses");
}

TEST(LicenseLines, UsageOfAnotherVirtualAccountDoesNotCount) {
  FakeClock clock;
  auto lines = license_lines({pool("dna-adv", 2)}, {{8, "dna-adv", 5}}, kNames, clock.now());
  ASSERT_EQ(lines.size(), 2u);  // the pool, and Chemistry's usage without a pool
  const auto& physics = lines[1].virtual_account == "Physics" ? lines[1] : lines[0];
  const auto& chem = lines[1].virtual_account == "Physics" ? lines[0] : lines[1];
  EXPECT_EQ(physics.in_use, 0);
  EXPECT_EQ(chem.in_use, 5);
  EXPECT_EQ(chem.quantity, 0);
  EXPECT_FALSE(chem.pool.has_value());
  EXPECT_EQ(chem.status, Compliance::kInsufficient);
}

TEST(LicenseLines, ATermPoolEndsAtItsEndTime) {
  FakeClock clock;
  int64_t ends = clock.now() + 10 * kDay;
  std::vector<LicensePool> pools = {pool("sec", 5, LicenseKind::kTerm, ends)};
  auto before = license_lines(pools, {{7, "sec", 2}}, kNames, clock.now());
  EXPECT_EQ(before[0].status, Compliance::kInCompliance);
  EXPECT_EQ(before[0].quantity, 5);
  EXPECT_EQ(before[0].state, PoolState::kActive);

  clock.set(ends - 1);
  EXPECT_EQ(license_lines(pools, {{7, "sec", 2}}, kNames, clock.now())[0].status, Compliance::kInCompliance);

  clock.set(ends);
  auto after = license_lines(pools, {{7, "sec", 2}}, kNames, clock.now());
  EXPECT_EQ(after[0].status, Compliance::kExpired);
  EXPECT_EQ(compliance_label(after[0].status), "Expired");
  EXPECT_EQ(after[0].quantity, 0);
  EXPECT_EQ(after[0].available, -2);
  EXPECT_EQ(pool_state_label(after[0].state), "EXPIRED");
}

TEST(LicenseLines, APoolNotYetStartedProvidesNothing) {
  FakeClock clock;
  auto lines = license_lines({pool("sec", 5, LicenseKind::kTerm, clock.now() + 100 * kDay, clock.now() + kDay)},
                             {{7, "sec", 1}}, kNames, clock.now());
  EXPECT_EQ(lines[0].state, PoolState::kPending);
  EXPECT_EQ(lines[0].quantity, 0);
  EXPECT_EQ(lines[0].status, Compliance::kInsufficient);
}

TEST(LicenseAlerts, ExpiryWarningStartsThirtyDaysBeforeTheEnd) {
  FakeClock clock;
  int64_t ends = clock.now() + 40 * kDay;
  std::vector<LicensePool> pools = {pool("sec", 5, LicenseKind::kTerm, ends)};
  auto alerts_at = [&](int64_t t) { return license_alerts(license_lines(pools, {}, kNames, t), {}, t); };

  EXPECT_TRUE(alerts_at(clock.now()).empty());
  EXPECT_TRUE(alerts_at(ends - kExpiryWarningWindow - 1).empty()) << "31 days before: no alert yet";

  auto minor = alerts_at(ends - kExpiryWarningWindow);
  ASSERT_EQ(minor.size(), 1u);
  EXPECT_EQ(minor[0].message_type, "LICENSE_EXPIRING");
  EXPECT_EQ(severity_label(minor[0].severity), "Minor");
  EXPECT_EQ(minor[0].source, "Physics");
  EXPECT_NE(minor[0].message.find(format_date(ends)), std::string::npos);
  EXPECT_NE(minor[0].message.find("30 days"), std::string::npos);

  auto last = alerts_at(ends - 1);
  ASSERT_EQ(last.size(), 1u);
  EXPECT_EQ(last[0].message_type, "LICENSE_EXPIRING");

  auto expired = alerts_at(ends);
  ASSERT_EQ(expired.size(), 1u);
  EXPECT_EQ(expired[0].message_type, "LICENSE_EXPIRED");
  EXPECT_EQ(severity_label(expired[0].severity), "Major");
}

TEST(LicenseAlerts, PerpetualPoolsNeverExpire) {
  FakeClock clock;
  auto lines = license_lines({pool("dna", 5)}, {}, kNames, clock.now() + 10000 * kDay);
  EXPECT_TRUE(license_alerts(lines, {}, clock.now() + 10000 * kDay).empty());
}

TEST(LicenseAlerts, InsufficientLicensesIsMajorAndMajorsComeFirst) {
  FakeClock clock;
  int64_t t = clock.now();
  std::vector<LicensePool> pools = {pool("a", 1, LicenseKind::kTerm, t + 5 * kDay), pool("b", 1)};
  auto lines = license_lines(pools, {{7, "b", 3}}, kNames, t);
  auto alerts = license_alerts(lines, {}, t);
  ASSERT_EQ(alerts.size(), 2u);
  EXPECT_EQ(alerts[0].message_type, "INSUFFICIENT_LICENSES");
  EXPECT_EQ(alerts[0].severity, Severity::kMajor);
  EXPECT_NE(alerts[0].message.find("2 more needed"), std::string::npos);
  EXPECT_EQ(alerts[1].message_type, "LICENSE_EXPIRING");
}

TEST(LicenseAlerts, NoUpstreamMeansNoSyncAlert) {
  SyncHealth none;
  EXPECT_TRUE(license_alerts({}, none, 2'000'000'000).empty());
}

TEST(LicenseAlerts, UpstreamSyncOverdueAfterItsAllowance) {
  FakeClock clock;
  SyncHealth s;
  s.configured = true;
  s.upstream = "https://authority.example:8443";
  s.interval = 24 * 3600;
  s.last_ok = clock.now();
  EXPECT_TRUE(license_alerts({}, s, clock.now() + sync_allowance(s.interval)).empty());
  auto late = license_alerts({}, s, clock.now() + sync_allowance(s.interval) + 1);
  ASSERT_EQ(late.size(), 1u);
  EXPECT_EQ(late[0].message_type, "SYNC_OVERDUE");
  EXPECT_EQ(late[0].severity, Severity::kMajor);
  EXPECT_NE(late[0].message.find("authority.example"), std::string::npos);
}

TEST(LicenseAlerts, NeverSyncedIsOverdueOnceTheAllowancePassesSinceStart) {
  SyncHealth s;
  s.configured = true;
  s.interval = 3600;
  s.since = 1'000'000;
  EXPECT_TRUE(license_alerts({}, s, s.since + sync_allowance(s.interval)).empty());
  EXPECT_EQ(license_alerts({}, s, s.since + sync_allowance(s.interval) + 1).size(), 1u);
}

TEST(LicenseKinds, ParseEitherSpelling) {
  EXPECT_EQ(parse_license_kind("TERM"), LicenseKind::kTerm);
  EXPECT_EQ(parse_license_kind("subscription"), LicenseKind::kSubscription);
  EXPECT_FALSE(parse_license_kind("forever"));
  EXPECT_EQ(license_type_label(LicenseKind::kPerpetual), "PERPETUAL");
}
