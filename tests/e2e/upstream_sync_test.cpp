// A satellite and its authority, two real `licsat serve` processes (issue 7): the satellite syncs
// with the same client and files a manager uses. Pools added on the authority appear on the
// satellite after `licsat admin sync now`; usage reported to the satellite reaches the authority
// exactly once, also when the authority is killed in the middle of a sync; the offline round trip
// (sync export → offline answer → sync import) works, and tampered, foreign and replayed answer
// files are refused.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <thread>

#include "core/crypto.h"
#include "harness.h"

namespace licsat::e2e {
namespace {

using nlohmann::json;

bool contains(const std::string& hay, const std::string& needle) { return hay.find(needle) != std::string::npos; }

int free_port() {
  int s = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(s, reinterpret_cast<sockaddr*>(&a), &len);
  int port = ntohs(a.sin_port);
  ::close(s);
  return port;
}

void write_text(const std::string& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
}

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

json usage_report(const std::string& id, const std::vector<std::pair<std::string, int64_t>>& devices,
                  const std::string& tag = "network-advantage") {
  json devs = json::array();
  for (const auto& [sn, count] : devices)
    devs.push_back({{"pid", "C9300-24T"}, {"sn", sn}, {"hostname", "edge-" + sn}, {"licenses", {{{"tag", tag}, {"count", count}}}}});
  return {{"reportId", id},
          {"manager", "vmanage-1"},
          {"period", {{"start", "2026-11-01T00:00:00Z"}, {"end", "2026-11-02T00:00:00Z"}}},
          {"devices", devs}};
}

// An authority with smart account acme / virtual account Branches / 10 network-advantage
// licenses and a Client Credentials Grant for the satellite; a satellite linked to it by config.
class UpstreamSyncE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    authority_.start();
    a_admin_ = authority_.login();
    ASSERT_EQ(authority_.post_json("/api/v1/admin/accounts", {{"name", "acme"}}, a_admin_).status, 201);
    ASSERT_EQ(authority_.post_json("/api/v1/admin/accounts/acme/virtual-accounts", {{"name", "Branches"}}, a_admin_).status,
              201);
    auto pool = authority_.post_json("/api/v1/admin/accounts/acme/virtual-accounts/Branches/licenses",
                                     {{"tag", "network-advantage"}, {"name", "Network Advantage"}, {"quantity", 10}},
                                     a_admin_);
    ASSERT_EQ(pool.status, 201) << pool.body;
    grant_ = authority_.create_grant("satellite-1", "client-credentials", a_admin_);
  }

  // Starts the satellite with [upstream] pointing at `url` (the authority unless given).
  void start_satellite(const std::string& url = "") {
    std::string cfg = dir_.path() + "/satellite.toml";
    write_text(cfg, "[upstream]\n"
                    "url = \"" + (url.empty() ? authority_.url() : url) + "\"\n"
                    "client_id = \"" + grant_["client_id"].get<std::string>() + "\"\n"
                    "client_secret = \"" + grant_["client_secret"].get<std::string>() + "\"\n"
                    "accounts = [\"acme\"]\n"
                    "ca_file = \"" + authority_.ca_file() + "\"\n"
                    "interval = \"1h\"\n");
    satellite_ = std::make_unique<Server>(std::vector<std::string>{"--config", cfg});
    satellite_->start();
    s_admin_ = satellite_->login();
    // The scheduler syncs once at start; wait for that attempt so that it does not race the test.
    for (int i = 0; i < 300 && sync_status()["lastAttempt"].is_null(); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    ASSERT_FALSE(sync_status()["lastAttempt"].is_null()) << satellite_->log();
  }

  CommandResult admin(const Server& s, const std::string& args) {
    return run_command(licsat_binary() + " admin --server " + s.url() + " --ca-file " + s.ca_file() + " " + args,
                       {{"LICSAT_PASSWORD", kAdminPassword}});
  }

  Reply get(const Server& s, const std::string& path, const std::string& token) {
    RequestOptions o;
    o.bearer = token;
    return s.get(path, o);
  }

  // The satellite's pools of acme/Branches by tag.
  std::map<std::string, json> satellite_pools() {
    auto r = get(*satellite_, "/api/v1/admin/accounts/acme/virtual-accounts/Branches/licenses", s_admin_);
    std::map<std::string, json> out;
    if (r.status != 200) return out;
    for (const auto& p : r.json()["licenses"]) out[p["tag"].get<std::string>()] = p;
    return out;
  }

  int64_t authority_in_use(const std::string& tag = "network-advantage") {
    RequestOptions o;
    o.bearer = a_admin_;
    auto r = authority_.request("POST", "/api/v1/accounts/acme/licenses", R"({"limit":-1})", o);
    EXPECT_EQ(r.status, 200) << r.body;
    for (const auto& l : r.json()["licenses"])
      if (l["tag"] == tag) return l["inUse"].get<int64_t>();
    return -1;
  }

  // How many times the authority stored each usage report (one usage.report event per stored
  // report; a repeat stores nothing and records nothing).
  std::map<std::string, int> authority_reports() {
    auto r = get(authority_, "/api/v1/admin/events?action=usage.report&outcome=success&limit=1000", a_admin_);
    EXPECT_EQ(r.status, 200) << r.body;
    std::map<std::string, int> out;
    for (const auto& e : r.json()["events"]) {
      std::string d = e["detail"].get<std::string>();
      auto a = d.find("report '");
      if (a == std::string::npos) continue;
      a += 8;
      out[d.substr(a, d.find('\'', a) - a)]++;
    }
    return out;
  }

  json sync_status() {
    auto r = get(*satellite_, "/api/v1/admin/sync", s_admin_);
    EXPECT_EQ(r.status, 200) << r.body;
    return r.json();
  }

  void report_to_satellite(const json& report) {
    auto r = satellite_->post_json("/api/v1/accounts/acme/virtual-accounts/Branches/usage", report, s_admin_);
    ASSERT_EQ(r.status, 200) << r.body;
  }

  Server authority_;
  std::unique_ptr<Server> satellite_;
  TempDir dir_;
  std::string a_admin_, s_admin_;
  json grant_;
};

TEST_F(UpstreamSyncE2E, PoolAddedOnAuthorityAppearsOnSatelliteAfterSyncNowAndIsReadOnlyThere) {
  start_satellite();
  auto first = admin(*satellite_, "sync now");
  ASSERT_EQ(first.exit_code, 0) << first.output;
  auto pools = satellite_pools();
  ASSERT_TRUE(pools.count("network-advantage")) << first.output;
  EXPECT_EQ(pools["network-advantage"]["origin"], "upstream");
  EXPECT_EQ(pools["network-advantage"]["quantity"], 10);

  // Added, changed and removed on the authority → the same on the satellite after sync now.
  auto add = authority_.post_json("/api/v1/admin/accounts/acme/virtual-accounts/Branches/licenses",
                                  {{"tag", "dna-advantage"}, {"name", "DNA Advantage"}, {"quantity", 5}}, a_admin_);
  ASSERT_EQ(add.status, 201) << add.body;
  RequestOptions o;
  o.bearer = a_admin_;
  auto change = authority_.request("PATCH", "/api/v1/admin/accounts/acme/virtual-accounts/Branches/licenses/network-advantage",
                                   R"({"quantity": 25})", o);
  ASSERT_EQ(change.status, 200) << change.body;
  auto r = admin(*satellite_, "sync now");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(contains(r.output, "1 added, 1 changed")) << r.output;
  pools = satellite_pools();
  ASSERT_TRUE(pools.count("dna-advantage"));
  EXPECT_EQ(pools["dna-advantage"]["quantity"], 5);
  EXPECT_EQ(pools["dna-advantage"]["origin"], "upstream");
  EXPECT_EQ(pools["network-advantage"]["quantity"], 25);

  // The licensing API of the satellite's managers shows the mirror.
  RequestOptions so;
  so.bearer = s_admin_;
  auto lic = satellite_->request("POST", "/api/v1/accounts/acme/licenses", R"({"limit":-1})", so);
  ASSERT_EQ(lic.status, 200);
  EXPECT_TRUE(contains(lic.body, "DNA Advantage")) << lic.body;
  // Each line says where its pool comes from; the CLI's SOURCE column says "mirrored".
  int mirrored = 0;
  for (const auto& l : lic.json()["licenses"]) {
    if (l["tag"] != "dna-advantage") continue;
    EXPECT_EQ(l["source"], "upstream") << l.dump();
    ++mirrored;
  }
  EXPECT_EQ(mirrored, 1) << lic.body;
  auto listed = admin(*satellite_, "license list acme");
  ASSERT_EQ(listed.exit_code, 0) << listed.output;
  EXPECT_TRUE(contains(listed.output, "SOURCE")) << listed.output;
  EXPECT_TRUE(contains(listed.output, "mirrored")) << listed.output;
  auto on_authority = admin(authority_, "license list acme");
  EXPECT_FALSE(contains(on_authority.output, "mirrored")) << on_authority.output;
  EXPECT_TRUE(contains(on_authority.output, "local")) << on_authority.output;

  // Mirrored pools are read-only on the satellite.
  auto refused = satellite_->request("PATCH", "/api/v1/admin/accounts/acme/virtual-accounts/Branches/licenses/dna-advantage",
                                     R"({"quantity": 99})", so);
  EXPECT_EQ(refused.status, 409) << refused.body;
  EXPECT_TRUE(contains(refused.body, "mirrored from the upstream authority")) << refused.body;
  auto del = satellite_->request("DELETE", "/api/v1/admin/accounts/acme/virtual-accounts/Branches/licenses/dna-advantage", "",
                                 so);
  EXPECT_EQ(del.status, 409) << del.body;

  auto gone = authority_.request("DELETE", "/api/v1/admin/accounts/acme/virtual-accounts/Branches/licenses/dna-advantage", "", o);
  ASSERT_EQ(gone.status, 200) << gone.body;
  r = admin(*satellite_, "sync now");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_FALSE(satellite_pools().count("dna-advantage"));

  // Status: last success, no error, next run, the authority's key pinned at first contact.
  auto st = admin(*satellite_, "sync status");
  ASSERT_EQ(st.exit_code, 0) << st.output;
  EXPECT_TRUE(contains(st.output, "last error      none")) << st.output;
  auto s = sync_status();
  EXPECT_TRUE(s["configured"].get<bool>());
  EXPECT_FALSE(s["lastOk"].is_null());
  EXPECT_FALSE(s["nextRun"].is_null());
  auto key = authority_.get("/api/v1/server-key").json();
  EXPECT_EQ(s["authorityKeyFingerprint"], key["fingerprint"]);
}

TEST_F(UpstreamSyncE2E, UsageReportedToSatelliteReachesAuthorityExactlyOnce) {
  start_satellite();
  report_to_satellite(usage_report("r-1", {{"FOC001", 1}, {"FOC002", 2}}));
  report_to_satellite(usage_report("r-1", {{"FOC001", 1}, {"FOC002", 2}}));  // a manager's retry: a repeat
  EXPECT_EQ(sync_status()["pendingReports"], 1);

  auto r = admin(*satellite_, "sync now");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(authority_in_use(), 3);
  EXPECT_EQ(sync_status()["pendingReports"], 0);
  r = admin(*satellite_, "sync now");
  ASSERT_EQ(r.exit_code, 0) << r.output;

  auto stored = authority_reports();
  ASSERT_EQ(stored.size(), 1u) << json(stored).dump();
  EXPECT_TRUE(contains(stored.begin()->first, "r-1")) << stored.begin()->first;
  EXPECT_EQ(stored.begin()->second, 1);
  EXPECT_EQ(authority_in_use(), 3);
}

TEST_F(UpstreamSyncE2E, AuthorityKilledInTheMiddleOfASyncConvergesWithNothingLostOrDoubled) {
  start_satellite();
  ASSERT_EQ(admin(*satellite_, "sync now").exit_code, 0);  // linked, key pinned
  const int kReports = 60, kDevices = 40;
  for (int i = 0; i < kReports; ++i) {
    std::vector<std::pair<std::string, int64_t>> devs;
    for (int d = 0; d < kDevices; ++d) devs.emplace_back("SN" + std::to_string(i) + "-" + std::to_string(d), 1);
    report_to_satellite(usage_report("cut-" + std::to_string(i), devs));
  }
  ASSERT_EQ(sync_status()["pendingReports"], kReports);

  // Sync in the background; kill the authority once the first reports arrived.
  Reply during;
  std::thread syncing([&] {
    RequestOptions o;
    o.bearer = s_admin_;
    o.timeout_seconds = 120;
    during = satellite_->request("POST", "/api/v1/admin/sync/now", "", o);
  });
  for (int i = 0; i < 2000 && authority_reports().empty(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  authority_.kill9();
  syncing.join();
  int64_t left = sync_status()["pendingReports"].get<int64_t>();
  std::cerr << "[ info ] sync during the kill: HTTP " << during.status << ", " << left << " of " << kReports
            << " reports still pending\n";
  EXPECT_EQ(during.status, 502) << during.body;  // the authority went away mid-sync
  EXPECT_GT(left, 0);
  auto st = sync_status();
  EXPECT_FALSE(st["lastError"].is_null());

  // The satellite keeps serving its managers meanwhile, and queues their usage.
  RequestOptions so;
  so.bearer = s_admin_;
  EXPECT_EQ(satellite_->request("POST", "/api/v1/accounts/acme/licenses", R"({"limit":-1})", so).status, 200);
  report_to_satellite(usage_report("after-cut", {{"LATE1", 2}}));

  authority_.start();
  a_admin_ = authority_.login();
  auto r = admin(*satellite_, "sync now");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(sync_status()["pendingReports"], 0);
  EXPECT_TRUE(sync_status()["lastError"].is_null());

  auto stored = authority_reports();
  EXPECT_EQ(stored.size(), static_cast<size_t>(kReports + 1));
  for (const auto& [id, n] : stored) EXPECT_EQ(n, 1) << id << " stored " << n << " times";
  EXPECT_EQ(authority_in_use(), kReports * kDevices + 2);
}

TEST_F(UpstreamSyncE2E, OfflineRoundTripAndTamperedForeignReplayedFilesRefused) {
  // An offline satellite: its upstream does not answer; the link is the files carried by hand.
  start_satellite("https://localhost:" + std::to_string(free_port()));
  auto key = authority_.get("/api/v1/server-key").json();
  auto t = admin(*satellite_, "sync trust --key " + key["publicKey"].get<std::string>());
  ASSERT_EQ(t.exit_code, 0) << t.output;
  // `sync now` with the authority unreachable: the satellite answered, its own sync failed.
  auto down = admin(*satellite_, "sync now");
  EXPECT_NE(down.exit_code, 0) << down.output;
  EXPECT_TRUE(contains(down.output, "answered, but its sync with its authority failed")) << down.output;
  EXPECT_TRUE(contains(down.output, "sync failed")) << down.output;
  // Its fix names the satellite's [upstream] settings, not a manager's flags.
  EXPECT_TRUE(contains(down.output, "upstream.url")) << down.output;
  EXPECT_FALSE(contains(down.output, "--proxy")) << down.output;
  ASSERT_EQ(satellite_->post_json("/api/v1/admin/accounts", {{"name", "acme"}}, s_admin_).status, 201);
  ASSERT_EQ(satellite_->post_json("/api/v1/admin/accounts/acme/virtual-accounts", {{"name", "Branches"}}, s_admin_).status,
            201);
  report_to_satellite(usage_report("off-1", {{"OFF001", 4}}));

  std::string req = dir_.path() + "/request.json", ans = dir_.path() + "/answer.json";
  auto e = admin(*satellite_, "sync export " + req);
  ASSERT_EQ(e.exit_code, 0) << e.output;
  auto a = admin(authority_, "offline answer " + req + " " + ans);
  ASSERT_EQ(a.exit_code, 0) << a.output;
  // A satellite's request is answered with the satellite's own import command, not the manager's.
  EXPECT_TRUE(contains(a.output, "licsat admin sync import " + ans)) << a.output;
  EXPECT_FALSE(contains(a.output, "manager offline import")) << a.output;
  auto i = admin(*satellite_, "sync import " + ans);
  ASSERT_EQ(i.exit_code, 0) << i.output;
  EXPECT_TRUE(contains(i.output, "usage reports forwarded  1")) << i.output;

  auto pools = satellite_pools();
  ASSERT_TRUE(pools.count("network-advantage"));
  EXPECT_EQ(pools["network-advantage"]["origin"], "upstream");
  EXPECT_EQ(pools["network-advantage"]["quantity"], 10);
  EXPECT_EQ(authority_in_use(), 4);
  EXPECT_EQ(sync_status()["pendingReports"], 0);
  EXPECT_FALSE(sync_status()["lastOk"].is_null());

  // Replayed: the same answer again.
  auto again = admin(*satellite_, "sync import " + ans);
  EXPECT_NE(again.exit_code, 0);
  EXPECT_TRUE(contains(again.output, "replayed")) << again.output;

  // Tampered: a second exchange whose answer is changed after signing (more licenses).
  report_to_satellite(usage_report("off-2", {{"OFF002", 1}}));
  std::string req2 = dir_.path() + "/request2.json", ans2 = dir_.path() + "/answer2.json";
  ASSERT_EQ(admin(*satellite_, "sync export " + req2).exit_code, 0);
  ASSERT_EQ(admin(authority_, "offline answer " + req2 + " " + ans2).exit_code, 0);
  auto env = json::parse(read_text(ans2));
  auto payload = crypto::from_base64(env["payload"].get<std::string>());
  ASSERT_TRUE(payload.has_value());
  std::string changed = *payload;
  auto at = changed.find("\"quantity\":10");
  ASSERT_NE(at, std::string::npos) << changed;
  changed.replace(at, 13, "\"quantity\":99");
  env["payload"] = crypto::to_base64(changed);
  std::string bad = dir_.path() + "/tampered.json";
  write_text(bad, env.dump(2));
  auto tampered = admin(*satellite_, "sync import " + bad);
  EXPECT_NE(tampered.exit_code, 0);
  EXPECT_TRUE(contains(tampered.output, "tampered")) << tampered.output;

  // Foreign: an answer to the same request, signed by another server.
  Server other;
  other.start();
  std::string foreign = dir_.path() + "/foreign.json";
  auto fa = admin(other, "offline answer " + req2 + " " + foreign);
  ASSERT_EQ(fa.exit_code, 0) << fa.output;
  auto f = admin(*satellite_, "sync import " + foreign);
  EXPECT_NE(f.exit_code, 0);
  EXPECT_TRUE(contains(f.output, "foreign")) << f.output;

  // Nothing of that was applied; the genuine answer still is.
  EXPECT_EQ(satellite_pools()["network-advantage"]["quantity"], 10);
  auto good = admin(*satellite_, "sync import " + ans2);
  ASSERT_EQ(good.exit_code, 0) << good.output;
  EXPECT_EQ(sync_status()["pendingReports"], 0);
  EXPECT_EQ(authority_in_use(), 5);
  auto stored = authority_reports();
  EXPECT_EQ(stored.size(), 2u);
  for (const auto& [id, n] : stored) EXPECT_EQ(n, 1) << id;
}

}  // namespace
}  // namespace licsat::e2e
