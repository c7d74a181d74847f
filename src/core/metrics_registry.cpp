#include "core/metrics_registry.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <type_traits>

namespace licsat::metrics {
namespace {

std::string number(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  return fmt::format("{}", v);
}

// `{a="x",b="y"` (without the closing brace, so that histograms can append `le`), or "".
std::string label_set(const std::vector<std::string>& names, const Labels& values) {
  std::string o;
  for (size_t i = 0; i < names.size() && i < values.size(); ++i) {
    o += o.empty() ? "{" : ",";
    o += names[i] + "=\"" + escape_label(values[i]) + "\"";
  }
  return o;
}

std::string closed(const std::string& set) { return set.empty() ? set : set + "}"; }

}  // namespace

std::string escape_label(const std::string& v) {
  std::string o;
  o.reserve(v.size());
  for (char c : v) {
    if (c == '\n') {
      o += "\\n";
      continue;
    }
    if (c == '"' || c == '\\') o += '\\';
    o += c;
  }
  return o;
}

Histogram::Histogram(const std::vector<double>& bounds)
    : bounds_(bounds), buckets_(std::make_unique<std::atomic<uint64_t>[]>(bounds.size())) {
  for (size_t i = 0; i < bounds_.size(); ++i) buckets_[i].store(0);
}

void Histogram::observe(double v) {
  for (size_t i = 0; i < bounds_.size(); ++i) {
    if (v <= bounds_[i]) {
      buckets_[i].fetch_add(1, std::memory_order_relaxed);
      break;
    }
  }
  sum_.fetch_add(v, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
}

uint64_t Histogram::cumulative(size_t i) const {
  if (i >= bounds_.size()) return count();
  uint64_t n = 0;
  for (size_t j = 0; j <= i; ++j) n += buckets_[j].load(std::memory_order_relaxed);
  return n;
}

std::vector<double> seconds_buckets() {
  return {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

std::vector<double> exponential_buckets(double start, double factor, size_t n) {
  std::vector<double> b;
  double v = start;
  for (size_t i = 0; i < n; ++i, v *= factor) b.push_back(v);
  return b;
}

template <class T>
T& Registry::Family<T>::with(const Labels& values) {
  std::lock_guard l(mu_);
  auto it = series_.find(values);
  if (it != series_.end()) return *it->second;
  Labels key = values;
  key.resize(names_.size());
  if (series_.size() >= max_series_) {
    // Bounded: past the limit every new combination shares one series.
    key.assign(names_.size(), "other");
    it = series_.find(key);
    if (it != series_.end()) return *it->second;
  }
  std::unique_ptr<T> s;
  if constexpr (std::is_same_v<T, Histogram>)
    s = std::make_unique<T>(bounds_);
  else
    s = std::make_unique<T>();
  return *series_.emplace(std::move(key), std::move(s)).first->second;
}

template class Registry::Family<Counter>;
template class Registry::Family<Gauge>;
template class Registry::Family<Histogram>;

struct Registry::Entry {
  std::string name, help, type;
  std::vector<std::string> label_names;
  std::unique_ptr<Family<Counter>> counters;
  std::unique_ptr<Family<Gauge>> gauges;
  std::unique_ptr<Family<Histogram>> histograms;
  std::function<std::vector<Sample>()> collect;
  size_t max_series = kDefaultMaxSeries;
};

Registry::Registry() = default;
Registry::~Registry() = default;

Registry::Entry& Registry::add(const std::string& name, const std::string& help, const std::string& type,
                               const std::vector<std::string>& label_names) {
  for (auto& e : entries_) {
    if (e->name != name) continue;
    if (e->type != type || e->label_names != label_names || e->collect)
      throw std::logic_error("metric family " + name + " registered twice with different shapes");
    return *e;
  }
  auto e = std::make_unique<Entry>();
  e->name = name;
  e->help = help;
  e->type = type;
  e->label_names = label_names;
  entries_.push_back(std::move(e));
  return *entries_.back();
}

Registry::Family<Counter>& Registry::counter(const std::string& name, const std::string& help,
                                             std::vector<std::string> label_names, size_t max_series) {
  std::lock_guard l(mu_);
  auto& e = add(name, help, "counter", label_names);
  if (!e.counters) e.counters.reset(new Family<Counter>(label_names, max_series, {}));
  return *e.counters;
}

Registry::Family<Gauge>& Registry::gauge(const std::string& name, const std::string& help,
                                         std::vector<std::string> label_names, size_t max_series) {
  std::lock_guard l(mu_);
  auto& e = add(name, help, "gauge", label_names);
  if (!e.gauges) e.gauges.reset(new Family<Gauge>(label_names, max_series, {}));
  return *e.gauges;
}

Registry::Family<Histogram>& Registry::histogram(const std::string& name, const std::string& help,
                                                 std::vector<double> bounds, std::vector<std::string> label_names,
                                                 size_t max_series) {
  std::lock_guard l(mu_);
  auto& e = add(name, help, "histogram", label_names);
  if (!e.histograms) e.histograms.reset(new Family<Histogram>(label_names, max_series, std::move(bounds)));
  return *e.histograms;
}

void Registry::callback(const std::string& name, const std::string& help, const std::string& type,
                        std::vector<std::string> label_names, std::function<std::vector<Sample>()> collect,
                        size_t max_series) {
  std::lock_guard l(mu_);
  for (auto& e : entries_)
    if (e->name == name) throw std::logic_error("metric family " + name + " registered twice");
  auto e = std::make_unique<Entry>();
  e->name = name;
  e->help = help;
  e->type = type;
  e->label_names = std::move(label_names);
  e->collect = std::move(collect);
  e->max_series = max_series;
  entries_.push_back(std::move(e));
}

std::string Registry::render() const {
  std::lock_guard l(mu_);
  std::string o;
  for (const auto& e : entries_) {
    o += "# HELP " + e->name + " " + e->help + "\n";
    o += "# TYPE " + e->name + " " + e->type + "\n";
    if (e->collect) {
      size_t n = 0;
      for (const auto& s : e->collect()) {
        if (n++ >= e->max_series) break;
        o += e->name + closed(label_set(e->label_names, s.labels)) + " " + number(s.value) + "\n";
      }
    } else if (e->counters) {
      std::lock_guard fl(e->counters->mu_);
      for (const auto& [labels, c] : e->counters->series_)
        o += e->name + closed(label_set(e->label_names, labels)) + " " + std::to_string(c->value()) + "\n";
    } else if (e->gauges) {
      std::lock_guard fl(e->gauges->mu_);
      for (const auto& [labels, g] : e->gauges->series_)
        o += e->name + closed(label_set(e->label_names, labels)) + " " + number(g->value()) + "\n";
    } else if (e->histograms) {
      std::lock_guard fl(e->histograms->mu_);
      for (const auto& [labels, h] : e->histograms->series_) {
        std::string set = label_set(e->label_names, labels);
        std::string prefix = set.empty() ? "{" : set + ",";
        // Read the count first: buckets observed after it only make +Inf lag, never go below.
        uint64_t count = h->count();
        for (size_t i = 0; i < h->bounds().size(); ++i)
          o += e->name + "_bucket" + prefix + "le=\"" + number(h->bounds()[i]) + "\"} " +
               std::to_string(std::min(h->cumulative(i), count)) + "\n";
        o += e->name + "_bucket" + prefix + "le=\"+Inf\"} " + std::to_string(count) + "\n";
        o += e->name + "_sum" + closed(set) + " " + number(h->sum()) + "\n";
        o += e->name + "_count" + closed(set) + " " + std::to_string(count) + "\n";
      }
    }
  }
  return o;
}

}  // namespace licsat::metrics
