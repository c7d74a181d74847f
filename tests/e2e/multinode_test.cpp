// Several `licsat serve` nodes over one PostgreSQL database (issue 5, docs/multinode.md): two
// real servers on different ports, each with its own data dir and TLS certificate, sharing one
// database. Needs LICSAT_E2E_PG_URL (scripts/run-tests.sh sets it for the PostgreSQL run);
// skipped on SQLite, where a server serves one machine.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "harness.h"
#include "store/db.h"

using namespace licsat::e2e;

namespace {

const char* kGrantNotFound = "Grant not found. Ensure that the given grant details are correct.";

bool on_postgres() {
  const char* pg = std::getenv("LICSAT_E2E_PG_URL");
  return pg && *pg;
}

// One SQL answer from the shared database through psql (first column of the first row).
std::string psql_value(const std::string& url, const std::string& sql) {
  auto r = run_command("psql -XAtq -d '" + url + "' -c \"" + sql + "\"");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  std::string out = r.output;
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

Reply form(const Server& s, const std::string& path, const std::string& body) {
  RequestOptions o;
  o.content_type = "application/x-www-form-urlencoded";
  return s.post(path, body, o);
}

std::string cc_form(const nlohmann::json& g) {
  return "grant_type=client_credentials&client_id=" + g["client_id"].get<std::string>() +
         "&client_secret=" + g["client_secret"].get<std::string>();
}

std::string client_auth(const nlohmann::json& g) {
  return "client_id=" + g["client_id"].get<std::string>() + "&client_secret=" + g["client_secret"].get<std::string>();
}

long me_status(const Server& s, const std::string& token) {
  RequestOptions o;
  o.bearer = token;
  return s.get("/api/v1/me", o).status;
}

std::vector<nlohmann::json> events(const Server& s, const std::string& admin_token) {
  RequestOptions o;
  o.bearer = admin_token;
  auto r = s.get("/api/v1/admin/events?limit=1000", o);
  EXPECT_EQ(r.status, 200) << r.body;
  std::vector<nlohmann::json> out;
  for (auto& e : r.json()["events"]) out.push_back(e);
  return out;
}

bool has_event(const Server& s, const std::string& admin_token, const std::string& action,
               const std::string& detail_part) {
  for (const auto& e : events(s, admin_token))
    if (e.value("action", "") == action && e.value("detail", "").find(detail_part) != std::string::npos) return true;
  return false;
}

class MultiNode : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!on_postgres()) GTEST_SKIP() << "several nodes need PostgreSQL: set LICSAT_E2E_PG_URL";
    b_.share_database_with(a_);
    ASSERT_EQ(a_.database_url(), b_.database_url());
    a_.start();
    ASSERT_TRUE(a_.running());
    b_.start();
    ASSERT_TRUE(b_.running());
    ASSERT_NE(a_.port(), b_.port());
    admin_a_ = a_.login();
    admin_b_ = b_.login();
    ASSERT_FALSE(admin_a_.empty());
    ASSERT_FALSE(admin_b_.empty());
  }

  Server a_, b_;
  std::string admin_a_, admin_b_;
};

TEST_F(MultiNode, TokenIssuedByOneNodeIsAcceptedAndRevocableByTheOther) {
  auto g = a_.create_grant("monitoring", "client_credentials", admin_a_);
  ASSERT_TRUE(g.contains("client_secret")) << g.dump();

  auto issued = form(a_, "/oauth/token", cc_form(g));
  ASSERT_EQ(issued.status, 200) << issued.body;
  std::string tok = issued.json()["access_token"];

  // Accepted by B as it is by A: bearer on an API, and introspection.
  EXPECT_EQ(me_status(a_, tok), 200);
  EXPECT_EQ(me_status(b_, tok), 200);
  auto live = form(b_, "/oauth/introspect", client_auth(g) + "&token=" + tok);
  ASSERT_EQ(live.status, 200) << live.body;
  EXPECT_EQ(live.json()["active"], true);
  EXPECT_EQ(live.json()["client_id"], g["client_id"]);

  // The admin session opened on A works on B too (one user table, one token table).
  RequestOptions admin_on_b;
  admin_on_b.bearer = admin_a_;
  EXPECT_EQ(b_.get("/api/v1/admin/grants", admin_on_b).status, 200);

  // Revoked on B: refused on A at once, and on B.
  EXPECT_EQ(form(b_, "/oauth/revoke", client_auth(g) + "&token=" + tok).status, 200);
  EXPECT_EQ(me_status(a_, tok), 401);
  EXPECT_EQ(me_status(b_, tok), 401);
  EXPECT_EQ(form(a_, "/oauth/introspect", client_auth(g) + "&token=" + tok).json()["active"], false);

  // The other way round: issued by B, revoked on A.
  auto t2 = form(b_, "/oauth/token", cc_form(g));
  ASSERT_EQ(t2.status, 200) << t2.body;
  std::string tok2 = t2.json()["access_token"];
  EXPECT_EQ(me_status(a_, tok2), 200);
  EXPECT_EQ(form(a_, "/oauth/revoke", client_auth(g) + "&token=" + tok2).status, 200);
  EXPECT_EQ(me_status(b_, tok2), 401);
}

TEST_F(MultiNode, RefreshTokenFromOneNodeRotatesOnTheOtherOnce) {
  auto ro = a_.create_grant("vmanage-grant", "resource_owner", admin_a_);
  a_.create_user("vmanage", "operator", "vmanage-password-1", admin_a_);
  auto first = form(a_, "/oauth/token", "grant_type=password&" + client_auth(ro) + "&username=vmanage&password=vmanage-password-1");
  ASSERT_EQ(first.status, 200) << first.body;
  std::string refresh = first.json()["refresh_token"];
  std::string body = "grant_type=refresh_token&" + client_auth(ro) + "&refresh_token=" + refresh;
  auto second = form(b_, "/oauth/token", body);
  ASSERT_EQ(second.status, 200) << second.body;
  // The old refresh token is dead everywhere.
  EXPECT_EQ(form(a_, "/oauth/token", body).status, 400);
  EXPECT_EQ(form(b_, "/oauth/token", body).status, 400);
}

TEST_F(MultiNode, SecretRegeneratedOnOneNodeIsRefusedOnTheOtherAtOnce) {
  auto g = a_.create_grant("monitoring", "client_credentials", admin_a_);
  ASSERT_EQ(form(b_, "/oauth/token", cc_form(g)).status, 200);

  RequestOptions o;
  o.bearer = admin_a_;
  auto fresh = a_.post("/api/v1/admin/grants/monitoring/regenerate-secret", "", o);
  ASSERT_EQ(fresh.status, 200) << fresh.body;
  ASSERT_NE(fresh.json()["client_secret"], g["client_secret"]);

  // No delay, no cache: B refuses the old secret on the very next request.
  auto old_on_b = form(b_, "/oauth/token", cc_form(g));
  EXPECT_EQ(old_on_b.status, 401) << old_on_b.body;
  EXPECT_EQ(old_on_b.json()["error"], "invalid_client");
  EXPECT_EQ(old_on_b.json()["error_message"], kGrantNotFound);
  EXPECT_EQ(form(a_, "/oauth/token", cc_form(g)).status, 401);

  auto new_on_b = form(b_, "/oauth/token", cc_form(fresh.json()));
  ASSERT_EQ(new_on_b.status, 200) << new_on_b.body;

  // Deleted on B: A refuses the grant and the tokens it issued.
  RequestOptions ob;
  ob.bearer = admin_b_;
  EXPECT_EQ(b_.request("DELETE", "/api/v1/admin/grants/monitoring", "", ob).status, 200);
  EXPECT_EQ(form(a_, "/oauth/token", cc_form(fresh.json())).status, 401);
  EXPECT_EQ(me_status(a_, new_on_b.json()["access_token"]), 401);
}

TEST_F(MultiNode, EventLogIsOneLog) {
  // An admin change on A is written with the change itself: B lists it at once.
  a_.create_grant("made-on-a", "client_credentials", admin_a_);
  EXPECT_TRUE(has_event(b_, admin_b_, "grant.create", "made-on-a"));
  b_.create_grant("made-on-b", "client_credentials", admin_b_);
  EXPECT_TRUE(has_event(a_, admin_a_, "grant.create", "made-on-b"));

  // Token events are batched by each node (written within ~200 ms): B sees A's soon after.
  auto g = a_.create_grant("issuer", "client_credentials", admin_a_);
  ASSERT_EQ(form(a_, "/oauth/token", cc_form(g)).status, 200);
  auto bad = g;
  bad["client_secret"] = "wrong-secret";
  ASSERT_EQ(form(b_, "/oauth/token", cc_form(bad)).status, 401);
  bool success_seen_on_b = false, failure_seen_on_a = false;
  for (int i = 0; i < 50 && !(success_seen_on_b && failure_seen_on_a); ++i) {
    success_seen_on_b = success_seen_on_b || has_event(b_, admin_b_, "token.issue", "grant 'issuer'");
    for (const auto& e : events(a_, admin_a_))
      if (e.value("action", "") == "token.issue" && e.value("outcome", "") == "failure" &&
          e.value("actor", "") == g["client_id"].get<std::string>())
        failure_seen_on_a = true;
    if (!(success_seen_on_b && failure_seen_on_a)) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(success_seen_on_b) << "a token issued by A is not in B's Event Log";
  EXPECT_TRUE(failure_seen_on_a) << "a refusal by B is not in A's Event Log";

  // One log: both nodes list the same events, under the same ids.
  auto on_a = events(a_, admin_a_), on_b = events(b_, admin_b_);
  ASSERT_FALSE(on_a.empty());
  std::vector<int64_t> ids_a, ids_b;
  for (auto& e : on_a) ids_a.push_back(e["id"]);
  for (auto& e : on_b) ids_b.push_back(e["id"]);
  std::sort(ids_a.begin(), ids_a.end());
  std::sort(ids_b.begin(), ids_b.end());
  EXPECT_EQ(ids_a, ids_b);
}

TEST_F(MultiNode, ConsoleSwitchedOffOnOneNodeReachesTheOtherWithinItsCache) {
  auto g = a_.create_grant("monitoring", "client_credentials", admin_a_);
  RequestOptions o;
  o.bearer = admin_a_;
  auto off = a_.request("PUT", "/api/v1/admin/console", R"({"enabled":false})", o);
  ASSERT_EQ(off.status, 200) << off.body;
  // Each node re-reads the setting at most once a second (docs/multinode.md).
  long status = 0;
  for (int i = 0; i < 40 && status != 403; ++i) {
    status = form(b_, "/oauth/token", cc_form(g)).status;
    if (status != 403) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(status, 403) << "B still issues tokens 4 s after the console was disabled on A";
}

// The scheduled-job lock (Database::try_job_lock, a PostgreSQL session advisory lock) is
// exclusive between processes over one database. No scheduled job takes it yet (the upstream
// sync scheduler does not exist at the time of writing), so this test drives the Database of
// two processes directly: this one and a forked child, over one fresh database of the cluster
// (no server runs, so the test process has no other threads when it forks).
TEST(MultiNodeJobLock, JobLockIsExclusiveBetweenProcesses) {
  if (!on_postgres()) GTEST_SKIP() << "several nodes need PostgreSQL: set LICSAT_E2E_PG_URL";
  Server node;  // not started: only its fresh database is used
  const std::string url = node.database_url();
  constexpr int64_t kKey = 0x6c69637379636e31;  // 'licsync1'

  // A child process that takes the lock, reports, and holds it until told (or killed).
  auto spawn_holder = [&](int& to_child, int& from_child) -> pid_t {
    int down[2], up[2];
    if (pipe(down) != 0 || pipe(up) != 0) return -1;
    pid_t pid = fork();
    if (pid == 0) {
      close(down[1]);
      close(up[0]);
      char answer = 'E';
      {
        auto db = licsat::store::open_postgres(url, 1);
        if (db) {
          auto got = (*db)->try_job_lock(kKey);
          answer = !got ? 'E' : (*got ? 'Y' : 'N');
        }
        (void)!write(up[1], &answer, 1);
        char c;
        (void)!read(down[0], &c, 1);  // until the parent says so (or closes the pipe)
        if (db && answer == 'Y') (*db)->release_job_lock(kKey);
        answer = 'R';
        (void)!write(up[1], &answer, 1);
      }
      _exit(0);
    }
    close(down[0]);
    close(up[1]);
    to_child = down[1];
    from_child = up[0];
    return pid;
  };
  auto read_char = [](int fd) {
    char c = '?';
    return read(fd, &c, 1) == 1 ? c : '?';
  };

  auto mine = licsat::store::open_postgres(url, 1);
  ASSERT_TRUE(mine) << mine.error().message;
  auto& db = **mine;

  // 1. The child holds it: this process cannot take it.
  int to_child = -1, from_child = -1;
  pid_t child = spawn_holder(to_child, from_child);
  ASSERT_GT(child, 0);
  ASSERT_EQ(read_char(from_child), 'Y') << "the first process could not take the free lock";
  for (int i = 0; i < 3; ++i) {
    auto r = db.try_job_lock(kKey);
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_FALSE(*r) << "two processes hold the job lock at once";
  }
  // 2. Released by the holder: this process takes it at once, and a new process cannot.
  ASSERT_EQ(write(to_child, "x", 1), 1);
  EXPECT_EQ(read_char(from_child), 'R');
  int status = 0;
  waitpid(child, &status, 0);
  close(to_child);
  close(from_child);
  auto r = db.try_job_lock(kKey);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE(*r) << "the lock was not free after its holder released it";
  child = spawn_holder(to_child, from_child);
  ASSERT_GT(child, 0);
  EXPECT_EQ(read_char(from_child), 'N') << "another process took the lock this one holds";
  close(to_child);
  EXPECT_EQ(read_char(from_child), 'R');
  waitpid(child, &status, 0);
  close(from_child);
  db.release_job_lock(kKey);

  // 3. A holder killed with SIGKILL (a node that crashed) does not keep the lock: PostgreSQL
  //    ends its session and the lock goes with it.
  child = spawn_holder(to_child, from_child);
  ASSERT_GT(child, 0);
  ASSERT_EQ(read_char(from_child), 'Y');
  auto held = db.try_job_lock(kKey);
  ASSERT_TRUE(held);
  EXPECT_FALSE(*held);
  ::kill(child, SIGKILL);
  waitpid(child, &status, 0);
  close(to_child);
  close(from_child);
  bool taken = false;
  for (int i = 0; i < 100 && !taken; ++i) {  // the server notices the closed socket at once; allow 10 s
    auto t = db.try_job_lock(kKey);
    ASSERT_TRUE(t) << t.error().message;
    taken = *t;
    if (!taken) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(taken) << "the lock of a killed process was not released";
  db.release_job_lock(kKey);
}

// Both nodes started at the same moment on an empty database: migrations run once (under the
// migration lock), the server keys and the first admin are made once, and both nodes serve.
TEST(MultiNodeStart, SimultaneousStartOnAnEmptyDatabaseMigratesOnce) {
  if (!on_postgres()) GTEST_SKIP() << "several nodes need PostgreSQL: set LICSAT_E2E_PG_URL";
  namespace fs = std::filesystem;
  int migration_files = 0;
  for (const auto& f : fs::directory_iterator(std::string(LICSAT_SOURCE_DIR) + "/src/store/migrations"))
    if (f.path().extension() == ".sql") ++migration_files;
  ASSERT_GT(migration_files, 0);

  for (int round = 0; round < 3; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    Server a, b;
    b.share_database_with(a);
    const std::string url = a.database_url();
    ASSERT_EQ(psql_value(url, "SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()"), "0");

    std::thread ta([&] { a.start(); });
    std::thread tb([&] { b.start(); });
    ta.join();
    tb.join();
    ASSERT_TRUE(a.running()) << a.log();
    ASSERT_TRUE(b.running()) << b.log();
    EXPECT_EQ(a.get("/healthz").status, 200);
    EXPECT_EQ(b.get("/healthz").status, 200);

    EXPECT_EQ(psql_value(url, "SELECT count(*) FROM schema_migrations"), std::to_string(migration_files));
    EXPECT_EQ(psql_value(url, "SELECT count(*) - count(DISTINCT version) FROM schema_migrations"), "0");
    EXPECT_EQ(psql_value(url, "SELECT count(*) FROM users WHERE name = 'admin'"), "1");
    EXPECT_EQ(psql_value(url, "SELECT count(*) FROM settings WHERE key IN ('hash_key', 'signing_key')"), "2");

    // Both nodes use the same keys: a login on one is a valid session on the other.
    std::string admin = a.login();
    RequestOptions o;
    o.bearer = admin;
    EXPECT_EQ(b.get("/api/v1/admin/users", o).status, 200);

    for (const Server* s : {&a, &b}) {
      std::string log = s->log();
      for (const char* bad : {"\"level\":\"error\"", "[error]", "cannot start", "failed"})
        EXPECT_EQ(log.find(bad), std::string::npos) << "node log has '" << bad << "':\n" << log;
    }
    // The nodes are killed by the harness at the end of the round.
  }
}

}  // namespace
