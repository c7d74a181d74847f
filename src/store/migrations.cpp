#include "store/migrations.h"

#include <algorithm>
#include <utility>

#include "core/clock.h"

namespace licsat::store {

std::string dialect_sql(std::string sql, Dialect d) {
  const bool sqlite = d == Dialect::kSqlite;
  const std::pair<std::string, std::string> markers[] = {
      {"@@ID@@", sqlite ? "INTEGER PRIMARY KEY AUTOINCREMENT" : "BIGSERIAL PRIMARY KEY"},
      {"@@WITHOUT_ROWID@@", sqlite ? "WITHOUT ROWID" : ""},
  };
  for (const auto& [marker, with] : markers)
    for (size_t pos; (pos = sql.find(marker)) != std::string::npos;) sql.replace(pos, marker.size(), with);
  return sql;
}

Result<int> migrate(Database& db, const std::vector<Migration>& migrations) {
  int applied = 0;
  Status s = db.with_migration_lock([&](Connection& c) -> Status {
    if (auto r = c.exec_script(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
            "applied_at BIGINT NOT NULL)");
        !r)
      return r;
    auto done = c.query("SELECT version FROM schema_migrations");
    if (!done) return fail(done.error());
    std::vector<int64_t> have;
    for (const auto& row : *done) have.push_back(row.i64(0));
    for (const auto& m : migrations) {
      if (std::find(have.begin(), have.end(), m.version) != have.end()) continue;
      if (auto r = c.exec_script("BEGIN"); !r) return r;
      auto body = c.exec_script(dialect_sql(m.sql, c.dialect()));
      if (body) {
        auto rec = c.exec("INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
                          {int64_t{m.version}, std::string(m.name), SystemClock().now()});
        if (!rec) body = fail(rec.error());
      }
      if (!body) {
        (void)c.exec_script("ROLLBACK");
        return fail(Error::internal(std::string("migration ") + m.name + " failed: " + body.error().message));
      }
      if (auto r = c.exec_script("COMMIT"); !r) return r;
      ++applied;
    }
    return {};
  });
  if (!s) return fail(s.error());
  return applied;
}

}  // namespace licsat::store
