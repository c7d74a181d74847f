// A small registry of Prometheus metric families (counters, gauges, histograms) that any
// subsystem can add to, rendered in the Prometheus text format by GET /metrics.
//
// Increments are lock-free: a family hands out a series (Counter&, Gauge&, Histogram&) for a set
// of label values once, under the family's lock, and the owner keeps the reference and bumps an
// atomic from then on. Labels are bounded: a family holds at most `max_series` series; label
// values past that share one series whose every label is "other", so no client can grow the
// registry. Label values must never be a secret or a raw client-supplied string.
//
// Values computed at scrape time (from counters another part keeps, e.g. license in-use counts)
// are callback families: the callback returns the samples, and should read a cache, not query.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace licsat::metrics {

using Labels = std::vector<std::string>;  // values, in the order of the family's label names

class Counter {
 public:
  void inc(uint64_t n = 1) { v_.fetch_add(n, std::memory_order_relaxed); }
  uint64_t value() const { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> v_{0};
};

class Gauge {
 public:
  void set(double v) { v_.store(v, std::memory_order_relaxed); }
  void add(double d) { v_.fetch_add(d, std::memory_order_relaxed); }
  double value() const { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> v_{0};
};

class Histogram {
 public:
  // `bounds`: the upper bounds of the buckets, ascending (+Inf is implied).
  explicit Histogram(const std::vector<double>& bounds);
  void observe(double v);
  const std::vector<double>& bounds() const { return bounds_; }
  // Cumulative count of observations <= bounds()[i]; i == bounds().size() is +Inf (the count).
  uint64_t cumulative(size_t i) const;
  uint64_t count() const { return count_.load(std::memory_order_relaxed); }
  double sum() const { return sum_.load(std::memory_order_relaxed); }

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> buckets_;  // per bucket, not cumulative
  std::atomic<uint64_t> count_{0};
  std::atomic<double> sum_{0};
};

// Buckets for durations in seconds, 0.5 ms to 10 s.
std::vector<double> seconds_buckets();
// Powers of `factor` from `start`, `n` of them (sizes: devices per report, batch sizes).
std::vector<double> exponential_buckets(double start, double factor, size_t n);

// One sample of a callback family: label values and a value.
struct Sample {
  Labels labels;
  double value = 0;
};

class Registry {
 public:
  static constexpr size_t kDefaultMaxSeries = 200;
  Registry();
  ~Registry();
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  template <class T>
  class Family {
   public:
    // The series of these label values (created on first use; "other" past max_series).
    // Keep the reference: it stays valid as long as the registry.
    T& with(const Labels& values);
    // The series of a family without labels.
    T& get() { return with({}); }

   private:
    friend class Registry;
    Family(std::vector<std::string> names, size_t max_series, std::vector<double> bounds)
        : names_(std::move(names)), max_series_(max_series), bounds_(std::move(bounds)) {}
    std::vector<std::string> names_;
    size_t max_series_;
    std::vector<double> bounds_;  // histograms only
    mutable std::mutex mu_;
    std::map<Labels, std::unique_ptr<T>> series_;
  };

  // Registering a name twice returns the first family (the kind and labels must match; a
  // mismatch is a programming error and throws std::logic_error).
  Family<Counter>& counter(const std::string& name, const std::string& help, std::vector<std::string> label_names = {},
                           size_t max_series = kDefaultMaxSeries);
  Family<Gauge>& gauge(const std::string& name, const std::string& help, std::vector<std::string> label_names = {},
                       size_t max_series = kDefaultMaxSeries);
  Family<Histogram>& histogram(const std::string& name, const std::string& help, std::vector<double> bounds,
                               std::vector<std::string> label_names = {}, size_t max_series = kDefaultMaxSeries);
  // A gauge (or counter: `type` "counter") family whose samples `collect` returns at each
  // scrape; at most max_series of them are rendered.
  void callback(const std::string& name, const std::string& help, const std::string& type,
                std::vector<std::string> label_names, std::function<std::vector<Sample>()> collect,
                size_t max_series = kDefaultMaxSeries);

  // Every family in the Prometheus text format (0.0.4), in the order registered.
  std::string render() const;

 private:
  struct Entry;
  Entry& add(const std::string& name, const std::string& help, const std::string& type,
             const std::vector<std::string>& label_names);
  mutable std::mutex mu_;
  std::vector<std::unique_ptr<Entry>> entries_;
};

// A label value escaped for the text format (backslash, double quote, newline).
std::string escape_label(const std::string& v);

}  // namespace licsat::metrics
