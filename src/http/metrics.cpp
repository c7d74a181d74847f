#include "http/metrics.h"

#include <chrono>
#include <fmt/format.h>

namespace licsat::http {
namespace {
int64_t steady_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
}
std::string label(const std::string& v) {
  std::string o;
  for (char c : v) {
    if (c == '"' || c == '\\') o += '\\';
    if (c == '\n') { o += "\\n"; continue; }
    o += c;
  }
  return o;
}
}  // namespace

Metrics::Metrics() : started_(steady_seconds()) {}

void Metrics::observe(const std::string& route, int status, double seconds) {
  std::lock_guard l(mu_);
  ++requests_[{route, status}];
  auto& h = latency_[route];
  for (size_t i = 0; i < kBuckets.size(); ++i)
    if (seconds <= kBuckets[i]) ++h.counts[i];
  ++h.total;
  h.sum += seconds;
}

void Metrics::connection_opened() { std::lock_guard l(mu_); ++open_connections_; }
void Metrics::connection_closed() { std::lock_guard l(mu_); --open_connections_; }
void Metrics::limit_hit(const std::string& which) { std::lock_guard l(mu_); ++limits_[which]; }
void Metrics::unauthenticated(const std::string& route) { std::lock_guard l(mu_); ++unauthenticated_[route]; }

std::string Metrics::render() const {
  std::unique_lock l(mu_);
  std::string o;
  o += "# HELP licsat_http_requests_total HTTP requests by route pattern and status.\n";
  o += "# TYPE licsat_http_requests_total counter\n";
  for (const auto& [k, n] : requests_)
    o += fmt::format("licsat_http_requests_total{{route=\"{}\",status=\"{}\"}} {}\n", label(k.first), k.second, n);
  o += "# HELP licsat_http_request_duration_seconds Time from a whole request read to its response queued.\n";
  o += "# TYPE licsat_http_request_duration_seconds histogram\n";
  for (const auto& [route, h] : latency_) {
    for (size_t i = 0; i < kBuckets.size(); ++i)
      o += fmt::format("licsat_http_request_duration_seconds_bucket{{route=\"{}\",le=\"{}\"}} {}\n", label(route),
                       kBuckets[i], h.counts[i]);
    o += fmt::format("licsat_http_request_duration_seconds_bucket{{route=\"{}\",le=\"+Inf\"}} {}\n", label(route), h.total);
    o += fmt::format("licsat_http_request_duration_seconds_sum{{route=\"{}\"}} {:.6f}\n", label(route), h.sum);
    o += fmt::format("licsat_http_request_duration_seconds_count{{route=\"{}\"}} {}\n", label(route), h.total);
  }
  o += "# HELP licsat_http_limit_rejections_total Requests refused by a size or time limit.\n";
  o += "# TYPE licsat_http_limit_rejections_total counter\n";
  for (const auto& [k, n] : limits_) o += fmt::format("licsat_http_limit_rejections_total{{limit=\"{}\"}} {}\n", k, n);
  o += "# HELP licsat_http_unauthenticated_total Requests refused 401 (no or a bad credential) by route pattern.\n";
  o += "# TYPE licsat_http_unauthenticated_total counter\n";
  for (const auto& [k, n] : unauthenticated_)
    o += fmt::format("licsat_http_unauthenticated_total{{route=\"{}\"}} {}\n", label(k), n);
  o += "# HELP licsat_open_connections Connections open now.\n# TYPE licsat_open_connections gauge\n";
  o += fmt::format("licsat_open_connections {}\n", open_connections_);
  o += "# HELP licsat_uptime_seconds Seconds since the server started.\n# TYPE licsat_uptime_seconds gauge\n";
  o += fmt::format("licsat_uptime_seconds {}\n", steady_seconds() - started_);
  // Sections run outside the lock: one may refresh a snapshot from the database (the license
  // gauges), and requests must not wait on that to count themselves.
  auto sections = sections_;
  l.unlock();
  for (const auto& section : sections) o += section();
  return o;
}

void Metrics::add_section(std::function<std::string()> render_section) {
  std::lock_guard l(mu_);
  sections_.push_back(std::move(render_section));
}

}  // namespace licsat::http
