#include "store/event_tap.h"

#include <vector>

#include "store/sql_store.h"

namespace licsat::store {
namespace {

// A connection that notes the events inserted through it.
class TapConnection : public Connection {
 public:
  TapConnection(Connection& inner, std::vector<domain::Event>& inserted) : inner_(inner), inserted_(inserted) {}

  Result<std::vector<Row>> query(std::string_view sql, const std::vector<Value>& params) override {
    return inner_.query(sql, params);
  }
  Result<int64_t> exec(std::string_view sql, const std::vector<Value>& params) override {
    auto r = inner_.exec(sql, params);
    if (r && sql == kInsertEventSql && params.size() == 6) note(params);
    return r;
  }
  Status exec_script(std::string_view sql) override { return inner_.exec_script(sql); }
  Dialect dialect() const override { return inner_.dialect(); }

 private:
  void note(const std::vector<Value>& p) {
    auto text = [&](size_t i) -> std::string {
      auto* s = std::get_if<std::string>(&p[i]);
      return s ? *s : std::string();
    };
    domain::Event e;
    if (auto* t = std::get_if<int64_t>(&p[0])) e.time = *t;
    e.actor = text(1);
    e.source_ip = text(2);
    e.action = text(3);
    e.outcome = text(4);
    e.detail = text(5);
    inserted_.push_back(std::move(e));
  }
  Connection& inner_;
  std::vector<domain::Event>& inserted_;
};

class TappedDatabase : public Database {
 public:
  TappedDatabase(std::shared_ptr<Database> inner, EventObserver observer)
      : inner_(std::move(inner)), observer_(std::move(observer)) {}

  Status transact(TxMode mode, const std::function<Status(Connection&)>& fn) override {
    std::vector<domain::Event> inserted;
    Status s = inner_->transact(mode, [&](Connection& c) -> Status {
      inserted.clear();  // a retried attempt starts over
      TapConnection tap(c, inserted);
      return fn(tap);
    });
    if (s)
      for (const auto& e : inserted) observer_(e);
    return s;
  }
  Dialect dialect() const override { return inner_->dialect(); }
  std::string describe() const override { return inner_->describe(); }
  Status with_migration_lock(const std::function<Status(Connection&)>& fn) override {
    return inner_->with_migration_lock(fn);
  }
  Result<bool> try_job_lock(int64_t key) override { return inner_->try_job_lock(key); }
  void release_job_lock(int64_t key) override { inner_->release_job_lock(key); }

 private:
  std::shared_ptr<Database> inner_;
  EventObserver observer_;
};

}  // namespace

std::shared_ptr<Database> tap_events(std::shared_ptr<Database> db, EventObserver observer) {
  return std::make_shared<TappedDatabase>(std::move(db), std::move(observer));
}

}  // namespace licsat::store
