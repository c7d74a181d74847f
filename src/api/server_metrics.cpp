#include "api/server_metrics.h"

#include <sys/stat.h>

#include <stdexcept>

#include "api/app.h"
#include "domain/licensing_status.h"

namespace licsat::api {
namespace {

// The `status` label of a pool: one word per compliance state.
const char* status_word(domain::Compliance c) {
  switch (c) {
    case domain::Compliance::kInCompliance: return "in_compliance";
    case domain::Compliance::kInsufficient: return "insufficient";
    case domain::Compliance::kExpired: return "expired";
  }
  return "other";
}
constexpr const char* kStatuses[] = {"in_compliance", "insufficient", "expired"};

// The SQLite database file a configuration names, or "" on PostgreSQL.
std::string sqlite_path(const ServerConfig& cfg) {
  std::string url = database_url(cfg);
  if (url.starts_with("postgresql://") || url.starts_with("postgres://")) return "";
  if (url.starts_with("sqlite:")) url.erase(0, 7);
  return url;
}

}  // namespace

ServerMetrics::ServerMetrics() {
  registry_.gauge("licsat_build_info", "The running build: always 1, its version as a label.", {"version"})
      .with({LICSAT_VERSION})
      .set(1);
  commit_seconds_ = &registry_
                         .histogram("licsat_db_commit_seconds",
                                    "Seconds a write transaction took, from its start to its commit on disk.",
                                    metrics::seconds_buckets())
                         .get();
  group_commit_size_ = &registry_
                            .histogram("licsat_db_group_commit_size",
                                       "Token writes committed together in one transaction.",
                                       metrics::exponential_buckets(1, 2, 11))
                            .get();
}

void ServerMetrics::attach(App& app) {
  app_ = &app;
  auto& r = registry_;
  app.tokens->attach_metrics(r);
  register_license_families(r);
  reports_ = &r.counter("licsat_usage_reports_total",
                        "Usage reports received, by outcome (accepted, repeat, invalid, not_found, conflict, "
                        "error).",
                        {"outcome"}, 16);
  for (const char* o : {"accepted", "repeat", "invalid", "not_found", "conflict", "error"}) reports_->with({o});
  report_devices_ = &r.histogram("licsat_usage_report_devices", "Devices per usage report.",
                                 metrics::exponential_buckets(1, 10, 7))
                         .get();
  report_seconds_ = &r.histogram("licsat_usage_report_seconds",
                                 "Seconds to handle a usage report (parse, store, commit), once its body is read.",
                                 metrics::seconds_buckets())
                         .get();
  register_store_families(r);
  if (app.upstream->configured()) register_upstream_families(r);
  app.metrics.add_section([this] { return registry_.render(); });
}

void ServerMetrics::usage_report(const std::string& outcome, size_t devices, double seconds) {
  reports_->with({outcome}).inc();
  if (outcome == "accepted" || outcome == "repeat") report_devices_->observe(static_cast<double>(devices));
  report_seconds_->observe(seconds);
}

void ServerMetrics::register_license_families(metrics::Registry& r) {
  using metrics::Sample;
  const std::vector<std::string> pool_labels = {"account", "virtual_account", "tag"};
  r.callback("licsat_license_quantity", "Licenses a pool holds while active (0 once expired or not yet started).",
             "gauge", pool_labels, [this] {
               std::vector<Sample> out;
               for (const auto& p : snapshot()->pools)
                 out.push_back({{p.account, p.virtual_account, p.tag}, static_cast<double>(p.quantity)});
               return out;
             }, kMaxPools);
  r.callback("licsat_license_in_use", "Licenses of a pool's tag that devices report in use.", "gauge", pool_labels,
             [this] {
               std::vector<Sample> out;
               for (const auto& p : snapshot()->pools)
                 out.push_back({{p.account, p.virtual_account, p.tag}, static_cast<double>(p.in_use)});
               return out;
             }, kMaxPools);
  r.callback("licsat_license_status", "A pool's compliance status: 1 for the current one, 0 for the others.",
             "gauge", {"account", "virtual_account", "tag", "status"}, [this] {
               std::vector<Sample> out;
               for (const auto& p : snapshot()->pools)
                 for (const char* s : kStatuses)
                   out.push_back({{p.account, p.virtual_account, p.tag, s}, p.status == s ? 1.0 : 0.0});
               return out;
             }, kMaxPools * 3);
  r.callback("licsat_license_expiry_timestamp_seconds", "When a pool ends (Unix seconds); perpetual pools have none.",
             "gauge", pool_labels, [this] {
               std::vector<Sample> out;
               for (const auto& p : snapshot()->pools)
                 if (p.ends != 0) out.push_back({{p.account, p.virtual_account, p.tag}, static_cast<double>(p.ends)});
               return out;
             }, kMaxPools);
}

void ServerMetrics::register_store_families(metrics::Registry& r) {
  using metrics::Sample;
  r.callback("licsat_db_up", "1 when the database answered the last read of the license counters, else 0.", "gauge",
             {}, [this] { return std::vector<Sample>{{{}, snapshot()->db_up ? 1.0 : 0.0}}; });
  if (std::string path = sqlite_path(app_->config); !path.empty()) {
    r.callback("licsat_db_wal_bytes", "Size of the SQLite write-ahead log file (licsat.db-wal).", "gauge", {},
               [wal = path + "-wal"] {
                 struct stat st{};
                 double bytes = ::stat(wal.c_str(), &st) == 0 ? static_cast<double>(st.st_size) : 0.0;
                 return std::vector<Sample>{{{}, bytes}};
               });
  }
  r.callback("licsat_event_queue_depth", "Event Log entries queued for the background writer.", "gauge", {},
             [this] { return std::vector<Sample>{{{}, static_cast<double>(app_->events->depth())}}; });
  r.callback("licsat_event_queue_dropped_total", "Event Log entries lost because their batch could not be written.",
             "counter", {}, [this] { return std::vector<Sample>{{{}, static_cast<double>(app_->events->dropped())}}; });
}

void ServerMetrics::register_upstream_families(metrics::Registry& r) {
  using metrics::Sample;
  app_->upstream->attach_metrics(r);
  r.callback("licsat_upstream_last_success_timestamp_seconds",
             "When the last successful sync with the authority finished (Unix seconds; 0: never).", "gauge", {}, [this] {
               auto s = snapshot();
               return std::vector<Sample>{{{}, static_cast<double>(s->upstream_last_ok.value_or(0))}};
             });
  r.callback("licsat_upstream_interval_seconds", "The configured time between syncs with the authority.", "gauge", {},
             [this] { return std::vector<Sample>{{{}, static_cast<double>(app_->config.upstream.interval)}}; });
  r.callback("licsat_upstream_outbox_reports", "Usage reports waiting to be forwarded to the authority.", "gauge", {},
             [this] {
               auto s = snapshot();
               std::vector<Sample> out;
               if (s->outbox) out.push_back({{}, static_cast<double>(*s->outbox)});
               return out;
             });
}

std::shared_ptr<const ServerMetrics::Snapshot> ServerMetrics::snapshot() {
  std::lock_guard l(mu_);
  auto now = std::chrono::steady_clock::now();
  if (!snapshot_ || now - taken_at_ >= kRefresh) {
    snapshot_ = take_snapshot();
    taken_at_ = now;
  }
  return snapshot_;
}

std::shared_ptr<const ServerMetrics::Snapshot> ServerMetrics::take_snapshot() {
  auto s = std::make_shared<Snapshot>();
  auto accounts = app_->licensing->accounts();
  s->db_up = accounts.has_value();
  if (accounts) {
    for (const auto& a : *accounts) {
      auto page = app_->licensing->licenses(a.name, {}, -1, 0);
      if (!page) {
        s->db_up = false;
        continue;
      }
      for (const auto& line : page->lines) {
        // A tag reported without a pool is a manager's word, not a pool an admin made: left out.
        if (!line.pool) continue;
        if (s->pools.size() >= kMaxPools) break;
        s->pools.push_back(Pool{a.name, line.virtual_account, line.tag, status_word(line.status), line.quantity,
                                line.in_use, line.pool ? line.pool->ends : 0});
      }
    }
  }
  if (app_->upstream->configured()) {
    if (auto v = app_->store->get_setting(sync::kSettingLastOk); v && *v && !(*v)->empty()) {
      try {
        s->upstream_last_ok = std::stoll(**v);
      } catch (const std::exception&) {
      }
    }
    if (auto n = app_->sync_store->pending_count(); n) s->outbox = *n;
  }
  return s;
}

}  // namespace licsat::api
