// kill -9 of the server in the middle of a large usage report, then a restart: the report is
// fully there or absent, and sending it again succeeds and counts it once.
#include <algorithm>
#include <chrono>
#include <future>
#include <thread>

#include "harness.h"

using namespace licsat::e2e;
using nlohmann::json;

namespace {

constexpr int kDevices = 100000;

std::string big_report(const std::string& id, int batch) {
  std::string s = R"({"reportId":")" + id +
                  R"(","manager":"crash","period":{"start":"2026-11-24T00:00:00Z","end":"2026-11-25T00:00:00Z"},"devices":[)";
  s.reserve(16 * 1024 * 1024);
  for (int i = 0; i < kDevices; ++i) {
    if (i) s += ',';
    s += R"({"pid":"C9300-48P","sn":"FOC)" + std::to_string(10000000 + i) + "-" + std::to_string(batch) + R"(","hostname":"switch-)" + std::to_string(i) +
         R"(.example.com","licenses":[{"tag":"a","count":1},{"tag":"b","count":2},{"tag":"c","count":3}]})";
  }
  s += "]}";
  return s;
}

struct Counts {
  int64_t devices = -1;
  std::map<std::string, int64_t> in_use;
};

Counts counts(const Server& s, const std::string& token, const std::string& va) {
  Counts c;
  RequestOptions o;
  o.bearer = token;
  auto d = s.get("/api/v1/accounts/acme/devices?virtualAccount=" + va + "&limit=1", o);
  EXPECT_EQ(d.status, 200) << d.body;
  c.devices = d.json().value("totalRecords", int64_t{-1});
  auto l = s.post("/api/v1/accounts/acme/licenses", json{{"virtualAccounts", {va}}}.dump(), o);
  EXPECT_EQ(l.status, 200) << l.body;
  for (const auto& x : l.json()["licenses"]) c.in_use[x["tag"]] = x["inUse"];
  return c;
}

}  // namespace

TEST(LicensingCrash, KillNineDuringALargeReportLeavesAllOrNothing) {
  Server s;
  s.start();
  std::string admin = s.login();
  ASSERT_EQ(s.post_json("/api/v1/admin/accounts", {{"name", "acme"}}, admin).status, 201);
  // Kill points from "still uploading" to "mid-transaction" to "probably committed", as parts of
  // the time one such report takes on this machine now: each round sends its report again to its
  // end (timed when it was absent after the kill), and that time aims the next round's kill; the
  // first round kills early, while uploading. Fixed delays tuned on an idle machine land before
  // the transaction on a loaded one.
  const std::vector<double> parts = {0.0, 0.2, 0.5, 0.8, 1.5};
  int64_t report_ms = 0;  // the latest full send, 0 before the first
  for (size_t i = 0; i < parts.size(); ++i) {
    std::string va = "Crash" + std::to_string(i);
    ASSERT_EQ(s.post_json("/api/v1/admin/accounts/acme/virtual-accounts", {{"name", va}}, admin).status, 201);
    for (const char* tag : {"a", "b", "c"})
      ASSERT_EQ(s.post_json("/api/v1/admin/accounts/acme/virtual-accounts/" + va + "/licenses",
                            {{"tag", tag}, {"quantity", 1000000}}, admin)
                    .status,
                201);
    std::string body = big_report("crash-" + std::to_string(i), static_cast<int>(i));
    std::string path = "/api/v1/accounts/acme/virtual-accounts/" + va + "/usage";
    RequestOptions o;
    o.bearer = admin;
    // A bound against a hung server only (ctest has its own): a 100k-device report on PostgreSQL
    // under load takes tens of seconds, and the outcome, not the time, is what is checked.
    o.timeout_seconds = 600;
    const int64_t delay_ms = std::max<int64_t>(100, static_cast<int64_t>(parts[i] * static_cast<double>(report_ms)));
    auto inflight = std::async(std::launch::async, [&] { return s.post(path, body, o); });
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
    s.kill9();
    auto lost = inflight.get();
    s.start();
    admin = s.login();

    auto c = counts(s, admin, va);
    bool present = c.devices == kDevices;
    bool absent = c.devices == 0;
    EXPECT_TRUE(present || absent) << "kill after " << delay_ms << " ms left " << c.devices << " devices";
    if (present) {
      EXPECT_EQ(c.in_use["a"], kDevices);
      EXPECT_EQ(c.in_use["b"], 2 * kDevices);
      EXPECT_EQ(c.in_use["c"], 3 * kDevices);
    } else {
      EXPECT_EQ(c.in_use["a"], 0);
      EXPECT_EQ(c.in_use["c"], 0);
    }
    if (lost.status == 200) {
      EXPECT_TRUE(present) << "an acknowledged report must survive kill -9";
    }

    o.bearer = admin;
    auto sent = std::chrono::steady_clock::now();
    auto again = s.post(path, body, o);
    // Timed only when it was absent: a repeated reportId is answered without a second ingest.
    if (absent)
      report_ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - sent).count();
    ASSERT_EQ(again.status, 200) << again.body;
    EXPECT_EQ(again.json()["devices"], kDevices);
    auto after = counts(s, admin, va);
    EXPECT_EQ(after.devices, kDevices);
    EXPECT_EQ(after.in_use["a"], kDevices);
    EXPECT_EQ(after.in_use["b"], 2 * kDevices);
    EXPECT_EQ(after.in_use["c"], 3 * kDevices);
    std::cerr << "kill after " << delay_ms << " ms (" << parts[i] << " of a full send): report "
              << (present ? "was complete" : "was absent")
              << " after restart (client saw " << (lost.status ? std::to_string(lost.status) : lost.error)
              << "); a full send takes " << report_ms << " ms\n";
  }
}
