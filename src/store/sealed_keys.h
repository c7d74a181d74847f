// The server's keys in the settings table, sealed under the key file's key (core/key_wrap.h):
// `hash_key` (keyed hashes of secrets and tokens) and `signing_key` (Ed25519, hex). Loading them
// creates missing ones, seals keys still stored in clear by older versions (in place, in one
// transaction) and opens them; a database sealed under another key file is refused, never
// re-sealed.
#pragma once

#include <string>

#include "core/key_wrap.h"
#include "core/result.h"
#include "store/db.h"

namespace licsat::store {

inline constexpr const char* kHashKeySetting = "hash_key";
inline constexpr const char* kSigningKeySetting = "signing_key";

struct ClearServerKeys {
  std::string hash_key;     // the setting's clear value (the keyed-hash key, as stored)
  std::string signing_key;  // hex of the 64-byte libsodium Ed25519 secret key
  int sealed_now = 0;       // how many were found in clear and sealed by this call
};

// The key file to use for this database: reads `key_file`; when it does not exist, creates it,
// unless the database already holds keys sealed under some key (then the message names the file
// and the key id the database needs).
Result<crypto::Kek> key_for_database(Database& db, const std::string& key_file);

// Creates, seals and opens the two keys; `fresh_*` are used only when a key is missing.
Result<ClearServerKeys> load_sealed_keys(Database& db, const crypto::Kek& kek, const std::string& key_file,
                                         const std::string& fresh_hash_key, const std::string& fresh_signing_key);

// Opens one sealed value read from the settings table; a clear one is returned as it is.
Result<std::string> open_key_setting(const crypto::Kek& kek, const std::string& name, const std::string& value,
                                     const std::string& key_file);

// After keys in clear were sealed in a SQLite file: rewrites the file (VACUUM with secure_delete)
// and empties its write-ahead log, so that no page or log frame keeps the clear values. Run at
// start, before the server takes requests.
Status scrub_sqlite_file(const std::string& path);

}  // namespace licsat::store
