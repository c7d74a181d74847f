// The SQLite write-ahead log is copied into the database file and emptied once token issuance
// stops (src/store/sqlite/wal_checkpointer.h). Before, the checkpointer's connection had never
// opened the log, so no checkpoint ever ran: the log only grew and the database file stayed at
// 4 KB. PostgreSQL manages its own WAL, so these tests run on SQLite only.
#include <sys/stat.h>

#include <chrono>
#include <thread>

#include "harness.h"

using namespace licsat::e2e;

namespace {

// Size of a file in bytes; 0 when it does not exist.
long long file_size(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? static_cast<long long>(st.st_size) : 0;
}

TEST(WalCheckpoint, LogIsCopiedAndTruncatedAfterATokenBurst) {
  Server server;
  if (!server.database_url().empty()) GTEST_SKIP() << "PostgreSQL checkpoints its own WAL";
  server.start();
  auto admin = server.login();
  auto g = server.create_grant("burst", "client_credentials", admin);
  const std::string body = "grant_type=client_credentials&client_id=" + g["client_id"].get<std::string>() +
                           "&client_secret=" + g["client_secret"].get<std::string>();
  RequestOptions o;
  o.content_type = "application/x-www-form-urlencoded";
  // Four clients at once, so the writer commits tokens in batches as under real load.
  std::vector<std::thread> clients;
  std::atomic<int> ok{0};
  for (int t = 0; t < 4; ++t)
    clients.emplace_back([&] {
      for (int i = 0; i < 100; ++i)
        if (server.post("/oauth/token", body, o).status == 200) ++ok;
    });
  for (auto& c : clients) c.join();
  ASSERT_EQ(ok.load(), 400);

  const std::string db = server.data_dir() + "/licsat.db";
  // Functional, not a timing bound: poll for a minute until the log has been emptied.
  bool emptied = false;
  for (int i = 0; i < 600 && !emptied; ++i) {
    emptied = file_size(db + "-wal") == 0;
    if (!emptied) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(emptied) << "WAL still " << file_size(db + "-wal") << " bytes";
  EXPECT_LT(file_size(db + "-wal"), 16LL * 1024 * 1024);
  // The copy went into the database file: well past the single 4 KB page of an uncopied one.
  EXPECT_GT(file_size(db), 64 * 1024);

  // Every token is in the database file itself (read with the log empty).
  auto r = run_command("sqlite3 " + db + " 'SELECT COUNT(*) FROM tokens WHERE kind = \"access\"'");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_GE(std::stoi(r.output), 400);
}

}  // namespace
