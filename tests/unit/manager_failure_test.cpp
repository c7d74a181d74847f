// Failure classification: each server answer or transport failure becomes a class with its own
// exit code, the server's words kept, and a fix in plain language.
#include <gtest/gtest.h>

#include <set>

#include "protocol/failure.h"

namespace licsat::protocol {
namespace {

HttpReply reply(long status, const std::string& body, std::map<std::string, std::string> headers = {}) {
  HttpReply r;
  r.status = status;
  r.body = body;
  r.headers = std::move(headers);
  return r;
}

const char* kGrantNotFound = "Grant not found. Ensure that the given grant details are correct.";

TEST(ManagerFailure, InvalidClientKeepsTheServersWordsAndGivesTheSeedsFix) {
  auto f = from_token_reply(reply(401, std::string(R"({"error":"invalid_client","error_description":"x","error_message":")") +
                                           kGrantNotFound + "\"}"));
  EXPECT_EQ(f.cls, FailureClass::kInvalidClient);
  EXPECT_EQ(exit_code(f.cls), 20);
  EXPECT_EQ(f.server_words, kGrantNotFound);
  FixContext ctx{"https://sat.example:8443", "netops", "", "", false};
  std::string text = render(f, ctx);
  EXPECT_NE(text.find(kGrantNotFound), std::string::npos) << text;
  EXPECT_NE(text.find("do not match a Resource Owner Grant"), std::string::npos) << text;
  EXPECT_NE(text.find("API Tool Kit"), std::string::npos) << text;
  EXPECT_NE(text.find("licsat admin grant create --type resource-owner"), std::string::npos) << text;
}

TEST(ManagerFailure, InvalidClientWithoutUserPointsAtClientCredentialsGrants) {
  auto f = from_token_reply(reply(401, R"({"error":"invalid_client","error_message":"Grant not found."})"));
  std::string fix = fix_for(f, FixContext{"https://a:8443", "", "", "", false, false});
  EXPECT_NE(fix.find("Client Credentials Grant"), std::string::npos) << fix;
}

TEST(ManagerFailure, InvalidGrantIsTheUsersPasswordAndLockedIsItsOwnClass) {
  auto bad = from_token_reply(reply(400, R"({"error":"invalid_grant","error_message":"Invalid user credentials."})"));
  EXPECT_EQ(bad.cls, FailureClass::kInvalidGrant);
  EXPECT_EQ(exit_code(bad.cls), 21);
  auto locked = from_token_reply(
      reply(400, R"({"error":"invalid_grant","error_message":"User account 'netops' is locked. Ask an administrator."})"));
  EXPECT_EQ(locked.cls, FailureClass::kUserLocked);
  EXPECT_EQ(exit_code(locked.cls), 22);
  EXPECT_NE(fix_for(locked, FixContext{"", "netops", "", "", false, false}).find("licsat admin user unlock netops"),
            std::string::npos);
}

TEST(ManagerFailure, ConsoleDisabledAndRoleTooLowAreAccessDenied) {
  auto console = from_token_reply(reply(403, R"({"error":"access_denied","error_message":"The API console is disabled."})"));
  EXPECT_EQ(console.cls, FailureClass::kAccessDenied);
  EXPECT_EQ(exit_code(console.cls), 23);
  EXPECT_NE(fix_for(console, {}).find("licsat admin console enable"), std::string::npos);
  auto role = from_api_reply(reply(403, R"({"error":"insufficient_role","error_message":"Your role (viewer) may not"})"),
                             "sending usage");
  EXPECT_EQ(role.cls, FailureClass::kAccessDenied);
}

TEST(ManagerFailure, SlowDownCarriesRetryAfter) {
  auto f = from_token_reply(reply(429, R"({"error":"slow_down","error_message":"Too many"})", {{"retry-after", "42"}}));
  EXPECT_EQ(f.cls, FailureClass::kRateLimited);
  EXPECT_EQ(f.retry_after, 42);
  EXPECT_NE(fix_for(f, {}).find("42 seconds"), std::string::npos);
}

TEST(ManagerFailure, ApiAnswersMapToRejectedOrServer) {
  EXPECT_EQ(from_api_reply(reply(404, R"({"error":"not_found","error_message":"no account 'x'"})"), "x").cls,
            FailureClass::kRejected);
  EXPECT_EQ(from_api_reply(reply(503, "busy"), "x").cls, FailureClass::kServer);
  EXPECT_EQ(from_api_reply(reply(503, "busy"), "x").server_words, "busy");
}

TEST(ManagerFailure, TransportFailuresAreNamedWithTheirFixes) {
  TransportError e;
  e.host = "sat.example";
  e.port = 8443;
  e.kind = TransportFailure::kDns;
  EXPECT_EQ(from_transport(e).cls, FailureClass::kDns);
  EXPECT_NE(from_transport(e).what.find("DNS"), std::string::npos);
  e.kind = TransportFailure::kConnect;
  EXPECT_EQ(exit_code(from_transport(e).cls), 11);
  e.kind = TransportFailure::kCertificate;
  e.message = "SSL certificate problem: self-signed certificate";
  auto cert = from_transport(e);
  EXPECT_EQ(cert.cls, FailureClass::kCertificate);
  EXPECT_NE(fix_for(cert, {}).find("--ca-file"), std::string::npos);
  e.message = "SSL: no alternative certificate subject name matches target host name 'sat.example'";
  EXPECT_EQ(from_transport(e).error_code, "name_mismatch");
  e.message = "SSL certificate problem: certificate has expired";
  EXPECT_EQ(from_transport(e).error_code, "expired");
  e.kind = TransportFailure::kProxy;
  e.proxy = "http://user:secret@proxy:3128";
  e.proxy_status = 407;
  auto p = from_transport(e);
  EXPECT_EQ(p.cls, FailureClass::kProxy);
  EXPECT_EQ(p.what.find("secret"), std::string::npos) << p.what;  // proxy credentials are never printed
  EXPECT_NE(fix_for(p, {}).find("USER:PASSWORD"), std::string::npos);
}

TEST(ManagerFailure, EveryClassHasItsOwnExitCode) {
  std::set<int> seen;
  for (int c = 0; c <= static_cast<int>(FailureClass::kState); ++c) {
    int code = exit_code(static_cast<FailureClass>(c));
    EXPECT_NE(code, 0);
    EXPECT_NE(code, 1);
    EXPECT_TRUE(seen.insert(code).second) << "duplicate exit code " << code;
  }
}

TEST(ManagerFailure, CredentialsAreRemovedFromUrls) {
  EXPECT_EQ(redact_credentials("http://u:p@proxy:3128"), "http://***@proxy:3128");
  EXPECT_EQ(redact_credentials("http://proxy:3128/a@b"), "http://proxy:3128/a@b");
}

}  // namespace
}  // namespace licsat::protocol

namespace licsat::protocol {
namespace {

// A satellite's sync failures name its [upstream] settings, never a manager's flags.
TEST(ManagerFailure, ASatellitesFixNamesItsUpstreamSettingsNotManagerFlags) {
  FixContext sat{"https://authority:8443", "", "", "", false, true};
  for (auto cls : {FailureClass::kDns, FailureClass::kConnect, FailureClass::kTimeout, FailureClass::kCertificate,
                   FailureClass::kInvalidClient}) {
    Failure f;
    f.cls = cls;
    std::string fix = fix_for(f, sat);
    EXPECT_NE(fix.find("upstream."), std::string::npos) << class_name(cls) << ": " << fix;
    EXPECT_EQ(fix.find("--server"), std::string::npos) << fix;
    EXPECT_EQ(fix.find("--proxy"), std::string::npos) << fix;
    EXPECT_EQ(fix.find("--ca-file"), std::string::npos) << fix;
  }
  Failure bad;
  bad.cls = FailureClass::kInvalidClient;
  EXPECT_NE(fix_for(bad, sat).find("regenerate-secret"), std::string::npos);
  // A manager's fix is unchanged.
  Failure down;
  down.cls = FailureClass::kConnect;
  EXPECT_NE(fix_for(down, FixContext{"https://a:8443", "", "", "", false, false}).find("--server"), std::string::npos);
}

}  // namespace
}  // namespace licsat::protocol
