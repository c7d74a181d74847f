#include "store/group_commit.h"

#include <pthread.h>

#include "store/timed_database.h"

namespace licsat::store {

GroupCommit::~GroupCommit() {
  {
    std::lock_guard l(mu_);
    stop_ = true;
  }
  wake_.notify_one();
  if (writer_.joinable()) writer_.join();
}

void GroupCommit::submit(Work work, Done done) {
  bool wake = false;
  {
    std::lock_guard l(mu_);
    if (!writer_.joinable())
      writer_ = std::thread([this] {
        pthread_setname_np(pthread_self(), "licsat-dbwrite");
        writer_loop();
      });
    queue_.push_back(Entry{std::move(work), std::move(done)});
    // While the writer commits, new entries wait for the next batch without a wake-up each.
    wake = writer_idle_;
    writer_idle_ = false;
  }
  if (wake) wake_.notify_one();
}

Status GroupCommit::run(Work work) {
  std::mutex m;
  std::condition_variable cv;
  bool finished = false;
  Status out;
  submit(std::move(work), [&](const Status& s) {
    std::lock_guard l(m);
    out = s;
    finished = true;
    cv.notify_one();
  });
  std::unique_lock l(m);
  cv.wait(l, [&] { return finished; });
  return out;
}

void GroupCommit::writer_loop() {
  // A database measured for /metrics also counts the writes per batch.
  auto* timed = dynamic_cast<TimedDatabase*>(&db_);
  std::vector<Entry> batch;
  std::unique_lock l(mu_);
  bool busy = false;  // entries arrived while the last batch committed: the load is sustained
  for (;;) {
    if (queue_.empty()) {
      if (stop_) return;
      busy = false;
      writer_idle_ = true;
      wake_.wait(l, [&] { return stop_ || !queue_.empty(); });
      continue;
    }
    // Under sustained load, a short wait lets a small batch grow: each commit writes the same
    // dozen or so pages to the log (the tables' and indexes' last leaves) whatever its size, so
    // the log bytes per token fall as batches grow. A lone request never waits.
    if (busy && queue_.size() < kLingerBelow && !stop_) (void)wake_.wait_for(l, kLinger);
    if (queue_.size() <= max_batch_) {
      batch.swap(queue_);
    } else {
      auto cut = queue_.begin() + static_cast<std::ptrdiff_t>(max_batch_);
      batch.assign(std::make_move_iterator(queue_.begin()), std::make_move_iterator(cut));
      queue_.erase(queue_.begin(), cut);
    }
    l.unlock();
    if (timed) timed->group_committed(batch.size());
    commit(batch);
    batch.clear();
    l.lock();
    busy = !queue_.empty();
  }
}

void GroupCommit::commit(std::vector<Entry>& batch) {
  Status s = db_.transact(mode_, [&](Connection& c) -> Status {
    for (auto& e : batch)
      if (auto st = e.work(c); !st) return st;
    return {};
  });
  if (!s && batch.size() > 1) {
    for (auto& e : batch) e.done(db_.transact(mode_, e.work));
    return;
  }
  for (auto& e : batch) e.done(s);
}

}  // namespace licsat::store
