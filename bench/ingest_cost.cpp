// Cost of one large usage report without HTTP and TLS: parse, LicenseService::report_usage (hash,
// merge, store), a repeat of the same report, and the inUse query, each timed. Meant for
// profilers (valgrind --tool=callgrind, perf), where the HTTP server's threads only add noise.
//
//   ingest_cost [DEVICES] [sqlite|postgresql://…]      (defaults: 100000, SQLite in a temp dir)
//   LICSAT_INGEST_REPORTS=N   ingests N different reports of the same devices (default 1)
#include <unistd.h>

#include <time.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "api/usage_report_parser.h"
#include "core/crypto.h"
#include "domain/licensing_service.h"
#include "store/migrations.h"
#include "store/store.h"

using namespace licsat;

namespace {

std::string make_report(int n, const std::string& id) {
  static const char* tags[] = {"network-advantage", "dna-advantage", "security-essentials"};
  std::string s = "{\"reportId\":\"" + id +
                  "\",\"manager\":\"bench-manager\",\"period\":{\"start\":\"2026-11-24T00:00:00Z\",\"end\":"
                  "\"2026-11-25T00:00:00Z\"},\"devices\":[";
  char buf[512];
  for (int i = 0; i < n; ++i) {
    int len = std::snprintf(buf, sizeof buf,
                            "%s{\"pid\":\"C9300-48P\",\"sn\":\"FOC%08d\",\"hostname\":\"switch-%06d.campus.example.com\","
                            "\"licenses\":[{\"tag\":\"%s\",\"count\":%d},{\"tag\":\"%s\",\"count\":%d},{\"tag\":\"%s\","
                            "\"count\":%d}]}",
                            i ? "," : "", i, i, tags[0], 1 + i % 3, tags[1], 1 + (i + 1) % 3, tags[2], 1 + (i + 2) % 3);
    s.append(buf, static_cast<size_t>(len));
  }
  s += "]}";
  return s;
}

double since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

// CPU time of this thread in ms: on a loaded machine it varies far less than the wall clock.
double cpu_ms() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

}  // namespace

int main(int argc, char** argv) {
  crypto::init();
  const int n = argc > 1 ? std::atoi(argv[1]) : 100000;
  const std::string where = argc > 2 ? argv[2] : "sqlite";
  const int reports = std::getenv("LICSAT_INGEST_REPORTS") ? std::atoi(std::getenv("LICSAT_INGEST_REPORTS")) : 1;

  std::string dir;
  Result<std::unique_ptr<store::Database>> db = fail(Error::internal("no database"));
  if (where == "sqlite") {
    char tmpl[] = "/tmp/licsat-ingest-XXXXXX";
    dir = mkdtemp(tmpl);
    db = store::open_sqlite(dir + "/licsat.db");
  } else {
    db = store::open_postgres(where, 2);
  }
  if (!db) return std::fprintf(stderr, "%s\n", db.error().message.c_str()), 1;
  std::shared_ptr<store::Database> shared = std::move(*db);
  if (auto m = store::migrate(*shared); !m) return std::fprintf(stderr, "%s\n", m.error().message.c_str()), 1;
  auto st = store::make_sql_store(shared);
  SystemClock clock;
  domain::LicenseService svc(*st, *st, clock, UpstreamConfig{}, "k");
  domain::Actor by{"bench", "127.0.0.1"};
  const std::string account = "bench-" + std::to_string(::getpid());
  if (!svc.add_account(account, "", by) || !svc.add_virtual_account(account, "Campus", "", by)) return 1;
  for (const char* t : {"network-advantage", "dna-advantage", "security-essentials"}) {
    domain::LicensePool p;
    p.tag = t;
    p.quantity = 250000;
    if (!svc.add_pool(account, "Campus", p, by)) return 1;
  }

  for (int k = 1; k <= reports; ++k) {
    const std::string body = make_report(n, "bench-" + std::to_string(k));
    double c0 = cpu_ms();
    auto t0 = std::chrono::steady_clock::now();
    auto rep = api::parse_usage_report(body);
    if (!rep) return std::fprintf(stderr, "%s\n", rep.error().message.c_str()), 1;
    double parse_ms = since(t0);
    double c1 = cpu_ms();
    auto t1 = std::chrono::steady_clock::now();
    auto out = svc.report_usage(account, "Campus", std::move(*rep), "", by);
    if (!out) return std::fprintf(stderr, "%s\n", out.error().message.c_str()), 1;
    double store_ms = since(t1);
    double c2 = cpu_ms();
    auto t2 = std::chrono::steady_clock::now();
    auto again = svc.report_usage(account, "Campus", *api::parse_usage_report(body), "", by);
    if (!again || !again->repeat) return std::fprintf(stderr, "the repeat was not recognised\n"), 1;
    double repeat_ms = since(t2);
    auto t3 = std::chrono::steady_clock::now();
    auto page = svc.licenses(account, {}, -1, 0);
    if (!page) return 1;
    double query_ms = since(t3);
    std::printf("report %d: %d devices, %zu bytes: parse %.0f ms, report_usage %.0f ms (total %.0f ms); repeat %.0f ms; "
                "licenses %.0f ms; cpu: parse %.0f ms, report_usage %.0f ms:",
                k, n, body.size(), parse_ms, store_ms, parse_ms + store_ms, repeat_ms, query_ms, c1 - c0, c2 - c1);
    for (const auto& l : page->lines) std::printf(" %s=%lld", l.tag.c_str(), static_cast<long long>(l.in_use));
    std::printf("\n");
  }
  st.reset();
  shared.reset();
  if (!dir.empty()) std::filesystem::remove_all(dir);
  return 0;
}
