// What the Event Log keeps of a name that matched no grant or user (a client_id, a user name):
// a secret typed into the wrong field (a client secret sent as client_id, a password sent as
// username) must not be stored in clear. Kept: a clipped prefix (at most 3 characters, and at
// most a quarter of the value) and a keyed fingerprint, the first 8 hex digits of
// HMAC-SHA-256 under the server's hash key: the same value always gives the same fingerprint,
// so repeated attempts correlate, but neither the prefix nor the fingerprint gives it back.
#pragma once

#include <string>
#include <string_view>

#include "core/crypto.h"

namespace licsat::domain {

class NameFingerprint {
 public:
  explicit NameFingerprint(std::string_view hash_key) : hasher_(hash_key, "name-fingerprint:") {}
  // "abc…#1f2e3d4c"; "(none)" for an empty name.
  std::string operator()(std::string_view name) const;

 private:
  crypto::KeyedHasher hasher_;
};

}  // namespace licsat::domain
