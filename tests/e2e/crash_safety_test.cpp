// kill -9 at random moments, many times over: of the server while grants, users, tokens and large
// usage reports are written to it concurrently, and of `licsat manager sync` while it syncs. After
// every restart nothing acknowledged is missing or counted twice, nothing is half-written, and the
// SQLite files pass `PRAGMA integrity_check`.
//
// The kill schedule comes from a seeded PRNG: the seed is printed, and LICSAT_CRASH_SEED=N replays
// the same schedule (thread interleavings differ from run to run). LICSAT_CRASH_KILLS and
// LICSAT_CRASH_MANAGER_KILLS change the number of kills.
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "harness.h"

namespace licsat::e2e {
namespace {

using nlohmann::json;
using SteadyClock = std::chrono::steady_clock;

uint64_t env_number(const char* name, uint64_t fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::strtoull(v, nullptr, 10) : fallback;
}

uint64_t crash_seed(const char* test) {
  uint64_t seed = env_number("LICSAT_CRASH_SEED", std::random_device{}());
  std::cerr << test << ": seed " << seed << " (LICSAT_CRASH_SEED=" << seed << " replays the kill schedule)\n";
  ::testing::Test::RecordProperty("seed", std::to_string(seed));
  return seed;
}

// `PRAGMA integrity_check` through the SQLite C API, read-only: the file is checked as the crash
// left it (a read-only connection replays the WAL in memory and never checkpoints).
std::string integrity_check(const std::string& path) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    std::string e = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    return "cannot open " + path + ": " + e;
  }
  sqlite3_busy_timeout(db, 10000);
  std::string out;
  char* err = nullptr;
  auto rc = sqlite3_exec(
      db, "PRAGMA integrity_check",
      [](void* ud, int n, char** values, char**) {
        auto* s = static_cast<std::string*>(ud);
        for (int i = 0; i < n; ++i) {
          if (!s->empty()) *s += "\n";
          *s += values[i] ? values[i] : "NULL";
        }
        return 0;
      },
      &out, &err);
  if (rc != SQLITE_OK) out = "integrity_check failed: " + std::string(err ? err : sqlite3_errstr(rc));
  sqlite3_free(err);
  sqlite3_close(db);
  return out;
}

bool contains(const std::string& hay, const std::string& needle) { return hay.find(needle) != std::string::npos; }

// "g12" (appended, not `"g" + std::to_string(k)`, which trips GCC 12's -Wrestrict).
std::string numbered(std::string prefix, int64_t k) { return prefix.append(std::to_string(k)); }

// Cheap password hashing and no throttling: the test creates and checks many users quickly.
std::string write_fast_config(const std::string& dir) {
  std::string path = dir + "/licsat.toml";
  std::ofstream(path) << "[auth]\npwhash_ops = 1\npwhash_mem_mib = 8\nclient_failures_per_minute = 100000\n"
                         "address_failures_per_minute = 100000\n";
  return path;
}

// HTTPS to the server from worker threads: only the (fixed) address and certificate, none of the
// harness Server's state, which the killing thread changes.
struct Endpoint {
  std::string base;
  std::string ca;
  std::string admin;
  const std::atomic<bool>* stop = nullptr;

  Reply call(const std::string& method, const std::string& path, const std::string& body = "",
             const std::string& bearer = "", long timeout = 60) const {
    RequestOptions o;
    o.bearer = bearer.empty() ? admin : bearer;
    o.timeout_seconds = timeout;
    return https(method, base + path, body, o, ca);
  }
  Reply form(const std::string& path, const std::string& body) const {
    RequestOptions o;
    o.content_type = "application/x-www-form-urlencoded";
    return https("POST", base + path, body, o, ca);
  }
  // Repeats an idempotent admin creation until the server answers it (it may be down); false
  // when the test stopped first.
  bool ensure_created(const std::string& path, const json& body) const {
    for (;;) {
      auto r = call("POST", path, body.dump());
      if (r.status == 201 || r.status == 409) return true;
      if (r.status != 0) {
        ADD_FAILURE() << path << " answered " << r.status << " " << r.body;
        return false;
      }
      if (stop && *stop) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
};

// One outcome of a request that may have been cut by a kill: status 0 means no answer came.
struct Attempt {
  std::string name;     // grant, user, or the usage report's virtual account
  long status = 0;
  std::string answer;   // the body answered (for users: the role asked for)
  std::string password; // users
  std::string id;       // usage reports: reportId
  int64_t k = 0;        // usage reports: the number in its devices' serial numbers
  int64_t n = 0;        // usage reports: devices
  int64_t count_a = 0;  // usage reports: the count of tag "a" on each device
};

std::string usage_report(const std::string& id, int64_t k, int64_t n, int64_t count_a) {
  std::string s = R"({"reportId":")" + id +
                  R"(","manager":"crash","period":{"start":"2026-11-24T00:00:00Z","end":"2026-11-25T00:00:00Z"},"devices":[)";
  s.reserve(static_cast<size_t>(n) * 120 + 200);
  for (int64_t i = 0; i < n; ++i) {
    if (i) s += ',';
    s += R"({"pid":"C9300-48P","sn":"R)" + std::to_string(k) + "-" + std::to_string(i) + R"(","hostname":"sw-)" +
         std::to_string(i) + R"(","licenses":[{"tag":"a","count":)" + std::to_string(count_a) +
         R"(},{"tag":"b","count":2}]})";
  }
  return s + "]}";
}

// Every event with an action prefix, all pages.
std::vector<json> events(const Endpoint& ep, const std::string& action) {
  std::vector<json> out;
  for (int offset = 0;; offset += 1000) {
    auto r = ep.call("GET", "/api/v1/admin/events?action=" + action + "&limit=1000&offset=" + std::to_string(offset));
    EXPECT_EQ(r.status, 200) << r.body;
    if (r.status != 200) break;
    auto& page = r.json()["events"];
    for (const auto& e : page) out.push_back(e);
    if (page.size() < 1000) break;
  }
  return out;
}

int mentions(const std::vector<json>& evs, const std::string& quoted) {
  int n = 0;
  for (const auto& e : evs)
    if (contains(e.value("detail", ""), quoted)) ++n;
  return n;
}

TEST(CrashSafety, KillNineAtRandomMomentsLosesNothingAcknowledgedAndHalfWritesNothing) {
  const uint64_t seed = crash_seed("CrashSafety.Server");
  const int kills = static_cast<int>(env_number("LICSAT_CRASH_KILLS", 50));
  TempDir cfg;
  Server s({"--config", write_fast_config(cfg.path())});
  s.start();
  std::atomic<bool> stop{false};
  Endpoint ep{s.url(), s.ca_file(), s.login(), &stop};
  ASSERT_EQ(ep.call("POST", "/api/v1/admin/accounts", json{{"name", "acme"}}.dump()).status, 201);
  auto cc = s.create_grant("crash-cc", "client-credentials", ep.admin);
  auto ro = s.create_grant("crash-ro", "resource-owner", ep.admin);
  const std::string cc_form = "grant_type=client_credentials&client_id=" + cc["client_id"].get<std::string>() +
                              "&client_secret=" + cc["client_secret"].get<std::string>();

  std::atomic<int> epoch{0};         // kills so far
  std::atomic<int> reports_in_flight{0};
  std::atomic<int64_t> report_ms{300};  // how long the latest acknowledged report took, sending included
  std::mutex mu;                     // guards the vectors below
  std::vector<Attempt> reports, grants, users;
  std::vector<std::pair<std::string, int>> tokens;  // token, epoch when acknowledged
  std::vector<long> unexpected;      // 5xx answers

  auto note_status = [&](long status) {
    if (status >= 500) {
      std::lock_guard l(mu);
      unexpected.push_back(status);
    }
  };
  auto backoff = [](const Reply& r) {
    if (r.status == 0) std::this_thread::sleep_for(std::chrono::milliseconds(30));
  };

  // Two writers of usage reports, each report in a virtual account of its own.
  auto report_writer = [&](int w) {
    std::mt19937_64 rng(seed + 101 + w);
    for (int64_t k = w; !stop; k += 2) {
      std::string va = numbered("R", k);
      if (!ep.ensure_created("/api/v1/admin/accounts/acme/virtual-accounts", {{"name", va}}) ||
          !ep.ensure_created("/api/v1/admin/accounts/acme/virtual-accounts/" + va + "/licenses",
                             {{"tag", "a"}, {"quantity", 1000000}}) ||
          !ep.ensure_created("/api/v1/admin/accounts/acme/virtual-accounts/" + va + "/licenses",
                             {{"tag", "b"}, {"quantity", 1000000}}))
        break;
      Attempt a;
      a.name = va;
      a.id = "crash-" + std::to_string(seed) + "-" + std::to_string(k);
      // One writer sends large reports (kills land in their ingest), the other smaller ones.
      a.n = w == 0 ? std::uniform_int_distribution<int64_t>(5000, 16000)(rng)
                   : std::uniform_int_distribution<int64_t>(1000, 4000)(rng);
      a.count_a = 1 + k % 3;
      a.k = k;
      auto r = [&] {
        std::string body = usage_report(a.id, k, a.n, a.count_a);
        ++reports_in_flight;
        auto sent = SteadyClock::now();
        auto reply = ep.call("POST", "/api/v1/accounts/acme/virtual-accounts/" + va + "/usage", body);
        --reports_in_flight;
        if (reply.status == 200)
          report_ms = std::chrono::duration_cast<std::chrono::milliseconds>(SteadyClock::now() - sent).count();
        return reply;
      }();
      a.status = r.status;
      a.answer = r.body;
      note_status(r.status);
      {
        std::lock_guard l(mu);
        reports.push_back(std::move(a));
      }
      backoff(r);
    }
  };
  auto grant_writer = [&] {
    for (int k = 0; !stop; ++k) {
      Attempt a;
      a.name = numbered("g", k);
      std::string type = k % 2 ? "resource-owner" : "client-credentials";
      auto r = ep.call("POST", "/api/v1/admin/grants",
                       json{{"name", a.name}, {"type", type}, {"description", "crash " + a.name}}.dump());
      a.status = r.status;
      a.answer = r.body;
      note_status(r.status);
      {
        std::lock_guard l(mu);
        grants.push_back(std::move(a));
      }
      backoff(r);
      std::this_thread::sleep_for(std::chrono::milliseconds(40));
    }
  };
  auto user_writer = [&] {
    for (int k = 0; !stop; ++k) {
      Attempt a;
      a.name = numbered("u", k);
      a.password = "pw-" + a.name + "-crash-safety";
      const char* role = k % 3 == 0 ? "admin" : k % 3 == 1 ? "operator" : "viewer";
      auto r = ep.call("POST", "/api/v1/admin/users", json{{"name", a.name}, {"role", role}, {"password", a.password}}.dump());
      a.status = r.status;
      a.answer = role;
      note_status(r.status);
      {
        std::lock_guard l(mu);
        users.push_back(std::move(a));
      }
      backoff(r);
      std::this_thread::sleep_for(std::chrono::milliseconds(40));
    }
  };
  auto token_writer = [&] {
    while (!stop) {
      int e = epoch;
      auto r = ep.form("/oauth/token", cc_form);
      note_status(r.status);
      if (r.status == 200 && epoch == e) {
        std::lock_guard l(mu);
        tokens.emplace_back(r.json()["access_token"].get<std::string>(), e);
      }
      backoff(r);
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  };

  std::vector<std::thread> workers;
  workers.emplace_back(report_writer, 0);
  workers.emplace_back(report_writer, 1);
  workers.emplace_back(grant_writer);
  workers.emplace_back(user_writer);
  workers.emplace_back(token_writer);
  struct Joiner {
    std::atomic<bool>& stop;
    std::vector<std::thread>& ts;
    ~Joiner() {
      stop = true;
      for (auto& t : ts) t.join();
    }
  } joiner{stop, workers};

  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int> after_ms(100, 1000);
  int mid_ingest = 0;
  auto t0 = SteadyClock::now();
  std::string db = s.data_dir() + "/licsat.db";
  bool sqlite = s.database_url().empty();
  // Kill i: odd ones at a random moment, even ones aimed at a usage report in flight: once one is
  // sent (waited for, bounded), after a random part of the latest acknowledged report's duration.
  // Aimed kills go on past `kills` (bounded) until a quarter of all landed mid-ingest; when fewer
  // did, the output says so (the checks below hold either way).
  auto wait_for_report = [&] {
    auto until = SteadyClock::now() + std::chrono::seconds(20);
    while (reports_in_flight == 0 && SteadyClock::now() < until) std::this_thread::sleep_for(std::chrono::milliseconds(2));
  };
  auto kill_once = [&](int i, bool aimed) {
    if (aimed) {
      wait_for_report();
      std::this_thread::sleep_for(std::chrono::milliseconds(
          std::uniform_int_distribution<int64_t>(0, std::max<int64_t>(report_ms * 8 / 10, 5))(rng)));
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(after_ms(rng)));
    }
    if (reports_in_flight > 0) ++mid_ingest;
    s.kill9();
    ++epoch;
    if (sqlite && i % 10 == 9) {
      EXPECT_EQ(integrity_check(db), "ok") << "after kill " << i + 1;
    }
    s.start();
    return s.running();
  };
  int done = 0;
  for (; done < kills || (mid_ingest < kills / 4 && done < kills + kills / 2); ++done)
    ASSERT_TRUE(kill_once(done, done >= kills || done % 2 == 0)) << "restart " << done + 1 << " failed";
  if (mid_ingest < kills / 4)
    std::cerr << "NOTE: only " << mid_ingest << " of " << done << " kills landed with a usage report in flight\n";
  // Each kind of write is acknowledged at least once before the last kill (waited for, bounded),
  // so that the checks below see acknowledged writes of every kind.
  auto acked = [&](const std::vector<Attempt>& v, long ok) {
    std::lock_guard l(mu);
    return std::any_of(v.begin(), v.end(), [ok](const Attempt& a) { return a.status == ok; });
  };
  for (auto until = SteadyClock::now() + std::chrono::seconds(120);
       SteadyClock::now() < until && !(acked(reports, 200) && acked(grants, 201) && acked(users, 201));)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  auto kill_phase = SteadyClock::now() - t0;
  stop = true;
  for (auto& t : workers) t.join();
  workers.clear();
  s.kill9();
  ++epoch;
  if (sqlite) {
    EXPECT_EQ(integrity_check(db), "ok") << "after the last kill";
  }
  s.start();

  std::cerr << "killed the server " << done + 1 << " times in "
            << std::chrono::duration_cast<std::chrono::seconds>(kill_phase).count() << " s; " << mid_ingest
            << " kills with a usage report in flight; " << reports.size() << " reports, " << grants.size()
            << " grants, " << users.size() << " users, " << tokens.size() << " tokens attempted or acknowledged\n";
  EXPECT_TRUE(unexpected.empty()) << unexpected.size() << " answers were 5xx, the first " << unexpected[0];

  auto phase = SteadyClock::now();
  auto took = [&phase] {
    auto now = SteadyClock::now();
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now - phase).count();
    phase = now;
    return std::to_string(ms) + " ms";
  };
  // Usage: an acknowledged report is there, whole, once; an unacknowledged one is whole or absent.
  auto usage_events = events(ep, "usage.report");
  auto check_report = [&](const Attempt& a, bool must_be_present, const char* when) {
    auto d = ep.call("GET", "/api/v1/accounts/acme/devices?virtualAccount=" + a.name + "&limit=1");
    auto l = ep.call("POST", "/api/v1/accounts/acme/licenses", json{{"virtualAccounts", {a.name}}}.dump());
    EXPECT_EQ(d.status, 200) << d.body;
    EXPECT_EQ(l.status, 200) << l.body;
    int64_t devices = d.json().value("totalRecords", int64_t{-1});
    std::map<std::string, int64_t> in_use;
    for (const auto& x : l.json()["licenses"]) in_use[x["tag"]] = x["inUse"];
    bool present = devices == a.n;
    EXPECT_TRUE(present || (devices == 0 && !must_be_present))
        << a.name << " " << when << ": " << devices << " of " << a.n << " devices (client saw " << a.status << ")";
    EXPECT_EQ(in_use["a"], present ? a.n * a.count_a : 0) << a.name << " " << when;
    EXPECT_EQ(in_use["b"], present ? 2 * a.n : 0) << a.name << " " << when;
    return present;
  };
  int acknowledged = 0, unacknowledged_present = 0, unacknowledged_absent = 0, resent = 0;
  const int acked_stride = 1 + static_cast<int>(std::count_if(reports.begin(), reports.end(), [](const Attempt& a) {
                                 return a.status == 200;
                               })) / 12;
  for (const auto& a : reports) {
    const std::string& id = a.id;
    bool present = check_report(a, a.status == 200, "after the kills");
    EXPECT_EQ(mentions(usage_events, "'" + id + "'") + mentions(usage_events, "\"" + id + "\""), present ? 1 : 0)
        << id << ": its usage.report events";
    // Sending it again is acknowledged; for an acknowledged report with the same answer. Every
    // unacknowledged report that is there is sent again; of the others (each resend costs a parse
    // of thousands of devices), a sample: a dozen acknowledged ones, two absent ones.
    if (a.status == 200) {
      if (acknowledged++ % acked_stride != 0) continue;
    } else if (present) {
      ++unacknowledged_present;
    } else if (++unacknowledged_absent > 2) {
      continue;
    }
    ++resent;
    auto again = ep.call("POST", "/api/v1/accounts/acme/virtual-accounts/" + a.name + "/usage",
                         usage_report(a.id, a.k, a.n, a.count_a));
    ASSERT_EQ(again.status, 200) << a.name << ": " << again.body;
    if (a.status == 200) {
      auto first = json::parse(a.answer), second = again.json();
      EXPECT_EQ(first, second) << a.name;
    }
    check_report(a, true, "after sending it again");
  }
  auto usage_after = events(ep, "usage.report");
  EXPECT_EQ(usage_after.size(), usage_events.size() + std::min(unacknowledged_absent, 2))
      << "a repeated reportId was ingested again";
  std::cerr << "usage reports: " << acknowledged << " acknowledged, " << unacknowledged_present
            << " unacknowledged but complete, " << unacknowledged_absent << " unacknowledged and absent; " << resent
            << " sent again (checked in " << took() << ")\n";

  // Grants: each one listed is whole and has its creation event; each acknowledged one works.
  auto listed = ep.call("GET", "/api/v1/admin/grants");
  ASSERT_EQ(listed.status, 200) << listed.body;
  std::map<std::string, json> by_name;
  for (const auto& g : listed.json()["grants"]) by_name[g["name"]] = g;
  auto grant_events = events(ep, "grant.create");
  for (const auto& [name, g] : by_name) {
    for (const char* f : {"client_id", "type", "role", "created_at", "created_by"})
      EXPECT_TRUE(g.contains(f) && g[f].is_string() && !g[f].get<std::string>().empty()) << f << " of " << g.dump();
    EXPECT_EQ(mentions(grant_events, "'" + name + "' client_id " + g.value("client_id", "")), 1) << g.dump();
  }
  int grants_ok = 0, grants_maybe = 0;
  for (const auto& a : grants) {
    if (a.status != 201) {
      if (by_name.count(a.name)) ++grants_maybe;
      continue;
    }
    ++grants_ok;
    ASSERT_TRUE(by_name.count(a.name)) << "acknowledged grant " << a.name << " is gone";
    auto made = json::parse(a.answer);
    EXPECT_EQ(by_name[a.name]["client_id"], made["client_id"]);
    auto r = ep.form("/oauth/introspect", "token=x&client_id=" + made["client_id"].get<std::string>() +
                                              "&client_secret=" + made["client_secret"].get<std::string>());
    EXPECT_EQ(r.status, 200) << "the secret of acknowledged grant " << a.name << ": " << r.body;
  }

  // Users: each acknowledged one is there; any one there (acknowledged or not) is whole: its
  // password, which the test knows, logs in.
  auto ulist = ep.call("GET", "/api/v1/admin/users");
  ASSERT_EQ(ulist.status, 200) << ulist.body;
  std::map<std::string, json> users_by_name;
  for (const auto& u : ulist.json()["users"]) users_by_name[u["name"]] = u;
  auto user_events = events(ep, "user.create");
  int users_ok = 0, users_maybe = 0;
  const std::string ro_auth = "&client_id=" + ro["client_id"].get<std::string>() +
                              "&client_secret=" + ro["client_secret"].get<std::string>();
  for (const auto& a : users) {
    bool there = users_by_name.count(a.name) > 0;
    if (a.status == 201) {
      ++users_ok;
      EXPECT_TRUE(there) << "acknowledged user " << a.name << " is gone";
    } else if (there) {
      ++users_maybe;
    }
    if (!there) continue;
    EXPECT_EQ(users_by_name[a.name]["role"], a.answer) << a.name;
    EXPECT_EQ(mentions(user_events, "user '" + a.name + "'"), 1) << a.name;
    auto r = ep.form("/oauth/token", "grant_type=password&username=" + a.name + "&password=" + a.password + ro_auth);
    EXPECT_EQ(r.status, 200) << "user " << a.name << " (client saw " << a.status << "): " << r.body;
  }

  // Tokens: the last ones acknowledged before each kill, and a sample of the rest, still work.
  std::map<int, std::vector<std::string>> per_epoch;
  for (const auto& [t, e] : tokens) per_epoch[e].push_back(t);
  std::mt19937_64 pick(seed + 7);
  int tokens_checked = 0;
  for (auto& [e, ts] : per_epoch) {
    std::vector<std::string> check(ts.end() - std::min<size_t>(ts.size(), 3), ts.end());
    if (ts.size() > 3) check.push_back(ts[pick() % (ts.size() - 3)]);
    for (const auto& t : check) {
      auto r = ep.call("GET", "/api/v1/me", "", t);
      EXPECT_EQ(r.status, 200) << "a token acknowledged before kill " << e + 1 << ": " << r.body;
      ++tokens_checked;
    }
  }
  std::cerr << "grants: " << grants_ok << " acknowledged, " << grants_maybe << " unacknowledged but whole; users: "
            << users_ok << " acknowledged, " << users_maybe << " unacknowledged but whole; tokens: " << tokens.size()
            << " acknowledged, " << tokens_checked << " checked (in " << took() << ")\n";
  EXPECT_GT(acknowledged, 0);
  EXPECT_GT(grants_ok, 0);
  EXPECT_GT(users_ok, 0);
}

// ---- the manager ------------------------------------------------------------------------------

// Runs `licsat manager ARGS` without a shell, so that the test holds its pid.
pid_t spawn_manager(const std::vector<std::string>& args, const std::string& password, const std::string& log) {
  std::vector<std::string> argv_s = {licsat_binary(), "manager"};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  pid_t pid = fork();
  if (pid == 0) {
    FILE* lf = std::fopen(log.c_str(), "wb");
    if (lf) {
      dup2(fileno(lf), 1);
      dup2(fileno(lf), 2);
    }
    setenv("LICSAT_PASSWORD", password.c_str(), 1);
    std::vector<char*> argv;
    for (auto& a : argv_s) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  return pid;
}

TEST(CrashSafety, KillNineOfManagerSyncLeavesTheOldOrTheNewState) {
  const uint64_t seed = crash_seed("CrashSafety.Manager");
  const int kills = static_cast<int>(env_number("LICSAT_CRASH_MANAGER_KILLS", 20));
  constexpr int kDevices = 3000;
  const char* kPassword = "netops-password-crash";
  TempDir cfg, dir;
  Server s({"--config", write_fast_config(cfg.path())});
  s.start();
  std::string admin = s.login();
  std::string va_path = "/api/v1/admin/accounts/acme/virtual-accounts/Branches/licenses";
  ASSERT_EQ(s.post_json("/api/v1/admin/accounts", {{"name", "acme"}}, admin).status, 201);
  ASSERT_EQ(s.post_json("/api/v1/admin/accounts/acme/virtual-accounts", {{"name", "Branches"}}, admin).status, 201);
  const std::vector<std::string> tags = {"t1", "t2", "t3"};
  for (const auto& t : tags) ASSERT_EQ(s.post_json(va_path, {{"tag", t}, {"quantity", 100000}}, admin).status, 201);
  auto ro = s.create_grant("vmanage", "resource-owner", admin);
  s.create_user("netops", "operator", kPassword, admin);
  {
    std::ofstream csv(dir.path() + "/devices.csv");
    csv << "pid,sn,hostname,virtual_account,tag,count\n";
    for (int i = 0; i < kDevices; ++i)
      for (size_t t = 0; t < tags.size(); ++t)
        csv << "C9300-24T,FOC" << i << ",edge-" << i << ",Branches," << tags[t] << "," << t + 1 << "\n";
  }
  std::string state = dir.path() + "/state";
  std::string mdb = state + "/manager.db";
  auto imp = run_command(licsat_binary() + " manager devices import " + dir.path() + "/devices.csv --state " + state);
  ASSERT_EQ(imp.exit_code, 0) << imp.output;
  const std::vector<std::string> sync_args = {"sync", "--mode", "onprem", "--server", s.url(), "--ca-file", s.ca_file(),
                                              "--client-id", ro["client_id"].get<std::string>(),
                                              "--client-secret", ro["client_secret"].get<std::string>(),
                                              "--username", "netops", "--state", state};
  std::string log = dir.path() + "/manager.log";
  auto read_log = [&] {
    std::ifstream in(log);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  };
  // Runs a sync to its end; its duration (spawn to exit) goes to `took_ms`.
  auto sync_to_end = [&](int64_t& took_ms) {
    auto t = SteadyClock::now();
    pid_t pid = spawn_manager(sync_args, kPassword, log);
    int status = 0;
    waitpid(pid, &status, 0);
    took_ms = std::chrono::duration_cast<std::chrono::milliseconds>(SteadyClock::now() - t).count();
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  };
  // The generation g of the server's view: pool tN has quantity 1000 * g + N.
  auto set_generation = [&](int g) {
    for (size_t t = 0; t < tags.size(); ++t) {
      RequestOptions o;
      o.bearer = admin;
      auto r = s.request("PATCH", va_path + "/" + tags[t], json{{"quantity", 1000 * g + static_cast<int>(t) + 1}}.dump(), o);
      ASSERT_EQ(r.status, 200) << r.body;
    }
  };
  // The generation of the manager's stored view, -1 when its pools disagree.
  auto stored_generation = [&]() -> int {
    auto st = run_command(licsat_binary() + " manager status --json --state " + state);
    EXPECT_EQ(st.exit_code, 0) << st.output;
    auto j = json::parse(st.output, nullptr, false);
    EXPECT_TRUE(j.is_object()) << st.output;
    if (!j.is_object()) return -1;
    std::set<int> gens;
    size_t n = 0;
    for (const auto& p : j["licenses"]) {
      int64_t q = p.value("quantity", int64_t{-1});
      gens.insert(static_cast<int>(q / 1000));
      ++n;
      for (size_t t = 0; t < tags.size(); ++t)
        if (p.value("tag", "") == tags[t]) {
          EXPECT_EQ(q % 1000, static_cast<int64_t>(t) + 1) << p.dump();
        }
    }
    EXPECT_EQ(n, tags.size()) << st.output;
    EXPECT_EQ(gens.size(), 1u) << "pools from different syncs: " << st.output;
    return gens.size() == 1 ? *gens.begin() : -1;
  };
  auto in_use = [&](const std::string& tag) -> int64_t {
    auto r = s.post_json("/api/v1/accounts/acme/licenses", {{"limit", -1}}, admin);
    for (const auto& l : r.json()["licenses"])
      if (l["tag"] == tag) return l["inUse"];
    return -1;
  };

  set_generation(1);
  int64_t sync_ms = 0;
  ASSERT_EQ(sync_to_end(sync_ms), 0) << read_log();
  ASSERT_EQ(stored_generation(), 1);
  std::cerr << "one sync of " << kDevices << " devices takes " << sync_ms << " ms\n";

  // The kill window follows the sync's real duration as the run goes: every sync run to its end
  // (one per round) and every sync that ends before its kill is timed, and the next window is
  // aimed at the latest of these times. A first sync timed under load can be several times slower
  // than the later ones; each kill that misses narrows the window further (scale), each kill that
  // lands widens it back a little. Half the kills go anywhere in a sync, half near its end, where
  // the new view is being stored.
  std::mt19937_64 rng(seed);
  double scale = 1.0;
  auto kill_after = [&](std::mt19937_64& r) {
    auto span = std::max<int64_t>(static_cast<int64_t>(static_cast<double>(sync_ms) * scale), 20);
    return r() % 2 ? std::uniform_int_distribution<int64_t>(0, span)(r)
                   : std::uniform_int_distribution<int64_t>(span * 6 / 10, span * 11 / 10)(r);
  };
  // Rounds are bounded: when too few kills land in them, the output says so and the test still
  // passes on its invariants (each round checks them, killed or not).
  const int max_rounds = 5 * kills;
  int landed = 0, attempts = 0, old_state = 0, new_state = 0;
  for (int g = 2; landed < kills && attempts < max_rounds; ++g, ++attempts) {
    set_generation(g);
    const int64_t delay = kill_after(rng);
    auto started = SteadyClock::now();
    pid_t pid = spawn_manager(sync_args, kPassword, log);
    auto deadline = started + std::chrono::milliseconds(delay);
    int status = 0;
    bool exited = false;
    // Waits for the kill moment or the sync's end, whichever comes first.
    while (!(exited = waitpid(pid, &status, WNOHANG) == pid) && SteadyClock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    if (!exited) {
      ::kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      ++landed;
      scale = std::min(1.0, scale * 1.1);
    } else {
      EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << read_log();
      sync_ms = std::chrono::duration_cast<std::chrono::milliseconds>(SteadyClock::now() - started).count();
      scale = std::max(0.3, scale * 0.8);
    }
    EXPECT_EQ(integrity_check(mdb), "ok") << "after kill " << landed;
    int seen = stored_generation();
    EXPECT_TRUE(seen == g - 1 || seen == g) << "generation " << seen << " after a sync of generation " << g;
    if (!exited) (seen == g ? new_state : old_state)++;
    // The next sync succeeds and stores the new view; the usage counts once.
    ASSERT_EQ(sync_to_end(sync_ms), 0) << read_log();
    EXPECT_EQ(stored_generation(), g);
    EXPECT_EQ(in_use("t1"), kDevices);
    EXPECT_EQ(in_use("t3"), 3 * kDevices);
  }
  auto st = json::parse(run_command(licsat_binary() + " manager status --json --state " + state).output, nullptr, false);
  EXPECT_TRUE(st["reportsWaiting"].empty()) << st.dump();
  std::cerr << "killed `licsat manager sync` " << landed << " times (" << attempts - landed
            << " syncs finished before their kill): the state held the old view " << old_state << " times, the new "
            << new_state << " times; the last sync took " << sync_ms << " ms, kill window scale " << scale << "\n";
  if (landed < kills) {
    std::cerr << "NOTE: only " << landed << " of " << kills << " kills landed in " << attempts
              << " rounds (the syncs ended first); the invariants held in every round\n";
    ::testing::Test::RecordProperty("kills_short", std::to_string(kills - landed));
  }
}

}  // namespace
}  // namespace licsat::e2e
