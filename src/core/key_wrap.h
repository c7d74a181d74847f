// Server keys sealed at rest: the hash key and the Ed25519 signing key are kept in the database
// only as XChaCha20-Poly1305 ciphertexts under a key-encryption key (KEK) read from the key file
// (core/key_file.h). A sealed value reads
//   sealed:v1:<key id, 16 hex>:<base64 of 24-byte nonce || ciphertext || 16-byte tag>
// The associated data is "licsat-server-key:v1:<setting name>:<key id>", so a ciphertext moved to
// another setting, or relabelled with another key id, does not open.
#pragma once

#include <string>
#include <string_view>

#include "core/result.h"

namespace licsat::crypto {

inline constexpr size_t kKekBytes = 32;

class Kek {
 public:
  // `bytes` must hold kKekBytes bytes.
  static Result<Kek> from_bytes(std::string bytes);
  Kek(const Kek&) = default;
  Kek& operator=(const Kek&) = default;
  ~Kek();

  // 16 hex characters naming this key (a keyed BLAKE2b of a constant): says which key file
  // sealed a value without revealing anything about the key.
  const std::string& id() const { return id_; }
  const std::string& bytes() const { return bytes_; }

 private:
  Kek() = default;
  std::string bytes_;
  std::string id_;
};

// True when `value` has the sealed form's prefix (it may still be damaged).
bool is_sealed(std::string_view value);
// The key id a sealed value names; empty when the value is not sealed.
std::string sealed_key_id(std::string_view value);

// Seals `clear` for the setting `name` under `kek` (a fresh random nonce each time).
std::string seal(const Kek& kek, std::string_view name, std::string_view clear);

// Opens a sealed value. Errors: another key id (the message names both ids), a damaged or
// altered value, a value that is not sealed.
Result<std::string> unseal(const Kek& kek, std::string_view name, std::string_view sealed);

}  // namespace licsat::crypto
