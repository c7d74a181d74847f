// Taps the Event Log where it is written: a Database that runs every transaction on the one it
// wraps and, once a transaction has COMMITTED, hands each event it inserted (insert_event, with
// kInsertEventSql) to an observer. Every path that records an event (the Event Log's writer,
// admin changes written with the change, issued tokens in group commits) goes through it, and a
// rolled-back or retried attempt hands nothing over. The observer runs on the committing thread:
// it must be quick and must not block (core/syslog_sink.h's submit() only queues).
#pragma once

#include <functional>
#include <memory>

#include "domain/auth_records.h"
#include "store/db.h"

namespace licsat::store {

using EventObserver = std::function<void(const domain::Event&)>;

std::shared_ptr<Database> tap_events(std::shared_ptr<Database> db, EventObserver observer);

}  // namespace licsat::store
