#include "store/sql_store.h"

namespace licsat::store {

std::unique_ptr<Store> make_sql_store(std::shared_ptr<Database> db) {
  return std::make_unique<SqlStore>(std::move(db));
}

Status insert_event(Connection& c, const Event& e) {
  auto r = c.exec(kInsertEventSql, {e.time, e.actor, e.source_ip, e.action, e.outcome, e.detail});
  if (!r) return fail(r.error());
  return {};
}

}  // namespace licsat::store
