// The server's families on /metrics beyond the HTTP layer's, in one metrics::Registry rendered
// as a section of http::Metrics: license pools (quantity, in use, status, expiry), usage
// reports, the store (write transactions, group-commit batches, the SQLite write-ahead log,
// whether the database answers), the Event Log's queue, a satellite's sync with its authority,
// the build. Tokens count themselves (oauth/token_metrics.h). Other subsystems add their own
// families through registry() (a syslog sink: its queue depth and drops).
//
// Values that live in the database (pools and their in-use counts, the last successful sync, the
// outbox) come from a snapshot taken at most every kRefresh, from the maintained counters: a
// scrape costs at most one read of them, however often Prometheus asks and however many devices
// report.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/metrics_registry.h"

namespace licsat::api {

struct App;

class ServerMetrics {
 public:
  static constexpr std::chrono::seconds kRefresh{5};
  // Pools rendered per family at most (series are bounded by pools, not devices).
  static constexpr size_t kMaxPools = 5000;

  // The registry with licsat_build_info and the store's histograms (the database is wrapped in
  // a store::TimedDatabase before anything else exists).
  ServerMetrics();
  ServerMetrics(const ServerMetrics&) = delete;
  ServerMetrics& operator=(const ServerMetrics&) = delete;

  // Registers the other families and attaches the token service, the Event Log and the upstream
  // link; renders the registry after app.metrics' own families. Call once, before the server
  // starts. App declares this object first, so that it outlives everything that counts into it.
  void attach(App& app);

  metrics::Registry& registry() { return registry_; }
  metrics::Histogram& commit_seconds() { return *commit_seconds_; }
  metrics::Histogram& group_commit_size() { return *group_commit_size_; }

  // One usage report handled: `outcome` accepted, repeat, invalid, not_found, conflict or error
  // (one over max_usage_body_bytes is refused before, in licsat_http_limit_rejections_total);
  // `devices` in its body (0 when it did not parse); `seconds` to answer it.
  void usage_report(const std::string& outcome, size_t devices, double seconds);

 private:
  struct Pool {
    std::string account, virtual_account, tag, status;
    int64_t quantity = 0, in_use = 0, ends = 0;
  };
  struct Snapshot {
    bool db_up = false;
    std::vector<Pool> pools;
    std::optional<int64_t> upstream_last_ok;
    std::optional<int64_t> outbox;
  };
  // The snapshot, taken again when older than kRefresh.
  std::shared_ptr<const Snapshot> snapshot();
  std::shared_ptr<const Snapshot> take_snapshot();
  void register_license_families(metrics::Registry& r);
  void register_store_families(metrics::Registry& r);
  void register_upstream_families(metrics::Registry& r);

  metrics::Registry registry_;
  App* app_ = nullptr;
  std::mutex mu_;
  std::shared_ptr<const Snapshot> snapshot_;
  std::chrono::steady_clock::time_point taken_at_{};
  metrics::Registry::Family<metrics::Counter>* reports_ = nullptr;
  metrics::Histogram* report_devices_ = nullptr;
  metrics::Histogram* report_seconds_ = nullptr;
  metrics::Histogram* commit_seconds_ = nullptr;
  metrics::Histogram* group_commit_size_ = nullptr;
};

}  // namespace licsat::api
