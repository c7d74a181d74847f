// Usage over time end to end (issue 8): GET /api/v1/accounts/{a}/licenses/usage-history on the
// real binary. The server's clock is the real one, so the server runs with one-second buckets
// ([usage_history] bucket = "1s") and the reports go out over a few seconds; the assertions are
// on counts, order and values rather than on exact times.
#include <chrono>
#include <fstream>
#include <thread>

#include "harness.h"

using namespace licsat::e2e;
using nlohmann::json;

namespace {

json report(const std::string& id, int devices, int count) {
  json devs = json::array();
  for (int i = 0; i < devices; ++i)
    devs.push_back({{"pid", "C9300"}, {"sn", "FOC" + std::to_string(i)}, {"hostname", "sw" + std::to_string(i)},
                    {"licenses", {{{"tag", "dna-adv"}, {"count", count}}}}});
  return {{"reportId", id},
          {"manager", "vmanage-e2e"},
          {"period", {{"start", "2026-11-24T00:00:00Z"}, {"end", "2026-11-25T00:00:00Z"}}},
          {"devices", devs}};
}

// A server whose config file sets the usage history's bucket.
class UsageHistory : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    conf_dir_ = new TempDir();
    std::string conf = conf_dir_->path() + "/licsat.toml";
    std::ofstream(conf) << "[usage_history]\nbucket = \"1s\"\nretention = \"1d\"\n";
    server_ = new Server({"--config", conf});
    server_->start();
    admin_ = server_->login();
    server_->create_user("olivia", "operator", "operator-password-1", admin_);
    server_->create_user("victor", "viewer", "viewer-password-11", admin_);
    operator_ = server_->login("olivia", "operator-password-1");
    viewer_ = server_->login("victor", "viewer-password-11");
    auto ok = [](const Reply& r) { ASSERT_EQ(r.status, 201) << r.body; };
    ok(server_->post_json("/api/v1/admin/accounts", {{"name", "acme"}}, admin_));
    ok(server_->post_json("/api/v1/admin/accounts/acme/virtual-accounts", {{"name", "Physics"}}, admin_));
    ok(server_->post_json("/api/v1/admin/accounts/acme/virtual-accounts/Physics/licenses",
                          {{"tag", "dna-adv"}, {"quantity", 10}}, admin_));
  }
  static void TearDownTestSuite() {
    delete server_;
    delete conf_dir_;
    server_ = nullptr;
    conf_dir_ = nullptr;
  }

  static Reply get(const std::string& path, const std::string& token = viewer_) {
    RequestOptions o;
    o.bearer = token;
    return server_->get(path, o);
  }
  static void post_report(const json& r) {
    auto reply = server_->post_json("/api/v1/accounts/acme/virtual-accounts/Physics/usage", r, operator_);
    ASSERT_EQ(reply.status, 200) << reply.body;
  }

  static inline Server* server_ = nullptr;
  static inline TempDir* conf_dir_ = nullptr;
  static inline std::string admin_, operator_, viewer_;
};

const std::string kPath = "/api/v1/accounts/acme/licenses/usage-history";

TEST_F(UsageHistory, EachReportAddsAPointAndViewersReadThemOldestFirst) {
  // Three reports more than a bucket apart: 3 x 2, then 4 x 2, then 2 x 1 (the other two
  // devices keep their latest count 2).
  post_report(report("h1", 3, 2));
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  post_report(report("h2", 4, 2));
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  post_report(report("h3", 2, 1));
  auto r = get(kPath + "?virtualAccount=Physics&tag=dna-adv");
  ASSERT_EQ(r.status, 200) << r.body;
  const auto& j = r.json();
  EXPECT_EQ(j["tag"], "dna-adv");
  EXPECT_EQ(j["virtualAccount"], "Physics");
  EXPECT_EQ(j["bucketSeconds"], 1);
  ASSERT_EQ(j["points"].size(), 3u) << r.body;
  std::vector<int64_t> in_use;
  for (const auto& p : j["points"]) {
    in_use.push_back(p["inUse"]);
    EXPECT_EQ(p["quantity"], 10);
    EXPECT_EQ(p["at"].get<std::string>().size(), 20u) << p["at"];  // 2026-11-25T17:19:01Z
  }
  EXPECT_EQ(in_use, (std::vector<int64_t>{6, 8, 6}));
  EXPECT_LT(j["points"][0]["at"].get<std::string>(), j["points"][2]["at"].get<std::string>());

  // The last point is today's "in use" of the licenses API.
  auto lic = server_->request("GET", "/api/v1/accounts/acme/licenses?virtualAccount=Physics", "", [] {
    RequestOptions o;
    o.bearer = viewer_;
    return o;
  }());
  ASSERT_EQ(lic.status, 200);
  EXPECT_EQ(lic.json()["licenses"][0]["inUse"], 6);

  // A repeated report adds nothing; since/until select by time.
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  post_report(report("h3", 2, 1));
  EXPECT_EQ(get(kPath + "?virtualAccount=Physics&tag=dna-adv").json()["points"].size(), 3u);
  std::string second = j["points"][1]["at"];
  auto later = get(kPath + "?virtualAccount=Physics&tag=dna-adv&since=" + second);
  ASSERT_EQ(later.status, 200) << later.body;
  EXPECT_EQ(later.json()["points"].size(), 2u);
  auto before = get(kPath + "?virtualAccount=Physics&tag=dna-adv&since=2020-01-01&until=2020-01-02");
  ASSERT_EQ(before.status, 200) << before.body;
  EXPECT_TRUE(before.json()["points"].empty());
  // A tag without reports: no points, not an error.
  auto none = get(kPath + "?virtualAccount=Physics&tag=never-reported");
  ASSERT_EQ(none.status, 200) << none.body;
  EXPECT_TRUE(none.json()["points"].empty());
}

TEST_F(UsageHistory, BadParametersAre400AndUnknownAccountsAre404NamingThem) {
  auto no_tag = get(kPath + "?virtualAccount=Physics");
  EXPECT_EQ(no_tag.status, 400);
  EXPECT_NE(no_tag.body.find("'tag'"), std::string::npos) << no_tag.body;
  auto no_va = get(kPath + "?tag=dna-adv");
  EXPECT_EQ(no_va.status, 400);
  EXPECT_NE(no_va.body.find("'virtualAccount'"), std::string::npos) << no_va.body;
  auto bad_since = get(kPath + "?virtualAccount=Physics&tag=dna-adv&since=yesterday");
  EXPECT_EQ(bad_since.status, 400);
  EXPECT_NE(bad_since.body.find("'since'"), std::string::npos) << bad_since.body;
  auto bad_until = get(kPath + "?virtualAccount=Physics&tag=dna-adv&until=not-a-time");
  EXPECT_EQ(bad_until.status, 400);
  EXPECT_NE(bad_until.body.find("'until'"), std::string::npos) << bad_until.body;
  auto backwards = get(kPath + "?virtualAccount=Physics&tag=dna-adv&since=2026-01-02&until=2026-01-01");
  EXPECT_EQ(backwards.status, 400);
  EXPECT_NE(backwards.body.find("'since'"), std::string::npos) << backwards.body;

  auto no_acct = get("/api/v1/accounts/nobody/licenses/usage-history?virtualAccount=Physics&tag=dna-adv");
  EXPECT_EQ(no_acct.status, 404);
  EXPECT_NE(no_acct.body.find("'nobody'"), std::string::npos) << no_acct.body;
  auto unknown_va = get(kPath + "?virtualAccount=Nowhere&tag=dna-adv");
  EXPECT_EQ(unknown_va.status, 404);
  EXPECT_NE(unknown_va.body.find("'Nowhere'"), std::string::npos) << unknown_va.body;

  EXPECT_EQ(server_->get(kPath + "?virtualAccount=Physics&tag=dna-adv").status, 401);
}

TEST_F(UsageHistory, TheEndpointIsInTheApiDescription) {
  auto doc = server_->get("/api/openapi.json");
  ASSERT_EQ(doc.status, 200);
  const auto& op = doc.json()["paths"]["/api/v1/accounts/{account}/licenses/usage-history"]["get"];
  EXPECT_EQ(op["x-required-role"], "viewer");
  EXPECT_FALSE(op.contains("x-undocumented"));
}

}  // namespace
