// SQLite implementation of Database: one writer connection behind a mutex (SQLite admits one
// writer at a time; serialising in-process avoids busy-wait sleeps) and a small pool of reader
// connections, all in WAL mode so readers never block the writer. The log is copied back into
// the database file by a WalCheckpointer thread, not inside the writer's commits.
#include <sqlite3.h>

#include <chrono>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "store/db.h"
#include "store/sqlite/wal_checkpointer.h"

namespace licsat::store {
namespace {

class SqliteConnection final : public Connection {
 public:
  explicit SqliteConnection(sqlite3* db) : db_(db) {}
  sqlite3* handle() const { return db_; }
  ~SqliteConnection() override {
    for (auto& [sql, p] : cache_) sqlite3_finalize(p.stmt);
    sqlite3_close_v2(db_);
  }

  Result<std::vector<Row>> query(std::string_view sql, const std::vector<Value>& params) override {
    auto st = prepare(sql);
    if (!st) return fail(st.error());
    sqlite3_stmt* s = (*st)->stmt;
    if (auto b = bind(**st, params); !b) return fail(b.error());
    std::vector<Row> rows;
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
      Row r;
      int n = sqlite3_column_count(s);
      r.cols.reserve(n);
      for (int i = 0; i < n; ++i) {
        switch (sqlite3_column_type(s, i)) {
          case SQLITE_NULL: r.cols.emplace_back(nullptr); break;
          case SQLITE_INTEGER: r.cols.emplace_back(static_cast<int64_t>(sqlite3_column_int64(s, i))); break;
          default: {
            auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s, i));
            r.cols.emplace_back(std::string(p ? p : "", sqlite3_column_bytes(s, i)));
          }
        }
      }
      rows.push_back(std::move(r));
    }
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    if (rc != SQLITE_DONE) return fail(error_of(rc));
    return rows;
  }

  Result<int64_t> exec(std::string_view sql, const std::vector<Value>& params) override {
    auto r = query(sql, params);
    if (!r) return fail(r.error());
    return static_cast<int64_t>(sqlite3_changes(db_));
  }

  Status exec_script(std::string_view sql) override {
    std::string s(sql);
    char* err = nullptr;
    if (sqlite3_exec(db_, s.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
      std::string m = err ? err : "unknown error";
      sqlite3_free(err);
      return fail(Error::internal("sqlite: " + m));
    }
    return {};
  }

  Dialect dialect() const override { return Dialect::kSqlite; }

  int last_code() const { return sqlite3_errcode(db_); }

  // Ends whatever a caller left open on this connection before it goes back to the pool: a
  // statement not stepped to its end holds a read snapshot, and a snapshot pins every log frame
  // after it, which no checkpoint may then copy. query() resets its statements itself; this is
  // the guarantee that no read transaction outlives its request whatever happened inside it.
  void release() {
    for (sqlite3_stmt* s = sqlite3_next_stmt(db_, nullptr); s; s = sqlite3_next_stmt(db_, s))
      if (sqlite3_stmt_busy(s)) sqlite3_reset(s);
    if (!sqlite3_get_autocommit(db_)) (void)exec_script("ROLLBACK");
  }

 private:
  // A prepared statement and, for each of its parameter slots, which $N value fills it
  // (worked out once: SQLite looks parameter names up by a linear scan).
  struct Prepared {
    sqlite3_stmt* stmt = nullptr;
    std::vector<size_t> value_of_slot;
  };

  Result<Prepared*> prepare(std::string_view sql) {
    if (auto it = cache_.find(sql); it != cache_.end()) return &it->second;  // no copy of the text
    std::string key(sql);
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v3(db_, key.data(), static_cast<int>(key.size()), SQLITE_PREPARE_PERSISTENT, &st,
                           nullptr) != SQLITE_OK) {
      return fail(Error::internal(std::string("sqlite prepare: ") + sqlite3_errmsg(db_)));
    }
    Prepared p{st, {}};
    int n = sqlite3_bind_parameter_count(st);
    for (int i = 1; i <= n; ++i) {
      const char* name = sqlite3_bind_parameter_name(st, i);  // "$3"
      p.value_of_slot.push_back(name && name[0] == '$' ? std::stoul(name + 1) : static_cast<size_t>(i));
    }
    return &cache_.emplace(std::move(key), std::move(p)).first->second;
  }

  // Binds without copying: `params` outlives the statement's use (query() resets it before
  // returning).
  Status bind(const Prepared& p, const std::vector<Value>& params) {
    sqlite3_stmt* s = p.stmt;
    for (size_t slot = 0; slot < p.value_of_slot.size(); ++slot) {
      size_t idx = p.value_of_slot[slot];
      int i = static_cast<int>(slot + 1);
      if (idx == 0 || idx > params.size())
        return fail(Error::internal("sql parameter $" + std::to_string(idx) + " has no value"));
      const Value& v = params[idx - 1];
      int rc;
      if (std::holds_alternative<std::nullptr_t>(v)) rc = sqlite3_bind_null(s, i);
      else if (auto* x = std::get_if<int64_t>(&v)) rc = sqlite3_bind_int64(s, i, *x);
      else {
        const auto& str = std::get<std::string>(v);
        rc = sqlite3_bind_text(s, i, str.data(), static_cast<int>(str.size()), SQLITE_STATIC);
      }
      if (rc != SQLITE_OK) return fail(error_of(rc));
    }
    return {};
  }

  Error error_of(int rc) {
    std::string m = sqlite3_errmsg(db_);
    int primary = rc & 0xff;
    if (primary == SQLITE_CONSTRAINT) return Error::conflict("constraint: " + m);
    if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) return Error::unavailable("database busy: " + m);
    return Error::internal("sqlite: " + m);
  }

  // Looked up by string_view: the statements of a large report are kilobytes long.
  struct TextHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };

  sqlite3* db_;
  std::unordered_map<std::string, Prepared, TextHash, std::equal_to<>> cache_;
};

// Page cache per connection (KiB, as cache_size takes a negative number). The writer keeps the
// hot pages of token and usage-report writes; readers (a pool of up to kMaxPooledReaders, more
// while requests wait) answer from the OS page cache nearly as fast, so theirs is small.
constexpr int kWriterCacheKiB = 20000;
constexpr int kReaderCacheKiB = 2000;
constexpr size_t kMaxPooledReaders = 8;
// Everything SQLite allocates in this process, caches included: past this it recycles its cache
// pages rather than allocate more (a soft limit: a statement never fails for it).
constexpr int64_t kSoftHeapLimit = 64LL * 1024 * 1024;

Result<std::unique_ptr<SqliteConnection>> connect(const std::string& path, int cache_kib) {
  sqlite3* db = nullptr;
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  if (sqlite3_open_v2(path.c_str(), &db, flags, nullptr) != SQLITE_OK) {
    std::string m = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close_v2(db);
    return fail(Error::unavailable("cannot open SQLite database '" + path + "': " + m));
  }
  auto conn = std::make_unique<SqliteConnection>(db);
  sqlite3_busy_timeout(db, 5000);
  // WAL: readers do not block the writer. synchronous=FULL: every COMMIT syncs the log to disk
  // before it returns, so an answer that promises something (an acknowledged usage report, a
  // regenerated secret, a revocation, a lock) outlives a power loss, not only a kill -9. Group
  // commit makes one sync cover every token and event committed together. (NORMAL would sync
  // only at checkpoints: a power loss could silently roll back acknowledged work.)
  if (auto s = conn->exec_script(
          "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;"
          "PRAGMA temp_store=MEMORY; PRAGMA cache_size=-" + std::to_string(cache_kib) + ";");
      !s) {
    return fail(s.error());
  }
  return conn;
}

class SqliteDatabase final : public Database {
 public:
  SqliteDatabase(std::string path, std::unique_ptr<SqliteConnection> writer)
      : path_(std::move(path)), writer_(std::move(writer)) {
    // The checkpointer's own connection; without one (out of memory, say) SQLite's auto-checkpoint
    // inside the commits stays on.
    sqlite3* cdb = nullptr;
    if (sqlite3_open_v2(path_.c_str(), &cdb, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr) == SQLITE_OK) {
      checkpointer_ = std::make_unique<WalCheckpointer>(cdb, write_mu_);
      checkpointer_->attach(writer_->handle());
    } else {
      sqlite3_close_v2(cdb);
    }
  }
  ~SqliteDatabase() override {
    checkpointer_.reset();  // before the writer, whose hook points to it
  }

  Status transact(TxMode mode, const std::function<Status(Connection&)>& fn) override {
    if (mode == TxMode::kWrite) {
      std::lock_guard lock(write_mu_);
      return run(*writer_, "BEGIN IMMEDIATE", fn);
    }
    if (mode == TxMode::kWriteLazySync) {
      // synchronous is a per-connection setting: NORMAL for this transaction alone (its WAL
      // frames are written, not synced), FULL again for the next one, whose sync of the log
      // covers these frames too.
      std::lock_guard lock(write_mu_);
      if (auto n = writer_->exec("PRAGMA synchronous=NORMAL", {}); !n) return fail(n.error());
      Status s = run(*writer_, "BEGIN IMMEDIATE", fn);
      if (auto f = writer_->exec("PRAGMA synchronous=FULL", {}); !f) return fail(f.error());
      return s;
    }
    auto conn = take_reader();
    if (!conn) return fail(conn.error());
    Status s = run(**conn, "BEGIN", fn);
    give_back(std::move(*conn));
    return s;
  }

  Dialect dialect() const override { return Dialect::kSqlite; }
  std::string describe() const override { return "sqlite:" + path_; }

  Status with_migration_lock(const std::function<Status(Connection&)>& fn) override {
    std::lock_guard lock(write_mu_);
    return fn(*writer_);
  }
  Result<bool> try_job_lock(int64_t) override { return true; }
  void release_job_lock(int64_t) override {}

 private:
  static Status run(SqliteConnection& c, const char* begin, const std::function<Status(Connection&)>& fn) {
    for (int attempt = 0;; ++attempt) {
      // BEGIN/COMMIT go through the prepared-statement cache like every other statement.
      auto b = c.exec(begin, {});
      if (!b) {
        if (attempt < 50 && b.error().code == ErrorCode::kUnavailable) {
          std::this_thread::sleep_for(std::chrono::milliseconds(10));
          continue;
        }
        return fail(b.error());
      }
      Status s = fn(c);
      if (s) {
        auto cm = c.exec("COMMIT", {});
        if (cm) return {};
        (void)c.exec("ROLLBACK", {});
        return fail(cm.error());
      }
      (void)c.exec("ROLLBACK", {});
      return s;
    }
  }

  Result<std::unique_ptr<SqliteConnection>> take_reader() {
    {
      std::lock_guard lock(pool_mu_);
      if (!readers_.empty()) {
        auto c = std::move(readers_.back());
        readers_.pop_back();
        return c;
      }
    }
    return connect(path_, kReaderCacheKiB);
  }

  void give_back(std::unique_ptr<SqliteConnection> c) {
    c->release();
    std::lock_guard lock(pool_mu_);
    if (readers_.size() < kMaxPooledReaders) readers_.push_back(std::move(c));
  }

  std::string path_;
  std::mutex write_mu_;  // before the checkpointer, which takes it
  std::unique_ptr<SqliteConnection> writer_;
  std::unique_ptr<WalCheckpointer> checkpointer_;  // reset first by the destructor
  std::mutex pool_mu_;
  std::vector<std::unique_ptr<SqliteConnection>> readers_;
};

}  // namespace

Result<std::unique_ptr<Database>> open_sqlite(const std::string& path) {
  sqlite3_soft_heap_limit64(kSoftHeapLimit);
  auto w = connect(path, kWriterCacheKiB);
  if (!w) return fail(w.error());
  // A log that the writer starts over (every frame copied) is cut back to 16 MB on disk.
  if (auto s = (*w)->exec_script("PRAGMA journal_size_limit=16777216;"); !s) return fail(s.error());
  return std::unique_ptr<Database>(new SqliteDatabase(path, std::move(*w)));
}

}  // namespace licsat::store
