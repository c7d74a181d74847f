#include "store/sqlite/wal_checkpointer.h"

namespace licsat::store {
namespace {

int on_commit(void* self, sqlite3*, const char*, int wal_pages) {
  static_cast<WalCheckpointer*>(self)->committed(wal_pages);
  return SQLITE_OK;
}

}  // namespace

WalCheckpointer::WalCheckpointer(sqlite3* db) : db_(db), thread_([this] { loop(); }) {}

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
  if (wal_pages < kPagesBeforeCheckpoint) return;
  {
    std::lock_guard lock(mu_);
    if (wanted_) return;
    wanted_ = true;
  }
  cv_.notify_one();
}

void WalCheckpointer::loop() {
  std::unique_lock lock(mu_);
  for (;;) {
    cv_.wait(lock, [this] { return wanted_ || stop_; });
    if (stop_) return;
    wanted_ = false;
    lock.unlock();
    // Errors (SQLITE_BUSY while another checkpoint runs, I/O) leave the pages in the log, where
    // they stay readable and durable; the next commit past the threshold asks again.
    (void)sqlite3_wal_checkpoint_v2(db_, nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
    lock.lock();
  }
}

}  // namespace licsat::store
