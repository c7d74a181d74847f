// CSV exports end to end (issue 20 item 4): `?format=csv` on GET …/devices and GET
// /api/v1/admin/events against the real binary: the type, the header row, RFC 4180 quoting and
// the formula-injection defence of a hostile host name, the virtual-account filter, an export
// longer than one page (written in chunks), and the same authorisation as the JSON form.
// On PostgreSQL too when LICSAT_E2E_PG_URL is set (the harness gives each server a database).
#include <algorithm>
#include <sstream>

#include "harness.h"

using namespace licsat::e2e;
using nlohmann::json;

namespace {

json report(const std::string& id, int devices, const std::string& prefix) {
  json devs = json::array();
  for (int i = 0; i < devices; ++i)
    devs.push_back({{"pid", "C9300"}, {"sn", prefix + std::to_string(i)}, {"hostname", "sw" + std::to_string(i)},
                    {"licenses", {{{"tag", "dna-adv"}, {"count", 1}}, {{"tag", "dna-ess"}, {"count", 2}}}}});
  return {{"reportId", id},
          {"manager", "vmanage-e2e"},
          {"period", {{"start", "2026-11-24T00:00:00Z"}, {"end", "2026-11-25T00:00:00Z"}}},
          {"devices", devs}};
}

// CSV records (RFC 4180): fields split on commas outside quotes, quotes undoubled, records
// ended by CRLF outside quotes. The reader the tests check the server's text with.
std::vector<std::vector<std::string>> parse_csv(const std::string& text) {
  std::vector<std::vector<std::string>> rows(1, std::vector<std::string>(1));
  bool quoted = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        rows.back().back() += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        rows.back().back() += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      rows.back().emplace_back();
    } else if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
      rows.emplace_back(1);
      ++i;
    } else {
      rows.back().back() += c;
    }
  }
  if (rows.back().size() == 1 && rows.back()[0].empty()) rows.pop_back();
  return rows;
}

class Exports : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server_ = new Server();
    server_->start();
    admin_ = server_->login();
    auto ok = [](const Reply& r) { ASSERT_EQ(r.status, 201) << r.body; };
    for (const char* a : {"acme", "globex"})
      ok(server_->post_json("/api/v1/admin/accounts", {{"name", a}}, admin_));
    for (const char* va : {"Big", "Small"})
      ok(server_->post_json("/api/v1/admin/accounts/acme/virtual-accounts", {{"name", va}}, admin_));
    server_->create_user("olivia", "operator", "operator-password-1", admin_);
    operator_ = server_->login("olivia", "operator-password-1");
    RequestOptions o;
    o.bearer = operator_;
    // More devices than one page of an export (1000 rows) in Big; a hostile one in Small.
    auto big = server_->post("/api/v1/accounts/acme/virtual-accounts/Big/usage", report("r-big", 2345, "BIG").dump(), o);
    ASSERT_EQ(big.status, 200) << big.body;
    json small = report("r-small", 2, "SMALL");
    small["devices"][0]["hostname"] = "=HYPERLINK(\"http://evil\",\"x\"), ok";
    small["devices"][1]["hostname"] = "Zürich\r\nline2";
    auto s = server_->post("/api/v1/accounts/acme/virtual-accounts/Small/usage", small.dump(), o);
    ASSERT_EQ(s.status, 200) << s.body;
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  static Reply get(const std::string& path, const std::string& token) {
    RequestOptions o;
    o.bearer = token;
    return server_->get(path, o);
  }

  static std::string server_url() { return server_->url(); }
  static std::string server_ca() { return server_->ca_file(); }
  static CommandResult admin_cli(const std::string& args);

  static inline Server* server_ = nullptr;
  static inline std::string admin_, operator_;
};

const std::vector<std::string> kDeviceHeader = {"pid", "sn", "hostname", "virtualAccount", "lastReport", "inUse",
                                                "licenses"};

TEST_F(Exports, DevicesCsvQuotesAndDefendsAHostileHostName) {
  auto r = get("/api/v1/accounts/acme/devices?format=csv&virtualAccount=Small", operator_);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.header("content-type"), "text/csv; charset=utf-8");
  EXPECT_NE(r.header("content-disposition").find("attachment"), std::string::npos);
  // The raw text: the formula prefixed with a quote, the field quoted, its quotes doubled.
  EXPECT_NE(r.body.find(R"("'=HYPERLINK(""http://evil"",""x""), ok")"), std::string::npos) << r.body;
  auto rows = parse_csv(r.body);
  ASSERT_EQ(rows.size(), 3u) << r.body;
  EXPECT_EQ(rows[0], kDeviceHeader);
  EXPECT_EQ(rows[1][1], "SMALL0");
  EXPECT_EQ(rows[1][2], "'=HYPERLINK(\"http://evil\",\"x\"), ok");
  EXPECT_EQ(rows[1][3], "Small");
  EXPECT_EQ(rows[1][5], "3");
  EXPECT_EQ(rows[1][6], "dna-adv=1;dna-ess=2");
  EXPECT_EQ(rows[2][2], "Zürich\r\nline2");  // UTF-8 and the line break kept, inside quotes
  EXPECT_FALSE(rows[1][4].empty());
}

TEST_F(Exports, DevicesCsvLongerThanOnePageHasEveryDeviceOnceAndIsChunked) {
  auto r = get("/api/v1/accounts/acme/devices?format=csv&virtualAccount=Big", operator_);
  ASSERT_EQ(r.status, 200) << r.body.substr(0, 300);
  EXPECT_EQ(r.header("transfer-encoding"), "chunked");
  EXPECT_TRUE(r.header("content-length").empty());
  auto rows = parse_csv(r.body);
  ASSERT_EQ(rows.size(), 2346u);
  EXPECT_EQ(rows[0], kDeviceHeader);
  std::vector<std::string> sns;
  for (size_t i = 1; i < rows.size(); ++i) {
    ASSERT_EQ(rows[i].size(), kDeviceHeader.size()) << i;
    EXPECT_EQ(rows[i][3], "Big");
    sns.push_back(rows[i][1]);
  }
  std::sort(sns.begin(), sns.end());
  EXPECT_EQ(std::adjacent_find(sns.begin(), sns.end()), sns.end());
  EXPECT_TRUE(std::binary_search(sns.begin(), sns.end(), "BIG0"));
  EXPECT_TRUE(std::binary_search(sns.begin(), sns.end(), "BIG2344"));

  // Without the filter: both virtual accounts.
  auto all = get("/api/v1/accounts/acme/devices?format=csv", operator_);
  ASSERT_EQ(all.status, 200);
  EXPECT_EQ(parse_csv(all.body).size(), 2348u);
}

TEST_F(Exports, DevicesCsvIsAuthorisedAsTheJsonFormAndRefusesAnUnknownFormat) {
  auto other = server_->post_json(
      "/api/v1/admin/users",
      {{"name", "gina"}, {"role", "viewer"}, {"password", "gina-password-123"}, {"accounts", {"globex"}}}, admin_);
  ASSERT_EQ(other.status, 201) << other.body;
  auto gina = server_->login("gina", "gina-password-123");
  auto refused = get("/api/v1/accounts/acme/devices?format=csv", gina);
  EXPECT_EQ(refused.status, 403);
  EXPECT_EQ(refused.json()["error"], "access_denied") << refused.body;
  EXPECT_EQ(get("/api/v1/accounts/globex/devices?format=csv", gina).status, 200);
  EXPECT_EQ(get("/api/v1/accounts/acme/devices?format=csv", "").status, 401);
  auto unknown_va = get("/api/v1/accounts/acme/devices?format=csv&virtualAccount=Nope", operator_);
  EXPECT_EQ(unknown_va.status, 404);
  EXPECT_EQ(unknown_va.header("content-type"), "application/json");
  auto bad = get("/api/v1/accounts/acme/devices?format=xml", operator_);
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(bad.body.find("'format' must be json or csv"), std::string::npos) << bad.body;
  // An empty list is the header row alone.
  auto empty = get("/api/v1/accounts/globex/devices?format=csv", admin_);
  ASSERT_EQ(empty.status, 200);
  EXPECT_EQ(parse_csv(empty.body), std::vector<std::vector<std::string>>{kDeviceHeader});
}

TEST_F(Exports, EventsCsvHasEveryEventNewestFirstWithTheFiltersOfTheJsonForm) {
  auto r = get("/api/v1/admin/events?format=csv", admin_);
  ASSERT_EQ(r.status, 200) << r.body.substr(0, 300);
  EXPECT_EQ(r.header("content-type"), "text/csv; charset=utf-8");
  auto rows = parse_csv(r.body);
  ASSERT_GT(rows.size(), 5u);
  EXPECT_EQ(rows[0], (std::vector<std::string>{"id", "time", "actor", "source_ip", "action", "outcome", "detail"}));
  std::vector<int64_t> ids;
  for (size_t i = 1; i < rows.size(); ++i) ids.push_back(std::stoll(rows[i][0]));
  EXPECT_TRUE(std::is_sorted(ids.rbegin(), ids.rend()));
  EXPECT_EQ(std::adjacent_find(ids.begin(), ids.end()), ids.end());

  auto json_total = get("/api/v1/admin/events?action=usage.&limit=1000", admin_);
  ASSERT_EQ(json_total.status, 200);
  auto usage = get("/api/v1/admin/events?format=csv&action=usage.", admin_);
  ASSERT_EQ(usage.status, 200);
  auto urows = parse_csv(usage.body);
  EXPECT_EQ(static_cast<int64_t>(urows.size()) - 1, json_total.json()["total"].get<int64_t>());
  for (size_t i = 1; i < urows.size(); ++i) EXPECT_TRUE(urows[i][4].starts_with("usage.")) << urows[i][4];

  EXPECT_EQ(get("/api/v1/admin/events?format=csv", operator_).status, 403);
}

CommandResult Exports::admin_cli(const std::string& args) {
  return run_command(licsat_binary() + " admin --server " + server_url() + " --user admin --ca-file " + server_ca() +
                         " " + args,
                     {{"LICSAT_PASSWORD", kAdminPassword}});
}

TEST_F(Exports, CliDevicesListWalksEveryPageAsTableJsonOrCsv) {
  auto table = admin_cli("devices list --account acme --virtual-account Small");
  ASSERT_EQ(table.exit_code, 0) << table.output;
  EXPECT_NE(table.output.find("SERIAL"), std::string::npos) << table.output;
  EXPECT_NE(table.output.find("SMALL1"), std::string::npos) << table.output;
  // The host name's line break is shown as an escape, not as a forged row.
  EXPECT_NE(table.output.find("Zürich\\r\\nline2"), std::string::npos) << table.output;
  EXPECT_NE(table.output.find("dna-adv=1;dna-ess=2"), std::string::npos) << table.output;

  auto js = admin_cli("devices list --account acme --virtual-account Big --json");
  ASSERT_EQ(js.exit_code, 0) << js.output.substr(0, 300);
  auto j = json::parse(js.output, nullptr, false);
  ASSERT_TRUE(j.is_object()) << js.output.substr(0, 300);
  EXPECT_EQ(j["devices"].size(), 2345u);  // three pages of the API walked
  EXPECT_EQ(j["totalRecords"], 2345);

  auto csv = admin_cli("devices list --account acme --csv");
  ASSERT_EQ(csv.exit_code, 0) << csv.output.substr(0, 300);
  auto rows = parse_csv(csv.output);
  EXPECT_EQ(rows.size(), 2348u);
  EXPECT_EQ(rows[0], kDeviceHeader);

  auto unknown = admin_cli("devices list --account nosuch");
  EXPECT_NE(unknown.exit_code, 0);
  EXPECT_NE(unknown.output.find("nosuch"), std::string::npos) << unknown.output;
}

TEST_F(Exports, CliAlertsAndEventsCsv) {
  ASSERT_EQ(server_->post_json("/api/v1/admin/accounts/acme/virtual-accounts/Small/licenses",
                               {{"tag", "dna-ess"}, {"quantity", 1}}, admin_)
                .status,
            201);
  auto alerts = admin_cli("alerts --account acme");
  ASSERT_EQ(alerts.exit_code, 0) << alerts.output;
  EXPECT_NE(alerts.output.find("SEVERITY"), std::string::npos) << alerts.output;
  EXPECT_NE(alerts.output.find("dna-ess"), std::string::npos) << alerts.output;
  auto none = admin_cli("alerts --account globex");
  ASSERT_EQ(none.exit_code, 0) << none.output;
  EXPECT_NE(none.output.find("no alerts"), std::string::npos) << none.output;

  auto ev = admin_cli("events --csv --action usage.");
  ASSERT_EQ(ev.exit_code, 0) << ev.output;
  auto rows = parse_csv(ev.output);
  ASSERT_EQ(rows.size(), 3u) << ev.output;  // the header and the two usage reports
  EXPECT_EQ(rows[0][0], "id");
  EXPECT_EQ(rows[1][4], "usage.report");
  EXPECT_NE(admin_cli("events --csv --json").exit_code, 0);
}

}  // namespace
