// Retention as an operator sees it: the key is accepted, and /metrics carries the rows pruned and
// the table sizes from the first round at start (store/pruner.h, cli/housekeeping.h).
#include <chrono>
#include <fstream>
#include <thread>

#include "harness.h"

using namespace licsat::e2e;

namespace {

TEST(Retention, MetricsShowPrunedRowsAndTableSizesAndRetentionZeroIsAccepted) {
  TempDir conf;
  const std::string file = conf.path() + "/licsat.toml";
  std::ofstream(file) << "[event_log]\nretention = \"0\"\n";
  Server s({"--config", file});
  s.start();
  (void)s.login();  // at least one token and events
  // The first round runs as the server starts; poll (a minute at most) for its gauges.
  std::string body;
  for (int i = 0; i < 600; ++i) {
    body = s.get("/metrics").body;
    if (body.find("licsat_table_rows{table=\"events\"}") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_NE(body.find("licsat_pruned_rows_total{table=\"tokens\"} "), std::string::npos) << body;
  EXPECT_NE(body.find("licsat_pruned_rows_total{table=\"events\"} 0"), std::string::npos) << body;
  EXPECT_NE(body.find("licsat_table_rows{table=\"tokens\"} "), std::string::npos) << body;
  EXPECT_NE(body.find("# TYPE licsat_table_rows gauge"), std::string::npos) << body;
}

TEST(Retention, ABadRetentionIsRefusedNamingTheKey) {
  TempDir conf;
  const std::string file = conf.path() + "/licsat.toml";
  std::ofstream(file) << "[event_log]\nretention = \"a year\"\n";
  auto r = run_command(licsat_binary() + " serve --data " + conf.path() + "/data --config " + file);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("event_log.retention"), std::string::npos) << r.output;
}

}  // namespace
