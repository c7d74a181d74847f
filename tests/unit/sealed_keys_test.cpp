// U8: the server's keys sealed at rest under the key file's key. The seal itself (round trip,
// wrong key, altered bytes, a ciphertext moved to another setting), the key file (made 0600 in a
// 0700 directory, refused when others may read it, never overwritten) and the settings rows on
// both backends (made sealed, clear ones sealed in place, a wrong or missing key file refused
// with nothing changed).
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "core/config.h"
#include "core/crypto.h"
#include "core/key_file.h"
#include "core/key_wrap.h"
#include "store/sealed_keys.h"
#include "test_support.h"

using namespace licsat;

namespace {

crypto::Kek random_kek() {
  crypto::init();
  auto k = crypto::Kek::from_bytes(crypto::random_bytes(crypto::kKekBytes));
  EXPECT_TRUE(k);
  return *k;
}

int mode_of(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? static_cast<int>(st.st_mode & 0777) : -1;
}

class TempPath {
 public:
  TempPath() {
    char tmpl[] = "/tmp/licsat-keys-XXXXXX";
    dir_ = mkdtemp(tmpl);
  }
  ~TempPath() { std::filesystem::remove_all(dir_); }
  std::string dir_;
};

}  // namespace

TEST(KeyWrap, SealedValueOpensWithItsKeyAndHoldsNoClearByte) {
  auto kek = random_kek();
  const std::string clear = crypto::random_bytes(64);
  std::string sealed = crypto::seal(kek, "signing_key", clear);
  EXPECT_TRUE(crypto::is_sealed(sealed));
  EXPECT_EQ(crypto::sealed_key_id(sealed), kek.id());
  EXPECT_EQ(sealed.find(clear.substr(0, 8)), std::string::npos);
  EXPECT_EQ(sealed.find(crypto::to_hex(clear).substr(0, 16)), std::string::npos);
  auto back = crypto::unseal(kek, "signing_key", sealed);
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(*back, clear);
  EXPECT_NE(crypto::seal(kek, "signing_key", clear), sealed) << "a fresh nonce per seal";
}

TEST(KeyWrap, AnotherKeyIsRefusedNamingBothKeyIds) {
  auto kek = random_kek();
  auto other = random_kek();
  ASSERT_NE(kek.id(), other.id());
  std::string sealed = crypto::seal(kek, "hash_key", "secret-value");
  auto r = crypto::unseal(other, "hash_key", sealed);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find(kek.id()), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find(other.id()), std::string::npos) << r.error().message;

  // The same key id written on a value sealed by another key (a forged label) does not open either.
  std::string relabelled = sealed;
  relabelled.replace(relabelled.find(kek.id()), kek.id().size(), other.id());
  EXPECT_FALSE(crypto::unseal(other, "hash_key", relabelled));
}

TEST(KeyWrap, AlteredCiphertextOrAnotherSettingsNameIsRefused) {
  auto kek = random_kek();
  std::string sealed = crypto::seal(kek, "hash_key", "0123456789abcdef0123456789abcdef");
  auto colon = sealed.rfind(':');
  auto box = crypto::from_base64(sealed.substr(colon + 1));
  ASSERT_TRUE(box);
  for (size_t at : {size_t{0}, size_t{30}, box->size() - 1}) {  // nonce, ciphertext, tag
    std::string bad = *box;
    bad[at] = static_cast<char>(bad[at] ^ 0x01);
    auto r = crypto::unseal(kek, "hash_key", sealed.substr(0, colon + 1) + crypto::to_base64(bad));
    EXPECT_FALSE(r) << "byte " << at;
  }
  EXPECT_FALSE(crypto::unseal(kek, "signing_key", sealed)) << "a hash key moved into the signing key's row";
  EXPECT_FALSE(crypto::unseal(kek, "hash_key", sealed.substr(0, sealed.size() - 4)));
  EXPECT_FALSE(crypto::unseal(kek, "hash_key", "sealed:v1:zz"));
  EXPECT_FALSE(crypto::unseal(kek, "hash_key", "clear-value"));
}

TEST(KeyFile, MadeOwnerOnlyInAnOwnerOnlyDirectoryAndNeverOverwritten) {
  TempPath t;
  const std::string path = t.dir_ + "/keys/master.key";
  EXPECT_EQ(crypto::read_key_file(path).error().code, ErrorCode::kNotFound);
  auto made = crypto::create_key_file(path);
  ASSERT_TRUE(made) << made.error().message;
  EXPECT_EQ(mode_of(path), 0600);
  EXPECT_EQ(mode_of(t.dir_ + "/keys"), 0700);
  auto again = crypto::create_key_file(path);  // a second node racing the first one
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(again->id(), made->id());
  auto read = crypto::read_key_file(path);
  ASSERT_TRUE(read);
  EXPECT_EQ(read->bytes(), made->bytes());
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(t.dir_ + "/keys"), {}), 1) << "no temporary left";
}

TEST(KeyFile, ReadableByOthersOrNotAKeyIsRefusedNamingTheFile) {
  TempPath t;
  const std::string path = t.dir_ + "/master.key";
  ASSERT_TRUE(crypto::create_key_file(path));
  ::chmod(path.c_str(), 0644);
  auto r = crypto::read_key_file(path);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find(path), std::string::npos);
  EXPECT_NE(r.error().message.find("0644"), std::string::npos) << r.error().message;
  ::chmod(path.c_str(), 0640);
  EXPECT_FALSE(crypto::read_key_file(path));

  const std::string junk = t.dir_ + "/junk.key";
  std::ofstream(junk) << "not a key\n";
  ::chmod(junk.c_str(), 0600);
  auto j = crypto::read_key_file(junk);
  ASSERT_FALSE(j);
  EXPECT_NE(j.error().message.find("does not hold a key"), std::string::npos) << j.error().message;
}

class SealedKeysTest : public test::BackendStoreTest {
 protected:
  SealedKeysTest() : BackendStoreTest("licsat_keys") {}

  std::string raw(const std::string& name) {
    auto v = store_->get_setting(name);
    EXPECT_TRUE(v);
    return v && *v ? **v : "";
  }
  void put_clear(const std::string& name, const std::string& value) {
    ASSERT_TRUE(db_->transact(store::TxMode::kWrite, [&](store::Connection& c) -> Status {
      auto r = c.exec("INSERT INTO settings (key, value) VALUES ($1, $2)", {name, value});
      if (!r) return fail(r.error());
      return {};
    }));
  }
  std::string key_path() { return dir_.empty() ? "/tmp/licsat-keys-" + schema_ + ".key" : dir_ + "/master.key"; }
  void TearDown() override {
    std::filesystem::remove(key_path());
    BackendStoreTest::TearDown();
  }
};

INSTANTIATE_TEST_SUITE_P(Backends, SealedKeysTest, ::testing::Values("sqlite", "postgres"),
                         [](const auto& info) { return info.param; });

TEST_P(SealedKeysTest, FirstStartMakesTheKeyFileAndStoresOnlySealedKeys) {
  auto kek = store::key_for_database(*db_, key_path());
  ASSERT_TRUE(kek) << kek.error().message;
  EXPECT_EQ(mode_of(key_path()), 0600);
  auto keys = store::load_sealed_keys(*db_, *kek, key_path(), "hash-key-value", "ab01");
  ASSERT_TRUE(keys) << keys.error().message;
  EXPECT_EQ(keys->hash_key, "hash-key-value");
  EXPECT_EQ(keys->signing_key, "ab01");
  EXPECT_EQ(keys->sealed_now, 0);
  EXPECT_TRUE(crypto::is_sealed(raw("hash_key")));
  EXPECT_TRUE(crypto::is_sealed(raw("signing_key")));

  // The next start reads the same keys; the fresh candidates are not used.
  auto again = store::load_sealed_keys(*db_, *kek, key_path(), "other", "cd02");
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(again->hash_key, "hash-key-value");
  EXPECT_EQ(again->signing_key, "ab01");
}

TEST_P(SealedKeysTest, KeysInClearAreSealedInPlace) {
  put_clear("hash_key", "old-clear-hash-key");
  put_clear("signing_key", "0badc0de");
  auto kek = store::key_for_database(*db_, key_path());
  ASSERT_TRUE(kek) << kek.error().message;
  auto keys = store::load_sealed_keys(*db_, *kek, key_path(), "unused", "unused");
  ASSERT_TRUE(keys) << keys.error().message;
  EXPECT_EQ(keys->sealed_now, 2);
  EXPECT_EQ(keys->hash_key, "old-clear-hash-key");
  EXPECT_EQ(keys->signing_key, "0badc0de");
  EXPECT_EQ(raw("hash_key").find("old-clear-hash-key"), std::string::npos);
  EXPECT_TRUE(crypto::is_sealed(raw("signing_key")));
}

TEST_P(SealedKeysTest, AWrongKeyFileIsRefusedNamingItAndChangesNothing) {
  auto kek = store::key_for_database(*db_, key_path());
  ASSERT_TRUE(kek);
  ASSERT_TRUE(store::load_sealed_keys(*db_, *kek, key_path(), "hk", "ab"));
  const std::string before_hk = raw("hash_key"), before_sk = raw("signing_key");

  auto other = random_kek();
  auto r = store::load_sealed_keys(*db_, other, "/elsewhere/master.key", "x", "y");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("/elsewhere/master.key"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find(kek->id()), std::string::npos) << r.error().message;
  EXPECT_EQ(raw("hash_key"), before_hk);
  EXPECT_EQ(raw("signing_key"), before_sk);

  // A key file that is missing is not made anew over sealed keys.
  std::filesystem::remove(key_path());
  auto missing = store::key_for_database(*db_, key_path());
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find(key_path()), std::string::npos) << missing.error().message;
  EXPECT_NE(missing.error().message.find(kek->id()), std::string::npos) << missing.error().message;
  EXPECT_FALSE(std::filesystem::exists(key_path()));
}

TEST_P(SealedKeysTest, OneClearKeyAndOneUnderAnotherKeyRollsBackTheSealing) {
  auto first = random_kek();
  put_clear("hash_key", "clear-hk");
  put_clear("signing_key", crypto::seal(first, "signing_key", "ab"));
  auto other = random_kek();
  EXPECT_FALSE(store::load_sealed_keys(*db_, other, key_path(), "x", "y"));
  EXPECT_EQ(raw("hash_key"), "clear-hk") << "the refused start sealed nothing";
}

TEST(KeyFile, ConfigNamesItUnderServerAndDefaultsToTheDataDirectory) {
  ServerConfig cfg;
  cfg.data_dir = "/var/lib/licsat";
  EXPECT_EQ(key_file_path(cfg), "/var/lib/licsat/keys/master.key");
  ASSERT_TRUE(apply_config_text(cfg, "[server]\nkey_file = \"/etc/licsat/master.key\"\n", "test"));
  EXPECT_EQ(key_file_path(cfg), "/etc/licsat/master.key");
}
