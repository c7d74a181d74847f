// Copies committed pages from SQLite's write-ahead log back into the database file on a thread of
// its own, so that a large write transaction does not pay for the copy (and its fsync) before its
// caller gets an answer. SQLite's own auto-checkpoint runs inside the COMMIT of whichever
// transaction crosses the threshold: for a 100,000-device usage report that was tens of
// megabytes copied inside the request.
//
// The writer connection turns its auto-checkpoint off and calls committed() from its WAL hook;
// once the log holds kPagesBeforeCheckpoint pages, this thread runs a PASSIVE checkpoint on its
// own connection. PASSIVE neither waits for nor blocks readers and writers; pages still needed by
// a reader stay in the log for the next round. Committed transactions are durable in the log
// either way (kill -9 keeps them), so moving the copy changes when it happens, not what is kept.
#pragma once

#include <sqlite3.h>

#include <condition_variable>
#include <mutex>
#include <thread>

namespace licsat::store {

class WalCheckpointer {
 public:
  // The same threshold as SQLite's default auto-checkpoint (pages, about 4 MB).
  static constexpr int kPagesBeforeCheckpoint = 1000;

  // Takes ownership of `db`, a connection to the same database file as the writer.
  explicit WalCheckpointer(sqlite3* db);
  ~WalCheckpointer();  // finishes a checkpoint in progress, then closes the connection
  WalCheckpointer(const WalCheckpointer&) = delete;
  WalCheckpointer& operator=(const WalCheckpointer&) = delete;

  // Installs the WAL hook on `writer` (and turns its auto-checkpoint off).
  void attach(sqlite3* writer);

  // Called after each commit of the writer with the pages now in the log.
  void committed(int wal_pages);

 private:
  void loop();

  sqlite3* db_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool wanted_ = false;
  bool stop_ = false;
  std::thread thread_;  // last: started once the members above exist
};

}  // namespace licsat::store
