// Cost of counting into the metrics registry (src/core/metrics_registry.h): a counter increment
// and a histogram observation on a kept series (the hot path of every token and report), the
// same from two threads on one series (contended cache line), a series lookup by label values
// (what a caller that does not keep its series pays), and rendering 1,000 series. Prints the
// figures with the machine's core count and load average; compare within one run only.
#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "core/metrics_registry.h"

using namespace licsat;
using Clock = std::chrono::steady_clock;

template <class F>
double ns_per_op(long n, F f) {
  auto t0 = Clock::now();
  for (long i = 0; i < n; ++i) f();
  return std::chrono::duration<double, std::nano>(Clock::now() - t0).count() / static_cast<double>(n);
}

int main() {
  metrics::Registry r;
  auto& c = r.counter("bench_total", "Bench.", {"reason"}).with({"bad_secret"});
  auto& h = r.histogram("bench_seconds", "Bench.", metrics::seconds_buckets()).get();
  auto& fam = r.counter("bench_lookup_total", "Bench.", {"reason"});
  const long n = 20'000'000;

  double inc = ns_per_op(n, [&] { c.inc(); });
  double obs = ns_per_op(n / 4, [&] { h.observe(0.003); });
  double lookup = ns_per_op(n / 20, [&] { fam.with({"bad_secret"}).inc(); });

  auto t0 = Clock::now();
  std::vector<std::thread> threads;
  for (int t = 0; t < 2; ++t)
    threads.emplace_back([&] {
      for (long i = 0; i < n; ++i) c.inc();
    });
  for (auto& t : threads) t.join();
  double contended = std::chrono::duration<double, std::nano>(Clock::now() - t0).count() / static_cast<double>(n);

  auto& many = r.gauge("bench_pool", "Bench.", {"account", "virtual_account", "tag"}, 1000);
  for (int i = 0; i < 1000; ++i) many.with({"acme", std::string("va").append(std::to_string(i % 10)), std::string("tag").append(std::to_string(i))}).set(i);
  std::string text;
  double render_us = ns_per_op(200, [&] { text = r.render(); }) / 1000.0;

  double load = 0;
  std::ifstream("/proc/loadavg") >> load;
  std::printf("counter inc, kept series, 1 thread:          %6.2f ns\n", inc);
  std::printf("counter inc, one series, 2 threads (wall/op): %6.2f ns\n", contended);
  std::printf("histogram observe (14 buckets), 1 thread:   %6.2f ns\n", obs);
  std::printf("series lookup by labels + inc:              %6.2f ns\n", lookup);
  std::printf("render 1,000 gauge series + 3 families:     %6.1f us (%zu bytes)\n", render_us, text.size());
  std::printf("cores: %u, load average (1 min): %.2f, counter total %llu\n", std::thread::hardware_concurrency(), load,
              static_cast<unsigned long long>(c.value()));
  return 0;
}
