// The budget of request bodies in flight: reservations add up to at most the capacity and are
// given back when they go.
#include <gtest/gtest.h>

#include <vector>

#include "http/body_budget.h"

namespace licsat::http {
namespace {

TEST(BodyBudget, ReservationsUpToTheCapacitySucceedOneMoreIsRefused) {
  BodyBudget b(1000);
  auto r1 = b.reserve(600);
  ASSERT_TRUE(r1);
  auto r2 = b.reserve(400);
  ASSERT_TRUE(r2);
  EXPECT_EQ(b.in_use(), 1000);
  EXPECT_FALSE(b.reserve(1));
  EXPECT_EQ(b.in_use(), 1000);  // a refusal holds nothing
}

TEST(BodyBudget, AReservationIsGivenBackWhenItGoesAndWhenMovedFromOnlyOnce) {
  BodyBudget b(1000);
  {
    auto r = b.reserve(700);
    ASSERT_TRUE(r);
    std::optional<BodyBudget::Reservation> moved = std::move(*r);
    r.reset();  // the moved-from one gives back nothing
    EXPECT_EQ(b.in_use(), 700);
    EXPECT_FALSE(b.reserve(400));
  }
  EXPECT_EQ(b.in_use(), 0);
  EXPECT_TRUE(b.reserve(1000));
}

TEST(BodyBudget, ABodyLargerThanTheWholeBudgetIsRefused) {
  BodyBudget b(1000);
  EXPECT_FALSE(b.reserve(1001));
  EXPECT_EQ(b.in_use(), 0);
}

}  // namespace
}  // namespace licsat::http
