// licsat backup / licsat restore as an operator runs them: a backup taken while the server serves
// restores into a fresh store, where a new server accepts the same admin password and the same
// grant secrets (the keys came along); a used store and a wrong passphrase are refused with a
// clear message and a non-zero exit. Runs on SQLite, or on PostgreSQL with LICSAT_E2E_PG_URL.
#include <sys/stat.h>

#include <fstream>

#include "harness.h"

using namespace licsat::e2e;

namespace {

std::string store_flags(const Server& s) {
  std::string f = " --data " + s.data_dir();
  if (!s.database_url().empty()) f += " --database '" + s.database_url() + "'";
  return f;
}

Reply token_for(const Server& s, const nlohmann::json& grant) {
  RequestOptions o;
  o.content_type = "application/x-www-form-urlencoded";
  return s.post("/oauth/token",
                "grant_type=client_credentials&client_id=" + grant["client_id"].get<std::string>() +
                    "&client_secret=" + grant["client_secret"].get<std::string>(),
                o);
}

TEST(Backup, TakenWhileServingRestoresIntoAFreshServerWithTheSameSecrets) {
  Server a;
  a.start();
  const std::string admin = a.login();
  const auto grant = a.create_grant("monitoring", "client_credentials", admin);
  ASSERT_EQ(token_for(a, grant).status, 200);
  const auto server_key = a.get("/api/v1/server-key").json()["publicKey"];

  TempDir files;
  const std::string file = files.path() + "/licsat.backup";
  const std::string pass = files.path() + "/pass";
  std::ofstream(pass) << "a long backup passphrase\n";
  auto b = run_command(licsat_binary() + " backup" + store_flags(a) + " --out " + file + " --passphrase-file " + pass);
  ASSERT_EQ(b.exit_code, 0) << b.output;
  EXPECT_NE(b.output.find("(encrypted)"), std::string::npos) << b.output;
  struct stat st {};
  ASSERT_EQ(::stat(file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(token_for(a, grant).status, 200);  // the server went on serving

  Server fresh;
  auto wrong_file = files.path() + "/wrong";
  std::ofstream(wrong_file) << "not the passphrase\n";
  auto wrong = run_command(licsat_binary() + " restore" + store_flags(fresh) + " --from " + file +
                           " --passphrase-file " + wrong_file);
  EXPECT_NE(wrong.exit_code, 0);
  EXPECT_NE(wrong.output.find("wrong passphrase"), std::string::npos) << wrong.output;

  auto r = run_command(licsat_binary() + " restore" + store_flags(fresh) + " --from " + file + " --passphrase-file " +
                       pass);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("restored"), std::string::npos) << r.output;

  fresh.start();
  const std::string admin2 = fresh.login();  // the same password hash
  EXPECT_EQ(token_for(fresh, grant).status, 200) << "the grant's secret verifies with the restored hash key";
  // The encrypted backup carries the server keys opened: the fresh data dir had no key file, made
  // its own at start and sealed the same signing key under it (tests/e2e/server_keys_test.cpp).
  EXPECT_EQ(fresh.get("/api/v1/server-key").json()["publicKey"], server_key);
  std::ifstream ka(a.data_dir() + "/keys/master.key"), kb(fresh.data_dir() + "/keys/master.key");
  std::string key_a, key_b;
  ka >> key_a;
  kb >> key_b;
  EXPECT_EQ(key_b.size(), 64u);
  EXPECT_NE(key_a, key_b);
  RequestOptions o;
  o.bearer = admin2;
  auto ev = fresh.get("/api/v1/admin/events?action=grant.create&limit=100", o);
  ASSERT_EQ(ev.status, 200);
  EXPECT_NE(ev.body.find("monitoring"), std::string::npos) << ev.body;

  // Restoring again onto the store now in use is refused, and changes nothing.
  auto again = run_command(licsat_binary() + " restore" + store_flags(fresh) + " --from " + file +
                           " --passphrase-file " + pass);
  EXPECT_NE(again.exit_code, 0);
  EXPECT_NE(again.output.find("not empty"), std::string::npos) << again.output;
  EXPECT_EQ(token_for(fresh, grant).status, 200);
}

TEST(Backup, RefusesAMissingStoreAndACutFile) {
  TempDir files;
  auto none = run_command(licsat_binary() + " backup --data " + files.path() + "/nothing --out " + files.path() + "/b");
  EXPECT_NE(none.exit_code, 0);
  EXPECT_NE(none.output.find("no licsat database"), std::string::npos) << none.output;

  Server a;
  a.start();
  const std::string file = files.path() + "/plain.backup";
  auto b = run_command(licsat_binary() + " backup" + store_flags(a) + " --out " + file);
  ASSERT_EQ(b.exit_code, 0) << b.output;
  std::ifstream in(file, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), {});
  std::ofstream(file + ".cut", std::ios::binary) << bytes.substr(0, bytes.size() - 10);

  Server fresh;
  auto r = run_command(licsat_binary() + " restore" + store_flags(fresh) + " --from " + file + ".cut");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("truncated"), std::string::npos) << r.output;
  if (fresh.database_url().empty()) {  // nothing half-made is left behind
    EXPECT_FALSE(std::ifstream(fresh.data_dir() + "/licsat.db").good());
  }
}

}  // namespace
