// U8 as an operator meets it: the server's keys are sealed in the database under the key file
// (DATA/keys/master.key by default). The database file holds no key byte in clear, a restart
// reads the same keys, keys in clear from an older version are sealed at start, a missing, wrong
// or world-readable key file stops the start with a message naming it, and a backup restores
// onto a fresh data directory with the key file copied along (plain backup; the encrypted one is
// in backup_test.cpp).
// SQLite, or PostgreSQL with LICSAT_E2E_PG_URL.
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "core/crypto.h"
#include "core/key_file.h"
#include "core/key_wrap.h"
#include "harness.h"
#include "store/db.h"

using namespace licsat;
using namespace licsat::e2e;

namespace {

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), {});
}

std::string store_url(const Server& s) {
  return s.database_url().empty() ? s.data_dir() + "/licsat.db" : s.database_url();
}

std::string key_file(const Server& s) { return s.data_dir() + "/keys/master.key"; }

// The settings row as stored (the server may run: SQLite readers do not block it).
std::string stored_setting(const Server& s, const std::string& name) {
  auto db = store::open_database(store_url(s), 1);
  EXPECT_TRUE(db) << db.error().message;
  if (!db) return "";
  std::string out;
  auto st = (*db)->transact(store::TxMode::kRead, [&](store::Connection& c) -> Status {
    auto rows = c.query("SELECT value FROM settings WHERE key = $1", {name});
    if (!rows) return fail(rows.error());
    if (!rows->empty()) out = rows->front().str(0);
    return {};
  });
  EXPECT_TRUE(st);
  return out;
}

void set_setting(const Server& s, const std::string& name, const std::string& value) {
  auto db = store::open_database(store_url(s), 1);
  ASSERT_TRUE(db) << db.error().message;
  ASSERT_TRUE((*db)->transact(store::TxMode::kWrite, [&](store::Connection& c) -> Status {
    auto r = c.exec("UPDATE settings SET value = $1 WHERE key = $2", {value, name});
    if (!r) return fail(r.error());
    return {};
  }));
}

struct ClearKeys {
  std::string hash_key;     // the setting's clear value
  std::string signing_hex;  // hex of the Ed25519 secret key
};

ClearKeys unsealed_keys(const Server& s) {
  auto kek = crypto::read_key_file(key_file(s));
  EXPECT_TRUE(kek) << kek.error().message;
  ClearKeys k;
  if (!kek) return k;
  auto hk = crypto::unseal(*kek, "hash_key", stored_setting(s, "hash_key"));
  auto sk = crypto::unseal(*kek, "signing_key", stored_setting(s, "signing_key"));
  EXPECT_TRUE(hk && sk);
  if (hk) k.hash_key = *hk;
  if (sk) k.signing_hex = *sk;
  return k;
}

// Every form a key could take on disk: the stored text, and the raw bytes of the signing key.
std::vector<std::string> needles(const ClearKeys& k) {
  std::vector<std::string> out = {k.hash_key, k.signing_hex};
  auto raw = crypto::from_hex(k.signing_hex);
  if (raw) out.push_back(raw->substr(0, 32));  // the Ed25519 seed (the rest is the public key)
  return out;
}

// The SQLite files of a data dir, or the settings table's text on PostgreSQL.
std::string everything_stored(const Server& s) {
  if (!s.database_url().empty()) return stored_setting(s, "hash_key") + stored_setting(s, "signing_key");
  std::string all;
  for (const char* f : {"/licsat.db", "/licsat.db-wal", "/licsat.db-shm"}) all += read_bytes(s.data_dir() + f);
  return all;
}

std::string public_key(const Server& s) { return s.get("/api/v1/server-key").json()["publicKey"].get<std::string>(); }

std::string store_flags(const Server& s) {
  std::string f = " --data " + s.data_dir();
  if (!s.database_url().empty()) f += " --database '" + s.database_url() + "'";
  return f;
}

// `licsat serve` in the foreground on a data dir whose start must fail: its exit code and output.
CommandResult failed_start(const Server& s, const std::string& extra = "") {
  return run_command("LICSAT_ADMIN_PASSWORD=" + std::string(kAdminPassword) + " timeout 60 " + licsat_binary() +
                     " serve --listen 127.0.0.1:0" + store_flags(s) + extra + " </dev/null");
}

}  // namespace

TEST(ServerKeys, TheDatabaseHoldsNoKeyInClearAndARestartReadsTheSameKeys) {
  Server s;
  s.start();
  const std::string token = s.login();
  const std::string pk = public_key(s);
  struct stat st {};
  ASSERT_EQ(::stat(key_file(s).c_str(), &st), 0) << "the key file is made at first start";
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(::stat((s.data_dir() + "/keys").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  EXPECT_TRUE(crypto::is_sealed(stored_setting(s, "hash_key")));
  EXPECT_TRUE(crypto::is_sealed(stored_setting(s, "signing_key")));
  EXPECT_EQ(s.stop(), 0);

  const ClearKeys k = unsealed_keys(s);
  ASSERT_FALSE(k.hash_key.empty());
  ASSERT_EQ(k.signing_hex.size(), 128u);
  EXPECT_EQ(crypto::to_base64(crypto::from_hex(k.signing_hex)->substr(32)), pk) << "the sealed key is the one in use";
  const std::string disk = everything_stored(s);
  ASSERT_FALSE(disk.empty());
  for (const auto& n : needles(k)) EXPECT_EQ(disk.find(n), std::string::npos) << "a key in clear in the database";

  s.start();
  EXPECT_EQ(public_key(s), pk);
  RequestOptions o;
  o.bearer = token;
  EXPECT_EQ(s.get("/api/v1/admin/users", o).status, 200) << "a token hashed before the restart still verifies";
}

TEST(ServerKeys, KeysInClearFromAnOlderVersionAreSealedAtStart) {
  Server s;
  s.start();
  const std::string token = s.login();
  const std::string pk = public_key(s);
  EXPECT_EQ(s.stop(), 0);
  // The store as an older version left it: both keys in clear, no key file.
  const ClearKeys k = unsealed_keys(s);
  set_setting(s, "hash_key", k.hash_key);
  set_setting(s, "signing_key", k.signing_hex);
  std::filesystem::remove(key_file(s));

  s.start();
  EXPECT_NE(s.log().find("they were stored in clear"), std::string::npos) << s.log();
  EXPECT_TRUE(std::filesystem::exists(key_file(s)));
  EXPECT_EQ(public_key(s), pk);
  RequestOptions o;
  o.bearer = token;
  EXPECT_EQ(s.get("/api/v1/admin/users", o).status, 200);
  EXPECT_EQ(s.stop(), 0);
  EXPECT_TRUE(crypto::is_sealed(stored_setting(s, "hash_key")));
  EXPECT_TRUE(crypto::is_sealed(stored_setting(s, "signing_key")));
  const std::string disk = everything_stored(s);
  for (const auto& n : needles(k))
    EXPECT_EQ(disk.find(n), std::string::npos) << "a clear copy left in a page or the log after sealing";
}

TEST(ServerKeys, AMissingWrongOrWorldReadableKeyFileStopsTheStartNamingIt) {
  Server s;
  s.start();
  const std::string pk = public_key(s);
  EXPECT_EQ(s.stop(), 0);
  const std::string kf = key_file(s);
  const std::string saved = read_bytes(kf);

  ::chmod(kf.c_str(), 0644);
  auto readable = failed_start(s);
  EXPECT_NE(readable.exit_code, 0);
  EXPECT_NE(readable.output.find(kf), std::string::npos) << readable.output;
  EXPECT_NE(readable.output.find("0644"), std::string::npos) << readable.output;
  ::chmod(kf.c_str(), 0600);

  std::filesystem::rename(kf, kf + ".away");
  auto missing = failed_start(s);
  EXPECT_NE(missing.exit_code, 0);
  EXPECT_NE(missing.output.find(kf), std::string::npos) << missing.output;
  EXPECT_NE(missing.output.find("does not exist"), std::string::npos) << missing.output;
  EXPECT_FALSE(std::filesystem::exists(kf)) << "no new key is made over sealed keys";

  // Another node's key file (a wrong copy): refused, naming the file, and the database unchanged.
  TempDir other;
  const std::string wrong = other.path() + "/master.key";
  ASSERT_TRUE(crypto::create_key_file(wrong));
  const std::string before = stored_setting(s, "signing_key");
  auto mismatch = failed_start(s, " --key-file " + wrong);
  EXPECT_NE(mismatch.exit_code, 0);
  EXPECT_NE(mismatch.output.find(wrong), std::string::npos) << mismatch.output;
  EXPECT_NE(mismatch.output.find("same key file"), std::string::npos) << mismatch.output;
  EXPECT_EQ(stored_setting(s, "signing_key"), before);
  EXPECT_EQ(read_bytes(wrong).size(), 65u) << "the wrong file is not overwritten";

  std::filesystem::rename(kf + ".away", kf);
  EXPECT_EQ(read_bytes(kf), saved);
  s.start();
  EXPECT_EQ(public_key(s), pk);
}

// The encrypted backup's restore onto a fresh data dir (keys opened inside, sealed again under a
// new key file there): tests/e2e/backup_test.cpp:TakenWhileServingRestoresIntoAFreshServerWithTheSameSecrets.

TEST(ServerKeys, APlainBackupKeepsTheKeysSealedAndRestoresWithTheKeyFileCopied) {
  Server a;
  a.start();
  const std::string pk = public_key(a);
  TempDir files;
  const std::string file = files.path() + "/plain.backup";
  auto b = run_command(licsat_binary() + " backup" + store_flags(a) + " --out " + file);
  ASSERT_EQ(b.exit_code, 0) << b.output;
  EXPECT_NE(b.output.find(key_file(a)), std::string::npos) << "says which key file to keep with it: " << b.output;
  const std::string bytes = read_bytes(file);
  for (const auto& n : needles(unsealed_keys(a))) EXPECT_EQ(bytes.find(n), std::string::npos);

  Server fresh;
  auto r = run_command(licsat_binary() + " restore" + store_flags(fresh) + " --from " + file);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto without = failed_start(fresh);
  EXPECT_NE(without.exit_code, 0);
  EXPECT_NE(without.output.find(key_file(fresh)), std::string::npos) << without.output;

  std::filesystem::create_directories(fresh.data_dir() + "/keys");
  std::filesystem::copy_file(key_file(a), key_file(fresh));
  fresh.start();
  EXPECT_EQ(public_key(fresh), pk);
}
