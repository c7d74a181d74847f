// The HTTPS server: a listener accepts TLS connections; each session reads a request within the
// size and time limits, hands it to the Router, writes the response and keeps the connection
// alive. shutdown() stops accepting, closes idle connections, lets requests in flight finish and
// then returns from run().
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "core/config.h"
#include "core/result.h"
#include "http/metrics.h"
#include "http/router.h"

namespace licsat::http {

struct ServerOptions {
  std::string host = "0.0.0.0";
  uint16_t port = 8443;
  std::string cert_file;
  std::string key_file;
  ServerConfig::Limits limits;
  int threads = 2;   // I/O: accept, TLS, HTTP reading and writing
  int workers = 8;   // handlers: they may block on the database, so they run off the I/O threads
};

// Splits "HOST:PORT", "[::1]:PORT" or ":PORT"; port 0 asks the kernel for a free port.
Result<std::pair<std::string, uint16_t>> parse_listen(const std::string& listen);

class Server {
 public:
  Server(ServerOptions options, const Router& router, Metrics& metrics);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Loads the certificate, binds and listens. Errors name the address or file at fault.
  Status start();
  // The port bound (useful with port 0).
  uint16_t port() const;
  // Serves until shutdown() has drained every connection. Also installs SIGTERM/SIGINT handlers
  // that call shutdown().
  void run();
  // Thread-safe; may be called from any thread or a signal handler's completion.
  void shutdown();

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace licsat::http
