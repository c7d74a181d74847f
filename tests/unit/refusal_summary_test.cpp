// The Event Log's summary of bearer refusals: the first from an address in a minute is
// written at once, the rest of that minute as one counted event, and the table of addresses
// stays within its size however many addresses there are.
#include <gtest/gtest.h>

#include "core/clock.h"
#include "domain/refusal_summary.h"

namespace licsat::domain {
namespace {

TEST(RefusalSummary, FirstRefusalOfAnAddressIsWrittenAtOnceTheRestOfItsMinuteAreCounted) {
  FakeClock clock;
  RefusalSummary s(clock);
  auto first = s.refuse("10.0.0.1", "GET /a: no token");
  EXPECT_TRUE(first.write_now);
  EXPECT_EQ(first.address, "10.0.0.1");
  EXPECT_TRUE(first.due.empty());
  for (int i = 0; i < 99; ++i) {
    clock.advance(i % 2);  // 49 s in all: still the same minute
    auto o = s.refuse("10.0.0.1", "GET /b: bad token " + std::to_string(i));
    EXPECT_FALSE(o.write_now);
    EXPECT_TRUE(o.due.empty());
  }
  // Another address has its own minute.
  EXPECT_TRUE(s.refuse("10.0.0.2", "GET /c: no token").write_now);

  clock.advance(11);  // the first address's minute has passed
  auto next = s.refuse("10.0.0.1", "GET /d: no token");
  EXPECT_TRUE(next.write_now);
  ASSERT_EQ(next.due.size(), 1u);
  EXPECT_EQ(next.due[0].address, "10.0.0.1");
  EXPECT_EQ(next.due[0].refusals, 99u);
  EXPECT_EQ(next.due[0].reason, "GET /b: bad token 98");
}

TEST(RefusalSummary, EndedMinutesAreTakenOnATimerWithoutALaterRefusal) {
  FakeClock clock;
  RefusalSummary s(clock);
  for (int i = 0; i < 5; ++i) (void)s.refuse("10.0.0.1", std::to_string(i));
  (void)s.refuse("10.0.0.2", "x");
  EXPECT_TRUE(s.take_ended().empty()) << "nothing has ended yet";
  clock.advance(60);
  auto ended = s.take_ended();
  ASSERT_EQ(ended.size(), 1u) << "10.0.0.2 had only its first refusal, already written";
  EXPECT_EQ(ended[0].address, "10.0.0.1");
  EXPECT_EQ(ended[0].refusals, 4u);
  EXPECT_EQ(ended[0].reason, "4");
  EXPECT_EQ(s.addresses(), 0u);
  EXPECT_TRUE(s.take_ended().empty()) << "each count is taken once";
  EXPECT_TRUE(s.refuse("10.0.0.1", "again").write_now) << "a new minute starts with a written refusal";
}

TEST(RefusalSummary, AMinuteWithOnlyItsFirstRefusalLeavesNoSummary) {
  FakeClock clock;
  RefusalSummary s(clock);
  EXPECT_TRUE(s.refuse("a", "r").write_now);
  clock.advance(60);
  auto o = s.refuse("a", "r");
  EXPECT_TRUE(o.write_now);
  EXPECT_TRUE(o.due.empty());
}

TEST(RefusalSummary, EveryRefusalIsAccountedForWhenTheTableIsFullAndAddressesKeepComing) {
  FakeClock clock;
  RefusalSummary::Limits lim;
  lim.max_addresses = 8;
  lim.new_addresses_per_window = 1000;
  RefusalSummary s(clock, lim);
  uint64_t written = 0, summarised = 0, sent = 0;
  for (int round = 0; round < 3; ++round) {
    for (int a = 0; a < 20; ++a) {
      for (int k = 0; k < 3; ++k) {
        auto o = s.refuse("addr" + std::to_string(a), "r");
        ++sent;
        written += o.write_now ? 1 : 0;
        for (const auto& d : o.due) summarised += d.refusals;
        EXPECT_LE(s.addresses(), 8u);
      }
    }
  }
  // Whatever is still in the table is what has not been written yet: 2 counted per address.
  uint64_t pending = 0;
  clock.advance(61);
  auto last = s.refuse("flush", "r");
  ++sent;
  written += last.write_now ? 1 : 0;
  for (const auto& d : last.due) pending += d.refusals;
  EXPECT_EQ(written + summarised + pending, sent);
}

TEST(RefusalSummary, NewAddressesPastTheLimitOfAMinuteAreCountedTogether) {
  FakeClock clock;
  RefusalSummary::Limits lim;
  lim.max_addresses = 100;
  lim.new_addresses_per_window = 5;
  RefusalSummary s(clock, lim);
  int written = 0;
  for (int a = 0; a < 50; ++a) written += s.refuse("addr" + std::to_string(a), "r").write_now ? 1 : 0;
  // Five addresses of their own, then one entry for all the others: six events, not fifty.
  EXPECT_EQ(written, 6);
  auto o = s.refuse("addr49", "r");
  EXPECT_EQ(o.address, std::string(RefusalSummary::kOtherAddresses));
  EXPECT_FALSE(o.write_now);
  clock.advance(60);
  auto later = s.refuse("addr49", "r");
  EXPECT_TRUE(later.write_now);  // a new minute: a new entry of its own
  EXPECT_EQ(later.address, "addr49");
  uint64_t others = 0;
  for (const auto& d : later.due)
    if (d.address == RefusalSummary::kOtherAddresses) others = d.refusals;
  EXPECT_EQ(others, 45u);  // 44 after the first of the others, and the one above
}

}  // namespace
}  // namespace licsat::domain
