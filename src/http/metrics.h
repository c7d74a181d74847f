// Request counters and a latency histogram, rendered in the Prometheus text format.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace licsat::http {

class Metrics {
 public:
  Metrics();
  void observe(const std::string& route, int status, double seconds);
  void connection_opened();
  void connection_closed();
  void limit_hit(const std::string& which);
  // A request refused 401 (no or a bad credential), by route pattern (never the raw path, so
  // the set of labels is the set of routes).
  void unauthenticated(const std::string& route);
  std::string render() const;

  // Sections rendered after the built-in ones, in the order added: each returns complete
  // Prometheus text (HELP, TYPE and samples) from values its owner keeps up to date, so that a
  // scrape costs no database work. Add them before the server starts; the owner outlives it.
  void add_section(std::function<std::string()> render_section);

 private:
  static constexpr std::array<double, 12> kBuckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                      0.05,   0.1,   0.25,   0.5,   1.0,  5.0};
  struct Histogram {
    std::array<uint64_t, kBuckets.size()> counts{};
    uint64_t total = 0;
    double sum = 0;
  };
  mutable std::mutex mu_;
  std::map<std::pair<std::string, int>, uint64_t> requests_;
  std::map<std::string, Histogram> latency_;
  std::map<std::string, uint64_t> limits_;
  std::map<std::string, uint64_t> unauthenticated_;  // by route pattern
  int64_t open_connections_ = 0;
  std::vector<std::function<std::string()>> sections_;
  int64_t started_;
};

}  // namespace licsat::http
