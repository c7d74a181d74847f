// Reads independent of data size (issue 17), on SQLite and on PostgreSQL (LICSAT_TEST_PG_URL).
//
// The maintained counts (0009_maintained_counts.sql) against the rows they count: after every
// step of random sequences of usage reports (repeats, older reports, stale tags, new devices,
// devices moving between virtual accounts), pool changes and virtual account and smart account
// deletions, va_tag_usage equals SUM(count) and COUNT(*) of device_usage per (virtual account,
// tag) and va_devices equals COUNT(*) of devices per virtual account.
//
// Cursor pages: walking a list by `next` gives every item once, in order, and ends.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <algorithm>
#include <filesystem>
#include <functional>
#include <map>
#include <random>
#include <set>
#include <thread>
#include <tuple>

#include "core/crypto.h"
#include "domain/licensing_service.h"
#include "store/migrations.h"
#include "store/store.h"
#include "test_support.h"

using namespace licsat;
using namespace licsat::domain;

namespace {

class ScaleReads : public test::BackendStoreTest {
 protected:
  ScaleReads() : BackendStoreTest("licsat_cnt") {}

  void SetUp() override {
    BackendStoreTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    svc_ = std::make_unique<LicenseService>(*store_, *store_, clock_, UpstreamConfig{}, "k");
  }
  void TearDown() override {
    svc_.reset();
    BackendStoreTest::TearDown();
  }

  using Rows = std::vector<std::vector<std::string>>;
  Rows query(const std::string& sql) {
    Rows out;
    auto s = db_->transact(store::TxMode::kRead, [&](store::Connection& c) -> Status {
      auto rows = c.query(sql);
      if (!rows) return fail(rows.error());
      for (const auto& r : *rows) {
        std::vector<std::string> cols;
        for (size_t i = 0; i < r.cols.size(); ++i)
          cols.push_back(r.is_null(i) ? "NULL"
                         : std::holds_alternative<int64_t>(r.cols[i]) ? std::to_string(r.i64(i))
                                                                       : r.str(i));
        out.push_back(cols);
      }
      return {};
    });
    EXPECT_TRUE(s) << s.error().message;
    return out;
  }

  // The counters equal what they count, and the service's reads show them.
  void expect_exact(const std::string& step) {
    EXPECT_EQ(query("SELECT va_id, tag, in_use, usage_rows FROM va_tag_usage ORDER BY va_id, tag"),
              query("SELECT va_id, tag, SUM(count), COUNT(*) FROM device_usage GROUP BY va_id, tag ORDER BY va_id, tag"))
        << "usage counters after " << step;
    EXPECT_EQ(query("SELECT va_id, devices FROM va_devices WHERE devices <> 0 ORDER BY va_id"),
              query("SELECT va_id, COUNT(*) FROM devices GROUP BY va_id ORDER BY va_id"))
        << "device counters after " << step;
    for (const auto& acct : accounts_) {
      auto page = svc_->devices(acct, "", 1, 0);
      ASSERT_TRUE(page) << page.error().message;
      auto n = query("SELECT COUNT(*) FROM devices d JOIN smart_accounts a ON a.id = d.account_id WHERE a.name = '" +
                     acct + "'");
      EXPECT_EQ(std::to_string(page->total), n.at(0).at(0)) << acct << " devices total after " << step;
    }
  }

  void add_account(const std::string& name) {
    ASSERT_TRUE(svc_->add_account(name, "", by_));
    for (const auto& va : vas_) ASSERT_TRUE(svc_->add_virtual_account(name, va, "", by_));
    accounts_.insert(name);
  }

  Actor by_{"tester", "127.0.0.1"};
  std::unique_ptr<LicenseService> svc_;
  std::set<std::string> accounts_;
  const std::vector<std::string> vas_ = {"A", "B", "C"};
};

INSTANTIATE_TEST_SUITE_P(Backends, ScaleReads, ::testing::Values("sqlite", "postgres"),
                         [](const auto& info) { return info.param; });

TEST_P(ScaleReads, CountsEqualARecomputedSumAfterEveryStepOfRandomSequences) {
  const std::vector<std::string> tags = {"t1", "t2", "t3", "t4"};
  const std::vector<std::string> names = {"acme", "beta"};
  for (const auto& n : names) add_account(n);
  std::mt19937 rng(GetParam() == "sqlite" ? 17 : 18);
  auto pick = [&](size_t n) { return static_cast<size_t>(std::uniform_int_distribution<size_t>(0, n - 1)(rng)); };
  // Reports sent, to send again (a repeat changes nothing).
  std::vector<std::tuple<std::string, std::string, UsageReport>> sent;
  int next_report = 0;
  for (int step = 0; step < 160; ++step) {
    const std::string acct = names[pick(names.size())];
    const std::string va = vas_[pick(vas_.size())];
    const size_t what = pick(100);
    std::string did;
    if (what < 62) {
      UsageReport r;
      r.report_id = "r" + std::to_string(++next_report);
      r.manager = "m";
      // Periods out of order: an older report leaves newer rows as they are.
      r.period_end = 1'799'990'000 + 5'000 * static_cast<int64_t>(pick(3));
      r.period_start = r.period_end - 1'000;
      std::set<size_t> devs;
      for (size_t n = 1 + pick(8); devs.size() < n;) devs.insert(pick(16));
      for (size_t d : devs) {
        DeviceUsage u{"C9300", "SN" + std::to_string(d), "h", {}};
        for (const auto& t : tags)
          if (pick(2)) u.licenses.push_back({t, static_cast<int64_t>(pick(6))});
        r.devices.push_back(u);
      }
      auto out = svc_->report_usage(acct, va, r, "", by_);
      ASSERT_TRUE(out) << out.error().message;
      sent.emplace_back(acct, va, r);
      did = "report " + r.report_id + " to " + acct + "/" + va;
    } else if (what < 70 && !sent.empty()) {
      auto& [a, v, r] = sent[pick(sent.size())];
      auto out = svc_->report_usage(a, v, r, "", by_);
      ASSERT_TRUE(out) << out.error().message;
      EXPECT_TRUE(out->repeat);
      did = "repeat of " + r.report_id;
    } else if (what < 82) {
      LicensePool p;
      p.tag = tags[pick(tags.size())];
      p.quantity = 5;
      if (svc_->add_pool(acct, va, p, by_))
        did = "pool added";
      else
        did = "pool removed", (void)svc_->remove_pool(acct, va, p.tag, by_);
    } else if (what < 96) {
      ASSERT_TRUE(svc_->remove_virtual_account(acct, va, by_));
      ASSERT_TRUE(svc_->add_virtual_account(acct, va, "", by_));
      // Its reports went with it.
      std::erase_if(sent, [&](const auto& s) { return std::get<0>(s) == acct && std::get<1>(s) == va; });
      did = "virtual account " + acct + "/" + va + " deleted and made again";
    } else {
      ASSERT_TRUE(svc_->remove_account(acct, by_));
      accounts_.erase(acct);
      add_account(acct);
      std::erase_if(sent, [&](const auto& s) { return std::get<0>(s) == acct; });
      did = "account " + acct + " deleted and made again";
    }
    expect_exact("step " + std::to_string(step) + " (" + did + ")");
    if (HasFailure()) return;
  }
  // The sequence did reach the states it is meant to check.
  EXPECT_FALSE(query("SELECT 1 FROM va_tag_usage").empty());
}

TEST_P(ScaleReads, CountsBackfilledByTheMigrationEqualTheRecomputedSum) {
  add_account("acme");
  UsageReport r{"r1", "m", 1'799'999'000, 1'800'000'000, {}};
  for (int i = 0; i < 40; ++i) r.devices.push_back({"C9300", "SN" + std::to_string(i), "", {{"t1", i % 4}, {"t2", 1}}});
  ASSERT_TRUE(svc_->report_usage("acme", "B", r, "", by_));
  // Undo migration 0009 and apply it again: its backfill counts the existing rows.
  ASSERT_TRUE(db_->transact(store::TxMode::kWrite, [&](store::Connection& c) -> Status {
    return c.exec_script(
        "DROP TABLE va_tag_usage; DROP TABLE va_devices; DROP INDEX devices_account; DROP INDEX events_action; "
        "DROP INDEX events_outcome; DROP INDEX events_actor; CREATE INDEX events_action ON events (action, time); "
        "DELETE FROM schema_migrations WHERE version = 9");
  }));
  auto m = store::migrate(*db_);
  ASSERT_TRUE(m) << m.error().message;
  EXPECT_EQ(*m, 1);
  expect_exact("backfill");
  EXPECT_EQ(query("SELECT in_use FROM va_tag_usage WHERE tag = 't1'"), Rows{{"60"}});
}

TEST_P(ScaleReads, DevicePagesByCursorGiveEveryDeviceOnceInOrderAndEnd) {
  add_account("acme");
  add_account("beta");
  UsageReport r{"r1", "m", 1'799'999'000, 1'800'000'000, {}};
  for (int i = 0; i < 23; ++i) r.devices.push_back({"C9300", "SN" + std::to_string(i), "", {{"t1", 1}}});
  ASSERT_TRUE(svc_->report_usage("acme", "A", r, "", by_));
  ASSERT_TRUE(svc_->report_usage("beta", "A", r, "", by_));  // another account's devices are not listed
  r.report_id = "r2";
  r.devices.resize(9);  // nine of them move to B
  ASSERT_TRUE(svc_->report_usage("acme", "B", r, "", by_));
  for (const std::string va : {"", "A", "B"}) {
    const int64_t want = va.empty() ? 23 : va == "A" ? 14 : 9;
    for (int64_t limit : {1, 4, 7, 23, 100}) {
      std::vector<int64_t> ids;
      std::optional<int64_t> after;
      int pages = 0;
      do {
        auto page = svc_->devices("acme", va, limit, 0, after);
        ASSERT_TRUE(page) << page.error().message;
        EXPECT_EQ(page->total, want);
        EXPECT_LE(static_cast<int64_t>(page->devices.size()), limit);
        for (const auto& d : page->devices) ids.push_back(d.id);
        if (page->next) {
          EXPECT_EQ(static_cast<int64_t>(page->devices.size()), limit) << "only the last page is short";
          EXPECT_EQ(*page->next, page->devices.back().id);
        }
        after = page->next;
        ASSERT_LT(++pages, 100);
      } while (after);
      EXPECT_EQ(static_cast<int64_t>(ids.size()), want) << "va '" << va << "' limit " << limit;
      EXPECT_TRUE(std::is_sorted(ids.begin(), ids.end()));
      EXPECT_EQ(std::adjacent_find(ids.begin(), ids.end()), ids.end()) << "no device twice";
      // The same walk by offset gives the same devices.
      std::vector<int64_t> by_offset;
      for (int64_t off = 0; off < want; off += limit) {
        auto page = svc_->devices("acme", va, limit, off);
        ASSERT_TRUE(page) << page.error().message;
        for (const auto& d : page->devices) by_offset.push_back(d.id);
      }
      EXPECT_EQ(by_offset, ids);
    }
  }
}

TEST_P(ScaleReads, EventPagesByCursorGiveEveryMatchingEventOnceNewestFirstForEachFilter) {
  std::vector<Event> evs;
  const std::vector<std::string> actions = {"token.issue", "token.issue.offline", "token.revoke", "grant.create"};
  for (int i = 0; i < 60; ++i)
    evs.push_back({0, 1'800'000'000 + i, i % 3 ? "alice" : "bob", "127.0.0.1", actions[i % actions.size()],
                   i % 5 ? "success" : "failure", std::to_string(i)});
  ASSERT_TRUE(store_->append_events(evs));
  struct Case {
    EventFilter f;
    std::function<bool(const Event&)> match;
  };
  std::vector<Case> cases;
  auto add = [&](auto set, std::function<bool(const Event&)> m) {
    EventFilter f;
    set(f);
    cases.push_back({f, m});
  };
  add([](EventFilter&) {}, [](const Event&) { return true; });
  add([](EventFilter& f) { f.action = "token.issue"; }, [](const Event& e) { return e.action.starts_with("token.issue"); });
  add([](EventFilter& f) { f.action = "token."; }, [](const Event& e) { return e.action.starts_with("token."); });
  add([](EventFilter& f) { f.action = "nothing"; }, [](const Event&) { return false; });
  add([](EventFilter& f) { f.outcome = "failure"; }, [](const Event& e) { return e.outcome == "failure"; });
  add([](EventFilter& f) { f.actor = "bob"; }, [](const Event& e) { return e.actor == "bob"; });
  add([](EventFilter& f) { f.since = 1'800'000'040; }, [](const Event& e) { return e.time >= 1'800'000'040; });
  add([](EventFilter& f) { f.action = "token"; f.outcome = "success"; f.actor = "alice"; },
      [](const Event& e) { return e.action.starts_with("token") && e.outcome == "success" && e.actor == "alice"; });
  for (const auto& c : cases) {
    std::vector<int64_t> want;
    EventFilter everything;
    everything.limit = 1000;
    auto every = store_->list_events(everything);
    ASSERT_TRUE(every) << every.error().message;
    for (const auto& e : every->events)
      if (c.match(e)) want.push_back(e.id);
    for (int64_t limit : {1, 3, 8, 100}) {
      EventFilter f = c.f;
      f.limit = limit;
      f.paging_by_cursor = true;
      std::vector<int64_t> got;
      int pages = 0;
      for (;;) {
        auto page = store_->list_events(f);
        ASSERT_TRUE(page) << page.error().message;
        EXPECT_FALSE(page->total) << "no total when paging by cursor";
        for (const auto& e : page->events) got.push_back(e.id);
        if (!page->next) break;
        EXPECT_EQ(static_cast<int64_t>(page->events.size()), limit);
        f.before = page->next;
        ASSERT_LT(++pages, 200);
      }
      EXPECT_EQ(got, want) << "action '" << c.f.action << "' outcome '" << c.f.outcome << "' actor '" << c.f.actor
                           << "' limit " << limit;
    }
    // Offset pages keep their total.
    EventFilter f = c.f;
    f.limit = 2;
    auto first = store_->list_events(f);
    ASSERT_TRUE(first);
    EXPECT_EQ(first->total.value_or(-1), static_cast<int64_t>(want.size()));
  }
}

TEST_P(ScaleReads, CountsStayExactWhenReportsOfOneAccountRace) {
  add_account("acme");
  // Two writers (two nodes on PostgreSQL) send overlapping reports that move the same devices
  // between virtual accounts and create them concurrently.
  const std::vector<std::string> tags = {"t0", "t1", "t2"};
  auto writer = [&](int w) {
    std::mt19937 rng(static_cast<unsigned>(w));
    for (int i = 0; i < 12; ++i) {
      UsageReport r{std::to_string(w * 100 + i), "m", 1'799'999'000, 1'800'000'000, {}};
      for (int d = 0; d < 40; ++d)
        if (rng() % 2) r.devices.push_back({"C9300", "SN" + std::to_string(d), "", {{tags[rng() % tags.size()], 1 + static_cast<int64_t>(rng() % 4)}}});
      auto out = svc_->report_usage("acme", vas_[rng() % vas_.size()], r, "", by_);
      EXPECT_TRUE(out) << out.error().message;
    }
  };
  std::thread a(writer, 1), b(writer, 2);
  a.join();
  b.join();
  expect_exact("racing reports");
}

}  // namespace
