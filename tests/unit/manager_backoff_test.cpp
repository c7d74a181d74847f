// The run loop's schedule: exponential backoff with jitter between failed attempts, the regular
// interval after a success, Retry-After honoured, and a stop request obeyed.
#include <gtest/gtest.h>

#include <vector>

#include "manager/scheduler.h"

namespace licsat::manager {
namespace {

TEST(ManagerBackoff, DoublesFromInitialUpToTheCap) {
  BackoffPolicy p{5, 60, 2, 0.5};
  std::vector<double> got;
  for (int i = 1; i <= 6; ++i) got.push_back(backoff_delay(p, i, 0.0));
  EXPECT_EQ(got, (std::vector<double>{5, 10, 20, 40, 60, 60}));
}

TEST(ManagerBackoff, JitterTakesAtMostItsShareOff) {
  BackoffPolicy p{4, 3600, 2, 0.5};
  EXPECT_DOUBLE_EQ(backoff_delay(p, 3, 0.0), 16);
  EXPECT_DOUBLE_EQ(backoff_delay(p, 3, 0.5), 12);
  EXPECT_DOUBLE_EQ(backoff_delay(p, 3, 0.999999), 16 - 8 * 0.999999);
  for (double r = 0; r < 1; r += 0.01) {
    double d = backoff_delay(p, 3, r);
    EXPECT_GE(d, 8);
    EXPECT_LE(d, 16);
  }
}

TEST(ManagerBackoff, RetryAfterIsAFloorButNeverAboveTheCap) {
  BackoffPolicy p{5, 120, 2, 0.5};
  EXPECT_DOUBLE_EQ(backoff_delay(p, 1, 0.0, 30), 30);
  EXPECT_DOUBLE_EQ(backoff_delay(p, 1, 0.0, 500), 120);
}

TEST(ManagerBackoff, HugeRetryCountsDoNotOverflow) {
  BackoffPolicy p{5, 3600, 2, 0};
  EXPECT_DOUBLE_EQ(backoff_delay(p, 10'000, 0.0), 3600);
}

class RecordingSleeper final : public Sleeper {
 public:
  bool sleep_for(double s) override {
    slept.push_back(s);
    return slept.size() < stop_after;
  }
  std::vector<double> slept;
  size_t stop_after = 1000;
};

Failure connect_failure() {
  Failure f;
  f.cls = FailureClass::kConnect;
  f.what = "connection refused";
  return f;
}

TEST(ManagerScheduler, RetriesWithBackoffThenWaitsTheIntervalAfterSuccess) {
  int calls = 0;
  RecordingSleeper sleeper;
  std::vector<AttemptLog> lines;
  RunOptions opt;
  opt.interval = 100;
  opt.backoff = {2, 3600, 2, 0.5};
  opt.cycles = 2;
  SyncScheduler s(
      [&]() -> std::expected<CycleResult, Failure> {
        ++calls;
        if (calls <= 3) return std::unexpected(connect_failure());
        return CycleResult{};
      },
      opt, sleeper, [] { return 0.0; }, [&](const AttemptLog& l) { lines.push_back(l); });
  EXPECT_EQ(s.run(), 0);
  EXPECT_EQ(calls, 5);
  // Three failures: 2, 4, 8 s; then a success (interval 100), then the second success ends the run.
  EXPECT_EQ(sleeper.slept, (std::vector<double>{2, 4, 8, 100}));
  ASSERT_EQ(lines.size(), 5u);  // one line per attempt
  EXPECT_FALSE(lines[0].ok);
  EXPECT_EQ(lines[2].retry, 2);
  EXPECT_TRUE(lines[3].ok);
  EXPECT_EQ(lines[4].attempt, 5);
}

TEST(ManagerScheduler, RetryDelaysNeverExceedTheInterval) {
  RecordingSleeper sleeper;
  sleeper.stop_after = 12;
  RunOptions opt;
  opt.interval = 10;
  opt.backoff = {1, 3600, 2, 0};
  SyncScheduler s([]() -> std::expected<CycleResult, Failure> { return std::unexpected(connect_failure()); }, opt,
                  sleeper, [] { return 0.0; }, [](const AttemptLog&) {});
  EXPECT_EQ(s.run(), exit_code(FailureClass::kConnect));
  for (double d : sleeper.slept) EXPECT_LE(d, 10);
  EXPECT_DOUBLE_EQ(sleeper.slept.back(), 10);
}

TEST(ManagerScheduler, AStopRequestEndsTheRunWithTheLastOutcome) {
  RecordingSleeper sleeper;
  sleeper.stop_after = 1;
  RunOptions opt;
  SyncScheduler s([]() -> std::expected<CycleResult, Failure> { return std::unexpected(connect_failure()); }, opt,
                  sleeper, [] { return 0.5; }, [](const AttemptLog&) {});
  EXPECT_EQ(s.run(), exit_code(FailureClass::kConnect));
  EXPECT_EQ(sleeper.slept.size(), 1u);
}

TEST(ManagerScheduler, StopsOnFailuresARetryCannotFixAndKeepsRetryingTheOthers) {
  for (auto cls : {FailureClass::kInvalidClient, FailureClass::kInvalidGrant, FailureClass::kUserLocked,
                   FailureClass::kUsage, FailureClass::kState}) {
    RecordingSleeper sleeper;
    std::vector<AttemptLog> lines;
    int calls = 0;
    SyncScheduler s(
        [&]() -> std::expected<CycleResult, Failure> {
          ++calls;
          Failure f;
          f.cls = cls;
          return std::unexpected(f);
        },
        RunOptions{}, sleeper, [] { return 0.0; }, [&](const AttemptLog& l) { lines.push_back(l); });
    EXPECT_EQ(s.run(), exit_code(cls)) << class_name(cls);
    EXPECT_EQ(calls, 1) << class_name(cls);  // a wrong password is not tried again into a lockout
    EXPECT_TRUE(sleeper.slept.empty()) << class_name(cls);
    ASSERT_EQ(lines.size(), 1u);
    EXPECT_TRUE(lines[0].stopped);
  }
  for (auto cls : {FailureClass::kConnect, FailureClass::kServer, FailureClass::kRateLimited,
                   FailureClass::kCertificate, FailureClass::kAccessDenied}) {
    RecordingSleeper sleeper;
    sleeper.stop_after = 3;
    std::vector<AttemptLog> lines;
    SyncScheduler s(
        [&]() -> std::expected<CycleResult, Failure> {
          Failure f;
          f.cls = cls;
          return std::unexpected(f);
        },
        RunOptions{}, sleeper, [] { return 0.0; }, [&](const AttemptLog& l) { lines.push_back(l); });
    s.run();
    EXPECT_EQ(sleeper.slept.size(), 3u) << class_name(cls);
    for (const auto& l : lines) EXPECT_FALSE(l.stopped);
  }
}

}  // namespace
}  // namespace licsat::manager
