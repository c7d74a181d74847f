// A Database that measures itself for /metrics: it wraps the engine's Database, forwards
// everything, and observes how long each write transaction (kWrite, kWriteLazySync) took from
// its start to its commit on disk, retries included (licsat_db_commit_seconds), and how many
// writes each group commit of this database carried (licsat_db_group_commit_size, reported by
// store::GroupCommit). A slow or saturated database shows here before requests time out.
#pragma once

#include <memory>

#include "core/metrics_registry.h"
#include "store/db.h"

namespace licsat::store {

class TimedDatabase final : public Database {
 public:
  // The histograms must outlive this database.
  TimedDatabase(std::shared_ptr<Database> inner, metrics::Histogram& commit_seconds,
                metrics::Histogram& group_commit_size)
      : inner_(std::move(inner)), commit_seconds_(commit_seconds), group_commit_size_(group_commit_size) {}

  Status transact(TxMode mode, const std::function<Status(Connection&)>& fn) override;
  Dialect dialect() const override { return inner_->dialect(); }
  std::string describe() const override { return inner_->describe(); }
  Status with_migration_lock(const std::function<Status(Connection&)>& fn) override {
    return inner_->with_migration_lock(fn);
  }
  Result<bool> try_job_lock(int64_t key) override { return inner_->try_job_lock(key); }
  void release_job_lock(int64_t key) override { inner_->release_job_lock(key); }

  // A group commit of `writes` callers' writes in one transaction (store::GroupCommit).
  void group_committed(size_t writes) { group_commit_size_.observe(static_cast<double>(writes)); }

 private:
  std::shared_ptr<Database> inner_;
  metrics::Histogram& commit_seconds_;
  metrics::Histogram& group_commit_size_;
};

}  // namespace licsat::store
