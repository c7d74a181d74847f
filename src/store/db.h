// The one seam between licsat's SQL and a database engine. SQL in store/ is written once, in a
// dialect both SQLite and PostgreSQL run: $1, $2 … placeholders, BIGINT Unix times, INTEGER 0/1
// booleans, INSERT … ON CONFLICT, RETURNING. A Connection runs it; a Database hands out
// connections and wraps a function in one transaction.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/result.h"

namespace licsat::store {

using Value = std::variant<std::nullptr_t, int64_t, std::string>;

struct Row {
  std::vector<Value> cols;
  bool is_null(size_t i) const { return std::holds_alternative<std::nullptr_t>(cols.at(i)); }
  int64_t i64(size_t i) const;
  std::string str(size_t i) const;
};

enum class Dialect { kSqlite, kPostgres };

class Connection {
 public:
  virtual ~Connection() = default;
  // Runs one statement and returns its rows (none for statements without results).
  virtual Result<std::vector<Row>> query(std::string_view sql, const std::vector<Value>& params = {}) = 0;
  // Runs one statement; returns the number of rows it changed.
  virtual Result<int64_t> exec(std::string_view sql, const std::vector<Value>& params = {}) = 0;
  // Runs several statements without parameters (migrations).
  virtual Status exec_script(std::string_view sql) = 0;
  virtual Dialect dialect() const = 0;
};

// kWrite commits durably: the commit is on disk (synced) before transact() returns, so an answer
// sent after it survives a power loss. kWriteLazySync commits as atomically and as visibly, and
// survives a process crash (kill -9), but is synced only with the next durable commit or
// checkpoint: a power loss may roll it back. Only writes whose loss is harmless may use it (an
// issued token: its client asks again). Every later kWrite commit syncs it too, so nothing that
// depends on it (its revocation) can be durable while it is not.
enum class TxMode { kRead, kWrite, kWriteLazySync };

class Database {
 public:
  virtual ~Database() = default;
  // Runs `fn` inside one transaction: committed when it returns success, rolled back otherwise.
  // Transient conflicts (busy database, serialization failure) are retried a few times.
  virtual Status transact(TxMode mode, const std::function<Status(Connection&)>& fn) = 0;
  virtual Dialect dialect() const = 0;
  // Where this database lives, with any password removed (safe to log).
  virtual std::string describe() const = 0;
  // Serialises migrations between processes that share the database (PostgreSQL nodes).
  virtual Status with_migration_lock(const std::function<Status(Connection&)>& fn) = 0;
  // Tries a cluster-wide lock named by `key` for the life of the process-wide job; returns true
  // when taken. SQLite serves one process, so it always succeeds there.
  virtual Result<bool> try_job_lock(int64_t key) = 0;
  virtual void release_job_lock(int64_t key) = 0;
};

// Opens a SQLite database file (created if missing) with WAL, foreign keys and a busy timeout.
Result<std::unique_ptr<Database>> open_sqlite(const std::string& path);
// Opens a PostgreSQL database from a postgresql:// URL, with a pool of `pool_size` connections.
Result<std::unique_ptr<Database>> open_postgres(const std::string& url, int pool_size);

// Chooses the engine by URL: postgresql:// or postgres:// → PostgreSQL; otherwise a SQLite path
// (an optional sqlite: prefix is removed).
Result<std::unique_ptr<Database>> open_database(const std::string& url_or_path, int pool_size);

// Removes the password from a database URL before it is logged.
std::string redact_url(const std::string& url);

}  // namespace licsat::store
