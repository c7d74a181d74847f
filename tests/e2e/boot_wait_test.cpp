// A node whose PostgreSQL database is unavailable at boot (here: not created yet, so every
// connection is refused at start-up) does not exit: it logs why at warn and tries again with a
// growing pause, and serves as soon as the database is there. PostgreSQL only.
#include <chrono>
#include <cstdlib>
#include <thread>

#include "harness.h"

using namespace licsat::e2e;

namespace {

TEST(BootWait, ANodeWaitsForItsDatabaseAndComesUpWhenItIsThere) {
  const char* pg = std::getenv("LICSAT_E2E_PG_URL");
  if (!pg || !*pg) GTEST_SKIP() << "PostgreSQL only (LICSAT_E2E_PG_URL)";
  Server s;
  const std::string url = s.database_url();
  const std::string name = url.substr(url.rfind('/') + 1);
  auto drop = run_command("psql -q -d '" + std::string(pg) + "' -c 'DROP DATABASE " + name + "'");
  ASSERT_EQ(drop.exit_code, 0) << drop.output;

  // Once the node has said it is waiting, the database appears; start() waits for /healthz.
  std::thread creator([&] {
    for (int i = 0; i < 600 && s.log().find("database unavailable at start") == std::string::npos; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    auto created = run_command("psql -q -d '" + std::string(pg) + "' -c 'CREATE DATABASE " + name + "'");
    EXPECT_EQ(created.exit_code, 0) << created.output;
  });
  s.start();
  creator.join();
  ASSERT_TRUE(s.running());
  const std::string log = s.log();
  EXPECT_NE(log.find("database unavailable at start"), std::string::npos) << log;
  EXPECT_NE(log.find("retry_in=1s"), std::string::npos) << log;
  EXPECT_EQ(s.get("/healthz").status, 200);
  (void)s.login();
}

}  // namespace
