// The licensing API end to end (DESIGN.md section 5): accounts, licenses, alerts, devices, usage
// reports with their idempotency, device registration tokens, roles and the 400/404/409/413 paths.
#include <algorithm>
#include <chrono>

#include "harness.h"

using namespace licsat::e2e;
using nlohmann::json;

namespace {

std::string date_in_days(int days) {
  auto t = std::chrono::system_clock::now() + std::chrono::hours(24 * days);
  std::time_t tt = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[16];
  std::strftime(buf, sizeof buf, "%Y-%m-%d", &tm);
  return buf;
}

json report(const std::string& id, int devices, int count, const std::string& tag = "dna-adv") {
  json devs = json::array();
  for (int i = 0; i < devices; ++i)
    devs.push_back({{"pid", "C9300"}, {"sn", "FOC" + std::to_string(i)}, {"hostname", "sw" + std::to_string(i)},
                    {"licenses", {{{"tag", tag}, {"count", count}}}}});
  return {{"reportId", id},
          {"manager", "vmanage-e2e"},
          {"period", {{"start", "2026-11-24T00:00:00Z"}, {"end", "2026-11-25T00:00:00Z"}}},
          {"devices", devs}};
}

class Licensing : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server_ = new Server();
    server_->start();
    admin_ = server_->login();
    server_->create_user("olivia", "operator", "operator-password-1", admin_);
    server_->create_user("victor", "viewer", "viewer-password-11", admin_);
    operator_ = server_->login("olivia", "operator-password-1");
    viewer_ = server_->login("victor", "viewer-password-11");
    auto ok = [](const Reply& r) { ASSERT_EQ(r.status, 201) << r.body; };
    ok(server_->post_json("/api/v1/admin/accounts", {{"name", "acme"}, {"domain", "acme.example"}}, admin_));
    ok(server_->post_json("/api/v1/admin/accounts/acme/virtual-accounts", {{"name", "Physics"}}, admin_));
    ok(server_->post_json("/api/v1/admin/accounts/acme/virtual-accounts", {{"name", "Chemistry"}}, admin_));
    std::string pools = "/api/v1/admin/accounts/acme/virtual-accounts/Physics/licenses";
    ok(server_->post_json(pools, {{"tag", "dna-adv"}, {"name", "DNA Advantage"}, {"quantity", 10}}, admin_));
    ok(server_->post_json(pools, {{"tag", "sec-term"}, {"kind", "term"}, {"quantity", 5}, {"ends", date_in_days(20)}},
                          admin_));
    ok(server_->post_json(pools,
                          {{"tag", "old"}, {"kind", "subscription"}, {"quantity", 3}, {"starts", "2024-01-01"},
                           {"ends", "2025-01-01"}},
                          admin_));
    ok(server_->post_json("/api/v1/admin/accounts/acme/virtual-accounts/Chemistry/licenses",
                          {{"tag", "dna-adv"}, {"quantity", 2}}, admin_));
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }

  static Reply call(const std::string& method, const std::string& path, const std::string& token,
                    const json& body = nullptr) {
    RequestOptions o;
    o.bearer = token;
    return server_->request(method, path, body.is_null() ? "" : body.dump(), o);
  }
  static json licenses(const std::string& token = viewer_, const json& body = json::object()) {
    auto r = call("POST", "/api/v1/accounts/acme/licenses", token, body);
    EXPECT_EQ(r.status, 200) << r.body;
    return r.json();
  }
  static json line(const std::string& va, const std::string& tag) {
    json all = licenses();
    for (const auto& l : all["licenses"])
      if (l["virtualAccount"] == va && l["tag"] == tag) return l;
    return nullptr;
  }
  static std::string usage_path(const std::string& va, const std::string& account = "acme") {
    return "/api/v1/accounts/" + account + "/virtual-accounts/" + va + "/usage";
  }

  static Server* server_;
  static std::string admin_, operator_, viewer_;
};

Server* Licensing::server_ = nullptr;
std::string Licensing::admin_, Licensing::operator_, Licensing::viewer_;

}  // namespace

TEST_F(Licensing, AccountsListTheirVirtualAccounts) {
  auto r = call("GET", "/api/v1/accounts", viewer_);
  ASSERT_EQ(r.status, 200) << r.body;
  auto a = r.json()["accounts"];
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0]["accountName"], "acme");
  EXPECT_EQ(a[0]["accountDomain"], "acme.example");
  EXPECT_EQ(a[0]["accountStatus"], "ACTIVE");
  EXPECT_TRUE(a[0].contains("accountType"));
  EXPECT_EQ(a[0]["virtualAccounts"].size(), 2u);

  auto v = call("GET", "/api/v1/accounts/acme.example/customer/virtual-accounts", viewer_);
  ASSERT_EQ(v.status, 200) << v.body;
  ASSERT_EQ(v.json()["virtualAccounts"].size(), 2u);
  for (const auto& x : v.json()["virtualAccounts"]) {
    EXPECT_TRUE(x.contains("name"));
    EXPECT_TRUE(x.contains("description"));
    EXPECT_TRUE(x["isDefault"].is_boolean());
  }
}

TEST_F(Licensing, LicensesHaveTheFieldShapes) {
  auto j = licenses();
  EXPECT_EQ(j["totalRecords"], 4);
  auto l = line("Physics", "dna-adv");
  ASSERT_TRUE(l.is_object());
  EXPECT_EQ(l["license"], "DNA Advantage");
  EXPECT_EQ(l["quantity"], 10);
  EXPECT_TRUE(l["inUse"].is_number_integer());
  EXPECT_TRUE(l["available"].is_number_integer());
  EXPECT_EQ(l["billingType"], "PREPAID");
  ASSERT_EQ(l["licenseDetails"].size(), 1u);
  EXPECT_EQ(l["licenseDetails"][0]["licenseType"], "PERPETUAL");
  EXPECT_EQ(l["licenseDetails"][0]["quantity"], 10);
  EXPECT_TRUE(l["licenseDetails"][0]["endDate"].is_null());
  EXPECT_EQ(l["licenseDetails"][0]["status"], "ACTIVE");
  auto term = line("Physics", "sec-term");
  EXPECT_EQ(term["licenseDetails"][0]["licenseType"], "TERM");
  EXPECT_EQ(term["licenseDetails"][0]["endDate"], date_in_days(20));
  auto old = line("Physics", "old");
  EXPECT_EQ(old["status"], "Expired");
  EXPECT_EQ(old["licenseDetails"][0]["licenseType"], "SUBSCRIPTION");
  EXPECT_EQ(old["licenseDetails"][0]["status"], "EXPIRED");
}

TEST_F(Licensing, LicensesFilterAndPage) {
  auto j = licenses(viewer_, {{"virtualAccounts", {"Chemistry"}}, {"limit", -1}, {"offset", 0}});
  ASSERT_EQ(j["licenses"].size(), 1u);
  EXPECT_EQ(j["licenses"][0]["virtualAccount"], "Chemistry");
  auto page = licenses(viewer_, {{"limit", 2}, {"offset", 1}});
  EXPECT_EQ(page["totalRecords"], 4);
  EXPECT_EQ(page["licenses"].size(), 2u);
  auto g = call("GET", "/api/v1/accounts/acme/licenses?virtualAccount=Physics&limit=1", viewer_);
  ASSERT_EQ(g.status, 200) << g.body;
  EXPECT_EQ(g.json()["totalRecords"], 3);
  EXPECT_EQ(g.json()["licenses"].size(), 1u);
  auto bad = call("POST", "/api/v1/accounts/acme/licenses", viewer_, {{"virtualAccounts", {"Biology"}}});
  EXPECT_EQ(bad.status, 404);
  EXPECT_NE(bad.body.find("Biology"), std::string::npos);
}

TEST_F(Licensing, AUsageReportIsAcknowledgedCountedAndIdempotent) {
  auto body = report("r-ack", 3, 2).dump();
  RequestOptions o;
  o.bearer = operator_;
  auto r = server_->post(usage_path("Physics"), body, o);
  ASSERT_EQ(r.status, 200) << r.body;
  auto ack = r.json();
  EXPECT_EQ(ack["reportId"], "r-ack");
  EXPECT_EQ(ack["status"], "accepted");
  EXPECT_EQ(ack["devices"], 3);
  EXPECT_TRUE(ack["warnings"].is_array());
  EXPECT_TRUE(ack["at"].is_string());
  auto l = line("Physics", "dna-adv");
  EXPECT_EQ(l["inUse"], 6);
  EXPECT_EQ(l["available"], 4);
  EXPECT_EQ(l["status"], "In Compliance");

  // The same report again: the same answer, counted once.
  auto again = server_->post(usage_path("Physics"), body, o);
  ASSERT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(again.json(), ack);
  EXPECT_EQ(line("Physics", "dna-adv")["inUse"], 6);

  // The same report with other spacing and key order is still the same report.
  auto reordered = json::parse(body).dump(2);
  EXPECT_EQ(server_->post(usage_path("Physics"), reordered, o).status, 200);

  // Another body under the used id: 409, nothing counted.
  auto other = server_->post(usage_path("Physics"), report("r-ack", 3, 9).dump(), o);
  EXPECT_EQ(other.status, 409) << other.body;
  EXPECT_NE(other.json()["error_message"].get<std::string>().find("r-ack"), std::string::npos);
  EXPECT_EQ(line("Physics", "dna-adv")["inUse"], 6);

  // Devices show their last report and licenses in use.
  auto d = call("GET", "/api/v1/accounts/acme/devices?virtualAccount=Physics&limit=2", viewer_);
  ASSERT_EQ(d.status, 200) << d.body;
  EXPECT_EQ(d.json()["totalRecords"], 3);
  ASSERT_EQ(d.json()["devices"].size(), 2u);
  auto dev = d.json()["devices"][0];
  EXPECT_EQ(dev["pid"], "C9300");
  EXPECT_EQ(dev["sn"], "FOC0");
  EXPECT_EQ(dev["hostname"], "sw0");
  EXPECT_EQ(dev["virtualAccount"], "Physics");
  EXPECT_TRUE(dev["lastReport"].is_string());
  EXPECT_EQ(dev["licenses"], json::parse(R"([{"tag":"dna-adv","count":2}])"));
}

TEST_F(Licensing, OverUseIsReportedNotRefusedAndAlertsFollow) {
  RequestOptions o;
  o.bearer = operator_;
  auto r = server_->post(usage_path("Chemistry"), report("r-over", 3, 1).dump(), o);
  ASSERT_EQ(r.status, 200) << r.body;
  auto l = line("Chemistry", "dna-adv");
  EXPECT_EQ(l["inUse"], 3);
  EXPECT_EQ(l["available"], -1);
  EXPECT_EQ(l["status"], "Insufficient Licenses");

  auto a = call("POST", "/api/v1/accounts/acme/alerts", viewer_);
  ASSERT_EQ(a.status, 200) << a.body;
  std::map<std::string, std::string> seen;  // messageType -> severity
  for (const auto& x : a.json()["alerts"]) {
    for (const char* f : {"messageType", "severity", "source", "message"}) EXPECT_TRUE(x.contains(f)) << x;
    seen[x["messageType"]] = x["severity"];
  }
  EXPECT_EQ(seen["INSUFFICIENT_LICENSES"], "Major");
  EXPECT_EQ(seen["LICENSE_EXPIRED"], "Major");
  EXPECT_EQ(seen["LICENSE_EXPIRING"], "Minor");
  EXPECT_FALSE(seen.count("SYNC_OVERDUE")) << "an authority has no upstream";
  EXPECT_EQ(call("GET", "/api/v1/accounts/acme/alerts", viewer_).json(), a.json());
}

TEST_F(Licensing, UnknownTagsAreAcceptedWithAWarning) {
  RequestOptions o;
  o.bearer = operator_;
  auto r = server_->post(usage_path("Physics"), report("r-unknown", 2, 1, "mystery-tag").dump(), o);
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_EQ(r.json()["warnings"].size(), 1u);
  EXPECT_NE(r.json()["warnings"][0].get<std::string>().find("mystery-tag"), std::string::npos);
  EXPECT_EQ(line("Physics", "mystery-tag")["inUse"], 2);
}

TEST_F(Licensing, UnknownAccountsAndVirtualAccountsAre404NamingThem) {
  for (const auto& [m, p] : std::vector<std::pair<std::string, std::string>>{
           {"POST", "/api/v1/accounts/nosuch/licenses"},
           {"GET", "/api/v1/accounts/nosuch/alerts"},
           {"GET", "/api/v1/accounts/nosuch/devices"},
           {"GET", "/api/v1/accounts/nosuch/customer/virtual-accounts"}}) {
    auto r = call(m, p, viewer_);
    EXPECT_EQ(r.status, 404) << p;
    EXPECT_NE(r.json()["error_message"].get<std::string>().find("'nosuch'"), std::string::npos) << r.body;
  }
  RequestOptions o;
  o.bearer = operator_;
  auto a = server_->post(usage_path("Physics", "nosuch"), report("x", 1, 1).dump(), o);
  EXPECT_EQ(a.status, 404);
  EXPECT_NE(a.body.find("nosuch"), std::string::npos);
  auto v = server_->post(usage_path("Biology"), report("x", 1, 1).dump(), o);
  EXPECT_EQ(v.status, 404);
  EXPECT_NE(v.body.find("Biology"), std::string::npos);
  auto d = call("GET", "/api/v1/accounts/acme/devices?virtualAccount=Biology", viewer_);
  EXPECT_EQ(d.status, 404);
}

TEST_F(Licensing, BadReportsAre400NamingTheField) {
  RequestOptions o;
  o.bearer = operator_;
  auto malformed = server_->post(usage_path("Physics"), "{\"reportId\": \"x\", ", o);
  EXPECT_EQ(malformed.status, 400);
  EXPECT_NE(malformed.body.find("JSON"), std::string::npos);

  auto missing = report("bad-1", 1, 1);
  missing.erase("reportId");
  auto m = server_->post(usage_path("Physics"), missing.dump(), o);
  EXPECT_EQ(m.status, 400);
  EXPECT_NE(m.json()["error_message"].get<std::string>().find("reportId"), std::string::npos);

  auto nosn = report("bad-2", 2, 1);
  nosn["devices"][1].erase("sn");
  auto s = server_->post(usage_path("Physics"), nosn.dump(), o);
  EXPECT_EQ(s.status, 400);
  EXPECT_NE(s.json()["error_message"].get<std::string>().find("devices[1].sn"), std::string::npos);

  auto neg = server_->post(usage_path("Physics"), report("bad-3", 1, -4).dump(), o);
  EXPECT_EQ(neg.status, 400);
  EXPECT_NE(neg.json()["error_message"].get<std::string>().find("devices[0].licenses[0].count"), std::string::npos);
  // A refused report leaves nothing behind: the id is still free.
  EXPECT_EQ(server_->post(usage_path("Physics"), report("bad-3", 1, 0).dump(), o).status, 200);
}

TEST_F(Licensing, RolesViewerReadsOperatorReportsAdminMakesTokens) {
  RequestOptions viewer;
  viewer.bearer = viewer_;
  auto r = server_->post(usage_path("Physics"), report("r-role", 1, 1).dump(), viewer);
  EXPECT_EQ(r.status, 403) << r.body;
  auto none = server_->post(usage_path("Physics"), report("r-role", 1, 1).dump());
  EXPECT_EQ(none.status, 401);
  EXPECT_NE(none.header("www-authenticate").find("Bearer"), std::string::npos);
  EXPECT_EQ(call("GET", "/api/v1/accounts", "").status, 401);

  std::string tokens = "/api/v1/accounts/acme/virtual-accounts/Physics/tokens";
  EXPECT_EQ(call("POST", tokens, operator_, {{"description", "x"}}).status, 403);
  auto made = call("POST", tokens, admin_, {{"description", "lab switches"}, {"expiresAfterDays", 30}});
  ASSERT_EQ(made.status, 200) << made.body;
  auto info = made.json()["tokenInfo"];
  std::string token = info["token"];
  EXPECT_GE(token.size(), 43u);
  EXPECT_EQ(info["description"], "lab switches");
  EXPECT_EQ(info["expiresAfterDays"], 30);
  auto list = call("GET", tokens, viewer_);
  ASSERT_EQ(list.status, 200) << list.body;
  ASSERT_EQ(list.json()["tokens"].size(), 1u);
  EXPECT_EQ(list.json()["tokens"][0]["description"], "lab switches");
  EXPECT_EQ(list.body.find(token), std::string::npos) << "a registration token is shown only once";
  EXPECT_EQ(call("POST", tokens, admin_, {{"expiresAfterDays", 0}}).status, 400);
}

TEST_F(Licensing, AdminChangesPoolsAndTheEventLogRecordsThem) {
  std::string base = "/api/v1/admin/accounts/acme/virtual-accounts/Chemistry/licenses";
  auto r = call("PATCH", base + "/dna-adv", admin_, {{"quantity", 50}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["quantity"], 50);
  EXPECT_EQ(line("Chemistry", "dna-adv")["quantity"], 50);
  EXPECT_EQ(call("PATCH", base + "/dna-adv", viewer_, {{"quantity", 1}}).status, 403);
  EXPECT_EQ(call("PATCH", base + "/nope", admin_, {{"quantity", 1}}).status, 404);
  EXPECT_EQ(call("POST", base, admin_, {{"tag", "dna-adv"}, {"quantity", 1}}).status, 409);
  EXPECT_EQ(call("POST", base, admin_, {{"tag", "x"}}).status, 400);
  EXPECT_EQ(call("POST", base, admin_, {{"tag", "x"}, {"quantity", 1}, {"kind", "forever"}}).status, 400);
  auto ev = call("GET", "/api/v1/admin/events?action=license.", admin_);
  ASSERT_EQ(ev.status, 200);
  EXPECT_GE(ev.json()["total"], 5);
}

TEST_F(Licensing, OtherEndpointsKeepTheSmallBodyLimit) {
  std::string big(2 * 1024 * 1024, ' ');
  big = "{\"limit\": -1" + big + "}";
  RequestOptions o;
  o.bearer = viewer_;
  auto r = server_->post("/api/v1/accounts/acme/licenses", big, o);
  EXPECT_EQ(r.status, 413) << r.body;
}

TEST_F(Licensing, OpenApiDescribesTheLicensingApi) {
  auto r = server_->get("/api/openapi.json");
  ASSERT_EQ(r.status, 200);
  auto doc = r.json();
  EXPECT_TRUE(doc["paths"].contains("/api/v1/accounts/{account}/virtual-accounts/{va}/usage"));
  EXPECT_TRUE(doc["paths"]["/api/v1/accounts/{account}/licenses"].contains("post"));
  EXPECT_TRUE(doc["paths"].contains("/oauth/token"));
  EXPECT_TRUE(doc["paths"].contains("/api/v1/admin/accounts"));
}

TEST(LicensingLimits, AUsageReportOverItsLimitIs413) {
  Server s({"--max-usage-body-bytes", "20000"});
  s.start();
  std::string admin = s.login();
  ASSERT_EQ(s.post_json("/api/v1/admin/accounts", {{"name", "acme"}}, admin).status, 201);
  ASSERT_EQ(s.post_json("/api/v1/admin/accounts/acme/virtual-accounts", {{"name", "Physics"}}, admin).status, 201);
  RequestOptions o;
  o.bearer = admin;
  auto big = report("big", 400, 1).dump();
  ASSERT_GT(big.size(), 20000u);
  auto r = s.post("/api/v1/accounts/acme/virtual-accounts/Physics/usage", big, o);
  EXPECT_EQ(r.status, 413) << r.body;
  auto small = s.post("/api/v1/accounts/acme/virtual-accounts/Physics/usage", report("small", 10, 1).dump(), o);
  EXPECT_EQ(small.status, 200) << small.body;
}

TEST_F(Licensing, DevicesAndEventsArePagedByCursorAndABadCursorIs400) {
  ASSERT_EQ(server_->post_json("/api/v1/admin/accounts/acme/virtual-accounts", {{"name", "Paging"}}, admin_).status, 201);
  json rep = report("r-paging", 11, 1);
  for (auto& d : rep["devices"]) d["pid"] = "ISR4431";  // devices of their own, not the other tests'
  RequestOptions o;
  o.bearer = operator_;
  ASSERT_EQ(server_->post(usage_path("Paging"), rep.dump(), o).status, 200);

  // Walk the virtual account's devices four at a time: every one once, in order, then no `next`.
  std::vector<std::string> sns;
  std::string path = "/api/v1/accounts/acme/devices?virtualAccount=Paging&limit=4";
  for (int pages = 1;; ++pages) {
    ASSERT_LT(pages, 10);
    auto r = call("GET", path, viewer_);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.json()["totalRecords"], 11);
    for (const auto& d : r.json()["devices"]) sns.push_back(d["sn"]);
    if (!r.json().contains("next")) {
      EXPECT_EQ(pages, 3);
      break;
    }
    path = "/api/v1/accounts/acme/devices?virtualAccount=Paging&limit=4&after=" + r.json()["next"].get<std::string>();
  }
  std::vector<std::string> want;
  for (int i = 0; i < 11; ++i) want.push_back("FOC" + std::to_string(i));
  EXPECT_EQ(sns, want);

  // The Event Log by cursor: newest first, no event twice, no total.
  std::vector<int64_t> ids;
  std::string events = "/api/v1/admin/events?limit=5&after=";
  for (int pages = 1; pages < 100; ++pages) {
    auto r = call("GET", events, admin_);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_FALSE(r.json().contains("total"));
    for (const auto& e : r.json()["events"]) ids.push_back(e["id"]);
    if (!r.json().contains("next")) break;
    events = "/api/v1/admin/events?limit=5&after=" + r.json()["next"].get<std::string>();
  }
  ASSERT_GT(ids.size(), 5u);
  EXPECT_TRUE(std::is_sorted(ids.rbegin(), ids.rend()));
  EXPECT_EQ(std::adjacent_find(ids.begin(), ids.end()), ids.end());

  // A cursor not given out by the list, or one of another list, is refused with the reason.
  auto events_cursor = call("GET", "/api/v1/admin/events?limit=1&after=", admin_).json()["next"].get<std::string>();
  for (const std::string& bad : std::vector<std::string>{"garbage!", "MTIz", events_cursor}) {
    auto r = call("GET", "/api/v1/accounts/acme/devices?after=" + bad, viewer_);
    EXPECT_EQ(r.status, 400) << bad;
    EXPECT_NE(r.body.find("'after' is not a cursor of this list"), std::string::npos) << r.body;
  }
  auto both = call("GET", "/api/v1/accounts/acme/devices?offset=2&after=" + events_cursor, viewer_);
  EXPECT_EQ(both.status, 400);
  auto bad_events = call("GET", "/api/v1/admin/events?after=nope", admin_);
  EXPECT_EQ(bad_events.status, 400);
  EXPECT_NE(bad_events.body.find("'after' is not a cursor of this list"), std::string::npos) << bad_events.body;
}
