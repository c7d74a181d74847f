// A node whose PostgreSQL is unreachable at start retries with pauses of 1 s doubling to 30 s
// (cli/boot_wait.h); other failures end the start at once.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <stdexcept>
#include <vector>

#include "cli/boot_wait.h"
#include "core/crypto.h"

namespace licsat {
namespace {

using std::chrono::seconds;

TEST(BootWait, PausesStartAtOneSecondAndDoubleUpToThirty) {
  std::vector<int64_t> got;
  for (int f = 1; f <= 8; ++f) got.push_back(cli::boot_backoff(f).count());
  EXPECT_EQ(got, (std::vector<int64_t>{1, 2, 4, 8, 16, 30, 30, 30}));
}

struct Stop : std::runtime_error {
  Stop() : std::runtime_error("stop") {}
};

TEST(BootWait, AnUnreachablePostgresIsTriedAgainWithGrowingPauses) {
  crypto::init();
  char tmpl[] = "/tmp/licsat-bootwait-XXXXXX";
  ServerConfig cfg;
  cfg.data_dir = mkdtemp(tmpl);
  cfg.database = "postgresql://licsat@127.0.0.1:1/licsat";  // nothing listens on port 1
  std::vector<int64_t> pauses;
  std::string note;
  EXPECT_THROW((void)cli::build_app_when_reachable(cfg, &note,
                                                   [&](seconds s) {
                                                     pauses.push_back(s.count());
                                                     if (pauses.size() == 3) throw Stop();
                                                   }),
               Stop);
  EXPECT_EQ(pauses, (std::vector<int64_t>{1, 2, 4}));
  std::filesystem::remove_all(cfg.data_dir);
}

TEST(BootWait, OtherFailuresAreNotRetried) {
  crypto::init();
  ServerConfig cfg;
  cfg.data_dir = "/proc/licsat-cannot-be-here";  // not creatable: an error that waiting will not fix
  int pauses = 0;
  std::string note;
  auto app = cli::build_app_when_reachable(cfg, &note, [&](seconds) { ++pauses; });
  EXPECT_FALSE(app);
  EXPECT_EQ(pauses, 0);
}

}  // namespace
}  // namespace licsat
