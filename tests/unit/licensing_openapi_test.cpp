// GET /api/openapi.json stays in step with the router: every route is in the document with a
// real description, and every description names a route that exists.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <set>

#include "api/app.h"
#include "api/openapi.h"

using namespace licsat;

namespace {

class OpenApi : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/licsat-openapi-XXXXXX";
    dir_ = mkdtemp(tmpl);
    setenv("LICSAT_ADMIN_PASSWORD", "openapi-test-password", 1);
    ServerConfig cfg;
    cfg.data_dir = dir_;
    cfg.auth.pwhash_ops = 1;
    cfg.auth.pwhash_mem_mib = 8;
    auto app = api::build_app(cfg, nullptr);
    ASSERT_TRUE(app) << app.error().message;
    app_ = std::move(*app);
  }
  void TearDown() override {
    app_.reset();
    std::filesystem::remove_all(dir_);
  }
  std::string dir_;
  std::unique_ptr<api::App> app_;
};

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

TEST_F(OpenApi, EveryRouteIsDescribedAndEveryDescriptionHasARoute) {
  http::Request req;
  req.method = "GET";
  req.path = "/api/openapi.json";
  auto resp = app_->router.dispatch(req, nullptr);
  ASSERT_EQ(resp.status, 200);
  auto doc = nlohmann::json::parse(resp.body);
  ASSERT_TRUE(doc.contains("paths"));
  EXPECT_EQ(doc["openapi"], "3.0.3");

  std::set<std::pair<std::string, std::string>> routes;
  for (const auto& r : app_->router.routes()) {
    routes.insert({r.method, r.pattern});
    ASSERT_TRUE(doc["paths"].contains(r.pattern)) << r.method << " " << r.pattern << " is missing from the document";
    const auto& op = doc["paths"][r.pattern];
    ASSERT_TRUE(op.contains(lower(r.method))) << r.method << " " << r.pattern << " is missing from the document";
    EXPECT_FALSE(op[lower(r.method)].value("x-undocumented", false))
        << r.method << " " << r.pattern << " has no description in src/api/openapi_route.cpp";
  }
  size_t ops = 0;
  for (const auto& [path, methods] : doc["paths"].items())
    for (const auto& [m, op] : methods.items()) {
      ++ops;
      std::string method = m;
      for (auto& c : method) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      EXPECT_TRUE(routes.count({method, path})) << method << " " << path << " is documented but not routed";
    }
  EXPECT_EQ(ops, routes.size());
  for (const auto& [m, p] : api::documented_routes())
    EXPECT_TRUE(routes.count({m, p})) << m << " " << p << " is described in openapi_route.cpp but has no route";
}

TEST_F(OpenApi, TheLicensingEndpointsAreDescribedWithTheirShapes) {
  auto doc = api::openapi_document(app_->router);
  const auto& usage = doc["paths"]["/api/v1/accounts/{account}/virtual-accounts/{va}/usage"]["post"];
  EXPECT_EQ(usage["x-required-role"], "operator");
  EXPECT_TRUE(usage["responses"].contains("409"));
  EXPECT_TRUE(usage["responses"].contains("413"));
  auto lic = doc["components"]["schemas"]["Licenses"]["properties"]["licenses"]["items"]["properties"];
  for (const char* f : {"license", "tag", "virtualAccount", "quantity", "inUse", "available", "status", "billingType",
                        "licenseDetails"})
    EXPECT_TRUE(lic.contains(f)) << f;
  const auto& hist = doc["paths"]["/api/v1/accounts/{account}/licenses/usage-history"]["get"];
  EXPECT_EQ(hist["x-required-role"], "viewer");
  EXPECT_TRUE(hist["responses"].contains("400"));
  EXPECT_TRUE(hist["responses"].contains("404"));
  std::vector<std::string> query;
  for (const auto& p : hist["parameters"])
    if (p["in"] == "query") query.push_back(p["name"]);
  EXPECT_EQ(query, (std::vector<std::string>{"virtualAccount", "tag", "since", "until"}));
  auto point = doc["components"]["schemas"]["UsageHistory"]["properties"]["points"]["items"]["properties"];
  for (const char* f : {"at", "inUse", "quantity"}) EXPECT_TRUE(point.contains(f)) << f;
}

TEST_F(OpenApi, TheUsageRouteAdmitsLargeReportsAndOthersKeepTheDefault) {
  int64_t fallback = app_->config.limits.max_body_bytes;
  EXPECT_EQ(app_->router.body_limit("POST", "/api/v1/accounts/a/virtual-accounts/v/usage", fallback),
            app_->config.limits.max_usage_body_bytes);
  EXPECT_EQ(app_->router.body_limit("POST", "/api/v1/accounts/a/licenses", fallback), fallback);
}
