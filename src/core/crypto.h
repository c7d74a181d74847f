// Thin wrappers over libsodium: randomness, keyed hashes for server-generated secrets,
// argon2id for human passwords, constant-time comparison and Ed25519 signatures.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.h"

namespace licsat::crypto {

// Must be called once before any other function here (idempotent, thread-safe).
void init();

// `n` random bytes as URL-safe base64 without padding (4 characters per 3 bytes).
std::string random_urlsafe(size_t n_bytes);

// Hex of HMAC-SHA256(key, data). Used for tokens and client secrets: they carry >= 256 bits of
// entropy, so a slow KDF buys nothing; the key keeps a stolen database from being checked offline.
std::string keyed_hash(std::string_view key, std::string_view data);

// keyed_hash() with one key, for the hot path: the key's HMAC state is computed once, so each
// hash costs the data's compressions only. Same output as keyed_hash(key, prefix + data).
class KeyedHasher {
 public:
  KeyedHasher(std::string_view key, std::string_view prefix);
  ~KeyedHasher();
  KeyedHasher(const KeyedHasher&) = delete;
  KeyedHasher& operator=(const KeyedHasher&) = delete;
  std::string operator()(std::string_view data) const;

 private:
  alignas(64) unsigned char state_[512];  // crypto_auth_hmacsha256_state, after key and prefix
};

// `n` random bytes.
std::string random_bytes(size_t n);

// Constant-time equality; unequal lengths return false without comparing contents.
bool equal_ct(std::string_view a, std::string_view b);

struct PwhashCost {
  uint64_t ops = 2;                  // crypto_pwhash OPSLIMIT_INTERACTIVE
  size_t mem = 64ull * 1024 * 1024;  // 64 MiB, crypto_pwhash MEMLIMIT_INTERACTIVE
};
// argon2id encoded string (algorithm, cost and salt inside).
Result<std::string> hash_password(std::string_view password, const PwhashCost& cost);
bool verify_password(std::string_view encoded, std::string_view password);

struct SigningKey {
  std::string public_key;  // 32 bytes, raw
  std::string secret_key;  // 64 bytes, raw
};
SigningKey generate_signing_key();
std::string sign(std::string_view message, const SigningKey& key);  // 64-byte detached signature
bool verify(std::string_view message, std::string_view signature, std::string_view public_key);

std::string to_hex(std::string_view bytes);
Result<std::string> from_hex(std::string_view hex);
std::string to_base64(std::string_view bytes);
Result<std::string> from_base64(std::string_view text);
// base64url without padding (RFC 4648 §5), as random_urlsafe() writes it.
std::string to_base64url(std::string_view bytes);
Result<std::string> from_base64url(std::string_view text);
// SHA-256 hex of data, for fingerprints of public keys.
std::string sha256_hex(std::string_view data);

}  // namespace licsat::crypto
