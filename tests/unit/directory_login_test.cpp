// Directory users in Access Management and the token endpoint, with a fake directory (the LDAP
// implementation is tested against a real slapd in tests/e2e/ldap_test.cpp): local names first,
// roles from the directory, every step's reason in the Event Log and one answer to the client,
// lockout for guesses but not for a directory that is down. On both backends.
#include <string>
#include <vector>

#include "domain/directory.h"
#include "oauth/token_service.h"
#include "test_support.h"

using namespace licsat;
using domain::DirectoryFailure;
using domain::Role;

namespace {

// Answers what it was told to, and counts the questions.
class FakeDirectory final : public domain::Directory {
 public:
  std::expected<domain::DirectoryUser, domain::DirectoryRefusal> authenticate(const std::string& user,
                                                                              const std::string& password) override {
    asked.push_back(user);
    if (refusal) return std::unexpected(domain::DirectoryRefusal{*refusal, "fake detail"});
    if (password != "directory password")
      return std::unexpected(domain::DirectoryRefusal{DirectoryFailure::kBadCredentials, "Invalid credentials (49)"});
    return domain::DirectoryUser{"uid=" + user + ",ou=people,dc=example,dc=org", role};
  }
  std::vector<std::string> asked;
  std::optional<DirectoryFailure> refusal;
  Role role = Role::kOperator;
};

class DirectoryLogin : public test::BackendStoreTest {
 protected:
  DirectoryLogin() : BackendStoreTest("licsat_directory") {}
  void SetUp() override {
    BackendStoreTest::SetUp();
    if (IsSkipped()) return;
    domain::AccessPolicy policy;
    policy.cost.ops = 1;
    policy.cost.mem = 8 * 1024 * 1024;
    policy.lockout_threshold = 3;
    events_ = std::make_unique<domain::EventLog>(*store_, clock_);
    access_ = std::make_unique<domain::AccessService>(*store_, clock_, policy);
    access_->set_directory(&directory_);
    tokens_ = std::make_unique<oauth::TokenService>(*store_, *access_, *events_, clock_, "k", oauth::TokenPolicy{});
    ASSERT_TRUE(access_->add_user("admin", Role::kAdmin, "local admin password", {"t", "ip"}));
  }
  void TearDown() override {
    tokens_.reset();
    events_.reset();
    access_.reset();
    BackendStoreTest::TearDown();
  }
  oauth::TokenService::TokenResult login(const std::string& user, const std::string& password) {
    oauth::TokenRequest r;
    r.grant_type = "password";
    r.client_id = oauth::kFirstPartyClientId;
    r.username = user;
    r.password = password;
    r.source_ip = "10.0.0.1";
    return tokens_->token(r);
  }
  std::vector<std::string> failure_details() {
    events_->flush();
    std::vector<std::string> out;
    auto all = store_->list_events(domain::EventFilter{});
    if (all)
      for (const auto& e : all->events)
        if (e.action == "token.issue" && e.outcome == "failure") out.push_back(e.detail);
    return out;
  }
  bool has_failure(const std::string& part) {
    for (const auto& d : failure_details())
      if (d.find(part) != std::string::npos) return true;
    return false;
  }

  FakeDirectory directory_;
  std::unique_ptr<domain::EventLog> events_;
  std::unique_ptr<domain::AccessService> access_;
  std::unique_ptr<oauth::TokenService> tokens_;
};

INSTANTIATE_TEST_SUITE_P(Backends, DirectoryLogin, ::testing::Values("sqlite", "postgres"),
                         [](const auto& info) { return info.param; });

TEST_P(DirectoryLogin, ALocalNameIsVerifiedLocallyOnlyAndTheDirectoryIsNotAsked) {
  EXPECT_TRUE(login("admin", "local admin password"));
  auto wrong = login("admin", "directory password");
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().error, "invalid_grant");
  EXPECT_TRUE(directory_.asked.empty());
  // Even with the directory down, the local admin logs in (break-glass).
  directory_.refusal = DirectoryFailure::kUnreachable;
  EXPECT_TRUE(login("admin", "local admin password"));
}

TEST_P(DirectoryLogin, ADirectoryUserGetsTokensWithTheGroupsRoleAndEveryAccount) {
  directory_.role = Role::kViewer;
  auto t = login("dave", "directory password");
  ASSERT_TRUE(t) << t.error().description;
  EXPECT_EQ(directory_.asked, std::vector<std::string>{"dave"});
  auto p = tokens_->authenticate(t->access_token);
  ASSERT_TRUE(p) << p.error().description;
  EXPECT_EQ(p->username, "dave");
  EXPECT_EQ(p->role, Role::kViewer);
  EXPECT_TRUE(p->accounts.is_every());
  events_->flush();
  auto all = store_->list_events(domain::EventFilter{});
  ASSERT_TRUE(all);
  bool logged = false;
  for (const auto& e : all->events)
    logged = logged || (e.action == "token.issue" && e.outcome == "success" &&
                        e.detail.find("directory user 'uid=dave,ou=people,dc=example,dc=org' with role viewer") !=
                            std::string::npos);
  EXPECT_TRUE(logged);
}

TEST_P(DirectoryLogin, EveryRefusalIsOneAnswerToTheClientAndItsOwnReasonInTheEventLog) {
  const std::vector<std::pair<std::optional<DirectoryFailure>, std::string>> cases = {
      {DirectoryFailure::kNoSuchUser, "not found in the directory for '"},
      {DirectoryFailure::kAmbiguous, "multiple directory entries for 'u1'"},
      {std::nullopt, "directory bind failed for 'u2': Invalid credentials (49)"},
      {DirectoryFailure::kNotInGroup, "not in any directory group for 'u3'"},
      {DirectoryFailure::kUnreachable, "directory unreachable for 'u4'"},
      {DirectoryFailure::kConfigError, "directory configuration error for 'u5'"}};
  int i = 0;
  for (const auto& [refusal, reason] : cases) {
    directory_.refusal = refusal;
    std::string user = "u" + std::to_string(i++);
    auto r = login(user, refusal ? "directory password" : "typed wrong");
    ASSERT_FALSE(r) << reason;
    EXPECT_EQ(r.error().status, 400);
    EXPECT_EQ(r.error().error, "invalid_grant");
    EXPECT_EQ(r.error().description, "Invalid user credentials: the user name or password is incorrect.");
    EXPECT_TRUE(has_failure(reason)) << reason;
  }
  // A name the directory does not know may be a password typed into the wrong field: not kept.
  for (const auto& d : failure_details()) {
    EXPECT_EQ(d.find("'u0'"), std::string::npos) << d;
    EXPECT_EQ(d.find("typed wrong"), std::string::npos) << d;
    EXPECT_EQ(d.find("directory password"), std::string::npos) << d;
  }
}

TEST_P(DirectoryLogin, GuessesLockTheNameForTheAddressButADirectoryThatIsDownLocksNobody) {
  directory_.refusal = DirectoryFailure::kUnreachable;
  for (int i = 0; i < 5; ++i) EXPECT_FALSE(login("erin", "directory password"));
  directory_.refusal.reset();
  EXPECT_TRUE(login("erin", "directory password"));  // five unreachable tries counted nothing

  for (const char* name : {"frank", "FRANK", "Frank"}) EXPECT_FALSE(login(name, "wrong guess"));
  size_t asked = directory_.asked.size();
  auto locked = login("frank", "directory password");
  ASSERT_FALSE(locked);
  EXPECT_NE(locked.error().description.find("locked"), std::string::npos) << locked.error().description;
  EXPECT_EQ(directory_.asked.size(), asked);  // a locked name is not asked of the directory
}

TEST_P(DirectoryLogin, ADirectoryUserIsRecordedOnceAndAnAdminsLockAndAccountLimitHold) {
  ASSERT_TRUE(login("Dave", "directory password"));
  ASSERT_TRUE(login("dave", "directory password"));  // the same person: one record, in lower case
  auto users = access_->list_users();
  ASSERT_TRUE(users);
  int daves = 0;
  for (const auto& u : *users)
    if (u.name == "dave" || u.name == "Dave") {
      ++daves;
      EXPECT_EQ(u.name, "dave");
      EXPECT_EQ(u.created_by, "directory");
      EXPECT_EQ(u.role, Role::kOperator);
    }
  EXPECT_EQ(daves, 1);

  ASSERT_TRUE(access_->set_accounts("dave", domain::AccountScope::only({"acme"}), {"admin", "ip"}));
  directory_.role = Role::kAdmin;  // the groups changed: the next login follows them
  auto t = login("dave", "directory password");
  ASSERT_TRUE(t) << t.error().description;
  auto p = tokens_->authenticate(t->access_token);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->role, Role::kAdmin);
  EXPECT_EQ(p->accounts, domain::AccountScope::only({"acme"}));  // the admin's limit is kept

  ASSERT_TRUE(access_->set_locked("dave", true, {"admin", "ip"}));
  EXPECT_FALSE(tokens_->authenticate(t->access_token));  // its sessions stop at once
  auto locked = login("dave", "directory password");
  ASSERT_FALSE(locked);
  EXPECT_NE(locked.error().description.find("locked"), std::string::npos) << locked.error().description;
}

TEST_P(DirectoryLogin, ADirectoryNameThatIsALocalUsersInAnotherCaseIsRefused) {
  ASSERT_TRUE(access_->add_user("carl", Role::kViewer, "carl local password", {"t", "ip"}));
  auto r = login("CARL", "directory password");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().error, "invalid_grant");
  EXPECT_TRUE(has_failure("a local user 'carl' exists"));
  auto users = access_->list_users();
  ASSERT_TRUE(users);
  for (const auto& u : *users) EXPECT_NE(u.name, "CARL");
}

}  // namespace
