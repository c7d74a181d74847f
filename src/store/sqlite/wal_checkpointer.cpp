#include "store/sqlite/wal_checkpointer.h"

namespace licsat::store {
namespace {

int on_commit(void* self, sqlite3*, const char*, int wal_pages) {
  static_cast<WalCheckpointer*>(self)->committed(wal_pages);
  return SQLITE_OK;
}

}  // namespace

WalCheckpointer::WalCheckpointer(sqlite3* db, std::mutex& writer_mu) : db_(db), writer_mu_(writer_mu) {
  // A connection learns that the file is in WAL mode, and opens the log, only when it first reads
  // the database; until then sqlite3_wal_checkpoint_v2() does nothing and returns SQLITE_OK.
  // This connection never reads otherwise, so without this statement no checkpoint ever ran and
  // the log grew without bound (2 GB in 20 s of token load) while the database file stayed at
  // its first 4 KB page. sqlite3_exec() finalizes the statement: no read snapshot stays open.
  (void)sqlite3_exec(db_, "SELECT 1 FROM sqlite_schema LIMIT 1", nullptr, nullptr, nullptr);
  // TRUNCATE waits for readers to leave the log, with the writers held: not long. A reader's
  // transaction lasts one request; past this the checkpoint gives up and the next round retries.
  sqlite3_busy_timeout(db_, 250);
  thread_ = std::thread([this] { loop(); });
}

WalCheckpointer::~WalCheckpointer() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_one();
  thread_.join();
  sqlite3_close_v2(db_);
}

void WalCheckpointer::attach(sqlite3* writer) {
  // sqlite3_wal_hook replaces the hook behind auto-checkpointing: from here on only this
  // thread checkpoints (and SQLite itself when the last connection closes).
  sqlite3_wal_hook(writer, on_commit, this);
}

void WalCheckpointer::committed(int wal_pages) {
  bool wake = false;
  {
    std::lock_guard lock(mu_);
    ++commits_;
    dirty_ = true;
    if (wal_pages >= kPagesBeforeCheckpoint && !wanted_) wanted_ = wake = true;
  }
  if (wake) cv_.notify_one();
}

void WalCheckpointer::truncate() {
  // Under the writer mutex: no writer of this process is inside a transaction, so the checkpoint
  // copies every frame and cuts the file to zero bytes once the readers have left the log.
  std::lock_guard writers(writer_mu_);
  if (sqlite3_wal_checkpoint_v2(db_, nullptr, SQLITE_CHECKPOINT_TRUNCATE, nullptr, nullptr) == SQLITE_OK) {
    truncate_.fetch_add(1);
    std::lock_guard lock(mu_);
    dirty_ = false;
  }
}

void WalCheckpointer::loop() {
  std::unique_lock lock(mu_);
  for (;;) {
    uint64_t seen = commits_;
    bool woken = cv_.wait_for(lock, kIdle, [this] { return wanted_ || stop_; });
    if (stop_) return;
    if (!woken) {
      // Nothing asked for a checkpoint during kIdle: if nothing committed either, the log is idle.
      if (dirty_ && commits_ == seen) {
        lock.unlock();
        truncate();
        lock.lock();
      }
      continue;
    }
    wanted_ = false;
    lock.unlock();
    // Errors (SQLITE_BUSY while another checkpoint runs, I/O) leave the pages in the log, where
    // they stay readable and durable; the next commit past the threshold asks again.
    int log_pages = 0;
    int rc = sqlite3_wal_checkpoint_v2(db_, nullptr, SQLITE_CHECKPOINT_PASSIVE, &log_pages, nullptr);
    passive_.fetch_add(1);
    if (rc == SQLITE_OK && log_pages > kMaxPages) truncate();
    lock.lock();
  }
}

}  // namespace licsat::store
