// Copies committed pages from SQLite's write-ahead log back into the database file on a thread of
// its own, so that a large write transaction does not pay for the copy (and its fsync) before its
// caller gets an answer, and keeps the log file small. SQLite's own auto-checkpoint runs inside
// the COMMIT of whichever transaction crosses the threshold: for a 100,000-device usage report
// that was tens of megabytes copied inside the request.
//
// The writer connection turns its auto-checkpoint off and calls committed() from its WAL hook.
// This thread then checkpoints on its own connection:
//   - once the log holds kPagesBeforeCheckpoint pages: PASSIVE, which neither waits for nor
//     blocks readers and writers; pages still needed by a reader stay in the log for the next
//     round. Once every frame is copied, the next writer starts the log over from its beginning.
//   - when the log is still over kMaxPages after that (a writer that never pauses, so the log is
//     never wholly copied when the next transaction begins): TRUNCATE while holding the writer
//     mutex, so the writers wait for the rest of the copy and the log file is cut to zero bytes.
//   - when no transaction committed for kIdle: TRUNCATE likewise, so an idle server's log is
//     empty and its database file complete.
// Committed transactions are durable in the log either way (kill -9 keeps them), so moving the
// copy changes when it happens, not what is kept.
#pragma once

#include <sqlite3.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>

namespace licsat::store {

class WalCheckpointer {
 public:
  // The same threshold as SQLite's default auto-checkpoint (pages, about 4 MB).
  static constexpr int kPagesBeforeCheckpoint = 1000;
  // Past this (about 16 MB of 4 KB pages) the writers wait for a complete checkpoint.
  static constexpr int kMaxPages = 4096;
  // A log untouched this long is copied and truncated.
  static constexpr std::chrono::milliseconds kIdle{1000};

  // Takes ownership of `db`, a connection to the same database file as the writer. `writer_mu`
  // is the mutex every writer of that file holds for its transaction.
  WalCheckpointer(sqlite3* db, std::mutex& writer_mu);
  ~WalCheckpointer();  // finishes a checkpoint in progress, then closes the connection
  WalCheckpointer(const WalCheckpointer&) = delete;
  WalCheckpointer& operator=(const WalCheckpointer&) = delete;

  // Installs the WAL hook on `writer` (and turns its auto-checkpoint off).
  void attach(sqlite3* writer);

  // Called after each commit of the writer with the pages now in the log.
  void committed(int wal_pages);

  // Checkpoints run so far, by kind (for tests and metrics).
  uint64_t passive_count() const { return passive_.load(); }
  uint64_t truncate_count() const { return truncate_.load(); }

 private:
  void loop();
  void truncate();

  sqlite3* db_;
  std::mutex& writer_mu_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool wanted_ = false;
  bool stop_ = false;
  uint64_t commits_ = 0;        // commits seen; the idle timer compares it across a wait
  bool dirty_ = false;          // frames in the log since the last TRUNCATE
  std::atomic<uint64_t> passive_{0};
  std::atomic<uint64_t> truncate_{0};
  std::thread thread_;  // last: started once the members above exist
};

}  // namespace licsat::store
