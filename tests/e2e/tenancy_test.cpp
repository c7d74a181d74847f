// Per-account access (issue 21 item 1), against the real binary: users and grants limited to
// smart accounts, a token's reach as the intersection of both, evaluated on each request; 403
// access_denied naming the account; account listings filtered; the admin API, the CLI, and a
// satellite syncing through a limited grant.
#include <chrono>
#include <fstream>
#include <memory>
#include <thread>

#include "harness.h"

namespace licsat::e2e {
namespace {

using nlohmann::json;

bool contains(const std::string& hay, const std::string& needle) { return hay.find(needle) != std::string::npos; }

// An authority with smart accounts acme and globex, each with a virtual account and a pool.
class TenancyE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    server_.start();
    admin_ = server_.login();
    for (const char* a : {"acme", "globex"}) {
      ASSERT_EQ(server_.post_json("/api/v1/admin/accounts", {{"name", a}}, admin_).status, 201);
      std::string base = std::string("/api/v1/admin/accounts/") + a;
      ASSERT_EQ(server_.post_json(base + "/virtual-accounts", {{"name", "Main"}}, admin_).status, 201);
      auto pool = server_.post_json(base + "/virtual-accounts/Main/licenses",
                                    {{"tag", "network-advantage"}, {"name", "Network Advantage"}, {"quantity", 5}}, admin_);
      ASSERT_EQ(pool.status, 201) << pool.body;
    }
  }

  Reply get(const std::string& path, const std::string& token) {
    RequestOptions o;
    o.bearer = token;
    return server_.get(path, o);
  }
  Reply patch(const std::string& path, const json& body, const std::string& token) {
    RequestOptions o;
    o.bearer = token;
    return server_.request("PATCH", path, body.dump(), o);
  }
  std::vector<std::string> account_names(const std::string& token) {
    auto r = get("/api/v1/accounts", token);
    EXPECT_EQ(r.status, 200) << r.body;
    std::vector<std::string> out;
    for (const auto& a : r.json()["accounts"]) out.push_back(a["accountName"].get<std::string>());
    return out;
  }
  // A password-grant token through a Resource Owner Grant of the API Tool Kit.
  std::string token_via(const json& grant, const std::string& user, const std::string& password) {
    RequestOptions o;
    o.content_type = "application/x-www-form-urlencoded";
    auto r = server_.post("/oauth/token",
                          "grant_type=password&client_id=" + grant["client_id"].get<std::string>() + "&client_secret=" +
                              grant["client_secret"].get<std::string>() + "&username=" + user + "&password=" + password,
                          o);
    EXPECT_EQ(r.status, 200) << r.body;
    return r.json().value("access_token", "");
  }
  CommandResult cli(const std::string& args, std::map<std::string, std::string> env = {}) {
    env["LICSAT_PASSWORD"] = kAdminPassword;
    return run_command(licsat_binary() + " admin --server " + server_.url() + " --ca-file " + server_.ca_file() + " " + args,
                       env);
  }

  Server server_;
  std::string admin_;
};

TEST_F(TenancyE2E, AUserLimitedToAnAccountSeesOnlyItAndIsRefusedTheOthersNamingIt) {
  auto made = server_.post_json("/api/v1/admin/users",
                                {{"name", "ann"}, {"role", "viewer"}, {"password", "ann-password-123"}, {"accounts", {"acme"}}},
                                admin_);
  ASSERT_EQ(made.status, 201) << made.body;
  EXPECT_EQ(made.json()["accounts"], json({"acme"}));
  std::string ann = server_.login("ann", "ann-password-123");

  EXPECT_EQ(account_names(ann), std::vector<std::string>{"acme"});
  EXPECT_EQ(get("/api/v1/accounts/acme/devices", ann).status, 200);
  auto refused = get("/api/v1/accounts/globex/devices", ann);
  EXPECT_EQ(refused.status, 403);
  EXPECT_EQ(refused.json()["error"], "access_denied");
  EXPECT_TRUE(contains(refused.body, "not permitted for account 'globex'")) << refused.body;
  RequestOptions o;
  o.bearer = ann;
  EXPECT_EQ(server_.request("POST", "/api/v1/accounts/globex/licenses", R"({"limit":-1})", o).status, 403);
  EXPECT_EQ(get("/api/v1/accounts/globex/customer/virtual-accounts", ann).status, 403);

  auto events = get("/api/v1/admin/events?action=api.authorize&outcome=failure", admin_);
  ASSERT_EQ(events.status, 200);
  bool logged = false;
  for (const auto& e : events.json()["events"])
    logged = logged || (e["actor"] == "ann" && contains(e["detail"].get<std::string>(), "account 'globex'"));
  EXPECT_TRUE(logged) << events.body;

  // Unlimited users (the default) see every account.
  EXPECT_EQ(account_names(admin_), (std::vector<std::string>{"acme", "globex"}));
}

TEST_F(TenancyE2E, ATokenReachesTheIntersectionOfItsGrantAndUserAndFollowsChangesAtOnce) {
  server_.create_user("bob", "operator", "bob-password-123", admin_);
  auto grant = server_.post_json("/api/v1/admin/grants",
                                 {{"name", "ro-globex"}, {"type", "resource_owner"}, {"accounts", "globex"}}, admin_);
  ASSERT_EQ(grant.status, 201) << grant.body;
  EXPECT_EQ(grant.json()["accounts"], json({"globex"}));
  std::string bob = token_via(grant.json(), "bob", "bob-password-123");
  EXPECT_EQ(account_names(bob), std::vector<std::string>{"globex"});

  // Limit the user to acme: the grant's globex ∩ acme is nothing, for the token already issued.
  ASSERT_EQ(patch("/api/v1/admin/users/bob", {{"accounts", {"acme"}}}, admin_).status, 200);
  EXPECT_TRUE(account_names(bob).empty());
  EXPECT_EQ(get("/api/v1/accounts/globex/devices", bob).status, 403);
  EXPECT_EQ(get("/api/v1/accounts/acme/devices", bob).status, 403);

  // Widen the grant: now acme is in both.
  auto changed = patch("/api/v1/admin/grants/ro-globex", {{"accounts", {"acme", "globex"}}}, admin_);
  ASSERT_EQ(changed.status, 200) << changed.body;
  EXPECT_EQ(account_names(bob), std::vector<std::string>{"acme"});
  EXPECT_EQ(get("/api/v1/accounts/acme/devices", bob).status, 200);

  // "all" lifts the user's limit.
  ASSERT_EQ(patch("/api/v1/admin/users/bob", {{"accounts", "all"}}, admin_).status, 200);
  EXPECT_EQ(account_names(bob), (std::vector<std::string>{"acme", "globex"}));
}

TEST_F(TenancyE2E, TheAdminApiRefusesUnknownAccountsAndChangesNothingOnABadRequest) {
  server_.create_user("cat", "viewer", "cat-password-123", admin_);
  auto unknown = patch("/api/v1/admin/users/cat", {{"accounts", {"acme", "nosuch"}}}, admin_);
  EXPECT_EQ(unknown.status, 400);
  EXPECT_TRUE(contains(unknown.body, "'nosuch' does not exist")) << unknown.body;
  auto bad_role = patch("/api/v1/admin/users/cat", {{"accounts", {"acme"}}, {"role", "emperor"}}, admin_);
  EXPECT_EQ(bad_role.status, 400);
  auto users = get("/api/v1/admin/users", admin_);
  for (const auto& u : users.json()["users"]) {
    if (u["name"] == "cat") {
      EXPECT_TRUE(u["accounts"].is_null()) << "a refused request must change nothing";
    }
  }
  EXPECT_EQ(patch("/api/v1/admin/users/cat", {{"accounts", json::array()}}, admin_).status, 400);
  EXPECT_EQ(patch("/api/v1/admin/users/cat", {{"accounts", 7}}, admin_).status, 400);
  EXPECT_EQ(server_.post_json("/api/v1/admin/grants", {{"name", "g"}, {"type", "resource_owner"}, {"accounts", "acme,,x"}},
                              admin_)
                .status,
            400);
  EXPECT_EQ(patch("/api/v1/admin/grants/nosuch", {{"accounts", "acme"}}, admin_).status, 404);
}

TEST_F(TenancyE2E, ALimitedAdminListsAndCreatesOnlyItsAccounts) {
  server_.create_user("ops", "admin", "ops-password-1234", admin_);
  ASSERT_EQ(patch("/api/v1/admin/users/ops", {{"accounts", {"acme"}}}, admin_).status, 200);
  std::string ops = server_.login("ops", "ops-password-1234");
  auto list = get("/api/v1/admin/accounts", ops);
  ASSERT_EQ(list.status, 200);
  ASSERT_EQ(list.json()["accounts"].size(), 1u) << list.body;
  EXPECT_EQ(get("/api/v1/admin/accounts/globex/virtual-accounts", ops).status, 403);
  EXPECT_EQ(server_.post_json("/api/v1/admin/accounts", {{"name", "initech"}}, ops).status, 403);
  EXPECT_EQ(get("/api/v1/admin/accounts/acme/virtual-accounts", ops).status, 200);
}

TEST_F(TenancyE2E, TheCliSetsAndShowsAccounts) {
  auto add = cli("user add dan --role viewer --accounts acme", {{"LICSAT_NEW_PASSWORD", "dan-password-123"}});
  ASSERT_EQ(add.exit_code, 0) << add.output;
  auto list = cli("user list");
  ASSERT_EQ(list.exit_code, 0) << list.output;
  EXPECT_TRUE(contains(list.output, "ACCOUNTS")) << list.output;
  std::string dan = server_.login("dan", "dan-password-123");
  EXPECT_EQ(account_names(dan), std::vector<std::string>{"acme"});

  auto change = cli("user change dan --role operator --accounts acme,globex");
  ASSERT_EQ(change.exit_code, 0) << change.output;
  EXPECT_TRUE(contains(change.output, "operator")) << change.output;
  EXPECT_EQ(account_names(dan), (std::vector<std::string>{"acme", "globex"}));
  auto nothing = cli("user change dan");
  EXPECT_NE(nothing.exit_code, 0);
  auto unknown = cli("user change dan --accounts nosuch");
  EXPECT_NE(unknown.exit_code, 0);
  EXPECT_TRUE(contains(unknown.output, "nosuch")) << unknown.output;

  auto reset = cli("user reset-password dan", {{"LICSAT_NEW_PASSWORD", "dan-password-456"}});
  ASSERT_EQ(reset.exit_code, 0) << reset.output;
  EXPECT_EQ(get("/api/v1/accounts", dan).status, 401) << "a new password ends the old sessions";
  EXPECT_FALSE(server_.login("dan", "dan-password-456").empty());

  auto grant = cli("grant create --type client-credentials --name sat --accounts globex --json");
  ASSERT_EQ(grant.exit_code, 0) << grant.output;
  auto gchange = cli("grant change sat --accounts acme");
  ASSERT_EQ(gchange.exit_code, 0) << gchange.output;
  auto glist = cli("grant list --json");
  ASSERT_EQ(glist.exit_code, 0) << glist.output;
  EXPECT_EQ(json::parse(glist.output)[0]["accounts"], json({"acme"}));
}

// A satellite whose grant on the authority is limited to acme mirrors acme only, although its
// config names no accounts (mirror what the grant reaches).
TEST_F(TenancyE2E, ASatelliteSyncingThroughALimitedGrantMirrorsOnlyItsAccounts) {
  auto grant = server_.post_json("/api/v1/admin/grants",
                                 {{"name", "satellite-1"}, {"type", "client_credentials"}, {"accounts", {"acme"}}}, admin_);
  ASSERT_EQ(grant.status, 201) << grant.body;
  TempDir dir;
  std::string cfg = dir.path() + "/satellite.toml";
  {
    std::ofstream out(cfg);
    out << "[upstream]\n"
        << "url = \"" << server_.url() << "\"\n"
        << "client_id = \"" << grant.json()["client_id"].get<std::string>() << "\"\n"
        << "client_secret = \"" << grant.json()["client_secret"].get<std::string>() << "\"\n"
        << "ca_file = \"" << server_.ca_file() << "\"\n"
        << "interval = \"1h\"\n";
  }
  Server satellite({"--config", cfg});
  satellite.start();
  std::string s_admin = satellite.login();
  RequestOptions o;
  o.bearer = s_admin;
  json status;
  // The scheduler syncs once at start: wait for that attempt to finish.
  for (int i = 0; i < 300; ++i) {
    status = satellite.get("/api/v1/admin/sync", o).json();
    if (status.is_object() && !status["lastAttempt"].is_null()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_FALSE(status["lastAttempt"].is_null()) << satellite.log();
  EXPECT_TRUE(status["lastError"].is_null()) << status.dump();
  auto list = satellite.get("/api/v1/admin/accounts", o);
  ASSERT_EQ(list.status, 200);
  std::vector<std::string> names;
  for (const auto& a : list.json()["accounts"]) names.push_back(a["name"].get<std::string>());
  EXPECT_EQ(names, std::vector<std::string>{"acme"}) << list.body << "\n" << status.dump();
}

}  // namespace
}  // namespace licsat::e2e
