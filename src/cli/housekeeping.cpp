#include "cli/housekeeping.h"

#include <fmt/format.h>
#include <malloc.h>

#include <chrono>

#include "api/auth.h"
#include "core/log.h"

namespace licsat::cli {
namespace {

constexpr auto kRoundEvery = std::chrono::seconds(60);
// The advisory lock of the retention round across nodes ("licprune").
constexpr int64_t kRetentionJobLock = 0x6c6963'7072756e;
// Freed heap pages go back to the system this often (a large request's leftovers, within seconds).
constexpr auto kTrimEvery = std::chrono::seconds(2);
// Between two batches of a round: lets queued writes (tokens, reports) take the writer.
constexpr auto kBetweenBatches = std::chrono::milliseconds(20);

}  // namespace

Housekeeping::Housekeeping(api::App& app)
    : app_(app),
      pruner_(*app.store, *app.clock,
              store::Pruner::Options{.event_retention = app.config.event_log.retention,
                                     .token_grace = 3600,
                                     .batch = 500,
                                     .between_batches = [] { std::this_thread::sleep_for(kBetweenBatches); }}) {
  app_.metrics.add_section([this] {
    std::string o;
    o += "# HELP licsat_pruned_rows_total Rows deleted by retention (expired tokens, old events).\n";
    o += "# TYPE licsat_pruned_rows_total counter\n";
    o += fmt::format("licsat_pruned_rows_total{{table=\"tokens\"}} {}\n", pruner_.tokens_pruned());
    o += fmt::format("licsat_pruned_rows_total{{table=\"events\"}} {}\n", pruner_.events_pruned());
    o += "# HELP licsat_table_rows Approximate rows per table, as of the last retention round.\n";
    o += "# TYPE licsat_table_rows gauge\n";
    o += fmt::format("licsat_table_rows{{table=\"tokens\"}} {}\n", pruner_.tokens_rows());
    o += fmt::format("licsat_table_rows{{table=\"events\"}} {}\n", pruner_.events_rows());
    return o;
  });
}

Housekeeping::~Housekeeping() {
  {
    std::lock_guard l(mu_);
    stop_ = true;
  }
  cv_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void Housekeeping::start() {
  thread_ = std::thread([this] { loop(); });
}

void Housekeeping::loop() {
  std::unique_lock l(mu_);
  auto next_round = std::chrono::steady_clock::now();  // the first round at start: sizes on /metrics
  for (;;) {
    l.unlock();
    if (std::chrono::steady_clock::now() >= next_round) {
      // Counts of refusals whose minute ended (a burst's last ones) are written, not held.
      api::write_ended_refusal_summaries(app_);
      retention_round();
      next_round = std::chrono::steady_clock::now() + kRoundEvery;
    }
    // Pages freed by large requests (usage reports) go back to the system.
    malloc_trim(0);
    l.lock();
    if (cv_.wait_for(l, kTrimEvery, [this] { return stop_; })) return;
  }
}

void Housekeeping::retention_round() {
  // One node of several over PostgreSQL deletes per round (they would delete the same rows); the
  // others only refresh their table sizes. SQLite always takes the lock.
  auto taken = app_.db->try_job_lock(kRetentionJobLock);
  if (!taken || !*taken) {
    (void)pruner_.refresh_sizes();
    return;
  }
  auto r = pruner_.run_once();
  app_.db->release_job_lock(kRetentionJobLock);
  if (!r) {
    log::warn("retention round failed", {{"error", r.error().message}});
    return;
  }
  if (r->tokens || r->events)
    log::info("retention", {{"tokens", std::to_string(r->tokens)}, {"events", std::to_string(r->events)}});
  // Deleting events is itself recorded, so a gap in the Event Log has an explanation beside it.
  if (r->events > 0)
    (void)app_.store->append_events({{0, app_.clock->now(), "system", "", "eventlog.prune", "success",
                                      std::to_string(r->events) + " events older than " +
                                          std::to_string(app_.config.event_log.retention / 86400) + " days deleted"}});
}

}  // namespace licsat::cli
