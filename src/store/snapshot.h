// A whole database as a stream of tables and rows, and back: what `licsat backup` and
// `licsat restore` carry between backends. Reading takes one consistent snapshot (a SQLite read
// transaction on its own connection; one PostgreSQL REPEATABLE READ transaction) while the
// server keeps running, and pages through each table by its primary key, so memory stays bounded
// whatever the size. Restoring writes everything in one transaction into an empty store, so a
// failure (a bad row, a damaged file noticed at its end) leaves nothing behind. The format of
// the file is the caller's (cli/backup_file.h): this layer knows tables, columns and values.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/result.h"
#include "store/db.h"

namespace licsat::store {

// Receives a snapshot, table by table. Tables come parents first (in foreign-key order), so
// inserting them in the order received satisfies every reference.
class SnapshotSink {
 public:
  virtual ~SnapshotSink() = default;
  // The schema version (the highest applied migration) of the database being read.
  virtual Status begin(int64_t schema_version) = 0;
  virtual Status table(const std::string& name, const std::vector<std::string>& columns) = 0;
  // One row of the last table, values in the order of its columns.
  virtual Status row(const std::vector<Value>& values) = 0;
  virtual Status end() = 0;
};

// What a restore reads, item by item, from a backup.
struct SnapshotItem {
  enum class Kind { kTable, kRow, kEnd };
  Kind kind = Kind::kEnd;
  std::string table;                 // kTable
  std::vector<std::string> columns;  // kTable
  std::vector<Value> values;         // kRow
};

class SnapshotSource {
 public:
  virtual ~SnapshotSource() = default;
  // The schema version the backup was taken at (read from its header).
  virtual Result<int64_t> schema_version() = 0;
  // The next item; kEnd only once the source has checked that the whole backup is intact (so a
  // truncated or altered backup fails here, before the restore commits).
  virtual Status next(SnapshotItem& item) = 0;
};

// Reads every table (except the migrations' own bookkeeping) of `db` in one snapshot.
Status read_snapshot(Database& db, SnapshotSink& out);

// What restore_snapshot() did.
struct RestoreSummary {
  int64_t schema_version = 0;  // of the backup
  int64_t tables = 0;
  int64_t rows = 0;
};

// Restores a backup into `db`, which must hold no rows: refuses a backup of a newer schema than
// this build's migrations, migrates the empty target to the backup's schema version, inserts
// every row in one transaction, then applies the newer migrations (so an older backup is
// upgraded the way a server's start upgrades its database).
Result<RestoreSummary> restore_snapshot(Database& db, SnapshotSource& in);

// The highest migration version recorded in `db` (0 when it has none).
Result<int64_t> schema_version_of(Database& db);

}  // namespace licsat::store
