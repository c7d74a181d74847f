#include "store/sealed_keys.h"

#include <sqlite3.h>

#include <optional>

#include "core/key_file.h"

namespace licsat::store {
namespace {

constexpr const char* kNames[] = {kHashKeySetting, kSigningKeySetting};

Result<std::optional<std::string>> read_value(Connection& c, const std::string& name) {
  auto rows = c.query("SELECT value FROM settings WHERE key = $1", {name});
  if (!rows) return fail(rows.error());
  if (rows->empty()) return std::optional<std::string>{};
  return std::optional<std::string>(rows->front().str(0));
}

}  // namespace

Result<crypto::Kek> key_for_database(Database& db, const std::string& key_file) {
  auto kek = crypto::read_key_file(key_file);
  if (kek || kek.error().code != ErrorCode::kNotFound) return kek;
  std::string sealed_id;
  auto s = db.transact(TxMode::kRead, [&](Connection& c) -> Status {
    for (const char* name : kNames) {
      auto v = read_value(c, name);
      if (!v) return fail(v.error());
      if (*v && crypto::is_sealed(**v)) sealed_id = crypto::sealed_key_id(**v);
    }
    return {};
  });
  if (!s) return fail(s.error());
  if (!sealed_id.empty())
    return fail(Error::invalid("key file " + key_file + " does not exist, and the server keys in " + db.describe() +
                               " are sealed with key id " + sealed_id +
                               ": copy the key file of the node or backup that sealed them to " + key_file +
                               " (a new key cannot open them, so none is made)"));
  return crypto::create_key_file(key_file);
}

Result<std::string> open_key_setting(const crypto::Kek& kek, const std::string& name, const std::string& value,
                                     const std::string& key_file) {
  if (!crypto::is_sealed(value)) return value;
  auto clear = crypto::unseal(kek, name, value);
  if (clear) return clear;
  std::string id = crypto::sealed_key_id(value);
  if (id != kek.id())
    return fail(Error::invalid("the server key '" + name + "' is sealed with key id " + id + ", but key file " +
                               key_file + " holds key id " + kek.id() +
                               ": every node of one database needs the same key file (copy it from the node that "
                               "sealed the keys); nothing was changed"));
  return fail(Error::invalid("the server key '" + name + "' does not open with key file " + key_file + ": " +
                             clear.error().message));
}

Result<ClearServerKeys> load_sealed_keys(Database& db, const crypto::Kek& kek, const std::string& key_file,
                                         const std::string& fresh_hash_key, const std::string& fresh_signing_key) {
  ClearServerKeys out;
  std::string stored[2];
  auto s = db.transact(TxMode::kWrite, [&](Connection& c) -> Status {
    out.sealed_now = 0;
    const std::string fresh[2] = {fresh_hash_key, fresh_signing_key};
    for (int i = 0; i < 2; ++i) {
      const std::string name = kNames[i];
      auto v = read_value(c, name);
      if (!v) return fail(v.error());
      if (!*v) {
        // Nodes starting together on an empty database: the first insert wins, the others read it.
        auto r = c.exec("INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING",
                        {name, crypto::seal(kek, name, fresh[i])});
        if (!r) return fail(r.error());
      } else if (!crypto::is_sealed(**v)) {
        // Stored in clear by an older version: sealed in place, only if nobody changed it meanwhile.
        auto r = c.exec("UPDATE settings SET value = $1 WHERE key = $2 AND value = $3",
                        {crypto::seal(kek, name, **v), name, **v});
        if (!r) return fail(r.error());
        out.sealed_now += static_cast<int>(*r);
      }
      auto now = read_value(c, name);
      if (!now) return fail(now.error());
      if (!*now) return fail(Error::internal("setting '" + name + "' vanished while it was written"));
      stored[i] = **now;
    }
    // Refuse before committing: a node with the wrong key file changes nothing.
    for (int i = 0; i < 2; ++i)
      if (auto clear = open_key_setting(kek, kNames[i], stored[i], key_file); !clear) return fail(clear.error());
    return {};
  });
  if (!s) return fail(s.error());
  auto hk = open_key_setting(kek, kHashKeySetting, stored[0], key_file);
  if (!hk) return fail(hk.error());
  auto sk = open_key_setting(kek, kSigningKeySetting, stored[1], key_file);
  if (!sk) return fail(sk.error());
  out.hash_key = std::move(*hk);
  out.signing_key = std::move(*sk);
  return out;
}

Status scrub_sqlite_file(const std::string& path) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
    std::string m = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    return fail(Error::internal("cannot open " + path + " to scrub it: " + m));
  }
  sqlite3_busy_timeout(db, 10000);
  char* err = nullptr;
  int rc = sqlite3_exec(db, "PRAGMA secure_delete = ON; VACUUM; PRAGMA wal_checkpoint(TRUNCATE);", nullptr, nullptr,
                        &err);
  std::string m = err ? err : "";
  sqlite3_free(err);
  sqlite3_close(db);
  if (rc != SQLITE_OK) return fail(Error::internal("cannot scrub " + path + " after sealing its keys: " + m));
  return {};
}

}  // namespace licsat::store
