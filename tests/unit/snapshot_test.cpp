// Backup and restore of the whole store (store/snapshot.h, cli/backup_file.h): every row comes
// back equal on either backend and across them, and a restore refuses a used target, a damaged,
// cut or altered file, a wrong passphrase and a newer schema, leaving the target without a row.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "cli/backup_file.h"
#include "core/crypto.h"
#include "store/db.h"
#include "store/migrations.h"
#include "store/snapshot.h"

namespace licsat {
namespace {

using store::Value;

// Fresh, empty databases of either kind, removed at the end of the test.
class Databases {
 public:
  Databases() {
    char tmpl[] = "/tmp/licsat-snapshot-XXXXXX";
    dir_ = mkdtemp(tmpl);
  }
  ~Databases() {
    for (const auto& s : schemas_)
      (void)admin_->transact(store::TxMode::kWrite,
                             [&](store::Connection& c) { return c.exec_script("DROP SCHEMA " + s + " CASCADE"); });
    std::filesystem::remove_all(dir_);
  }
  static bool have_postgres() {
    const char* u = std::getenv("LICSAT_TEST_PG_URL");
    return u && *u;
  }
  std::unique_ptr<store::Database> make(const std::string& kind) {
    if (kind == "sqlite") {
      auto db = store::open_sqlite(dir_ + "/db" + std::to_string(++n_) + ".sqlite");
      EXPECT_TRUE(db) << db.error().message;
      return db ? std::move(*db) : nullptr;
    }
    std::string url = std::getenv("LICSAT_TEST_PG_URL");
    if (!admin_) admin_ = std::move(*store::open_postgres(url, 1));
    std::string schema = "snapshot_" + std::to_string(::getpid()) + "_" + std::to_string(++n_);
    EXPECT_TRUE(admin_->transact(store::TxMode::kWrite,
                                 [&](store::Connection& c) { return c.exec_script("CREATE SCHEMA " + schema); }));
    schemas_.push_back(schema);
    url += (url.find('?') == std::string::npos ? "?" : "&");
    url += "options=-csearch_path%3D" + schema;
    auto db = store::open_postgres(url, 2);
    EXPECT_TRUE(db) << db.error().message;
    return db ? std::move(*db) : nullptr;
  }
  std::string path(const std::string& name) const { return dir_ + "/" + name; }

 private:
  std::string dir_;
  std::unique_ptr<store::Database> admin_;
  std::vector<std::string> schemas_;
  int n_ = 0;
};

// Rows of every table, each as a printable line, in a set: equal sets are equal stores.
class Dump : public store::SnapshotSink {
 public:
  Status begin(int64_t v) override {
    version = v;
    return {};
  }
  Status table(const std::string& name, const std::vector<std::string>& columns) override {
    current = name;
    std::string c;
    for (const auto& n : columns) c += n + ",";
    tables[name].insert("columns:" + c);
    return {};
  }
  Status row(const std::vector<Value>& values) override {
    std::string r;
    for (const auto& v : values) {
      if (auto* i = std::get_if<int64_t>(&v)) r += "i" + std::to_string(*i) + "|";
      else if (auto* s = std::get_if<std::string>(&v)) r += "s" + crypto::to_hex(*s) + "|";
      else r += "null|";
    }
    tables[current].insert(r);
    ++rows;
    return {};
  }
  Status end() override { return {}; }

  int64_t version = 0;
  int64_t rows = 0;
  std::string current;
  std::map<std::string, std::multiset<std::string>> tables;
};

Dump dump(store::Database& db) {
  Dump d;
  auto s = store::read_snapshot(db, d);
  EXPECT_TRUE(s) << s.error().message;
  return d;
}

// A store with rows in every kind of table: more than a page (1,000 rows) of events and of
// device usage (a two-column key), ids with gaps, NULLs, quotes, newlines and non-ASCII text.
void populate(store::Database& db, int devices = 1200, int events = 2500) {
  ASSERT_TRUE(store::migrate(db));
  auto s = db.transact(store::TxMode::kWrite, [&](store::Connection& c) -> Status {
    auto run = [&](std::string_view sql, const std::vector<Value>& p) -> Status {
      auto r = c.exec(sql, p);
      if (!r) return fail(r.error());
      return {};
    };
    for (const char* u : {"admin", "vmanage"})
      if (auto r = run("INSERT INTO users (name, role, password_hash, created_at, created_by) VALUES ($1, 'admin', "
                       "'$argon2id$x', 1, 'setup')",
                       {std::string(u)});
          !r)
        return r;
    if (auto r = run("INSERT INTO settings (key, value) VALUES ('hash_key', $1), ('signing_key', $2)",
                     {std::string("k\"ey\n1"), std::string("é∑")});
        !r)
      return r;
    for (int64_t g = 1; g <= 3; ++g)
      if (auto r = run("INSERT INTO api_grants (id, name, type, client_id, secret_hash, role, created_at, created_by) "
                       "VALUES ($1, $2, 'client_credentials', $3, 'h', 'operator', 5, 'admin')",
                       {g * 10, "grant " + std::to_string(g), "cid" + std::to_string(g)});
          !r)
        return r;
    if (auto r = run("INSERT INTO tokens (hash, kind, grant_id, client_id, username, role, scope, expires, created_at) "
                     "VALUES ('t1', 'access', 10, 'cid1', NULL, 'operator', '', 99, 1), "
                     "('t2', 'refresh', NULL, 'licsat-admin', 'admin', 'admin', '', 99, 1)",
                     {});
        !r)
      return r;
    for (int i = 0; i < events; ++i)
      if (auto r = run("INSERT INTO events (time, actor, source_ip, action, outcome, detail) VALUES ($1, 'admin', "
                       "'127.0.0.1', 'token.issue', 'success', $2)",
                       {int64_t{i}, "detail 'quoted' \"x\" line\nnext ü " + std::to_string(i)});
          !r)
        return r;
    if (auto r = run("INSERT INTO smart_accounts (name, created_at, created_by) VALUES ('acme', 1, 'admin')", {}); !r)
      return r;
    if (auto r = run("INSERT INTO virtual_accounts (account_id, name, created_at, created_by) VALUES (1, 'DEFAULT', "
                     "1, 'admin'), (1, 'lab', 1, 'admin')",
                     {});
        !r)
      return r;
    if (auto r = run("INSERT INTO license_pools (va_id, tag, display_name, kind, quantity, created_at, updated_at) "
                     "VALUES (1, 'tag_a', 'A', 'perpetual', 5000, 1, 1), (2, 'tag_b', 'B', 'term', 7, 1, 1)",
                     {});
        !r)
      return r;
    for (int d = 1; d <= devices; ++d) {
      if (auto r = run("INSERT INTO devices (account_id, va_id, pid, sn, last_report) VALUES (1, 1, 'C8000', $1, 3)",
                       {"SN" + std::to_string(d)});
          !r)
        return r;
      for (const char* tag : {"tag_a", "tag_b"})
        if (auto r = run("INSERT INTO device_usage (device_id, tag, va_id, count, period_start, period_end, "
                         "report_id) VALUES ($1, $2, 1, 1, 0, 1, 'r')",
                         {int64_t{d}, std::string(tag)});
            !r)
          return r;
    }
    return run("INSERT INTO va_devices (va_id, devices) VALUES (1, $1)", {int64_t{devices}});
  });
  ASSERT_TRUE(s) << s.error().message;
}

Result<store::RestoreSummary> restore_file(store::Database& db, const std::string& path,
                                           const std::optional<std::string>& pass = {}) {
  auto in = cli::BackupReader::open(path, pass);
  if (!in) return fail(in.error());
  return store::restore_snapshot(db, **in);
}

void backup_to(store::Database& db, const std::string& path, const std::optional<std::string>& pass = {}) {
  auto out = cli::BackupWriter::create(path, pass, db.describe());
  ASSERT_TRUE(out) << out.error().message;
  auto s = store::read_snapshot(db, **out);
  ASSERT_TRUE(s) << s.error().message;
  ASSERT_TRUE((*out)->commit());
}

// Rows in every table; 0 for a database not even migrated.
int64_t rows_in(store::Database& db) {
  auto v = store::schema_version_of(db);
  EXPECT_TRUE(v);
  return v && *v > 0 ? dump(db).rows : 0;
}

class Snapshot : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    crypto::init();
    if (GetParam() == "postgres" && !Databases::have_postgres())
      GTEST_SKIP() << "set LICSAT_TEST_PG_URL to run the PostgreSQL tests";
  }
  Databases dbs_;
};

TEST_P(Snapshot, RestoreGivesBackEveryRowAndTheFileIsOwnerOnly) {
  auto src = dbs_.make(GetParam());
  populate(*src);
  const std::string file = dbs_.path("b.jsonl");
  backup_to(*src, file);
  EXPECT_EQ(std::filesystem::status(file).permissions(), std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  EXPECT_FALSE(std::filesystem::exists(file + ".tmp"));

  auto dst = dbs_.make(GetParam());
  auto sum = restore_file(*dst, file);
  ASSERT_TRUE(sum) << sum.error().message;
  Dump a = dump(*src), b = dump(*dst);
  EXPECT_EQ(a.rows, sum->rows);
  EXPECT_GT(a.rows, 2500 + 2400);
  EXPECT_EQ(a.tables, b.tables);
  EXPECT_EQ(a.version, b.version);
  // New rows get fresh ids after the restored ones (PostgreSQL's sequences moved past them).
  auto added = dst->transact(store::TxMode::kWrite, [](store::Connection& c) -> Status {
    auto r = c.query("INSERT INTO events (time, actor, source_ip, action, outcome, detail) VALUES (9, 'a', '', 'x', "
                     "'success', '') RETURNING id");
    if (!r) return fail(r.error());
    EXPECT_EQ(r->front().i64(0), 2501);
    return {};
  });
  EXPECT_TRUE(added) << added.error().message;
}

TEST_P(Snapshot, EncryptedBackupRestoresOnlyWithItsPassphrase) {
  auto src = dbs_.make(GetParam());
  populate(*src, 10, 20);
  const std::string file = dbs_.path("b.enc");
  backup_to(*src, file, std::string("correct horse"));
  std::ifstream raw(file, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(raw)), {});
  EXPECT_EQ(bytes.find("token.issue"), std::string::npos);  // nothing in clear

  auto dst = dbs_.make(GetParam());
  auto wrong = restore_file(*dst, file, std::string("wrong horse"));
  ASSERT_FALSE(wrong);
  EXPECT_NE(wrong.error().message.find("wrong passphrase"), std::string::npos) << wrong.error().message;
  auto none = restore_file(*dst, file);
  ASSERT_FALSE(none);
  EXPECT_NE(none.error().message.find("encrypted"), std::string::npos) << none.error().message;
  auto ok = restore_file(*dst, file, std::string("correct horse"));
  ASSERT_TRUE(ok) << ok.error().message;
  EXPECT_EQ(dump(*src).tables, dump(*dst).tables);
}

TEST_P(Snapshot, RestoreRefusesATargetWithRows) {
  auto src = dbs_.make(GetParam());
  populate(*src, 5, 5);
  const std::string file = dbs_.path("b.jsonl");
  backup_to(*src, file);
  auto r = restore_file(*src, file);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kConflict);
  EXPECT_NE(r.error().message.find("not empty"), std::string::npos) << r.error().message;
}

// Cut at several places, or one byte changed: refused, and the target keeps no row.
TEST_P(Snapshot, RestoreRefusesCutOrAlteredFilesAndWritesNothing) {
  auto src = dbs_.make(GetParam());
  populate(*src, 60, 1500);  // over 64 KiB: several encrypted chunks
  for (bool encrypted : {false, true}) {
    const std::string file = dbs_.path(encrypted ? "b.enc" : "b.jsonl");
    std::optional<std::string> pass;
    if (encrypted) pass = "pass phrase";
    backup_to(*src, file, pass);
    std::ifstream raw(file, std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(raw)), {});
    std::vector<std::pair<std::string, std::string>> damaged;
    for (size_t cut : {bytes.size() / 2, bytes.size() - 1, bytes.size() - 30})
      damaged.emplace_back("cut at " + std::to_string(cut), bytes.substr(0, cut));
    std::string flipped = bytes;
    size_t at = flipped.rfind("SN50");
    if (encrypted) at = bytes.size() / 2;
    ASSERT_NE(at, std::string::npos);
    flipped[at + 2] = flipped[at + 2] == '9' ? '8' : '9';
    damaged.emplace_back("one byte changed", flipped);
    damaged.emplace_back("data after the end", bytes + (encrypted ? std::string("xx") : std::string("[1]\n")));
    for (const auto& [what, content] : damaged) {
      SCOPED_TRACE((encrypted ? "encrypted, " : "plain, ") + what);
      const std::string bad = dbs_.path("bad");
      std::ofstream(bad, std::ios::binary | std::ios::trunc) << content;
      auto dst = dbs_.make(GetParam());
      auto r = restore_file(*dst, bad, pass);
      ASSERT_FALSE(r);
      EXPECT_TRUE(r.error().message.find("truncated") != std::string::npos ||
                  r.error().message.find("altered") != std::string::npos)
          << r.error().message;
      EXPECT_EQ(rows_in(*dst), 0);
    }
  }
}

// A backup from a newer licsat (a schema this build does not know) is refused before any change.
TEST_P(Snapshot, RestoreRefusesANewerSchema) {
  const std::string file = dbs_.path("future.jsonl");
  {
    auto out = cli::BackupWriter::create(file, std::nullopt, "test");
    ASSERT_TRUE(out);
    ASSERT_TRUE((*out)->begin(9999));
    ASSERT_TRUE((*out)->end());
    ASSERT_TRUE((*out)->commit());
  }
  auto dst = dbs_.make(GetParam());
  auto r = restore_file(*dst, file);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("newer than this licsat"), std::string::npos) << r.error().message;
  auto v = store::schema_version_of(*dst);
  ASSERT_TRUE(v);
  EXPECT_EQ(*v, 0);  // not even migrated
}

INSTANTIATE_TEST_SUITE_P(Backends, Snapshot, ::testing::Values("sqlite", "postgres"),
                         [](const auto& info) { return info.param; });

// The way to move from the embedded store to PostgreSQL, and back: every row equal after both.
TEST(SnapshotAcrossBackends, SqliteToPostgresToSqliteKeepsEveryRow) {
  crypto::init();
  if (!Databases::have_postgres()) GTEST_SKIP() << "set LICSAT_TEST_PG_URL to run the PostgreSQL tests";
  Databases dbs;
  auto lite = dbs.make("sqlite");
  populate(*lite);
  backup_to(*lite, dbs.path("1.jsonl"));
  auto pg = dbs.make("postgres");
  ASSERT_TRUE(restore_file(*pg, dbs.path("1.jsonl")));
  backup_to(*pg, dbs.path("2.jsonl"), std::string("p"));
  auto back = dbs.make("sqlite");
  ASSERT_TRUE(restore_file(*back, dbs.path("2.jsonl"), std::string("p")));
  Dump a = dump(*lite), b = dump(*pg), c = dump(*back);
  EXPECT_EQ(a.tables, b.tables);
  EXPECT_EQ(a.tables, c.tables);
  EXPECT_GT(a.rows, 2500 + 2400);
}

// SQLite keeps bytes that are not UTF-8 in TEXT; the backup carries them (as base64) unchanged.
TEST(SnapshotSqlite, BytesThatAreNotUtf8SurviveTheRoundTrip) {
  crypto::init();
  Databases dbs;
  auto src = dbs.make("sqlite");
  ASSERT_TRUE(store::migrate(*src));
  const std::string odd("\xff\xfe\xc0\x80 bytes", 10);
  ASSERT_TRUE(src->transact(store::TxMode::kWrite, [&](store::Connection& c) -> Status {
    auto r = c.exec("INSERT INTO settings (key, value) VALUES ('odd', $1)", {odd});
    if (!r) return fail(r.error());
    return {};
  }));
  backup_to(*src, dbs.path("b.jsonl"));
  auto dst = dbs.make("sqlite");
  ASSERT_TRUE(restore_file(*dst, dbs.path("b.jsonl")));
  EXPECT_EQ(dump(*src).tables, dump(*dst).tables);
  EXPECT_EQ(dump(*dst).rows, 1);
}

}  // namespace
}  // namespace licsat
