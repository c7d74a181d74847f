// The offline round trip without a network: a manager's request answered by answer_request() over
// a fake license database, imported once; refused reports stay queued; an answer to a request this
// manager never made is refused, and so is an answer older than one already applied.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "core/crypto.h"
#include "manager/offline_exchange.h"
#include "protocol/offline_answer.h"

namespace licsat::manager {
namespace {

class FakeSource final : public protocol::AnswerSource {
 public:
  Result<std::vector<Account>> accounts() override {
    return std::vector<Account>{{"acme", "", "ACTIVE", "CUSTOMER", {"Branches"}}};
  }
  Result<Acknowledgement> ingest(const std::string& account, const std::string& va, const std::string& json) override {
    if (va != "Branches") return fail(Error::not_found("virtual account '" + va + "' does not exist"));
    auto r = usage_report_from_json(nlohmann::json::parse(json));
    if (!r) return fail(r.error());
    ingested.push_back(account + "/" + va + "/" + r->report_id);
    return Acknowledgement{r->report_id, "accepted", static_cast<int64_t>(r->devices.size()), {}, "now"};
  }
  Result<std::vector<LicensePool>> licenses(const std::string& account) override {
    LicensePool p;
    p.account = account;
    p.tag = "network-advantage";
    p.virtual_account = "Branches";
    p.quantity = 10;
    p.in_use = 3;
    p.available = 7;
    p.status = "In Compliance";
    return std::vector<LicensePool>{p};
  }
  std::vector<std::string> ingested;
};

class ManagerOffline : public ::testing::Test {
 protected:
  void SetUp() override {
    crypto::init();
    char tmpl[] = "/tmp/licsat-mgr-offline-XXXXXX";
    dir_ = mkdtemp(tmpl);
    auto s = ManagerState::open(dir_, clock_);
    ASSERT_TRUE(s) << s.error().message;
    state_ = std::move(*s);
    ASSERT_TRUE(state_->replace_devices({{"C9300", "FOC1", "edge-1", "Branches", "", {{"network-advantage", 3}}},
                                         {"C9300", "FOC9", "lab-1", "Lab", "", {{"network-advantage", 1}}}}));
    server_ = crypto::generate_signing_key();
    ASSERT_TRUE(state_->pin_key("https://sat:8443", server_.public_key));
  }
  void TearDown() override {
    state_.reset();
    std::filesystem::remove_all(dir_);
  }
  std::string dir_;
  FakeClock clock_{1'800'000'000};
  std::unique_ptr<ManagerState> state_;
  crypto::SigningKey server_;
};

TEST_F(ManagerOffline, RoundTripAppliesOnceAndKeepsRefusedReportsQueued) {
  auto req = export_request(*state_, "mgr", "", clock_.now());
  ASSERT_TRUE(req) << req.error().what;
  EXPECT_EQ(req->reports.size(), 2u);
  FakeSource source;
  auto ans = protocol::answer_request(req->bundle, source, server_, clock_.now());
  ASSERT_TRUE(ans) << ans.error().message;
  EXPECT_EQ(ans->acknowledged, 1u);
  EXPECT_EQ(ans->refused, 1u);
  ASSERT_EQ(source.ingested.size(), 1u);
  EXPECT_EQ(source.ingested[0].rfind("acme/Branches/", 0), 0u);

  auto imp = import_answer(*state_, ans->bundle);
  ASSERT_TRUE(imp) << imp.error().what;
  EXPECT_EQ(imp->acknowledged, 1u);
  ASSERT_EQ(imp->refused.size(), 1u);
  EXPECT_NE(imp->refused[0].find("Lab"), std::string::npos);
  ASSERT_EQ(imp->pools.size(), 1u);
  EXPECT_EQ(imp->pools[0].in_use, 3);
  auto pending = state_->pending();
  ASSERT_TRUE(pending);
  ASSERT_EQ(pending->size(), 1u);
  EXPECT_EQ((*pending)[0].virtual_account, "Lab");

  auto again = import_answer(*state_, ans->bundle);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().cls, FailureClass::kOfflineRefused);
  EXPECT_NE(again.error().what.find("replayed"), std::string::npos);
}

TEST_F(ManagerOffline, AnswerToAnotherManagersRequestIsForeign) {
  char tmpl[] = "/tmp/licsat-mgr-offline-XXXXXX";
  std::string other_dir = mkdtemp(tmpl);
  {
    auto other = ManagerState::open(other_dir, clock_);
    ASSERT_TRUE(other);
    ASSERT_TRUE((*other)->replace_devices({{"C9300", "FOC5", "x", "Branches", "", {{"network-advantage", 1}}}}));
    auto req = export_request(**other, "other", "", clock_.now());
    ASSERT_TRUE(req);
    FakeSource source;
    auto ans = protocol::answer_request(req->bundle, source, server_, clock_.now());
    ASSERT_TRUE(ans);
    auto imp = import_answer(*state_, ans->bundle);
    ASSERT_FALSE(imp);
    EXPECT_NE(imp.error().what.find("foreign"), std::string::npos) << imp.error().what;
  }
  std::filesystem::remove_all(other_dir);
}

TEST_F(ManagerOffline, ARequestFileIsNotAnAnswerAndADamagedRequestIsRefusedByTheServer) {
  auto req = export_request(*state_, "mgr", "", clock_.now());
  ASSERT_TRUE(req);
  auto imp = import_answer(*state_, req->bundle);
  ASSERT_FALSE(imp);
  EXPECT_EQ(imp.error().cls, FailureClass::kOfflineRefused);
  std::string damaged = req->bundle;
  damaged[damaged.find("\"payload\": \"") + 20] ^= 1;
  FakeSource source;
  auto ans = protocol::answer_request(damaged, source, server_, clock_.now());
  ASSERT_FALSE(ans);
  EXPECT_EQ(ans.error().code, ErrorCode::kInvalidArgument);
  EXPECT_TRUE(source.ingested.empty());
}

// The stricter replay rule, the satellite's and the manager's alike: an answer created before the
// newest one applied would roll the licenses back, even when it answers a request not answered yet.
TEST_F(ManagerOffline, AnAnswerOlderThanOneAlreadyAppliedIsRefused) {
  auto first = export_request(*state_, "mgr", "", clock_.now());
  ASSERT_TRUE(first) << first.error().what;
  auto second = export_request(*state_, "mgr", "", clock_.now() + 60);
  ASSERT_TRUE(second) << second.error().what;
  FakeSource source;
  auto older = protocol::answer_request(first->bundle, source, server_, clock_.now() + 100);
  auto newer = protocol::answer_request(second->bundle, source, server_, clock_.now() + 200);
  ASSERT_TRUE(older && newer);

  auto applied = import_answer(*state_, newer->bundle);
  ASSERT_TRUE(applied) << applied.error().what;
  auto last = state_->last_answer_created();
  ASSERT_TRUE(last && *last);
  EXPECT_EQ(**last, clock_.now() + 200);
  auto refused = import_answer(*state_, older->bundle);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().cls, FailureClass::kOfflineRefused);
  EXPECT_NE(refused.error().what.find("newer answer"), std::string::npos) << refused.error().what;
  // The request it answers stays unanswered: nothing of the older answer was applied.
  auto request = state_->request(first->nonce);
  ASSERT_TRUE(request && *request);
  EXPECT_EQ((*request)->answered_at, 0);
}

}  // namespace
}  // namespace licsat::manager
