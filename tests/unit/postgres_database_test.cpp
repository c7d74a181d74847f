// The PostgreSQL Database against a real server. Needs LICSAT_TEST_PG_URL, e.g.
//   export LICSAT_TEST_PG_URL=$(bash scripts/pg-test-cluster.sh start /tmp/pgt | tail -1)
//   ./build/tests/unit_tests --gtest_filter='Postgres*'
//   bash scripts/pg-test-cluster.sh stop /tmp/pgt
// Each test works in a schema of its own (through the URL's search_path), dropped at the end.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <latch>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "store/db.h"
#include "store/migrations.h"

namespace licsat::store {
namespace {

std::string env_url() {
  const char* u = std::getenv("LICSAT_TEST_PG_URL");
  return u ? u : "";
}

std::string random_name(const std::string& prefix) {
  static std::atomic<int> counter{0};
  std::random_device rd;
  return prefix + std::to_string(rd() % 1000000) + "_" + std::to_string(counter++);
}

std::string with_params(const std::string& url, const std::string& params) {
  return url + (url.find('?') == std::string::npos ? "?" : "&") + params;
}

// Inserts ":PASSWORD" after the user of postgresql://user@host/… (the test cluster trusts anyone).
std::string with_password(const std::string& url, const std::string& password) {
  auto scheme = url.find("://");
  auto at = url.find('@', scheme + 3);
  if (scheme == std::string::npos || at == std::string::npos) return url;
  return url.substr(0, at) + ":" + password + url.substr(at);
}

class PostgresDatabaseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    base_ = env_url();
    if (base_.empty()) GTEST_SKIP() << "set LICSAT_TEST_PG_URL to run the PostgreSQL tests";
    auto admin = open_postgres(base_, 2);
    ASSERT_TRUE(admin) << admin.error().message;
    admin_ = std::move(*admin);
    schema_ = random_name("licsat_t");
    ASSERT_TRUE(admin_->transact(TxMode::kWrite, [&](Connection& c) { return c.exec_script("CREATE SCHEMA " + schema_); }));
    url_ = schema_url(schema_);
    auto db = open_postgres(url_, 4);
    ASSERT_TRUE(db) << db.error().message;
    db_ = std::move(*db);
  }

  void TearDown() override {
    db_.reset();
    if (admin_ && !schema_.empty()) {
      auto s = admin_->transact(TxMode::kWrite,
                                [&](Connection& c) { return c.exec_script("DROP SCHEMA " + schema_ + " CASCADE"); });
      EXPECT_TRUE(s) << s.error().message;
    }
  }

  // A URL whose sessions work in `schema` and are named after it (to find them in pg_stat_activity).
  std::string schema_url(const std::string& schema) const {
    return with_params(base_, "options=-csearch_path%3D" + schema + "&application_name=" + schema);
  }

  Status script(const std::string& sql) {
    return db_->transact(TxMode::kWrite, [&](Connection& c) { return c.exec_script(sql); });
  }

  Result<int64_t> exec(const std::string& sql, const std::vector<Value>& params = {}) {
    int64_t n = 0;
    auto s = db_->transact(TxMode::kWrite, [&](Connection& c) -> Status {
      auto r = c.exec(sql, params);
      if (!r) return fail(r.error());
      n = *r;
      return {};
    });
    if (!s) return fail(s.error());
    return n;
  }

  Result<std::vector<Row>> query(const std::string& sql, const std::vector<Value>& params = {}) {
    std::vector<Row> rows;
    auto s = db_->transact(TxMode::kRead, [&](Connection& c) -> Status {
      auto r = c.query(sql, params);
      if (!r) return fail(r.error());
      rows = std::move(*r);
      return {};
    });
    if (!s) return fail(s.error());
    return rows;
  }

  int64_t scalar(const std::string& sql, const std::vector<Value>& params = {}) {
    auto r = query(sql, params);
    EXPECT_TRUE(r) << (r ? "" : r.error().message);
    if (!r || r->empty()) return -1;
    return r->front().i64(0);
  }

  std::string base_, schema_, url_;
  std::unique_ptr<Database> admin_, db_;
};

TEST_F(PostgresDatabaseTest, DialectAndDescribe) {
  EXPECT_EQ(db_->dialect(), Dialect::kPostgres);
  auto d = db_->describe();
  EXPECT_TRUE(d.starts_with("postgresql://")) << d;
  EXPECT_NE(d.find("127.0.0.1"), std::string::npos) << d;

  // A password never shows up: not in describe(), not in a connection error.
  const std::string secret = "Sup3r-S3cret-pw";
  auto with_pw = open_postgres(with_password(base_, secret), 2);
  ASSERT_TRUE(with_pw) << with_pw.error().message;
  EXPECT_EQ((*with_pw)->describe().find(secret), std::string::npos) << (*with_pw)->describe();
  EXPECT_NE((*with_pw)->describe().find(":***@"), std::string::npos) << (*with_pw)->describe();

  auto bad = open_postgres("postgresql://someone:" + secret + "@127.0.0.1:1/licsat?connect_timeout=2", 2);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(bad.error().message.find(secret), std::string::npos) << bad.error().message;

  auto bad2 = open_postgres("postgresql://127.0.0.1:1/licsat?connect_timeout=2&password=" + secret, 2);
  ASSERT_FALSE(bad2);
  EXPECT_EQ(bad2.error().message.find(secret), std::string::npos) << bad2.error().message;

  auto garbage = open_postgres("postgresql://u:" + secret + "@127.0.0.1:1/licsat?nosuchoption=1", 2);
  ASSERT_FALSE(garbage);
  EXPECT_EQ(garbage.error().message.find(secret), std::string::npos) << garbage.error().message;
}

TEST_F(PostgresDatabaseTest, QueryExecRoundTripIntTextNull) {
  ASSERT_TRUE(script("CREATE TABLE kv (id BIGINT PRIMARY KEY, name TEXT NOT NULL, note TEXT, flag INTEGER NOT NULL, "
                     "small SMALLINT)"));
  const int64_t big = 9'000'000'000'123;  // beyond int4
  auto n = exec("INSERT INTO kv (id, name, note, flag, small) VALUES ($1, $2, $3, $4, $5)",
                {big, std::string("ünïcødé 'quoted' $1 -- not a comment"), nullptr, int64_t{1}, int64_t{7}});
  ASSERT_TRUE(n) << n.error().message;
  EXPECT_EQ(*n, 1);
  ASSERT_TRUE(exec("INSERT INTO kv (id, name, note, flag) VALUES ($1, $2, $3, $4)",
                   {int64_t{-5}, std::string(""), std::string("note"), int64_t{0}}));

  auto rows = query("SELECT id, name, note, flag, small FROM kv ORDER BY id DESC");
  ASSERT_TRUE(rows) << rows.error().message;
  ASSERT_EQ(rows->size(), 2u);
  const Row& r = (*rows)[0];
  ASSERT_TRUE(std::holds_alternative<int64_t>(r.cols[0]));
  EXPECT_EQ(std::get<int64_t>(r.cols[0]), big);
  ASSERT_TRUE(std::holds_alternative<std::string>(r.cols[1]));
  EXPECT_EQ(r.str(1), "ünïcødé 'quoted' $1 -- not a comment");
  EXPECT_TRUE(r.is_null(2));
  ASSERT_TRUE(std::holds_alternative<int64_t>(r.cols[3]));
  EXPECT_EQ(r.i64(3), 1);
  ASSERT_TRUE(std::holds_alternative<int64_t>(r.cols[4]));
  EXPECT_EQ(r.i64(4), 7);
  EXPECT_EQ((*rows)[1].i64(0), -5);
  EXPECT_EQ((*rows)[1].str(1), "");
  EXPECT_FALSE((*rows)[1].is_null(1));
  EXPECT_EQ((*rows)[1].str(2), "note");
  EXPECT_TRUE((*rows)[1].is_null(4));

  // exec reports the rows changed; a miss changes none.
  auto upd = exec("UPDATE kv SET flag = flag + $1", {int64_t{10}});
  ASSERT_TRUE(upd) << upd.error().message;
  EXPECT_EQ(*upd, 2);
  auto none = exec("DELETE FROM kv WHERE id = $1", {int64_t{404}});
  ASSERT_TRUE(none);
  EXPECT_EQ(*none, 0);

  // Aggregates, booleans and 64-bit arithmetic on a parameter come back as integers.
  EXPECT_EQ(scalar("SELECT COUNT(*) FROM kv"), 2);
  EXPECT_EQ(scalar("SELECT SUM(flag) FROM kv"), 21);
  EXPECT_EQ(scalar("SELECT $1 + 1", {big}), big + 1);
  EXPECT_EQ(scalar("SELECT id = $1 FROM kv WHERE id = $1", {big}), 1);
  auto sum = query("SELECT SUM(flag), MAX(name), 1.5 FROM kv");
  ASSERT_TRUE(sum);
  EXPECT_TRUE(std::holds_alternative<int64_t>((*sum)[0].cols[0]));
  EXPECT_TRUE(std::holds_alternative<std::string>((*sum)[0].cols[2]));

  // Parameters the server cannot type on its own still work (fallback typing), inside a
  // transaction too, without disturbing it.
  EXPECT_EQ(scalar("SELECT $1 IS NULL", {nullptr}), 1);
  EXPECT_EQ(scalar("SELECT COUNT(*) FROM kv WHERE $1 = '' OR name = $1", {std::string("")}), 2);
  EXPECT_EQ(scalar("SELECT COUNT(*) FROM kv WHERE $1 = '' OR name = $1", {std::string("note")}), 0);
  EXPECT_EQ(scalar("SELECT COUNT(*) FROM kv WHERE ($1 = 0 OR flag = $1) AND ($2 = '' OR note = $2)",
                   {int64_t{0}, std::string("note")}),
            1);
  auto sub = query("SELECT substr(name, 1, $1) FROM kv WHERE id = $2", {int64_t{3}, big});
  ASSERT_TRUE(sub) << sub.error().message;
  EXPECT_EQ(sub->front().str(0), "ünï");
  auto tx = db_->transact(TxMode::kWrite, [&](Connection& c) -> Status {
    if (auto r = c.exec("INSERT INTO kv (id, name, flag) VALUES ($1, 'tx', 0)", {int64_t{77}}); !r) return fail(r.error());
    auto r = c.query("SELECT $1 IS NULL, $2 IS NULL", {nullptr, std::string("x")});
    if (!r) return fail(r.error());
    EXPECT_EQ(r->front().i64(0), 1);
    EXPECT_EQ(r->front().i64(1), 0);
    return {};
  });
  ASSERT_TRUE(tx) << tx.error().message;
  EXPECT_EQ(scalar("SELECT COUNT(*) FROM kv WHERE id = $1", {int64_t{77}}), 1);

  // A NUL byte cannot be stored in PostgreSQL text: refused, not silently truncated.
  auto nul = exec("INSERT INTO kv (id, name, flag) VALUES (1, $1, 0)", {std::string("a\0b", 3)});
  ASSERT_FALSE(nul);
  EXPECT_EQ(nul.error().code, ErrorCode::kInvalidArgument);

  // A broken statement is an internal error that carries the server's message.
  auto broken = query("SELECT nosuchcolumn FROM kv");
  ASSERT_FALSE(broken);
  EXPECT_EQ(broken.error().code, ErrorCode::kInternal);
  EXPECT_NE(broken.error().message.find("nosuchcolumn"), std::string::npos) << broken.error().message;
}

TEST_F(PostgresDatabaseTest, UniqueViolationIsConflict) {
  ASSERT_TRUE(script("CREATE TABLE u (name TEXT PRIMARY KEY, n INTEGER NOT NULL CHECK (n >= 0))"));
  ASSERT_TRUE(exec("INSERT INTO u (name, n) VALUES ($1, $2)", {std::string("a"), int64_t{1}}));
  auto dup = exec("INSERT INTO u (name, n) VALUES ($1, $2)", {std::string("a"), int64_t{2}});
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().code, ErrorCode::kConflict) << dup.error().message;
  auto check = exec("INSERT INTO u (name, n) VALUES ($1, $2)", {std::string("b"), int64_t{-1}});
  ASSERT_FALSE(check);
  EXPECT_EQ(check.error().code, ErrorCode::kConflict) << check.error().message;
  // ON CONFLICT is the way to not fail.
  auto upsert = exec("INSERT INTO u (name, n) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET n = $2",
                     {std::string("a"), int64_t{5}});
  ASSERT_TRUE(upsert) << upsert.error().message;
  EXPECT_EQ(scalar("SELECT n FROM u WHERE name = 'a'"), 5);
  // The connection that saw the error is usable again.
  for (int i = 0; i < 8; ++i) EXPECT_EQ(scalar("SELECT COUNT(*) FROM u"), 1);
}

TEST_F(PostgresDatabaseTest, TransactRollsBackOnError) {
  ASSERT_TRUE(script("CREATE TABLE t (id BIGINT PRIMARY KEY)"));
  auto s = db_->transact(TxMode::kWrite, [](Connection& c) -> Status {
    if (auto r = c.exec("INSERT INTO t (id) VALUES ($1)", {int64_t{1}}); !r) return fail(r.error());
    return fail(Error::invalid("changed my mind"));
  });
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(s.error().message, "changed my mind");
  EXPECT_EQ(scalar("SELECT COUNT(*) FROM t"), 0);

  // A function that ignores a failed statement cannot commit on PostgreSQL: the statement's error
  // is returned and nothing of the transaction stays.
  ASSERT_TRUE(exec("INSERT INTO t (id) VALUES (5)"));
  auto ignored = db_->transact(TxMode::kWrite, [](Connection& c) -> Status {
    if (auto r = c.exec("INSERT INTO t (id) VALUES ($1)", {int64_t{6}}); !r) return fail(r.error());
    (void)c.exec("INSERT INTO t (id) VALUES ($1)", {int64_t{5}});  // conflict, ignored
    return {};
  });
  ASSERT_FALSE(ignored);
  EXPECT_EQ(ignored.error().code, ErrorCode::kConflict) << ignored.error().message;
  EXPECT_EQ(scalar("SELECT COUNT(*) FROM t"), 1);

  // Success commits.
  ASSERT_TRUE(db_->transact(TxMode::kWrite, [](Connection& c) -> Status {
    for (int64_t i = 10; i < 13; ++i)
      if (auto r = c.exec("INSERT INTO t (id) VALUES ($1)", {i}); !r) return fail(r.error());
    return {};
  }));
  EXPECT_EQ(scalar("SELECT COUNT(*) FROM t"), 4);

  // A read transaction is read-only.
  auto write_in_read = db_->transact(TxMode::kRead, [](Connection& c) -> Status {
    auto r = c.exec("INSERT INTO t (id) VALUES (99)");
    if (!r) return fail(r.error());
    return {};
  });
  EXPECT_FALSE(write_in_read);
  EXPECT_EQ(scalar("SELECT COUNT(*) FROM t"), 4);
}

TEST_F(PostgresDatabaseTest, Returning) {
  ASSERT_TRUE(script(dialect_sql("CREATE TABLE g (id @@ID@@, name TEXT NOT NULL UNIQUE)", Dialect::kPostgres)));
  std::vector<int64_t> ids;
  for (const char* name : {"one", "two", "three"}) {
    auto s = db_->transact(TxMode::kWrite, [&](Connection& c) -> Status {
      auto r = c.query("INSERT INTO g (name) VALUES ($1) RETURNING id, name", {std::string(name)});
      if (!r) return fail(r.error());
      EXPECT_EQ(r->size(), 1u);
      EXPECT_TRUE(std::holds_alternative<int64_t>(r->front().cols[0]));
      EXPECT_EQ(r->front().str(1), name);
      ids.push_back(r->front().i64(0));
      return {};
    });
    ASSERT_TRUE(s) << s.error().message;
  }
  ASSERT_EQ(ids.size(), 3u);
  EXPECT_LT(ids[0], ids[1]);
  EXPECT_LT(ids[1], ids[2]);
  auto upd = query("UPDATE g SET name = name || '!' WHERE id >= $1 RETURNING id", {ids[1]});
  // (a write in a read transaction fails: use a write transaction for UPDATE … RETURNING)
  EXPECT_FALSE(upd);
  std::vector<Row> rows;
  ASSERT_TRUE(db_->transact(TxMode::kWrite, [&](Connection& c) -> Status {
    auto r = c.query("UPDATE g SET name = name || '!' WHERE id >= $1 RETURNING id", {ids[1]});
    if (!r) return fail(r.error());
    rows = *r;
    return {};
  }));
  EXPECT_EQ(rows.size(), 2u);
}

TEST_F(PostgresDatabaseTest, MigrationsApplyOnce) {
  auto first = migrate(*db_);
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_EQ(*first, static_cast<int>(embedded_migrations().size()));
  EXPECT_GT(*first, 0);
  auto second = migrate(*db_);
  ASSERT_TRUE(second) << second.error().message;
  EXPECT_EQ(*second, 0);
  EXPECT_EQ(scalar("SELECT COUNT(*) FROM schema_migrations"), static_cast<int64_t>(embedded_migrations().size()));

  // A failing migration is rolled back whole, reported, and the lock is released.
  std::vector<Migration> extra = embedded_migrations();
  extra.push_back({9001, "9001_broken", "CREATE TABLE half (id @@ID@@); SELECT nosuchfunction();"});
  auto broken = migrate(*db_, extra);
  ASSERT_FALSE(broken);
  EXPECT_NE(broken.error().message.find("9001_broken"), std::string::npos) << broken.error().message;
  EXPECT_EQ(scalar("SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = $1 AND table_name = 'half'",
                   {schema_}),
            0);
  extra.back() = {9001, "9001_fixed", "CREATE TABLE half (id @@ID@@, v TEXT);"};
  auto fixed = migrate(*db_, extra);
  ASSERT_TRUE(fixed) << fixed.error().message;
  EXPECT_EQ(*fixed, 1);
}

TEST_F(PostgresDatabaseTest, ConcurrentMigrationsFromSeveralNodes) {
  // Several "nodes" start at once on the same database: each migration is applied exactly once.
  std::vector<Migration> ms = {
      {1, "0001_a", "CREATE TABLE a (id @@ID@@, v TEXT); SELECT pg_sleep(0.2);"},
      {2, "0002_b", "CREATE TABLE b (id @@ID@@); INSERT INTO b DEFAULT VALUES;"},
  };
  constexpr int kNodes = 3;
  std::vector<std::unique_ptr<Database>> nodes;
  for (int i = 0; i < kNodes; ++i) {
    auto d = open_postgres(url_, 2);
    ASSERT_TRUE(d) << d.error().message;
    nodes.push_back(std::move(*d));
  }
  std::atomic<int> applied{0}, failures{0};
  std::vector<std::thread> threads;
  for (auto& n : nodes)
    threads.emplace_back([&, db = n.get()] {
      auto r = migrate(*db, ms);
      if (!r) ++failures;
      else applied += *r;
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(applied.load(), 2);
  EXPECT_EQ(scalar("SELECT COUNT(*) FROM b"), 1);
}

TEST_F(PostgresDatabaseTest, JobLockIsExclusiveBetweenDatabases) {
  auto other = open_postgres(url_, 2);
  ASSERT_TRUE(other) << other.error().message;
  const int64_t key = 0x5EED'0000'0000'0001 + static_cast<int64_t>(std::random_device{}() % 100000);

  auto a = db_->try_job_lock(key);
  ASSERT_TRUE(a) << a.error().message;
  EXPECT_TRUE(*a);
  auto b = (*other)->try_job_lock(key);
  ASSERT_TRUE(b) << b.error().message;
  EXPECT_FALSE(*b);
  // Held by a job of this process too: a second taker does not get it either.
  auto a2 = db_->try_job_lock(key);
  ASSERT_TRUE(a2);
  EXPECT_FALSE(*a2);
  // Another key is independent.
  auto c = (*other)->try_job_lock(key + 1);
  ASSERT_TRUE(c);
  EXPECT_TRUE(*c);
  // The lock survives ordinary work on the pool.
  EXPECT_EQ(scalar("SELECT 1"), 1);
  auto b1 = (*other)->try_job_lock(key);
  ASSERT_TRUE(b1);
  EXPECT_FALSE(*b1);

  db_->release_job_lock(key);
  auto b2 = (*other)->try_job_lock(key);
  ASSERT_TRUE(b2) << b2.error().message;
  EXPECT_TRUE(*b2);
  auto a3 = db_->try_job_lock(key);
  ASSERT_TRUE(a3);
  EXPECT_FALSE(*a3);

  // Closing a Database releases its locks.
  other->reset();
  auto a4 = db_->try_job_lock(key);
  ASSERT_TRUE(a4);
  EXPECT_TRUE(*a4);
  db_->release_job_lock(key);
  db_->release_job_lock(key);  // releasing twice is harmless
}

TEST_F(PostgresDatabaseTest, ConcurrentTransactFromFourThreads) {
  ASSERT_TRUE(script("CREATE TABLE counter (id INTEGER PRIMARY KEY, n BIGINT NOT NULL);"
                     "INSERT INTO counter VALUES (1, 0);"
                     "CREATE TABLE log (id BIGSERIAL PRIMARY KEY, thread INTEGER NOT NULL, seen BIGINT NOT NULL)"));
  constexpr int kThreads = 4, kEach = 50;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        auto s = db_->transact(TxMode::kWrite, [&](Connection& c) -> Status {
          auto r = c.query("UPDATE counter SET n = n + 1 WHERE id = 1 RETURNING n");
          if (!r) return fail(r.error());
          auto ins = c.exec("INSERT INTO log (thread, seen) VALUES ($1, $2)", {int64_t{t}, r->front().i64(0)});
          if (!ins) return fail(ins.error());
          return {};
        });
        if (!s) {
          ++failures;
          ADD_FAILURE() << s.error().message;
        }
        auto rd = db_->transact(TxMode::kRead, [&](Connection& c) -> Status {
          auto r = c.query("SELECT n FROM counter WHERE id = 1");
          if (!r) return fail(r.error());
          return {};
        });
        if (!rd) ++failures;
      }
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(scalar("SELECT n FROM counter WHERE id = 1"), kThreads * kEach);
  EXPECT_EQ(scalar("SELECT COUNT(DISTINCT seen) FROM log"), kThreads * kEach);
}

TEST_F(PostgresDatabaseTest, DeadlockIsRetried) {
  ASSERT_TRUE(script("CREATE TABLE acct (id INTEGER PRIMARY KEY, n BIGINT NOT NULL);"
                     "INSERT INTO acct VALUES (1, 0), (2, 0)"));
  std::latch both_hold_one(2);
  std::atomic<int> attempts{0}, failures{0};
  auto worker = [&](int64_t first, int64_t second) {
    bool first_attempt = true;
    auto s = db_->transact(TxMode::kWrite, [&](Connection& c) -> Status {
      ++attempts;
      if (auto r = c.exec("UPDATE acct SET n = n + 1 WHERE id = $1", {first}); !r) return fail(r.error());
      if (first_attempt) {
        first_attempt = false;
        both_hold_one.arrive_and_wait();  // now each waits for the other's row: a deadlock
      }
      if (auto r = c.exec("UPDATE acct SET n = n + 1 WHERE id = $1", {second}); !r) return fail(r.error());
      return {};
    });
    if (!s) {
      ++failures;
      ADD_FAILURE() << s.error().message;
    }
  };
  std::thread t1(worker, 1, 2), t2(worker, 2, 1);
  t1.join();
  t2.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_GE(attempts.load(), 3);  // the deadlock victim ran again
  EXPECT_EQ(scalar("SELECT SUM(n) FROM acct"), 4);
}

TEST_F(PostgresDatabaseTest, BrokenConnectionsAreReplaced) {
  // Warm the pool up, then have the server kill every session of this Database.
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i)
    threads.emplace_back([&] { EXPECT_EQ(scalar("SELECT COUNT(*) FROM pg_sleep(0.05)"), 1); });
  for (auto& t : threads) t.join();
  auto killed = admin_->transact(TxMode::kWrite, [&](Connection& c) -> Status {
    auto r = c.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1", {schema_});
    if (!r) return fail(r.error());
    EXPECT_GE(r->size(), 1u);
    return {};
  });
  ASSERT_TRUE(killed) << killed.error().message;
  for (int i = 0; i < 10; ++i) EXPECT_EQ(scalar("SELECT 42"), 42);
}

}  // namespace
}  // namespace licsat::store
