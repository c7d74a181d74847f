#include "protocol/bundle.h"

#include <nlohmann/json.hpp>

#include <optional>

#include "core/clock.h"

namespace licsat::protocol {
namespace {

using nlohmann::json;

std::unexpected<BundleError> refuse(BundleProblem p, std::string m) {
  return std::unexpected(BundleError{p, std::move(m)});
}

// A required string member of the envelope.
std::optional<std::string> text_of(const json& j, const char* name) {
  auto it = j.find(name);
  if (it == j.end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

}  // namespace

std::string key_fingerprint(const std::string& raw_public_key) { return crypto::sha256_hex(raw_public_key); }

std::string display_fingerprint(const std::string& hex) {
  std::string out;
  for (size_t i = 0; i < hex.size(); i += 4) {
    if (!out.empty()) out += ' ';
    out += hex.substr(i, 4);
  }
  return out;
}

std::string signing_input(const std::string& kind, const std::string& fingerprint, const std::string& created,
                          const std::string& nonce, const std::string& payload) {
  std::string s = std::string(kBundleFormat) + "/" + std::to_string(kBundleVersion) + "\n";
  s.reserve(s.size() + kind.size() + fingerprint.size() + created.size() + nonce.size() + payload.size() + 4);
  s += kind + "\n" + fingerprint + "\n" + created + "\n" + nonce + "\n";
  s += payload;
  return s;
}

std::string seal_bundle(const std::string& kind, const std::string& payload, const crypto::SigningKey& key,
                        int64_t created, const std::string& nonce) {
  std::string fp = key_fingerprint(key.public_key);
  std::string when = format_iso8601(created);
  std::string n = nonce.empty() ? crypto::random_urlsafe(18) : nonce;
  std::string sig = crypto::sign(signing_input(kind, fp, when, n, payload), key);
  json env = {{"format", kBundleFormat},
              {"version", kBundleVersion},
              {"kind", kind},
              {"issuer", {{"keyFingerprint", fp}, {"publicKey", crypto::to_base64(key.public_key)}}},
              {"created", when},
              {"nonce", n},
              {"payload", crypto::to_base64(payload)},
              {"signature", crypto::to_base64(sig)}};
  return env.dump(2) + "\n";
}

std::expected<Bundle, BundleError> open_bundle(const std::string& text, const std::string& expected_kind,
                                               const std::string& trusted_public_key) {
  auto env = json::parse(text, nullptr, false);
  if (env.is_discarded() || !env.is_object())
    return refuse(BundleProblem::kMalformed, "the file is not a licsat signed bundle (not a JSON object)");
  auto format = text_of(env, "format");
  if (!format || *format != kBundleFormat)
    return refuse(BundleProblem::kMalformed, "the file is not a licsat signed bundle (format is not \"" +
                                                 std::string(kBundleFormat) + "\")");
  if (!env.contains("version") || !env["version"].is_number_integer())
    return refuse(BundleProblem::kMalformed, "the bundle has no version");
  if (env["version"].get<int64_t>() != kBundleVersion)
    return refuse(BundleProblem::kUnsupported, "the bundle is version " + env["version"].dump() +
                                                   "; this licsat reads version " + std::to_string(kBundleVersion) +
                                                   " (upgrade licsat)");
  auto kind = text_of(env, "kind");
  auto created = text_of(env, "created");
  auto nonce = text_of(env, "nonce");
  auto payload_b64 = text_of(env, "payload");
  auto sig_b64 = text_of(env, "signature");
  const json* issuer = env.contains("issuer") && env["issuer"].is_object() ? &env["issuer"] : nullptr;
  auto fp = issuer ? text_of(*issuer, "keyFingerprint") : std::nullopt;
  auto pk_b64 = issuer ? text_of(*issuer, "publicKey") : std::nullopt;
  if (!kind || !created || !nonce || !payload_b64 || !sig_b64 || !fp || !pk_b64)
    return refuse(BundleProblem::kMalformed,
                  "the bundle lacks a field (kind, issuer, created, nonce, payload and signature are required)");
  if (!expected_kind.empty() && *kind != expected_kind)
    return refuse(BundleProblem::kWrongKind,
                  "the file is a \"" + *kind + "\" bundle, but a \"" + expected_kind + "\" bundle is expected here");
  auto when = parse_iso8601(*created);
  if (!when) return refuse(BundleProblem::kMalformed, "the bundle's creation time '" + *created + "' is not ISO 8601");
  auto payload = crypto::from_base64(*payload_b64);
  auto sig = crypto::from_base64(*sig_b64);
  auto pk = crypto::from_base64(*pk_b64);
  if (!payload || !sig || !pk || pk->size() != 32 || sig->size() != 64)
    return refuse(BundleProblem::kMalformed, "the bundle's payload, signature or key is not valid base64 of the right size");
  if (key_fingerprint(*pk) != *fp)
    return refuse(BundleProblem::kBadSignature,
                  "the bundle's key fingerprint does not match its public key: the file was altered");
  if (!trusted_public_key.empty() && *pk != trusted_public_key)
    return refuse(BundleProblem::kForeign, "the bundle was signed by another key (fingerprint " +
                                               display_fingerprint(*fp) + ") than the one trusted here (" +
                                               display_fingerprint(key_fingerprint(trusted_public_key)) + ")");
  if (!crypto::verify(signing_input(*kind, *fp, *created, *nonce, *payload), *sig, *pk))
    return refuse(BundleProblem::kBadSignature,
                  "the bundle's signature does not match its contents: the file was changed after it was signed");
  return Bundle{*kind, *fp, *pk, *when, *nonce, *payload};
}

}  // namespace licsat::protocol
