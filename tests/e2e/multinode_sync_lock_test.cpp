// The scheduled upstream sync runs on one node at a time (issue 5): two satellite nodes over one
// PostgreSQL database, both configured with the same [upstream], take the cluster-wide advisory
// lock (sync::kSyncJobLock, through Database::try_job_lock) around every sync, scheduled or
// "sync now". While someone else holds it, `POST /api/v1/admin/sync/now` answers 409
// sync_in_progress ("another node ... is syncing") on either node and does nothing; once it is
// released, each node syncs. Needs LICSAT_E2E_PG_URL; skipped on SQLite, where a server serves
// one machine and the lock always succeeds.
//
// The satellites reach the authority through a small TCP relay in this process that can be
// paused: a sync on node A then stays in progress (holding the lock) for as long as the test
// needs, without depending on timing.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "harness.h"
#include "store/db.h"
#include "sync/scheduler.h"

namespace licsat::e2e {
namespace {

using nlohmann::json;

bool on_postgres() {
  const char* pg = std::getenv("LICSAT_E2E_PG_URL");
  return pg && *pg;
}

bool contains(const std::string& hay, const std::string& needle) { return hay.find(needle) != std::string::npos; }

void write_text(const std::string& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
}

// A TCP relay on 127.0.0.1 to another local port. While paused it moves no bytes in either
// direction (on connections already open as well as new ones), so a client in the middle of a
// request waits until resume().
class PausableRelay {
 public:
  explicit PausableRelay(int target_port) : target_port_(target_port) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(listen_fd_, 64) != 0) {
      ADD_FAILURE() << "relay: cannot listen";
      return;
    }
    socklen_t len = sizeof a;
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    acceptor_ = std::thread([this] { accept_loop(); });
  }

  ~PausableRelay() {
    stop_ = true;
    if (acceptor_.joinable()) acceptor_.join();
    std::vector<std::thread> pumps;
    {
      std::lock_guard lock(mu_);
      pumps.swap(pumps_);
    }
    for (auto& t : pumps)
      if (t.joinable()) t.join();
    if (listen_fd_ >= 0) ::close(listen_fd_);
  }

  PausableRelay(const PausableRelay&) = delete;
  PausableRelay& operator=(const PausableRelay&) = delete;

  int port() const { return port_; }
  void pause() { paused_ = true; }
  void resume() { paused_ = false; }

 private:
  void accept_loop() {
    while (!stop_) {
      pollfd p{listen_fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      int client = ::accept(listen_fd_, nullptr, nullptr);
      if (client < 0) continue;
      int upstream = ::socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in a{};
      a.sin_family = AF_INET;
      a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      a.sin_port = htons(static_cast<uint16_t>(target_port_));
      if (::connect(upstream, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
        ::close(upstream);
        ::close(client);
        continue;
      }
      std::lock_guard lock(mu_);
      pumps_.emplace_back([this, client, upstream] { pump(client, upstream); });
    }
  }

  void pump(int a, int b) {
    char buf[16384];
    bool open = true;
    while (open && !stop_) {
      if (paused_) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
        continue;
      }
      pollfd p[2] = {{a, POLLIN, 0}, {b, POLLIN, 0}};
      if (::poll(p, 2, 50) <= 0) continue;
      for (int i = 0; i < 2 && open; ++i) {
        if (!(p[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
        int from = i == 0 ? a : b, to = i == 0 ? b : a;
        ssize_t n = ::recv(from, buf, sizeof buf, 0);
        if (n <= 0) {
          open = false;
          break;
        }
        for (ssize_t sent = 0; sent < n;) {
          ssize_t w = ::send(to, buf + sent, static_cast<size_t>(n - sent), MSG_NOSIGNAL);
          if (w <= 0) {
            open = false;
            break;
          }
          sent += w;
        }
      }
    }
    ::close(a);
    ::close(b);
  }

  int target_port_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<bool> paused_{false};
  std::mutex mu_;
  std::vector<std::thread> pumps_;
  std::thread acceptor_;
};

// An authority with acme / Branches / 10 network-advantage licenses and a Client Credentials
// Grant; satellite nodes A and B over one database, with the same [upstream] config (through
// the relay, a day's interval so that the scheduler stays out of the way after its first sync).
class MultiNodeSyncLock : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!on_postgres()) GTEST_SKIP() << "several nodes need PostgreSQL: set LICSAT_E2E_PG_URL";
    authority_.start();
    std::string admin = authority_.login();
    ASSERT_FALSE(admin.empty());
    ASSERT_EQ(authority_.post_json("/api/v1/admin/accounts", {{"name", "acme"}}, admin).status, 201);
    ASSERT_EQ(authority_.post_json("/api/v1/admin/accounts/acme/virtual-accounts", {{"name", "Branches"}}, admin).status,
              201);
    auto pool = authority_.post_json("/api/v1/admin/accounts/acme/virtual-accounts/Branches/licenses",
                                     {{"tag", "network-advantage"}, {"name", "Network Advantage"}, {"quantity", 10}},
                                     admin);
    ASSERT_EQ(pool.status, 201) << pool.body;
    auto grant = authority_.create_grant("satellite-cluster", "client-credentials", admin);
    ASSERT_TRUE(grant.contains("client_secret")) << grant.dump();

    relay_ = std::make_unique<PausableRelay>(authority_.port());
    ASSERT_GT(relay_->port(), 0);
    std::string cfg = dir_.path() + "/satellite.toml";
    write_text(cfg, "[upstream]\n"
                    "url = \"https://localhost:" + std::to_string(relay_->port()) + "\"\n"
                    "client_id = \"" + grant["client_id"].get<std::string>() + "\"\n"
                    "client_secret = \"" + grant["client_secret"].get<std::string>() + "\"\n"
                    "accounts = [\"acme\"]\n"
                    "ca_file = \"" + authority_.ca_file() + "\"\n"
                    "interval = \"24h\"\n");

    a_ = std::make_unique<Server>(std::vector<std::string>{"--config", cfg});
    b_ = std::make_unique<Server>(std::vector<std::string>{"--config", cfg});
    b_->share_database_with(*a_);
    ASSERT_FALSE(a_->database_url().empty());
    ASSERT_EQ(a_->database_url(), b_->database_url());

    // One node after the other, each after the scheduler's sync at start (one sync.run event by
    // "system" per node), so that neither first sync meets the other's lock or the test's.
    a_->start();
    admin_ = a_->login();
    ASSERT_FALSE(admin_.empty());
    ASSERT_TRUE(wait_for_scheduled_syncs(1)) << a_->log();
    b_->start();
    ASSERT_TRUE(wait_for_scheduled_syncs(2)) << b_->log();

    db_ = open_shared();
    ASSERT_NE(db_, nullptr);
  }

  void TearDown() override {
    if (db_ && held_) db_->release_job_lock(sync::kSyncJobLock);
  }

  std::unique_ptr<store::Database> open_shared() {
    auto db = store::open_postgres(a_->database_url(), 2);
    if (!db) {
      ADD_FAILURE() << "cannot open the shared database: " << db.error().message;
      return nullptr;
    }
    return std::move(*db);
  }

  Reply get(const Server& s, const std::string& path) {
    RequestOptions o;
    o.bearer = admin_;
    return s.get(path, o);
  }

  Reply sync_now(const Server& s, long timeout_seconds = 60) {
    RequestOptions o;
    o.bearer = admin_;
    o.timeout_seconds = timeout_seconds;
    return s.request("POST", "/api/v1/admin/sync/now", "", o);
  }

  // Successful syncs the schedulers ran (actor "system"), as the shared Event Log lists them.
  int scheduled_syncs() {
    auto r = get(*a_, "/api/v1/admin/events?action=sync.run&limit=1000");
    if (r.status != 200) return -1;
    int n = 0;
    for (const auto& e : r.json()["events"])
      if (e.value("actor", "") == "system" && e.value("outcome", "") == "success") ++n;
    return n;
  }

  bool wait_for_scheduled_syncs(int n) {
    for (int i = 0; i < 300; ++i) {
      if (scheduled_syncs() >= n) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  }

  // Takes the nodes' sync lock from this process. A node releases it just after writing its
  // sync's event, so a node that has just synced may still hold it for a moment.
  bool take_lock() {
    for (int i = 0; i < 100; ++i) {
      auto t = db_->try_job_lock(sync::kSyncJobLock);
      EXPECT_TRUE(t.has_value()) << (t ? "" : t.error().message);
      if (t && *t) {
        held_ = true;
        return true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }

  void release_lock() {
    db_->release_job_lock(sync::kSyncJobLock);
    held_ = false;
  }

  // The answer of a node that found the lock taken: 409, "another node ... is syncing", and no
  // sync done.
  static void expect_busy(const Reply& r, const char* node) {
    EXPECT_EQ(r.status, 409) << node << ": " << r.body;
    const auto& j = r.json();
    EXPECT_EQ(j.value("error", ""), "sync_in_progress") << node << ": " << r.body;
    EXPECT_TRUE(contains(j.value("error_description", ""), "another node")) << node << ": " << r.body;
    EXPECT_TRUE(contains(j.value("error_description", ""), "is syncing")) << node << ": " << r.body;
    EXPECT_FALSE(j.value("ok", true)) << node << ": " << r.body;
  }

  Server authority_;
  TempDir dir_;
  std::unique_ptr<PausableRelay> relay_;
  std::unique_ptr<Server> a_, b_;
  std::string admin_;
  std::unique_ptr<store::Database> db_;
  bool held_ = false;
};

TEST_F(MultiNodeSyncLock, SyncNowIsRefusedOnEveryNodeWhileTheLockIsHeldAndRunsOnceReleased) {
  ASSERT_TRUE(take_lock()) << "the nodes keep the sync lock after their syncs";
  // Also from a second session of this process: one holder in the whole cluster.
  auto other = open_shared();
  ASSERT_NE(other, nullptr);
  auto second = other->try_job_lock(sync::kSyncJobLock);
  ASSERT_TRUE(second.has_value());
  EXPECT_FALSE(*second);

  int before = scheduled_syncs();
  auto on_a = sync_now(*a_);
  auto on_b = sync_now(*b_);
  expect_busy(on_a, "A");
  expect_busy(on_b, "B");
  // A refused sync is no sync: neither node ran one nor holds the lock now.
  EXPECT_FALSE(get(*a_, "/api/v1/admin/sync").json().value("running", true));
  EXPECT_FALSE(get(*b_, "/api/v1/admin/sync").json().value("running", true));
  EXPECT_EQ(scheduled_syncs(), before);

  release_lock();
  auto ok_a = sync_now(*a_);
  ASSERT_EQ(ok_a.status, 200) << ok_a.body;
  EXPECT_EQ(ok_a.json()["ok"], true) << ok_a.body;
  auto ok_b = sync_now(*b_);
  ASSERT_EQ(ok_b.status, 200) << ok_b.body;
  EXPECT_EQ(ok_b.json()["ok"], true) << ok_b.body;
  auto st = get(*b_, "/api/v1/admin/sync");
  EXPECT_TRUE(st.json()["lastError"].is_null()) << st.body;
  EXPECT_FALSE(st.json()["lastOk"].is_null()) << st.body;

  // Each node let the lock go after its sync.
  ASSERT_TRUE(take_lock()) << "a node kept the sync lock after its sync now";
  release_lock();
}

TEST_F(MultiNodeSyncLock, NodeSyncingHoldsTheLockAndBlocksTheOtherNode) {
  // A's sync waits on the paused relay, holding the lock meanwhile ("running" on A is set
  // only once the lock is taken).
  relay_->pause();
  Reply during;
  std::thread syncing([&] { during = sync_now(*a_, 120); });
  bool running = false;
  for (int i = 0; i < 300 && !running; ++i) {
    running = get(*a_, "/api/v1/admin/sync").json().value("running", false);
    if (!running) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  if (!running) {
    relay_->resume();
    syncing.join();
    FAIL() << "A's sync now never ran: HTTP " << during.status << " " << during.body;
  }

  auto on_b = sync_now(*b_);
  expect_busy(on_b, "B");
  auto t = db_->try_job_lock(sync::kSyncJobLock);
  ASSERT_TRUE(t.has_value());
  EXPECT_FALSE(*t) << "the lock is free while A syncs";
  if (t && *t) release_lock();
  EXPECT_FALSE(get(*b_, "/api/v1/admin/sync").json().value("running", true));

  relay_->resume();
  syncing.join();
  ASSERT_EQ(during.status, 200) << during.body;
  EXPECT_EQ(during.json()["ok"], true) << during.body;

  // A is done and has let the lock go: B syncs now.
  auto ok_b = sync_now(*b_);
  ASSERT_EQ(ok_b.status, 200) << ok_b.body;
  EXPECT_EQ(ok_b.json()["ok"], true) << ok_b.body;
  ASSERT_TRUE(take_lock()) << "a node kept the sync lock after its sync now";
  release_lock();
}

}  // namespace
}  // namespace licsat::e2e
