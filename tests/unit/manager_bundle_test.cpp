// Signed offline bundles: sealed, opened, and refused when tampered with, foreign or of another kind.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "core/crypto.h"
#include "protocol/bundle.h"

namespace licsat::protocol {
namespace {

using nlohmann::json;

class ManagerBundle : public ::testing::Test {
 protected:
  void SetUp() override {
    crypto::init();
    server_ = crypto::generate_signing_key();
    other_ = crypto::generate_signing_key();
  }
  crypto::SigningKey server_, other_;
  const std::string payload_ = R"({"licenses":[{"tag":"network-advantage","quantity":10}]})";
};

TEST_F(ManagerBundle, SealedBundleOpensWithTheTrustedKey) {
  std::string text = seal_bundle(kKindLicenseAnswer, payload_, server_, 1'800'000'000, "n-1");
  auto b = open_bundle(text, kKindLicenseAnswer, server_.public_key);
  ASSERT_TRUE(b) << b.error().message;
  EXPECT_EQ(b->payload, payload_);
  EXPECT_EQ(b->nonce, "n-1");
  EXPECT_EQ(b->created, 1'800'000'000);
  EXPECT_EQ(b->issuer_fingerprint, key_fingerprint(server_.public_key));
  auto env = json::parse(text);
  EXPECT_EQ(env["format"], "licsat-signed-bundle");
  EXPECT_EQ(env["version"], 1);
}

TEST_F(ManagerBundle, ChangedPayloadIsRefusedAsTampered) {
  auto env = json::parse(seal_bundle(kKindLicenseAnswer, payload_, server_, 1'800'000'000));
  std::string changed = payload_;
  changed.replace(changed.find("10"), 2, "99");
  env["payload"] = crypto::to_base64(changed);
  auto b = open_bundle(env.dump(), kKindLicenseAnswer, server_.public_key);
  ASSERT_FALSE(b);
  EXPECT_EQ(b.error().problem, BundleProblem::kBadSignature);
  EXPECT_NE(b.error().message.find("changed after it was signed"), std::string::npos);
}

TEST_F(ManagerBundle, ChangedHeaderFieldsBreakTheSignature) {
  for (const char* field : {"nonce", "created", "kind"}) {
    auto env = json::parse(seal_bundle(kKindLicenseAnswer, payload_, server_, 1'800'000'000, "n-1"));
    if (std::string(field) == "nonce") env["nonce"] = "n-2";
    if (std::string(field) == "created") env["created"] = "2030-01-01T00:00:00Z";
    if (std::string(field) == "kind") env["kind"] = kKindUsageRequest;
    auto b = open_bundle(env.dump(), "", server_.public_key);
    ASSERT_FALSE(b) << field;
    EXPECT_EQ(b.error().problem, BundleProblem::kBadSignature) << field;
  }
}

TEST_F(ManagerBundle, BundleSignedByAnotherKeyIsForeign) {
  std::string text = seal_bundle(kKindLicenseAnswer, payload_, other_, 1'800'000'000);
  auto b = open_bundle(text, kKindLicenseAnswer, server_.public_key);
  ASSERT_FALSE(b);
  EXPECT_EQ(b.error().problem, BundleProblem::kForeign);
}

TEST_F(ManagerBundle, SwappedPublicKeyIsRefused) {
  auto env = json::parse(seal_bundle(kKindLicenseAnswer, payload_, server_, 1'800'000'000));
  env["issuer"]["publicKey"] = crypto::to_base64(other_.public_key);
  auto b = open_bundle(env.dump(), kKindLicenseAnswer, "");
  ASSERT_FALSE(b);
  EXPECT_EQ(b.error().problem, BundleProblem::kBadSignature);
}

TEST_F(ManagerBundle, WrongKindMalformedAndNewerVersionAreRefused) {
  std::string req = seal_bundle(kKindUsageRequest, payload_, server_, 1'800'000'000);
  auto k = open_bundle(req, kKindLicenseAnswer, server_.public_key);
  ASSERT_FALSE(k);
  EXPECT_EQ(k.error().problem, BundleProblem::kWrongKind);

  auto m = open_bundle("not json", "", "");
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().problem, BundleProblem::kMalformed);

  auto env = json::parse(req);
  env.erase("signature");
  auto s = open_bundle(env.dump(), "", "");
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().problem, BundleProblem::kMalformed);

  env = json::parse(req);
  env["version"] = 2;
  auto v = open_bundle(env.dump(), "", "");
  ASSERT_FALSE(v);
  EXPECT_EQ(v.error().problem, BundleProblem::kUnsupported);
}

TEST_F(ManagerBundle, WithoutATrustedKeyOnlyIntegrityIsChecked) {
  std::string text = seal_bundle(kKindUsageRequest, payload_, other_, 1'800'000'000);
  EXPECT_TRUE(open_bundle(text, kKindUsageRequest, ""));
}

TEST_F(ManagerBundle, FingerprintIsShownInGroups) {
  EXPECT_EQ(display_fingerprint("0123456789ab"), "0123 4567 89ab");
}

}  // namespace
}  // namespace licsat::protocol
