// The metrics registry: counters, gauges, histograms and callback families rendered in the
// Prometheus text format, label values escaped, series bounded however many label values come,
// and increments from many threads all counted.
#include <gtest/gtest.h>

#include <stdexcept>
#include <thread>
#include <vector>

#include "core/metrics_registry.h"

namespace licsat::metrics {
namespace {

bool has_line(const std::string& text, const std::string& line) {
  return text.find("\n" + line + "\n") != std::string::npos || text.starts_with(line + "\n");
}

TEST(MetricsRegistry, RendersCountersGaugesAndHistogramsWithHelpAndType) {
  Registry r;
  auto& refusals = r.counter("licsat_token_refusals_total", "Refusals.", {"reason"});
  refusals.with({"bad_secret"}).inc();
  refusals.with({"bad_secret"}).inc(2);
  refusals.with({"expired"});
  r.gauge("licsat_event_queue_depth", "Depth.").get().set(7);
  auto& h = r.histogram("licsat_usage_report_devices", "Devices.", {1, 10, 100}).get();
  h.observe(1);
  h.observe(5);
  h.observe(1000);
  std::string t = r.render();
  EXPECT_TRUE(has_line(t, "# HELP licsat_token_refusals_total Refusals.")) << t;
  EXPECT_TRUE(has_line(t, "# TYPE licsat_token_refusals_total counter")) << t;
  EXPECT_TRUE(has_line(t, "licsat_token_refusals_total{reason=\"bad_secret\"} 3")) << t;
  EXPECT_TRUE(has_line(t, "licsat_token_refusals_total{reason=\"expired\"} 0")) << t;
  EXPECT_TRUE(has_line(t, "# TYPE licsat_event_queue_depth gauge")) << t;
  EXPECT_TRUE(has_line(t, "licsat_event_queue_depth 7")) << t;
  EXPECT_TRUE(has_line(t, "# TYPE licsat_usage_report_devices histogram")) << t;
  EXPECT_TRUE(has_line(t, "licsat_usage_report_devices_bucket{le=\"1\"} 1")) << t;
  EXPECT_TRUE(has_line(t, "licsat_usage_report_devices_bucket{le=\"10\"} 2")) << t;
  EXPECT_TRUE(has_line(t, "licsat_usage_report_devices_bucket{le=\"100\"} 2")) << t;
  EXPECT_TRUE(has_line(t, "licsat_usage_report_devices_bucket{le=\"+Inf\"} 3")) << t;
  EXPECT_TRUE(has_line(t, "licsat_usage_report_devices_sum 1006")) << t;
  EXPECT_TRUE(has_line(t, "licsat_usage_report_devices_count 3")) << t;
}

TEST(MetricsRegistry, HistogramWithLabelsPutsLeLast) {
  Registry r;
  r.histogram("x_seconds", "X.", {0.5}, {"route"}).with({"/a"}).observe(0.25);
  std::string t = r.render();
  EXPECT_TRUE(has_line(t, "x_seconds_bucket{route=\"/a\",le=\"0.5\"} 1")) << t;
  EXPECT_TRUE(has_line(t, "x_seconds_sum{route=\"/a\"} 0.25")) << t;
}

TEST(MetricsRegistry, LabelValuesAreEscaped) {
  Registry r;
  r.gauge("g", "G.", {"tag"}).with({"a\"b\\c\nd"}).set(1);
  EXPECT_TRUE(has_line(r.render(), "g{tag=\"a\\\"b\\\\c\\nd\"} 1")) << r.render();
}

TEST(MetricsRegistry, SeriesPastTheBoundShareOneOtherSeries) {
  Registry r;
  auto& f = r.counter("c_total", "C.", {"who"}, 3);
  for (int i = 0; i < 100; ++i) f.with({std::string("v").append(std::to_string(i))}).inc();
  std::string t = r.render();
  EXPECT_TRUE(has_line(t, "c_total{who=\"v0\"} 1")) << t;
  EXPECT_TRUE(has_line(t, "c_total{who=\"v1\"} 1")) << t;
  EXPECT_TRUE(has_line(t, "c_total{who=\"v2\"} 1")) << t;
  EXPECT_TRUE(has_line(t, "c_total{who=\"other\"} 97")) << t;
  EXPECT_EQ(t.find("v3"), std::string::npos) << t;
  // A value seen before the bound keeps its own series.
  f.with({"v1"}).inc();
  EXPECT_TRUE(has_line(r.render(), "c_total{who=\"v1\"} 2"));
}

TEST(MetricsRegistry, SameNameReturnsTheSameFamilyAndADifferentShapeThrows) {
  Registry r;
  auto& a = r.counter("c_total", "C.", {"x"});
  auto& b = r.counter("c_total", "C.", {"x"});
  EXPECT_EQ(&a, &b);
  EXPECT_THROW(r.gauge("c_total", "C.", {"x"}), std::logic_error);
  EXPECT_THROW(r.counter("c_total", "C.", {"y"}), std::logic_error);
}

TEST(MetricsRegistry, CallbackFamiliesAreAskedAtEachRenderAndBounded) {
  Registry r;
  int calls = 0;
  r.callback("licsat_license_in_use", "In use.", "gauge", {"account", "tag"},
             [&calls] {
               ++calls;
               return std::vector<Sample>{{{"acme", "t1"}, 3}, {{"acme", "t2"}, 4}, {{"acme", "t3"}, 5}};
             },
             2);
  std::string t = r.render();
  EXPECT_EQ(calls, 1);
  EXPECT_TRUE(has_line(t, "# TYPE licsat_license_in_use gauge")) << t;
  EXPECT_TRUE(has_line(t, "licsat_license_in_use{account=\"acme\",tag=\"t1\"} 3")) << t;
  EXPECT_TRUE(has_line(t, "licsat_license_in_use{account=\"acme\",tag=\"t2\"} 4")) << t;
  EXPECT_EQ(t.find("t3"), std::string::npos) << t;
  (void)r.render();
  EXPECT_EQ(calls, 2);
}

TEST(MetricsRegistry, IncrementsFromManyThreadsAreAllCounted) {
  Registry r;
  auto& c = r.counter("c_total", "C.").get();
  auto& h = r.histogram("h", "H.", {1}).get();
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 10000; ++i) {
        c.inc();
        h.observe(0.5);
      }
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(c.value(), 40000u);
  EXPECT_EQ(h.count(), 40000u);
  EXPECT_EQ(h.cumulative(0), 40000u);
  EXPECT_DOUBLE_EQ(h.sum(), 20000.0);
}

}  // namespace
}  // namespace licsat::metrics
