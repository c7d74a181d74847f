// Retention: deletes tokens past their expiry and Event Log entries older than the configured
// retention, in batches of a few hundred rows, one short write transaction each, so that the
// writer is never held for long (one big DELETE of a million rows held it for seconds) and
// other writes (token issuance, usage reports) slip in between batches.
//
// The server runs one round a minute on its housekeeping thread (cli/serve.cpp); tests call
// run_once() with a FakeClock. Counters and table sizes are kept here, refreshed each round, so
// that /metrics reads them without touching the database.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>

#include "core/clock.h"
#include "core/result.h"
#include "store/auth_store.h"

namespace licsat::store {

class Pruner {
 public:
  struct Options {
    int64_t event_retention = 365 * 86400;  // seconds; 0 keeps every event
    int64_t token_grace = 3600;              // tokens go this long after their expiry
    int64_t batch = 500;                     // rows per transaction
    // Called between batches (the server sleeps a little there so other writers get the lock).
    std::function<void()> between_batches;
  };
  // Rows deleted by one round.
  struct Round {
    int64_t tokens = 0;
    int64_t events = 0;
  };

  Pruner(AuthStore& store, const Clock& clock, Options opt) : store_(store), clock_(clock), opt_(std::move(opt)) {}

  // Deletes everything due now, batch by batch, then refreshes the table sizes. A failed batch
  // ends the round with its error; what was deleted before stays deleted (and counted).
  Result<Round> run_once();

  // Only the table sizes (a node whose peer runs this round's deletions).
  Status refresh_sizes();

  // Totals since start and the sizes seen at the end of the last round.
  uint64_t tokens_pruned() const { return tokens_pruned_.load(); }
  uint64_t events_pruned() const { return events_pruned_.load(); }
  int64_t tokens_rows() const { return tokens_rows_.load(); }
  int64_t events_rows() const { return events_rows_.load(); }

 private:
  // Runs `batch` until it deletes fewer rows than a full batch; adds to `count` and `total`.
  Status drain(const std::function<Result<int64_t>()>& batch, int64_t& count, std::atomic<uint64_t>& total);

  AuthStore& store_;
  const Clock& clock_;
  Options opt_;
  std::atomic<uint64_t> tokens_pruned_{0};
  std::atomic<uint64_t> events_pruned_{0};
  std::atomic<int64_t> tokens_rows_{0};
  std::atomic<int64_t> events_rows_{0};
};

}  // namespace licsat::store
