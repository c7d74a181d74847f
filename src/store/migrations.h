// Numbered plain-SQL migrations (src/store/migrations/NNNN_name.sql), embedded at build time and
// applied in order at start. Each runs in its own transaction and is recorded in
// schema_migrations, so applying them again is a no-op.
#pragma once

#include <string>
#include <vector>

#include "core/result.h"
#include "store/db.h"

namespace licsat::store {

struct Migration {
  int version;
  const char* name;
  const char* sql;
};

const std::vector<Migration>& embedded_migrations();

// Expands the dialect markers the migrations use: @@ID@@ (an auto-increment primary key) and
// @@WITHOUT_ROWID@@ (after a CREATE TABLE: SQLite's WITHOUT ROWID; nothing on PostgreSQL).
std::string dialect_sql(std::string sql, Dialect d);

// Applies every migration not yet recorded; returns how many were applied.
Result<int> migrate(Database& db, const std::vector<Migration>& migrations = embedded_migrations());

}  // namespace licsat::store
