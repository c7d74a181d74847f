// Signed bundles: the files carried by hand between a manager (or a satellite) and a server when
// there is no network between them. One generic, versioned envelope for every kind of file:
//
//   {
//     "format":   "licsat-signed-bundle",
//     "version":  1,
//     "kind":     "usage-request" | "license-answer",
//     "issuer":   {"keyFingerprint": "<SHA-256 hex of the raw Ed25519 public key>",
//                  "publicKey": "<base64 of the raw public key>"},
//     "created":  "2026-11-25T17:19:01Z",
//     "nonce":    "<random, URL-safe>",
//     "payload":  "<base64 of the payload bytes (a JSON document)>",
//     "signature":"<base64 Ed25519 signature>"
//   }
//
// The signature covers the exact payload bytes (never a re-serialisation of parsed JSON),
// preceded by the header fields it must bind, so that neither the payload nor the kind, issuer,
// time or nonce can be changed or swapped between files:
//
//   "licsat-signed-bundle/1\n" kind "\n" keyFingerprint "\n" created "\n" nonce "\n" payload-bytes
//
// Opening a bundle checks the envelope and the signature against the public key the caller trusts
// (a pinned server key), or, when the caller trusts no key yet, only against the key the bundle
// names (integrity, not authenticity). Replay protection (has this nonce been seen?) belongs to the
// caller, which knows what it has applied.
#pragma once

#include <cstdint>
#include <expected>
#include <string>

#include "core/crypto.h"
#include "core/result.h"

namespace licsat::protocol {

inline constexpr const char* kBundleFormat = "licsat-signed-bundle";
inline constexpr int kBundleVersion = 1;
inline constexpr const char* kKindUsageRequest = "usage-request";
inline constexpr const char* kKindLicenseAnswer = "license-answer";

// An opened (verified) bundle.
struct Bundle {
  std::string kind;
  std::string issuer_fingerprint;  // SHA-256 hex of the issuer's raw public key
  std::string issuer_public_key;   // raw 32 bytes
  int64_t created = 0;             // Unix seconds
  std::string nonce;
  std::string payload;             // the exact signed bytes
};

// Why a bundle was refused; each reason has its own plain-language message.
enum class BundleProblem {
  kMalformed,     // not a bundle, or a field is missing or of the wrong type
  kUnsupported,   // another format or a newer version
  kWrongKind,     // a valid bundle of a kind the caller did not expect
  kForeign,       // signed by a key other than the trusted one
  kBadSignature,  // signature does not match: the file was changed after signing
};

struct BundleError {
  BundleProblem problem = BundleProblem::kMalformed;
  std::string message;
};

// The fingerprint by which keys are pinned and named: SHA-256 hex of the raw public key.
std::string key_fingerprint(const std::string& raw_public_key);
// The same, grouped for people to compare by eye ("3f2a 91c0 …").
std::string display_fingerprint(const std::string& fingerprint_hex);

// Seals `payload` into a bundle text (pretty-printed JSON ending in a newline).
// `nonce` empty: a fresh random nonce.
std::string seal_bundle(const std::string& kind, const std::string& payload, const crypto::SigningKey& key,
                        int64_t created, const std::string& nonce = "");

// Parses and verifies a bundle text. `expected_kind` empty: any kind. `trusted_public_key` (raw)
// empty: only the bundle's own key is checked (integrity only).
std::expected<Bundle, BundleError> open_bundle(const std::string& text, const std::string& expected_kind,
                                               const std::string& trusted_public_key);

// The exact bytes the signature covers (exposed for tests and for other implementations).
std::string signing_input(const std::string& kind, const std::string& fingerprint, const std::string& created,
                          const std::string& nonce, const std::string& payload);

}  // namespace licsat::protocol
