// The Event Log's pages (AuthStore::list_events), newest first, by offset or by cursor.
#include <string>
#include <vector>

#include "store/sql_store.h"

namespace licsat::store {
namespace {

// The distinct actions of the Event Log that start with `prefix` (byte-wise), found by a skip
// scan of events_action: one index seek per distinct action (a few dozen), not a row scan.
Result<std::vector<std::string>> actions_with_prefix(Connection& c, const std::string& prefix) {
  auto rows = c.query(
      "WITH RECURSIVE acts(a) AS (SELECT MIN(action) FROM events UNION ALL "
      "SELECT (SELECT MIN(e.action) FROM events e WHERE e.action > acts.a) FROM acts WHERE acts.a IS NOT NULL) "
      "SELECT a FROM acts WHERE a IS NOT NULL");
  if (!rows) return fail(rows.error());
  std::vector<std::string> out;
  for (const auto& r : *rows)
    if (r.str(0).starts_with(prefix)) out.push_back(r.str(0));
  return out;
}

}  // namespace

// Newest first. Each filter present adds its condition, so that an index serves it in id order
// (events_action, events_outcome, events_actor: 0009): a page is an index range scan
// that stops after `limit` + 1 rows. The action filter is a prefix: it becomes the actions the
// log holds with that prefix, one index range each, merged by id. The total (a COUNT(*) over
// everything the filter matches) is counted for offset paging only.
Result<domain::EventPage> SqlStore::list_events(const domain::EventFilter& f) {
  domain::EventPage page;
  auto s = db_->transact(TxMode::kRead, [&](Connection& c) -> Status {
    std::vector<Value> p;
    std::string where;
    auto cond = [&](const std::string& sql_with_param, Value v) {
      p.push_back(std::move(v));
      where += (where.empty() ? " WHERE " : " AND ") + sql_with_param + std::to_string(p.size());
    };
    if (f.since) cond("time >= $", *f.since);
    if (!f.outcome.empty()) cond("outcome = $", f.outcome);
    if (!f.actor.empty()) cond("actor = $", f.actor);
    std::vector<std::string> actions;
    if (!f.action.empty()) {
      auto a = actions_with_prefix(c, f.action);
      if (!a) return fail(a.error());
      actions = std::move(*a);
      if (actions.empty()) {
        if (!f.paging_by_cursor) page.total = 0;
        return {};
      }
    }
    // `extra` (the cursor) narrows the rows read; the total ignores it.
    auto by_action = [&](const std::string& base, std::vector<Value>& params, const std::string& tail) {
      if (actions.empty()) return "SELECT id FROM events" + base + tail;
      std::string sql;
      for (const auto& a : actions) {
        params.push_back(a);
        std::string w = (base.empty() ? " WHERE " : base + " AND ") + "action = $" + std::to_string(params.size());
        if (!sql.empty()) sql += " UNION ALL ";
        sql += "SELECT id FROM (SELECT id FROM events" + w + tail + ") a" + std::to_string(params.size());
      }
      return sql;
    };
    if (!f.paging_by_cursor) {
      std::vector<Value> tp = p;
      auto ids = by_action(where, tp, "");
      auto total = c.query("SELECT COUNT(*) FROM (" + ids + ") t", tp);
      if (!total) return fail(total.error());
      page.total = total->front().i64(0);
    }
    std::vector<Value> rp = p;
    std::string w = where;
    if (f.before) {
      rp.push_back(*f.before);
      w += (w.empty() ? " WHERE " : " AND ") + std::string("id < $") + std::to_string(rp.size());
    }
    // Each action's range gives at most offset + limit + 1 rows; the merge keeps the first ones.
    rp.push_back(f.offset + f.limit + 1);
    const std::string lim = " ORDER BY id DESC LIMIT $" + std::to_string(rp.size());
    auto ids = by_action(w, rp, lim);
    rp.push_back(f.limit + 1);
    const std::string page_lim = " ORDER BY id DESC LIMIT $" + std::to_string(rp.size());
    rp.push_back(f.offset);
    auto rows = c.query("SELECT id, time, actor, source_ip, action, outcome, detail FROM events WHERE id IN (" + ids +
                            ")" + page_lim + " OFFSET $" + std::to_string(rp.size()),
                        rp);
    if (!rows) return fail(rows.error());
    for (const auto& r : *rows)
      page.events.push_back({r.i64(0), r.i64(1), r.str(2), r.str(3), r.str(4), r.str(5), r.str(6)});
    if (static_cast<int64_t>(page.events.size()) > f.limit) {
      page.events.resize(static_cast<size_t>(f.limit));
      page.next = page.events.back().id;
    }
    return {};
  });
  if (!s) return fail(s.error());
  return page;
}

}  // namespace licsat::store
