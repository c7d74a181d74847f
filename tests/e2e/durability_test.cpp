// "Accepted" means on disk: every answer that promises something (an acknowledged usage report,
// a regenerated secret, a revoked token) is sent only after its commit was synced to disk. The
// server runs with an LD_PRELOAD shim
// (tests/e2e/fsync_counter.cpp) that counts their fsync/fdatasync calls; each promise must have
// cost at least one sync between the request and its answer, and a plain read none.
//
// On PostgreSQL the syncs are the database server's (licsat's sessions set synchronous_commit=on),
// so these tests run on the embedded store only. The manager's state uses the same SQLite
// connection settings (tests/unit/durability_test.cpp checks them on every connection).
#include <algorithm>
#include <cstdlib>
#include <fstream>

#include "harness.h"

namespace licsat::e2e {
namespace {

using nlohmann::json;

long read_count(const std::string& path) {
  std::ifstream in(path);
  long n = 0;
  in >> n;
  return n;  // 0 while the file does not exist yet
}

class Durability : public ::testing::Test {
 protected:
  void SetUp() override {
    if (std::getenv("LICSAT_E2E_PG_URL"))
      GTEST_SKIP() << "on PostgreSQL the database server syncs (synchronous_commit=on), not licsat";
    server_ = std::make_unique<Server>(std::vector<std::string>{},
                                       std::map<std::string, std::string>{{"LD_PRELOAD", LICSAT_FSYNC_COUNTER},
                                                                          {"LICSAT_FSYNC_COUNT_FILE", counter()}});
    server_->start();
    admin_ = server_->login();
  }

  std::string counter() const { return dir_.path() + "/server-syncs"; }
  long syncs() const { return read_count(counter()); }

  // The syncs the server made while `f` ran (a request and its whole answer).
  template <typename F>
  long syncs_during(F f) {
    long before = syncs();
    f();
    return syncs() - before;
  }

  Reply form(const std::string& body, const std::string& path) {
    RequestOptions o;
    o.content_type = "application/x-www-form-urlencoded";
    return server_->post(path, body, o);
  }

  TempDir dir_;
  std::unique_ptr<Server> server_;
  std::string admin_;
};

TEST_F(Durability, APlainReadSyncsNothing) {
  // The control that shows the counter counts: reads cost no sync. A background checkpoint may
  // sync at any moment, so one quiet read out of a few is enough.
  long fewest = -1;
  for (int i = 0; i < 5 && fewest != 0; ++i) {
    long n = syncs_during([&] { ASSERT_EQ(server_->get("/healthz").status, 200); });
    fewest = fewest < 0 ? n : std::min(fewest, n);
  }
  EXPECT_EQ(fewest, 0);
}

TEST_F(Durability, AnAcknowledgedUsageReportWasSyncedBeforeItsAnswer) {
  ASSERT_EQ(server_->post_json("/api/v1/admin/accounts", {{"name", "acme"}}, admin_).status, 201);
  ASSERT_EQ(server_->post_json("/api/v1/admin/accounts/acme/virtual-accounts", {{"name", "Physics"}}, admin_).status, 201);
  json report = {{"reportId", "r-durable"},
                 {"period", {{"start", "2026-11-24T00:00:00Z"}, {"end", "2026-11-25T00:00:00Z"}}},
                 {"devices", {{{"pid", "C9300"}, {"sn", "FOC1"}, {"licenses", {{{"tag", "dna-adv"}, {"count", 1}}}}}}}};
  long n = syncs_during([&] {
    auto r = server_->post_json("/api/v1/accounts/acme/virtual-accounts/Physics/usage", report, admin_);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.json()["reportId"], "r-durable");
  });
  EXPECT_GE(n, 1) << "the report was acknowledged before any sync";
}

TEST_F(Durability, ARegeneratedSecretWasSyncedBeforeItsAnswer) {
  server_->create_grant("vmanage", "resource-owner", admin_);
  long n = syncs_during([&] {
    auto r = server_->post_json("/api/v1/admin/grants/vmanage/regenerate-secret", json::object(), admin_);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_TRUE(r.json().contains("client_secret")) << r.body;
  });
  EXPECT_GE(n, 1) << "the new secret was shown before any sync";
}

TEST_F(Durability, ARevocationWasSyncedBeforeItsAnswer) {
  json cc = server_->create_grant("satellite", "client-credentials", admin_);
  std::string auth = "client_id=" + cc["client_id"].get<std::string>() + "&client_secret=" + cc["client_secret"].get<std::string>();
  auto issued = form("grant_type=client_credentials&" + auth, "/oauth/token");
  ASSERT_EQ(issued.status, 200) << issued.body;
  std::string token = issued.json()["access_token"];
  long n = syncs_during([&] { ASSERT_EQ(form(auth + "&token=" + token, "/oauth/revoke").status, 200); });
  EXPECT_GE(n, 1) << "the revocation was answered before any sync";
  RequestOptions o;
  o.bearer = token;
  EXPECT_EQ(server_->get("/api/v1/me", o).status, 401);
}

}  // namespace
}  // namespace licsat::e2e
