// /metrics end to end (issue 23): a scripted day on the real binary (tokens granted and refused
// for each reason, a user locked, usage reports of every outcome, pools in and out of
// compliance), then a scrape over HTTPS that Prometheus's own parser accepts (`promtool check
// metrics`) and whose values are checked family by family. A satellite's sync families come from
// a satellite linked to a real authority, and from one whose authority does not answer. Access:
// the local host reads, another address gets 403 unless it is allowed or brings the token.
// Runs on SQLite and, with LICSAT_E2E_PG_URL, on PostgreSQL.
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <ctime>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <sstream>
#include <thread>

#include "harness.h"

namespace licsat::e2e {
namespace {

using nlohmann::json;

// One scrape: promtool's verdict, then the samples by their series as rendered
// (`name{label="v",…}`), which the checks below look up.
struct Scrape {
  std::string text;
  CommandResult promtool;
  std::map<std::string, double> samples;

  std::optional<double> value(const std::string& series) const {
    auto it = samples.find(series);
    if (it == samples.end()) return std::nullopt;
    return it->second;
  }
  bool has_family(const std::string& name) const { return text.find("# TYPE " + name + " ") != std::string::npos; }
};

Scrape scrape(const Server& s, const TempDir& dir) {
  Scrape out;
  auto r = s.get("/metrics");
  EXPECT_EQ(r.status, 200) << r.body;
  out.text = r.body;
  std::string file = dir.path() + "/scrape.prom";
  std::ofstream(file) << out.text;
  out.promtool = run_command("promtool check metrics < " + file);
  std::istringstream in(out.text);
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    auto sp = line.rfind(' ');
    if (sp == std::string::npos) continue;
    out.samples[line.substr(0, sp)] = std::stod(line.substr(sp + 1));
  }
  return out;
}

// Scrapes until `ready` holds (the license gauges are a snapshot up to 5 s old), at most 30 s.
Scrape scrape_until(const Server& s, const TempDir& dir, const std::function<bool(const Scrape&)>& ready) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  for (;;) {
    Scrape sc = scrape(s, dir);
    if (ready(sc) || std::chrono::steady_clock::now() > deadline) return sc;
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
}

Reply form(const Server& s, const std::string& body) {
  RequestOptions o;
  o.content_type = "application/x-www-form-urlencoded";
  return s.post("/oauth/token", body, o);
}

std::string date_in_days(int days) {
  std::time_t t = std::time(nullptr) + static_cast<std::time_t>(days) * 86400;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[16];
  std::strftime(buf, sizeof buf, "%Y-%m-%d", &tm);
  return buf;
}

json report(const std::string& id, const std::string& prefix, int devices,
            const std::vector<std::pair<std::string, int>>& licenses) {
  json devs = json::array();
  for (int i = 0; i < devices; ++i) {
    json lic = json::array();
    for (const auto& [tag, count] : licenses) lic.push_back({{"tag", tag}, {"count", count}});
    devs.push_back({{"pid", "C9300"}, {"sn", prefix + std::to_string(i)}, {"hostname", std::string("sw").append(std::to_string(i))},
                    {"licenses", lic}});
  }
  return {{"reportId", id},
          {"manager", "vmanage-metrics"},
          {"period", {{"start", "2026-11-24T00:00:00Z"}, {"end", "2026-11-25T00:00:00Z"}}},
          {"devices", devs}};
}

// A non-loopback IPv4 address of this host, if it has one.
std::optional<std::string> host_address() {
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return std::nullopt;
  std::optional<std::string> found;
  for (auto* a = list; a && !found; a = a->ifa_next) {
    if (!a->ifa_addr || a->ifa_addr->sa_family != AF_INET) continue;
    auto* in = reinterpret_cast<sockaddr_in*>(a->ifa_addr);
    char buf[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &in->sin_addr, buf, sizeof buf);
    if (std::string(buf).rfind("127.", 0) != 0) found = buf;
  }
  freeifaddrs(list);
  return found;
}

TEST(MetricsE2E, AScriptedDayShowsInEveryFamilyAndPromtoolParsesTheScrape) {
  TempDir dir;
  Server server;
  server.start();
  // Tokens: two password grants, one refresh, three client_credentials.
  auto admin_login = form(server, std::string("grant_type=password&client_id=licsat-admin&username=admin&password=")
                                                   .append(kAdminPassword));
  ASSERT_EQ(admin_login.status, 200) << admin_login.body;
  std::string admin = admin_login.json()["access_token"];
  ASSERT_EQ(form(server, std::string("grant_type=refresh_token&client_id=licsat-admin&refresh_token=")
                             .append(admin_login.json()["refresh_token"].get<std::string>()))
                .status,
            200);
  server.create_user("olivia", "operator", "operator-password-1", admin);
  std::string op = server.login("olivia", "operator-password-1");
  auto cc = server.create_grant("collector", "client-credentials", admin);
  std::string id = cc["client_id"], secret = cc["client_secret"];
  for (int i = 0; i < 3; ++i)
    ASSERT_EQ(form(server, "grant_type=client_credentials&client_id=" + id + "&client_secret=" + secret).status, 200);

  // Refusals, one reason at a time.
  std::map<std::string, int> refused;
  auto expect = [&](const Reply& r, int status, const std::string& reason) {
    EXPECT_EQ(r.status, status) << reason << ": " << r.body;
    ++refused[reason];
  };
  expect(form(server, "grant_type=client_credentials&client_id=" + id + "&client_secret=wrong"), 401, "bad_secret");
  expect(form(server, "grant_type=client_credentials&client_id=no-such-client&client_secret=x"), 401, "unknown_client");
  expect(form(server, "grant_type=password&client_id=" + id + "&client_secret=" + secret + "&username=admin&password=x"),
         401, "wrong_grant_type");
  expect(form(server, "grant_type=password&client_id=licsat-admin&username=nobody&password=whatever-it-is"), 400,
         "unknown_user");
  expect(form(server, "client_id=" + id + "&client_secret=" + secret), 400, "invalid_request");
  expect(form(server, "grant_type=implicit&client_id=" + id), 400, "unsupported_grant_type");
  ASSERT_EQ(server.request("PUT", "/api/v1/admin/console", R"({"enabled":false})",
                           RequestOptions{.headers = {}, .content_type = "application/json", .bearer = admin})
                .status,
            200);
  expect(form(server, "grant_type=client_credentials&client_id=" + id + "&client_secret=" + secret), 403,
         "console_disabled");
  ASSERT_EQ(server.request("PUT", "/api/v1/admin/console", R"({"enabled":true})",
                           RequestOptions{.headers = {}, .content_type = "application/json", .bearer = admin})
                .status,
            200);
  // A user locked by failed logins: each answer says whether it was the password or the lock.
  server.create_user("lucy", "viewer", "viewer-password-11", admin);
  for (int i = 0; i < 5; ++i) {
    auto r = form(server, "grant_type=password&client_id=licsat-admin&username=lucy&password=wrong-password-1");
    EXPECT_EQ(r.status, 400) << r.body;
    ++refused[r.body.find("locked") != std::string::npos ? "locked" : "bad_password"];
  }
  auto locked = form(server, "grant_type=password&client_id=licsat-admin&username=lucy&password=viewer-password-11");
  EXPECT_EQ(locked.status, 400) << locked.body;
  EXPECT_NE(locked.body.find("locked"), std::string::npos) << locked.body;
  ++refused["locked"];
  // A noisy client: bad secrets until the throttle answers 429.
  auto noisy = server.create_grant("noisy", "client-credentials", admin);
  std::string noisy_id = noisy["client_id"];
  for (int i = 0; i < 20; ++i) {
    auto r = form(server, "grant_type=client_credentials&client_id=" + noisy_id + "&client_secret=bad");
    if (r.status == 429) {
      ++refused["throttled"];
      break;
    }
    expect(r, 401, "bad_secret");
  }
  ASSERT_EQ(refused["throttled"], 1);

  // Licenses: dna-adv 10 ending in 20 days, net-ess 1; reports of every outcome.
  auto created = [](const Reply& r) { ASSERT_EQ(r.status, 201) << r.body; };
  created(server.post_json("/api/v1/admin/accounts", {{"name", "acme"}}, admin));
  created(server.post_json("/api/v1/admin/accounts/acme/virtual-accounts", {{"name", "Physics"}}, admin));
  std::string ends = date_in_days(20);
  created(server.post_json("/api/v1/admin/accounts/acme/virtual-accounts/Physics/licenses",
                           {{"tag", "dna-adv"}, {"quantity", 10}, {"ends", ends}}, admin));
  created(server.post_json("/api/v1/admin/accounts/acme/virtual-accounts/Physics/licenses",
                           {{"tag", "net-ess"}, {"quantity", 1}}, admin));
  const std::string usage = "/api/v1/accounts/acme/virtual-accounts/Physics/usage";
  auto r1 = report("m1", "FOCA", 3, {{"dna-adv", 1}});
  EXPECT_EQ(server.post_json(usage, r1, op).status, 200);
  EXPECT_EQ(server.post_json(usage, report("m2", "FOCB", 2, {{"dna-adv", 2}, {"net-ess", 1}}), op).status, 200);
  EXPECT_EQ(server.post_json(usage, r1, op).status, 200);                                        // repeat
  EXPECT_EQ(server.post_json(usage, report("m1", "FOCC", 1, {{"dna-adv", 1}}), op).status, 409);  // conflict
  EXPECT_EQ(server.post_json(usage, json::object(), op).status, 400);                             // invalid
  EXPECT_EQ(server.post_json("/api/v1/accounts/acme/virtual-accounts/Nope/usage", report("m3", "FOCD", 1, {{"dna-adv", 1}}), op)
                .status,
            404);  // not_found

  const std::string pool = R"(account="acme",virtual_account="Physics",tag="dna-adv")";
  const std::string ess = R"(account="acme",virtual_account="Physics",tag="net-ess")";
  auto sc = scrape_until(server, dir, [&](const Scrape& s) {
    return s.value("licsat_license_in_use{" + pool + "}") == 7.0;
  });
  EXPECT_EQ(sc.promtool.exit_code, 0) << sc.promtool.output << "\n" << sc.text;

  EXPECT_EQ(sc.value("licsat_build_info{version=\"0.1.0\"}"), 1.0);
  EXPECT_EQ(sc.value("licsat_tokens_issued_total{grant_type=\"password\"}"), 2.0);
  EXPECT_EQ(sc.value("licsat_tokens_issued_total{grant_type=\"refresh_token\"}"), 1.0);
  EXPECT_EQ(sc.value("licsat_tokens_issued_total{grant_type=\"client_credentials\"}"), 3.0);
  for (const char* reason : {"unknown_client", "bad_secret", "expired", "wrong_grant_type", "bad_password", "locked",
                             "console_disabled", "throttled", "unknown_user", "invalid_request",
                             "unsupported_grant_type", "bad_refresh_token", "refresh_token_reused"})
    EXPECT_EQ(sc.value(std::string("licsat_token_refusals_total{reason=\"") + reason + "\"}"), refused[reason])
        << reason;
  EXPECT_EQ(sc.value("licsat_logins_locked_total"), 1.0);

  EXPECT_EQ(sc.value("licsat_usage_reports_total{outcome=\"accepted\"}"), 2.0);
  EXPECT_EQ(sc.value("licsat_usage_reports_total{outcome=\"repeat\"}"), 1.0);
  EXPECT_EQ(sc.value("licsat_usage_reports_total{outcome=\"conflict\"}"), 1.0);
  EXPECT_EQ(sc.value("licsat_usage_reports_total{outcome=\"invalid\"}"), 1.0);
  EXPECT_EQ(sc.value("licsat_usage_reports_total{outcome=\"not_found\"}"), 1.0);
  EXPECT_EQ(sc.value("licsat_usage_report_devices_count"), 3.0);   // accepted and repeated reports
  EXPECT_EQ(sc.value("licsat_usage_report_devices_sum"), 8.0);     // 3 + 2 + 3
  EXPECT_EQ(sc.value("licsat_usage_report_devices_bucket{le=\"1\"}"), 0.0);
  EXPECT_EQ(sc.value("licsat_usage_report_devices_bucket{le=\"10\"}"), 3.0);
  EXPECT_EQ(sc.value("licsat_usage_report_seconds_count"), 6.0);

  EXPECT_EQ(sc.value("licsat_license_quantity{" + pool + "}"), 10.0);
  EXPECT_EQ(sc.value("licsat_license_in_use{" + pool + "}"), 7.0);  // 3 x 1 + 2 x 2
  EXPECT_EQ(sc.value("licsat_license_status{" + pool + ",status=\"in_compliance\"}"), 1.0);
  EXPECT_EQ(sc.value("licsat_license_status{" + pool + ",status=\"insufficient\"}"), 0.0);
  EXPECT_EQ(sc.value("licsat_license_quantity{" + ess + "}"), 1.0);
  EXPECT_EQ(sc.value("licsat_license_in_use{" + ess + "}"), 2.0);
  EXPECT_EQ(sc.value("licsat_license_status{" + ess + ",status=\"insufficient\"}"), 1.0);
  EXPECT_EQ(sc.value("licsat_license_status{" + ess + ",status=\"in_compliance\"}"), 0.0);
  auto expiry = sc.value("licsat_license_expiry_timestamp_seconds{" + pool + "}");
  ASSERT_TRUE(expiry);
  EXPECT_NEAR(*expiry, static_cast<double>(std::time(nullptr)) + 20 * 86400.0, 2 * 86400.0);
  EXPECT_FALSE(sc.value("licsat_license_expiry_timestamp_seconds{" + ess + "}"));  // perpetual

  EXPECT_EQ(sc.value("licsat_db_up"), 1.0);
  EXPECT_GT(sc.value("licsat_db_commit_seconds_count").value_or(0), 0.0);
  EXPECT_GE(sc.value("licsat_db_group_commit_size_count").value_or(0), 1.0);  // the client_credentials tokens
  EXPECT_GE(sc.value("licsat_db_group_commit_size_sum").value_or(0), 3.0);
  if (server.database_url().empty())
    EXPECT_TRUE(sc.value("licsat_db_wal_bytes")) << "SQLite: the WAL size";
  else
    EXPECT_FALSE(sc.has_family("licsat_db_wal_bytes")) << "PostgreSQL has no SQLite WAL";
  EXPECT_TRUE(sc.value("licsat_event_queue_depth"));
  EXPECT_EQ(sc.value("licsat_event_queue_dropped_total"), 0.0);
  // An authority has no upstream families.
  EXPECT_FALSE(sc.has_family("licsat_upstream_last_success_timestamp_seconds"));
  // No secret or client-supplied text becomes a label.
  EXPECT_EQ(sc.text.find(secret), std::string::npos);
  EXPECT_EQ(sc.text.find("nobody"), std::string::npos);
  EXPECT_EQ(sc.text.find("FOCA"), std::string::npos);
}

TEST(MetricsE2E, OtherAddressesGet403UnlessAllowedOrHoldingTheToken) {
  auto address = host_address();
  if (!address) GTEST_SKIP() << "this host has no non-loopback IPv4 address";
  TempDir dir;
  std::string token = "scrape-token-of-the-e2e-test-0123";
  std::ofstream(dir.path() + "/token") << token << "\n";
  std::ofstream(dir.path() + "/licsat.toml") << "[metrics]\ntoken_file = \"" << dir.path() << "/token\"\n";
  Server server({"--listen", "0.0.0.0:0", "--config", dir.path() + "/licsat.toml"});
  server.start();
  std::string url = "https://" + *address + ":" + std::to_string(server.port()) + "/metrics";

  EXPECT_EQ(server.get("/metrics").status, 200);  // the local host
  auto refused = https("GET", url);
  EXPECT_EQ(refused.status, 403) << refused.body << refused.error;
  EXPECT_EQ(refused.json().value("error", ""), "access_denied") << refused.body;
  RequestOptions wrong;
  wrong.bearer = token + "x";
  EXPECT_EQ(https("GET", url, "", wrong).status, 403);
  RequestOptions right;
  right.bearer = token;
  auto ok = https("GET", url, "", right);
  EXPECT_EQ(ok.status, 200) << ok.body;
  EXPECT_NE(ok.body.find("licsat_build_info"), std::string::npos);

  // The refusals are in the Event Log (metrics.auth), without the token.
  // (Hot-path events are written in batches: wait for it.)
  RequestOptions admin{.headers = {}, .content_type = "application/json", .bearer = server.login()};
  Reply events;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  do {
    events = server.get("/api/v1/admin/events?action=metrics.auth", admin);
    ASSERT_EQ(events.status, 200) << events.body;
    if (events.body.find("\"metrics.auth\"") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  } while (std::chrono::steady_clock::now() < deadline);
  EXPECT_NE(events.body.find("\"metrics.auth\""), std::string::npos) << events.body;
  EXPECT_EQ(events.body.find(token), std::string::npos);
  server.stop();

  // The host's address in [metrics] allow opens it without a token.
  TempDir dir2;
  std::ofstream(dir2.path() + "/licsat.toml") << "[metrics]\nallow = [\"" << *address << "/32\"]\n";
  Server allowed({"--listen", "0.0.0.0:0", "--config", dir2.path() + "/licsat.toml"});
  allowed.start();
  EXPECT_EQ(https("GET", "https://" + *address + ":" + std::to_string(allowed.port()) + "/metrics").status, 200);
}

TEST(MetricsE2E, ABadAllowRangeStopsTheServerAtStartNamingIt) {
  TempDir dir;
  std::ofstream(dir.path() + "/licsat.toml") << "[metrics]\nallow = [\"10.0.0.0/33\"]\n";
  auto r = run_command(std::string("timeout 30 ").append(licsat_binary()) + " serve --data " + dir.path() + "/data --listen 127.0.0.1:0 --config " +
                       dir.path() + "/licsat.toml");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("metrics.allow"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("10.0.0.0/33"), std::string::npos) << r.output;
}

// A satellite linked to an authority shows its last successful sync and an empty outbox; one
// whose authority does not answer counts the failure by kind and has no success.
TEST(MetricsE2E, SatelliteSyncFamiliesShowSuccessAndFailures) {
  TempDir dir;
  Server authority;
  authority.start();
  std::string a_admin = authority.login();
  ASSERT_EQ(authority.post_json("/api/v1/admin/accounts", {{"name", "acme"}}, a_admin).status, 201);
  auto grant = authority.create_grant("satellite-1", "client-credentials", a_admin);
  auto satellite_config = [&](const std::string& name, const std::string& url) {
    std::string path = dir.path() + "/" + name + ".toml";
    std::ofstream(path) << "[upstream]\nurl = \"" << url << "\"\nclient_id = \""
                        << grant["client_id"].get<std::string>() << "\"\nclient_secret = \""
                        << grant["client_secret"].get<std::string>() << "\"\naccounts = [\"acme\"]\nca_file = \""
                        << authority.ca_file() << "\"\ninterval = \"1h\"\n";
    return path;
  };
  // The scheduler syncs once at start: wait for that attempt.
  auto synced = [&](Server& s) {
    std::string token = s.login();
    for (int i = 0; i < 300; ++i) {
      auto r = s.get("/api/v1/admin/sync", RequestOptions{.headers = {}, .content_type = "application/json", .bearer = token});
      if (r.status == 200 && !r.json()["lastAttempt"].is_null()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  };

  Server satellite({"--config", satellite_config("good", authority.url())});
  satellite.start();
  ASSERT_TRUE(synced(satellite)) << satellite.log();
  auto sc = scrape_until(satellite, dir, [](const Scrape& s) {
    return s.value("licsat_upstream_last_success_timestamp_seconds").value_or(0) > 0;
  });
  EXPECT_EQ(sc.promtool.exit_code, 0) << sc.promtool.output << "\n" << sc.text;
  EXPECT_NEAR(sc.value("licsat_upstream_last_success_timestamp_seconds").value_or(0),
              static_cast<double>(std::time(nullptr)), 120.0);
  EXPECT_EQ(sc.value("licsat_upstream_outbox_reports"), 0.0);
  EXPECT_EQ(sc.value("licsat_upstream_interval_seconds"), 3600.0);
  EXPECT_TRUE(sc.has_family("licsat_upstream_sync_failures_total"));
  EXPECT_EQ(sc.text.find("licsat_upstream_sync_failures_total{"), std::string::npos) << "no failure yet";
  satellite.stop();

  // An authority address where nothing listens (port 1 is never served here): a connect failure.
  std::string dead = "https://127.0.0.1:1";
  Server lonely({"--config", satellite_config("dead", dead)});
  lonely.start();
  ASSERT_TRUE(synced(lonely)) << lonely.log();
  auto bad = scrape(lonely, dir);
  EXPECT_EQ(bad.promtool.exit_code, 0) << bad.promtool.output;
  // The scheduler may have retried meanwhile: at least the first attempt is counted.
  EXPECT_GE(bad.value("licsat_upstream_sync_failures_total{reason=\"connect\"}").value_or(0), 1.0) << bad.text;
  EXPECT_EQ(bad.value("licsat_upstream_last_success_timestamp_seconds"), 0.0);
}

}  // namespace
}  // namespace licsat::e2e
