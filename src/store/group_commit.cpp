#include "store/group_commit.h"

namespace licsat::store {

Status GroupCommit::run(const Work& work) {
  Writer self;
  self.work = &work;
  std::unique_lock lock(mu_);
  queue_.push_back(&self);
  while (!self.done && queue_.front() != &self) self.cv.wait(lock);
  if (self.done) return self.status;

  // Leader: take everyone queued so far (bounded), write them together.
  std::vector<Writer*> batch;
  for (auto* w : queue_) {
    batch.push_back(w);
    if (batch.size() == max_batch_) break;
  }
  lock.unlock();
  Status s = db_.transact(TxMode::kWrite, [&](Connection& c) -> Status {
    for (auto* w : batch)
      if (auto st = (*w->work)(c); !st) return st;
    return {};
  });
  if (!s && batch.size() > 1) {
    // One caller's failure must not fail the others: fall back to one transaction each.
    for (auto* w : batch) w->status = db_.transact(TxMode::kWrite, *w->work);
  } else {
    for (auto* w : batch) w->status = s;
  }
  lock.lock();
  for (auto* w : batch) {
    queue_.pop_front();
    w->done = true;
    if (w != &self) w->cv.notify_one();
  }
  if (!queue_.empty()) queue_.front()->cv.notify_one();
  return self.status;
}

}  // namespace licsat::store
