#include <gtest/gtest.h>

#include "core/clock.h"

using namespace licsat;

TEST(Clock, Iso8601RoundTrip) {
  EXPECT_EQ(format_iso8601(0), "1970-01-01T00:00:00Z");
  auto t = parse_iso8601("2026-11-25T17:19:01Z");
  ASSERT_TRUE(t);
  EXPECT_EQ(format_iso8601(*t), "2026-11-25T17:19:01Z");
  EXPECT_EQ(*parse_iso8601("2026-11-25"), *parse_iso8601("2026-11-25T00:00:00Z"));
  EXPECT_EQ(*parse_iso8601("2026-11-25T00:00:00.250Z"), *parse_iso8601("2026-11-25T00:00:00Z"));
}

TEST(Clock, MalformedTimesAreRefused) {
  EXPECT_FALSE(parse_iso8601("2026-13-01"));
  EXPECT_FALSE(parse_iso8601("2026-02-30"));
  EXPECT_FALSE(parse_iso8601("yesterday"));
  EXPECT_FALSE(parse_iso8601("2026-11-25T10:00:00+02:00"));
}

TEST(Clock, FakeClockMovesOnlyWhenTold) {
  FakeClock c(100);
  EXPECT_EQ(c.now(), 100);
  c.advance(50);
  EXPECT_EQ(c.now(), 150);
}
