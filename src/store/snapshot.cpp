#include "store/snapshot.h"

#include <algorithm>
#include <map>
#include <set>

#include "store/migrations.h"

namespace licsat::store {
namespace {

constexpr int64_t kPageRows = 1000;        // rows read per query while paging through a table
constexpr size_t kMaxBatchParams = 8000;   // values per multi-row INSERT (both engines allow more)
constexpr size_t kMaxBatchRows = 256;

std::string quoted(const std::string& name) {
  std::string q = "\"";
  for (char c : name) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

std::string joined(const std::vector<std::string>& names) {
  std::string s;
  for (const auto& n : names) s += (s.empty() ? "" : ", ") + quoted(n);
  return s;
}

// The tables of the database, without the migrations' bookkeeping and SQLite's internal ones.
Result<std::vector<std::string>> list_tables(Connection& c) {
  auto r = c.dialect() == Dialect::kSqlite
               ? c.query("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
                         "ORDER BY name")
               : c.query("SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() "
                         "AND table_type = 'BASE TABLE' ORDER BY table_name");
  if (!r) return fail(r.error());
  std::vector<std::string> out;
  for (const auto& row : *r)
    if (row.str(0) != "schema_migrations") out.push_back(row.str(0));
  return out;
}

Result<std::vector<std::string>> names_of(Connection& c, std::string_view sql, const std::string& table) {
  auto r = c.query(sql, {table});
  if (!r) return fail(r.error());
  std::vector<std::string> out;
  for (const auto& row : *r) out.push_back(row.str(0));
  return out;
}

Result<std::vector<std::string>> columns_of(Connection& c, const std::string& table) {
  return names_of(c,
                  c.dialect() == Dialect::kSqlite
                      ? "SELECT name FROM pragma_table_info($1) ORDER BY cid"
                      : "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() "
                        "AND table_name = $1 ORDER BY ordinal_position",
                  table);
}

Result<std::vector<std::string>> primary_key_of(Connection& c, const std::string& table) {
  return names_of(c,
                  c.dialect() == Dialect::kSqlite
                      ? "SELECT name FROM pragma_table_info($1) WHERE pk > 0 ORDER BY pk"
                      : "SELECT k.column_name FROM information_schema.table_constraints t "
                        "JOIN information_schema.key_column_usage k ON k.constraint_name = t.constraint_name "
                        "AND k.table_schema = t.table_schema AND k.table_name = t.table_name "
                        "WHERE t.constraint_type = 'PRIMARY KEY' AND t.table_schema = current_schema() "
                        "AND t.table_name = $1 ORDER BY k.ordinal_position",
                  table);
}

// The tables in an order where each comes after the tables its foreign keys point to.
Result<std::vector<std::string>> parents_first(Connection& c, std::vector<std::string> tables) {
  auto r = c.dialect() == Dialect::kSqlite
               ? c.query("SELECT m.name, f.\"table\" FROM sqlite_master m, pragma_foreign_key_list(m.name) f "
                         "WHERE m.type = 'table'")
               : c.query("SELECT ch.relname, pa.relname FROM pg_constraint k "
                         "JOIN pg_class ch ON ch.oid = k.conrelid JOIN pg_class pa ON pa.oid = k.confrelid "
                         "JOIN pg_namespace n ON n.oid = ch.relnamespace "
                         "WHERE k.contype = 'f' AND n.nspname = current_schema()");
  if (!r) return fail(r.error());
  std::map<std::string, std::set<std::string>> parents;
  for (const auto& row : *r)
    if (row.str(0) != row.str(1)) parents[row.str(0)].insert(row.str(1));
  std::vector<std::string> ordered;
  std::set<std::string> placed;
  while (!tables.empty()) {
    auto ready = std::find_if(tables.begin(), tables.end(), [&](const std::string& t) {
      for (const auto& p : parents[t])
        if (!placed.contains(p) && std::find(tables.begin(), tables.end(), p) != tables.end()) return false;
      return true;
    });
    if (ready == tables.end()) ready = tables.begin();  // a cycle: SQLite defers its checks anyway
    placed.insert(*ready);
    ordered.push_back(*ready);
    tables.erase(ready);
  }
  return ordered;
}

// Sends one table's rows to `out`, a page at a time in primary-key order (rowid on a SQLite
// table without a declared key).
Status copy_table(Connection& c, const std::string& table, SnapshotSink& out) {
  auto cols = columns_of(c, table);
  if (!cols) return fail(cols.error());
  auto pk = primary_key_of(c, table);
  if (!pk) return fail(pk.error());
  if (auto s = out.table(table, *cols); !s) return s;
  std::vector<std::string> key = *pk;
  std::string select = "SELECT " + joined(*cols);
  size_t skip = 0;  // leading result columns that are only the paging key
  if (key.empty()) {
    if (c.dialect() != Dialect::kSqlite) {
      // No key to page by: one query (no licsat table is without one; this covers a foreign table).
      auto rows = c.query(select + " FROM " + quoted(table));
      if (!rows) return fail(rows.error());
      for (const auto& r : *rows)
        if (auto s = out.row(r.cols); !s) return s;
      return {};
    }
    select = "SELECT rowid, " + joined(*cols);
    skip = 1;
  }
  std::vector<size_t> key_at;  // where each key column is in a result row
  if (skip) key_at.push_back(0);
  for (const auto& k : key)
    key_at.push_back(static_cast<size_t>(std::find(cols->begin(), cols->end(), k) - cols->begin()));
  const std::string order = skip ? std::string("rowid") : joined(key);
  const std::string first = select + " FROM " + quoted(table) + " ORDER BY " + order + " LIMIT " +
                            std::to_string(kPageRows);
  std::string marks;
  for (size_t i = 0; i < key_at.size(); ++i) marks += (i ? ", $" : "$") + std::to_string(i + 1);
  const std::string next = select + " FROM " + quoted(table) + " WHERE (" + order + ") > (" + marks +
                           ") ORDER BY " + order + " LIMIT " + std::to_string(kPageRows);
  std::vector<Value> after;
  std::vector<Value> values;
  for (;;) {
    auto rows = after.empty() ? c.query(first) : c.query(next, after);
    if (!rows) return fail(rows.error());
    for (const auto& r : *rows) {
      values.assign(r.cols.begin() + static_cast<std::ptrdiff_t>(skip), r.cols.end());
      if (auto s = out.row(values); !s) return s;
    }
    if (static_cast<int64_t>(rows->size()) < kPageRows) return {};
    const Row& last = rows->back();
    after.clear();
    for (size_t at : key_at) after.push_back(last.cols.at(at));
  }
}

Result<int64_t> version_in(Connection& c) {
  auto tables = c.dialect() == Dialect::kSqlite
                    ? c.query("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'")
                    : c.query("SELECT 1 FROM information_schema.tables WHERE table_schema = current_schema() "
                              "AND table_name = 'schema_migrations'");
  if (!tables) return fail(tables.error());
  if (tables->empty()) return int64_t{0};
  auto v = c.query("SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
  if (!v) return fail(v.error());
  return v->empty() ? int64_t{0} : v->front().i64(0);
}

// The first table of the target that holds a row, or "" when every one is empty.
Result<std::string> first_non_empty(Connection& c) {
  auto tables = list_tables(c);
  if (!tables) return fail(tables.error());
  for (const auto& t : *tables) {
    auto r = c.query("SELECT 1 FROM " + quoted(t) + " LIMIT 1");
    if (!r) return fail(r.error());
    if (!r->empty()) return t;
  }
  return std::string();
}

Error not_empty(const std::string& table) {
  return Error::conflict("the target database is not empty (table '" + table +
                         "' has rows): restore into a new --data directory or an empty PostgreSQL database");
}

// Collects one table's rows into multi-row INSERTs.
class Inserter {
 public:
  explicit Inserter(Connection& c) : c_(c) {}

  Status start(const std::string& table, const std::vector<std::string>& columns) {
    if (auto s = flush(); !s) return s;
    if (columns.empty()) return fail(Error::invalid("the backup names no columns for table '" + table + "'"));
    table_ = table;
    width_ = columns.size();
    prefix_ = "INSERT INTO " + quoted(table) + " (" + joined(columns) + ") VALUES ";
    batch_rows_ = std::clamp<size_t>(kMaxBatchParams / width_, 1, kMaxBatchRows);
    return {};
  }

  Status add(std::vector<Value>& values) {
    if (table_.empty()) return fail(Error::invalid("the backup has a row before its first table"));
    if (values.size() != width_)
      return fail(Error::invalid("the backup has a row of table '" + table_ + "' with " +
                                 std::to_string(values.size()) + " values for " + std::to_string(width_) +
                                 " columns"));
    for (auto& v : values) params_.push_back(std::move(v));
    ++rows_;
    if (params_.size() / width_ >= batch_rows_) return flush();
    return {};
  }

  Status flush() {
    if (params_.empty()) return {};
    const size_t n = params_.size() / width_;
    std::string sql = prefix_;
    size_t p = 0;
    for (size_t r = 0; r < n; ++r) {
      sql += r ? ",(" : "(";
      for (size_t i = 0; i < width_; ++i) sql += (i ? ",$" : "$") + std::to_string(++p);
      sql += ")";
    }
    auto e = c_.exec(sql, params_);
    params_.clear();
    if (!e) return fail(Error{e.error().code, "restoring table '" + table_ + "': " + e.error().message});
    return {};
  }

  int64_t rows() const { return rows_; }

 private:
  Connection& c_;
  std::string table_;
  size_t width_ = 0;
  size_t batch_rows_ = 1;
  std::string prefix_;
  std::vector<Value> params_;
  int64_t rows_ = 0;
};

// PostgreSQL: explicit ids leave the id sequences behind; move each past its column's largest value.
Status advance_sequences(Connection& c, const std::vector<std::string>& tables) {
  auto serial = c.query("SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = "
                        "current_schema() AND column_default LIKE 'nextval(%'");
  if (!serial) return fail(serial.error());
  for (const auto& row : *serial) {
    const std::string t = row.str(0), col = row.str(1);
    if (std::find(tables.begin(), tables.end(), t) == tables.end()) continue;
    auto r = c.query("SELECT setval(pg_get_serial_sequence($1, $2), COALESCE((SELECT MAX(" + quoted(col) + ") FROM " +
                         quoted(t) + "), 0) + 1, false)",
                     {quoted(t), col});
    if (!r) return fail(r.error());
  }
  return {};
}

}  // namespace

Result<int64_t> schema_version_of(Database& db) {
  int64_t v = 0;
  Status s = db.transact(TxMode::kRead, [&](Connection& c) -> Status {
    auto r = version_in(c);
    if (!r) return fail(r.error());
    v = *r;
    return {};
  });
  if (!s) return fail(s.error());
  return v;
}

Status read_snapshot(Database& db, SnapshotSink& out) {
  int calls = 0;
  return db.transact(TxMode::kRead, [&](Connection& c) -> Status {
    // The sink cannot take back what it was given: a retried transaction is a failed snapshot.
    if (++calls > 1) return fail(Error::unavailable("the snapshot was interrupted (database busy); run it again"));
    if (c.dialect() == Dialect::kPostgres)
      if (auto s = c.exec_script("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ"); !s) return s;
    auto version = version_in(c);
    if (!version) return fail(version.error());
    if (*version == 0) return fail(Error::not_found("no licsat database there (no schema_migrations table)"));
    auto tables = list_tables(c);
    if (!tables) return fail(tables.error());
    auto ordered = parents_first(c, *tables);
    if (!ordered) return fail(ordered.error());
    if (auto s = out.begin(*version); !s) return s;
    for (const auto& t : *ordered)
      if (auto s = copy_table(c, t, out); !s) return s;
    return out.end();
  });
}

Result<RestoreSummary> restore_snapshot(Database& db, SnapshotSource& in) {
  RestoreSummary sum;
  auto version = in.schema_version();
  if (!version) return fail(version.error());
  sum.schema_version = *version;
  const auto& all = embedded_migrations();
  const int64_t newest = all.empty() ? 0 : all.back().version;
  if (*version > newest)
    return fail(Error::invalid("the backup is of schema version " + std::to_string(*version) +
                               ", newer than this licsat's (" + std::to_string(newest) +
                               "): restore it with the licsat that made it or a newer one"));
  // Refuse a used target before changing anything in it.
  int64_t target_version = 0;
  Status looked = db.transact(TxMode::kRead, [&](Connection& c) -> Status {
    auto t = first_non_empty(c);
    if (!t) return fail(t.error());
    if (!t->empty()) return fail(not_empty(*t));
    auto v = version_in(c);
    if (!v) return fail(v.error());
    target_version = *v;
    return {};
  });
  if (!looked) return fail(looked.error());
  if (target_version > *version)
    return fail(Error::conflict("the target database is already at schema version " + std::to_string(target_version) +
                                ", newer than the backup's (" + std::to_string(*version) +
                                "): restore into a store no newer licsat has started on"));
  std::vector<Migration> upto;
  for (const auto& m : all)
    if (m.version <= *version) upto.push_back(m);
  if (auto m = migrate(db, upto); !m) return fail(m.error());

  int calls = 0;
  Status s = db.transact(TxMode::kWrite, [&](Connection& c) -> Status {
    if (++calls > 1) return fail(Error::unavailable("the restore was interrupted (database busy); nothing was "
                                                    "restored, run it again"));
    if (c.dialect() == Dialect::kSqlite)
      if (auto d = c.exec_script("PRAGMA defer_foreign_keys = ON"); !d) return d;
    auto t = first_non_empty(c);
    if (!t) return fail(t.error());
    if (!t->empty()) return fail(not_empty(*t));
    Inserter ins(c);
    std::vector<std::string> seen;
    SnapshotItem item;
    for (;;) {
      if (auto n = in.next(item); !n) return n;
      if (item.kind == SnapshotItem::Kind::kEnd) break;
      if (item.kind == SnapshotItem::Kind::kTable) {
        if (std::find(seen.begin(), seen.end(), item.table) != seen.end())
          return fail(Error::invalid("the backup holds table '" + item.table + "' twice"));
        seen.push_back(item.table);
        if (auto st = ins.start(item.table, item.columns); !st) return st;
      } else if (auto a = ins.add(item.values); !a) {
        return a;
      }
    }
    if (auto f = ins.flush(); !f) return f;
    if (c.dialect() == Dialect::kPostgres)
      if (auto q = advance_sequences(c, seen); !q) return q;
    sum.tables = static_cast<int64_t>(seen.size());
    sum.rows = ins.rows();
    return {};
  });
  if (!s) return fail(s.error());
  if (auto m = migrate(db); !m) return fail(m.error());
  return sum;
}

}  // namespace licsat::store
