// Sends the Event Log to syslog targets (core/syslog_target.h) off the request path. submit()
// formats a record and appends it to each target's bounded queue, never touching the network;
// one background thread per target connects, sends and reconnects with backoff (0.5 s doubling
// to 30 s). When a queue is full the NEWEST message is dropped and counted: what the receiver
// already has stays a gap-free sequence from the moment it went away, and the Event Log in the
// database keeps every event regardless. Delivery is best effort: a message in flight when a
// TCP/TLS connection breaks is sent again after reconnecting (a receiver may see it twice).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/result.h"
#include "core/syslog_format.h"
#include "core/syslog_target.h"

namespace licsat::syslog {

struct SinkOptions {
  std::vector<Target> targets;
  std::string ca_file;                 // tls://: the CAs trusted for the receiver; empty: the system's
  size_t queue_capacity = 10000;       // messages waiting per target
  int64_t io_timeout_ms = 5000;        // connect, TLS handshake, one send
  int64_t min_backoff_ms = 500;
  int64_t max_backoff_ms = 30000;
  int64_t drain_ms = 2000;             // at shutdown, how long connected targets may take to send the rest
};

class Sender;
struct TlsContext;

class Sink {
 public:
  // Checks the options (a tls:// target with an unreadable CA file is an error) and starts one
  // sender thread per target. Connecting happens in the background: a target that is down at
  // start is retried, never an error here.
  static Result<std::unique_ptr<Sink>> start(SinkOptions options);
  ~Sink();  // sends what connected targets take within drain_ms, then stops
  Sink(const Sink&) = delete;
  Sink& operator=(const Sink&) = delete;

  // Queues the record for every target; never blocks on the network, never fails.
  void submit(const Record& r);

  // Messages waiting, summed over targets (a gauge), and messages dropped because a queue was
  // full, since start (a counter). A message is counted once per target that dropped it.
  size_t depth() const;
  uint64_t dropped() const;
  uint64_t sent() const;

 private:
  Sink() = default;
  std::shared_ptr<TlsContext> tls_;
  std::vector<std::unique_ptr<Sender>> senders_;
};

}  // namespace licsat::syslog
