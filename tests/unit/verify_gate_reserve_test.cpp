// Issue 21 item 6, the gate finding: under a flood of guesses the argon2id gate's queue is full,
// and a real admin's login was refused 429 with the guessers. The gate now keeps places for
// trusted requests (a name back at an address it logged in from) and hands a freed place to
// them first. Deterministic: threads are awaited on the gate's counts, never on time.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "domain/login_guard.h"
#include "domain/verify_gate.h"

using namespace licsat;

namespace {

void await(const std::function<bool()>& done) {
  while (!done()) std::this_thread::yield();
}

}  // namespace

TEST(VerifyGateReserve, AFullQueueOfGuessersLeavesTrustedPlacesAndTrustedGoFirst) {
  domain::VerifyGate gate(1, 2, 1);  // one running, two common places, one reserved
  auto running = gate.enter();
  ASSERT_TRUE(running);

  std::atomic<int> guessers_in{0};
  std::vector<std::thread> guessers;
  for (int i = 0; i < 2; ++i)
    guessers.emplace_back([&] {
      auto p = gate.enter(false);
      EXPECT_TRUE(p);
      ++guessers_in;
    });
  await([&] { return gate.waiting() == 2; });
  EXPECT_FALSE(gate.enter(false)) << "the common queue is full: a third guesser is refused";

  std::atomic<bool> admin_in{false};
  std::thread admin([&] {
    auto p = gate.enter(true);  // the reserved place
    EXPECT_TRUE(p);
    admin_in = true;
    EXPECT_EQ(guessers_in.load(), 0) << "the trusted waiter had the freed place before every guesser";
  });
  await([&] { return gate.waiting() == 3; });
  EXPECT_FALSE(gate.enter(false)) << "guessers cannot take the reserved place";
  EXPECT_FALSE(gate.enter(true)) << "the reserve is bounded too";

  running = {};  // the place frees: the admin gets it although the guessers waited longer
  admin.join();
  EXPECT_TRUE(admin_in);
  for (auto& g : guessers) g.join();
  EXPECT_EQ(guessers_in.load(), 2);
  EXPECT_EQ(gate.running(), 0);
  EXPECT_EQ(gate.waiting(), 0);
}

TEST(VerifyGateReserve, TrustedRequestsMayAlsoUseFreeCommonPlaces) {
  domain::VerifyGate gate(1, 1, 1);
  auto running = gate.enter(true);
  ASSERT_TRUE(running);
  std::vector<std::thread> waiters;
  for (int i = 0; i < 2; ++i) waiters.emplace_back([&] { EXPECT_TRUE(gate.enter(true)); });
  await([&] { return gate.waiting() == 2; });  // one reserved, one common place
  EXPECT_FALSE(gate.enter(true));
  EXPECT_FALSE(gate.enter(false)) << "the common place is taken by a trusted waiter";
  running = {};
  for (auto& w : waiters) w.join();
  EXPECT_EQ(gate.reserved_limit(), 1);
}

TEST(VerifyGateReserve, DefaultReserveIsTheRunningLimit) {
  domain::VerifyGate gate(3, 12);
  EXPECT_EQ(gate.reserved_limit(), 3);
}

TEST(VerifyGateReserve, OnlyANameThatLoggedInFromTheAddressIsKnownThere) {
  domain::LoginGuard guard(domain::LoginGuardPolicy{});
  const int64_t now = 1'800'000'000;
  EXPECT_FALSE(guard.check("admin", "10.0.0.1", now).known);
  guard.succeeded("admin", "10.0.0.1", now);
  EXPECT_TRUE(guard.check("admin", "10.0.0.1", now + 60).known);
  EXPECT_FALSE(guard.check("admin", "10.0.0.2", now + 60).known) << "another address";
  EXPECT_FALSE(guard.check("nobody", "10.0.0.1", now + 60).known) << "another name from the good address";
  guard.failed("admin", "10.0.0.9", now + 61);  // failures elsewhere do not make anyone known
  EXPECT_FALSE(guard.check("admin", "10.0.0.9", now + 62).known);
  EXPECT_FALSE(guard.check("admin", "10.0.0.1", now + 31 * 86400).known) << "past known_for";
}
