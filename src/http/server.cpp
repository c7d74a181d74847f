#include "http/server.h"

#include <openssl/ssl.h>
#include <pthread.h>
#include <sys/resource.h>

#include <array>
#include <atomic>
#include <ctime>
#include <chrono>
#include <list>
#include <mutex>
#include <thread>
#include <vector>

#include "core/log.h"
#include "http/asio.h"
#include "http/beast_request.h"
#include "http/body_budget.h"

namespace licsat::http {

namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = boost::asio::ip::tcp;
// Connections use their loop's executor type directly: no strand, no type-erased executor.
using Socket = net::basic_stream_socket<tcp, net::io_context::executor_type>;
using Stream = beast::basic_stream<tcp, net::io_context::executor_type, beast::unlimited_rate_policy>;

Result<std::pair<std::string, uint16_t>> parse_listen(const std::string& listen) {
  auto colon = listen.rfind(':');
  if (colon == std::string::npos) return fail(Error::invalid("--listen '" + listen + "' must be HOST:PORT"));
  std::string host = listen.substr(0, colon);
  std::string port = listen.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  if (host.empty()) host = "0.0.0.0";
  int p = -1;
  try {
    size_t used = 0;
    p = std::stoi(port, &used);
    if (used != port.size()) p = -1;
  } catch (...) {
  }
  if (p < 0 || p > 65535) return fail(Error::invalid("--listen '" + listen + "': port must be 0-65535"));
  return std::make_pair(host, static_cast<uint16_t>(p));
}

namespace {

// File descriptors kept free of connections: the database, its WAL, logs, TLS files.
constexpr int64_t kReservedDescriptors = 128;

// Every connection holds a file descriptor. Raises the soft limit on open files to the hard one
// (as nginx's worker_rlimit_nofile and Go's runtime do) and returns how many connections fit
// under it with kReservedDescriptors to spare: a flood of connections then meets the connection
// limit (each closed at once) instead of EMFILE, which would also fail the server's own files.
int64_t connections_that_fit(int64_t wanted) {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return wanted;
  if (rl.rlim_cur != RLIM_INFINITY && (rl.rlim_max == RLIM_INFINITY || rl.rlim_cur < rl.rlim_max)) {
    rlimit up = rl;
    up.rlim_cur = rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &up) == 0) rl = up;
  }
  if (rl.rlim_cur == RLIM_INFINITY) return wanted;
  return std::min(wanted, std::max<int64_t>(1, static_cast<int64_t>(rl.rlim_cur) - kReservedDescriptors));
}

}  // namespace

class Server::Impl {
 public:
  class Session;

  Impl(ServerOptions o, const Router& r, Metrics& m)
      : opt(std::move(o)), router(r), metrics(m), loops(make_loops(opt.threads)), ioc(*loops.front()),
        workers(static_cast<size_t>(std::max(1, opt.workers))), tls(ssl::context::tls_server),
        acceptor(ioc), accept_retry(ioc), signals(ioc, SIGTERM, SIGINT), deadline(ioc),
        body_budget(opt.limits.max_inflight_body_bytes) {}

  // One event loop per I/O thread, as nginx's workers: a connection lives on one loop, so its
  // handlers need no strand and never move between cores.
  static std::vector<std::unique_ptr<net::io_context>> make_loops(int threads) {
    std::vector<std::unique_ptr<net::io_context>> v;
    for (int i = 0; i < std::max(1, threads); ++i) v.push_back(std::make_unique<net::io_context>(1));
    return v;
  }

  Status start() {
    // TLS 1.2 and 1.3 only; no compression, no renegotiation; the server picks the cipher.
    tls.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                    ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 | ssl::context::no_compression |
                    ssl::context::single_dh_use);
    SSL_CTX* ctx = tls.native_handle();
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_options(ctx, SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_RENEGOTIATION);
    SSL_CTX_set_cipher_list(ctx, "ECDHE+AESGCM:ECDHE+CHACHA20:!aNULL:!MD5:!DSS");
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_SERVER);
    boost::system::error_code ec;
    tls.use_certificate_chain_file(opt.cert_file, ec);
    if (ec) return fail(Error::invalid("cannot load TLS certificate '" + opt.cert_file + "': " + ec.message()));
    tls.use_private_key_file(opt.key_file, ssl::context::pem, ec);
    if (ec) return fail(Error::invalid("cannot load TLS key '" + opt.key_file + "': " + ec.message()));
    if (SSL_CTX_check_private_key(ctx) != 1)
      return fail(Error::invalid("TLS key '" + opt.key_file + "' does not match certificate '" + opt.cert_file + "'"));

    auto addr = net::ip::make_address(opt.host, ec);
    if (ec) return fail(Error::invalid("cannot listen on '" + opt.host + "': not an IP address"));
    tcp::endpoint ep(addr, opt.port);
    acceptor.open(ep.protocol(), ec);
    if (!ec) acceptor.set_option(net::socket_base::reuse_address(true), ec);
    if (!ec) acceptor.bind(ep, ec);
    if (!ec) acceptor.listen(net::socket_base::max_listen_connections, ec);
    if (ec)
      return fail(Error::unavailable("cannot listen on " + opt.host + ":" + std::to_string(opt.port) + ": " + ec.message()));
    bound_port = acceptor.local_endpoint().port();
    max_connections = connections_that_fit(opt.limits.max_connections);
    if (max_connections < opt.limits.max_connections)
      log::warn("max_connections lowered to fit the open-files limit (ulimit -n)",
                {{"configured", std::to_string(opt.limits.max_connections)},
                 {"effective", std::to_string(max_connections)}});
    return {};
  }

  void run() {
    signals.async_wait([this](const boost::system::error_code& ec, int sig) {
      if (ec) return;
      log::info("signal received, draining connections", {{"signal", std::to_string(sig)}});
      shutdown();
    });
    do_accept();
    // The other loops have no work until their first connection: guards keep them running
    // until shutdown, when the listener's loop releases them.
    for (size_t i = 1; i < loops.size(); ++i) guards.push_back(net::make_work_guard(*loops[i]));
    std::vector<std::thread> extra;
    for (size_t i = 1; i < loops.size(); ++i)
      extra.emplace_back([this, i] {
        pthread_setname_np(pthread_self(), ("licsat-io" + std::to_string(i)).c_str());
        loops[i]->run();
      });
    pthread_setname_np(pthread_self(), "licsat-io0");
    ioc.run();
    for (auto& t : extra) t.join();
    workers.join();
  }

  void shutdown() {
    net::post(acceptor.get_executor(), [this] {
      if (draining.exchange(true)) return;
      guards.clear();
      boost::system::error_code ec;
      acceptor.close(ec);
      accept_retry.cancel();
      signals.cancel(ec);
      // Requests in flight get this long to finish; then the server stops regardless. Armed
      // before idle sessions close, so that the last one to go can cancel it.
      deadline.expires_after(std::chrono::seconds(20));
      deadline.async_wait([this](const boost::system::error_code& e) {
        if (!e) {
          log::warn("shutdown deadline reached, stopping with connections open");
          for (auto& l : loops) l->stop();
        }
      });
      close_idle_sessions();
    });
  }

  void do_accept();
  void close_idle_sessions();
  void session_done();

  ServerOptions opt;
  const Router& router;
  Metrics& metrics;
  std::vector<std::unique_ptr<net::io_context>> loops;
  net::io_context& ioc;  // the first loop: listener, signals, shutdown
  std::vector<net::executor_work_guard<net::io_context::executor_type>> guards;
  size_t next_loop = 0;  // round-robin of new connections over the loops
  // Handlers that may block run here, not on the I/O threads: writes that wait for the
  // database's writer (a usage report's whole transaction, an admin change) and the password
  // and refresh grants (argon2id, a rotation). client_credentials tokens do not: they wait for
  // their commit without a thread (see Response::deferred).
  net::thread_pool workers;
  ssl::context tls;
  tcp::acceptor acceptor;
  net::steady_timer accept_retry;  // on the listener's loop
  net::signal_set signals;
  net::steady_timer deadline;
  std::atomic<bool> draining{false};
  std::atomic<int64_t> open{0};
  int64_t max_connections = 0;     // limits.max_connections, lowered to fit the open-files limit
  uint16_t bound_port = 0;
  std::mutex sessions_mu;
  std::list<std::weak_ptr<Session>> sessions;
  BodyBudget body_budget;  // limits.max_inflight_body_bytes, shared by every connection
};

class Server::Impl::Session : public std::enable_shared_from_this<Session> {
 public:
  Session(Impl& srv, Socket&& socket)
      : srv_(srv), stream_(std::move(socket), srv.tls), read_deadline_(stream_.get_executor()) {
    boost::system::error_code ec;
    auto ep = beast::get_lowest_layer(stream_).socket().remote_endpoint(ec);
    peer_ = ec ? "unknown" : ep.address().to_string();
  }

  ~Session() {
    srv_.metrics.connection_closed();
    srv_.open.fetch_sub(1);
    srv_.session_done();
  }

  void start() {
    net::dispatch(stream_.get_executor(), [self = shared_from_this()] {
      beast::get_lowest_layer(self->stream_).expires_after(std::chrono::seconds(self->srv_.opt.limits.read_timeout));
      self->stream_.async_handshake(ssl::stream_base::server,
                                    [self](beast::error_code ec) { self->on_handshake(ec); });
    });
  }

  // Runs on the session's loop: closes the connection if no request is being served.
  void close_if_idle() {
    net::post(stream_.get_executor(), [self = shared_from_this()] {
      if (!self->busy_) beast::get_lowest_layer(self->stream_).cancel();
    });
  }

 private:
  void on_handshake(beast::error_code ec) {
    if (ec) {
      // Failed handshakes (wrong protocol version, scanners) are logged at debug level only.
      log::debug("tls handshake failed", {{"peer", peer_}, {"reason", ec.message()}});
      return;
    }
    do_read_header();
  }

  void do_read_header() {
    if (srv_.draining) return do_close();
    body_unread_ = false;
    parser_.emplace();
    parser_->header_limit(static_cast<uint32_t>(srv_.opt.limits.max_header_bytes));
    // Beast checks Content-Length against the body limit while it parses the header, before the
    // route is known; so the largest limit of any endpoint here, and on_header applies the
    // route's own (usage reports admit more than other endpoints) before any body byte is read.
    parser_->body_limit(static_cast<uint64_t>(
        std::max(srv_.opt.limits.max_body_bytes, srv_.opt.limits.max_usage_body_bytes)));
    arm_read_deadline(srv_.opt.limits.idle_timeout);
    bhttp::async_read_header(stream_, buffer_, *parser_, [self = shared_from_this()](beast::error_code ec, size_t) {
      self->on_header(ec);
    });
  }

  void on_header(beast::error_code ec) {
    if (ec) return on_read_error(ec, true);
    read_deadline_.cancel();
    busy_ = true;
    started_ = std::chrono::steady_clock::now();
    auto& req = parser_->get();
    std::string target(req.target());
    auto q = target.find('?');
    std::string path = target.substr(0, q);
    std::string method(req.method_string());
    // RFC 9112 §6.1: a request whose transfer coding is not exactly one "chunked" could be read
    // differently by a proxy in front; refuse it rather than guess.
    if (auto why = transfer_encoding_problem(req); !why.empty())
      return reject(400, "bad_request", "malformed", "Malformed HTTP request: " + why + ".");
    const Route* route = srv_.router.find(method, path);
    int64_t limit = route && route->max_body > 0 ? route->max_body : srv_.opt.limits.max_body_bytes;
    if (auto len = parser_->content_length(); len && static_cast<int64_t>(*len) > limit) {
      return reject(413, "too_large", "limit.body",
                    "Request body of " + std::to_string(*len) + " bytes exceeds the limit of " + std::to_string(limit) +
                        " bytes for this endpoint.");
    }
    // The route's own check of the header (its bearer token and role) comes before any body
    // byte is read, reserved or invited: a refused caller cannot make the server hold a body.
    if (route && route->precheck) {
      head_ = request_head(req, peer_);
      std::optional<Response> refusal;
      try {
        refusal = route->precheck(*head_);
      } catch (const std::exception& e) {
        log::error("header check failed", {{"route", route->pattern}, {"error", e.what()}});
        refusal = internal_error();
      }
      if (refusal) return refuse_unread(std::move(*refusal), req.version(), req.keep_alive(), route->pattern, method);
    }
    if (!reserve_body(limit)) {
      Response busy = error_response(503, "server_busy",
                                     "The server is reading as many request bodies as it may hold at once; try again shortly.");
      busy.set("Retry-After", std::to_string(kBusyRetryAfterSeconds));
      return refuse_unread(std::move(busy), req.version(), false, route ? route->pattern : "(not found)", method);
    }
    parser_->body_limit(static_cast<uint64_t>(limit));
    if (parser_->is_done()) return on_body({});
    // RFC 9110 §10.1.1: a client that sent "Expect: 100-continue" waits for an interim 100
    // before its body (curl and libcurl do for large bodies, a second at a time otherwise). It
    // is sent only once the header passed every limit: a refused body is never invited.
    if (beast::iequals(req[bhttp::field::expect], "100-continue") && req.version() >= 11) {
      auto cont = std::make_shared<bhttp::response<bhttp::empty_body>>(bhttp::status::continue_, req.version());
      beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(srv_.opt.limits.read_timeout));
      return bhttp::async_write(stream_, *cont, [self = shared_from_this(), cont](beast::error_code e, size_t) {
        if (e) return self->do_close();
        self->read_body();
      });
    }
    read_body();
  }

  static constexpr int kBusyRetryAfterSeconds = 5;

  // Why the request's Transfer-Encoding is refused ("" when it is absent or one "chunked").
  template <class Header>
  static std::string transfer_encoding_problem(const Header& req) {
    auto [first, last] = req.equal_range(bhttp::field::transfer_encoding);
    if (first == last) return "";
    if (std::next(first) != last) return "more than one Transfer-Encoding header";
    std::string_view v = first->value();
    while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
    while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
    if (!beast::iequals(v, "chunked")) return "Transfer-Encoding other than a single \"chunked\"";
    return "";
  }

  // Reserves the body's bytes against the budget of all bodies in flight, before any is read:
  // its Content-Length, or for a chunked body the route's limit (what it may grow to; growing
  // the reservation as chunks arrive would let a body fail half-read instead). False when the
  // budget cannot cover it. The reservation is given back once the response is sent, or with
  // the session when its connection dies.
  bool reserve_body(int64_t limit) {
    int64_t want = 0;
    if (auto len = parser_->content_length())
      want = static_cast<int64_t>(*len);
    else if (!parser_->is_done())
      want = limit;
    if (want <= 0) return true;
    body_budget_ = srv_.body_budget.reserve(want);
    if (body_budget_) return true;
    srv_.metrics.limit_hit("inflight_body");
    log::warn("request refused: request bodies in flight are at their budget",
              {{"peer", peer_},
               {"body_bytes", std::to_string(want)},
               {"in_flight_bytes", std::to_string(srv_.body_budget.in_use())},
               {"limit_bytes", std::to_string(srv_.body_budget.capacity())}});
    return false;
  }

  // Answers a request refused on its header alone. A body it announced is never read: the
  // connection closes after the answer (after a linger, so the client gets to read it).
  void refuse_unread(Response r, unsigned version, bool keep, const std::string& route, const std::string& method) {
    head_.reset();
    if (!parser_->is_done()) {
      body_unread_ = true;
      keep = false;
    }
    send(std::move(r), version, keep, route, method);
  }

  void read_body() {
    arm_read_deadline(srv_.opt.limits.read_timeout);
    bhttp::async_read(stream_, buffer_, *parser_, [self = shared_from_this()](beast::error_code e, size_t) {
      self->on_body(e);
    });
  }

  // Reads are bounded by our own timer rather than the stream's expiry, because an expired
  // beast stream closes the socket, and a slow client should still be told 408.
  void arm_read_deadline(int64_t seconds) {
    beast::get_lowest_layer(stream_).expires_never();
    timed_out_ = false;
    read_deadline_.expires_after(std::chrono::seconds(seconds));
    read_deadline_.async_wait([self = shared_from_this()](beast::error_code ec) {
      if (ec) return;
      self->timed_out_ = true;
      beast::error_code ignored;
      beast::get_lowest_layer(self->stream_).socket().cancel(ignored);
    });
  }

  void on_read_error(beast::error_code ec, bool in_header) {
    read_deadline_.cancel();
    if (timed_out_) ec = beast::error::timeout;
    if (ec == bhttp::error::end_of_stream || ec == net::error::eof || ec == net::ssl::error::stream_truncated ||
        ec == net::error::connection_reset || ec == net::error::operation_aborted) {
      if (ec == net::error::operation_aborted && srv_.draining) return do_close();
      return do_close();
    }
    if (ec == beast::error::timeout) {
      bool partial = buffer_.size() > 0 || !in_header || (parser_ && parser_->got_some());
      if (!partial) return;  // an idle keep-alive connection: close quietly
      srv_.metrics.limit_hit("timeout");
      log::warn("request timed out", {{"peer", peer_}, {"limit_seconds", std::to_string(in_header ? srv_.opt.limits.idle_timeout : srv_.opt.limits.read_timeout)}});
      return reject(408, "request_timeout", "", "The request was not received in time; the connection is closed.");
    }
    if (ec == bhttp::error::header_limit)
      return reject(431, "header_too_large", "limit.header",
                    "Request headers exceed " + std::to_string(srv_.opt.limits.max_header_bytes) + " bytes.");
    if (ec == bhttp::error::body_limit)
      return reject(413, "too_large", "limit.body", "Request body exceeds the limit for this endpoint.");
    srv_.metrics.limit_hit("malformed");
    log::warn("malformed request", {{"peer", peer_}, {"reason", ec.message()}});
    return reject(400, "bad_request", "", "Malformed HTTP request: " + ec.message() + ".");
  }

  void reject(int status, const char* code, const char* metric, std::string message) {
    if (*metric) {
      srv_.metrics.limit_hit(metric);
      log::warn("request refused by a limit", {{"peer", peer_}, {"status", std::to_string(status)}, {"reason", message}});
    }
    Response r = error_response(status, code, message);
    send(std::move(r), 11, false, "(limit)", "-");
  }

  void on_body(beast::error_code ec) {
    if (ec) return on_read_error(ec, false);
    read_deadline_.cancel();
    auto msg = parser_->release();
    unsigned version = msg.version();
    bool keep = msg.keep_alive();
    Request req = to_request(std::move(msg), peer_);
    if (head_) {
      req.context = std::move(head_->context);
      head_.reset();
    }
    Match m = srv_.router.match(req);
    // Reads (GET, HEAD) and routes that never block are answered here on the I/O thread: in
    // WAL mode reads never wait for a writer. Other writes run on the worker pool, because they
    // wait for the database's one writer (a usage report for its whole transaction).
    if (req.method == "GET" || req.method == "HEAD" || (m.route && m.route->inline_handler)) {
      std::string route;
      Response res = handle(req, m, route);
      return finish(std::move(res), version, keep, std::move(route), std::move(req.method), true);
    }
    // The guard keeps the I/O threads running until the answer is posted back to the session's loop.
    net::post(srv_.workers, [self = shared_from_this(), req = std::move(req), m = std::move(m), version, keep,
                             guard = net::make_work_guard(stream_.get_executor())]() mutable {
      std::string route;
      Response res = self->handle(req, m, route);
      self->finish(std::move(res), version, keep, std::move(route), std::move(req.method), false);
    });
  }

  Response handle(Request& req, const Match& m, std::string& route) {
    try {
      return srv_.router.dispatch(req, m, &route);
    } catch (const std::exception& e) {
      log::error("handler failed", {{"route", route}, {"error", e.what()}});
      return internal_error();
    }
  }

  static Response internal_error() {
    return error_response(500, "internal_error", "The server failed to handle this request; see its log.");
  }

  // Sends a handler's response, or arranges for a deferred one to be sent when it is delivered.
  // `on_loop`: this runs on the session's loop (else on a worker).
  void finish(Response res, unsigned version, bool keep, std::string route, std::string method, bool on_loop) {
    if (!res.deferred) {
      if (on_loop) return send(std::move(res), version, keep, route, method);
      return net::post(stream_.get_executor(), [self = shared_from_this(), res = std::move(res), version, keep,
                                                route = std::move(route), method = std::move(method)]() mutable {
        self->send(std::move(res), version, keep, route, method);
      });
    }
    // `back` (the loop, counted as outstanding work) keeps the I/O threads running until the
    // answer is back. `once` guards against a handler that delivers and then throws.
    auto back = net::prefer(stream_.get_executor(), net::execution::outstanding_work.tracked);
    auto once = std::make_shared<std::atomic<bool>>(false);
    Respond respond = [self = shared_from_this(), back = std::move(back), once, version, keep, route,
                       method](Response r) mutable {
      if (once->exchange(true)) return;
      net::post(back, [self, r = std::move(r), version, keep, route, method]() mutable {
        self->send(std::move(r), version, keep, route, method);
      });
    };
    auto run = [fn = std::move(res.deferred), respond = std::move(respond), route]() mutable {
      try {
        fn(respond);
      } catch (const std::exception& e) {
        log::error("handler failed", {{"route", route}, {"error", e.what()}});
        respond(internal_error());
      }
    };
    if (res.deferred_blocks && on_loop) return net::post(srv_.workers, std::move(run));
    run();
  }

  // The header every answer carries: status, type, the handler's headers, and the defaults.
  template <class Body>
  static void fill_header(bhttp::response<Body>& out, const Response& res, unsigned version) {
    out.version(version);
    out.result(static_cast<unsigned>(res.status));
    out.set(bhttp::field::server, "licsat");
    out.set(bhttp::field::date, http_date());
    out.set(bhttp::field::content_type, res.content_type);
    out.set("X-Content-Type-Options", "nosniff");
    bool has_cache = false, has_csp = false;
    for (auto& [k, v] : res.headers) {
      if (beast::iequals(k, "cache-control")) has_cache = true;
      if (beast::iequals(k, "content-security-policy")) has_csp = true;
      out.insert(k, v);
    }
    if (!has_cache) out.set(bhttp::field::cache_control, "no-store");
    // API answers are data, never a page: nothing in them may load, run or be framed.
    if (!has_csp) out.set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'");
  }

  void send(Response res, unsigned version, bool keep_alive, const std::string& route, const std::string& method) {
    if (res.stream && version >= 11) return send_streamed(std::move(res), version, keep_alive, route, method);
    if (res.stream) res = settle(std::move(res));  // HTTP/1.0 has no chunks: the whole body
    body_budget_.reset();  // the request is done with its body
    auto out = std::make_shared<bhttp::response<bhttp::string_body>>();
    fill_header(*out, res, version);
    out->body() = std::move(res.body);
    bool keep = keep_alive && !srv_.draining && res.status != 408 && res.status != 413 && res.status != 431 &&
                res.status != 400;
    if (res.status == 413 || res.status == 431 || res.status == 408) keep = false;
    if (route == "(limit)") keep = false;
    out->keep_alive(keep);
    out->prepare_payload();
    if (method == "HEAD") {
      // The GET answer's header, its Content-Length included, without its body.
      auto length = out->body().size();
      out->body().clear();
      out->content_length(length);
    }
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
    srv_.metrics.observe(route, res.status, secs);
    if (res.status == 401) srv_.metrics.unauthenticated(route);
    if (log::enabled(log::Level::kInfo))
      log::info("request", {{"method", method},
                            {"route", route},
                            {"status", std::to_string(res.status)},
                            {"ms", fmt_ms(secs)},
                            {"peer", peer_}});
    beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(srv_.opt.limits.read_timeout));
    bool linger = res.status == 413 || res.status == 431 || res.status == 400 || body_unread_;
    bhttp::async_write(stream_, *out, [self = shared_from_this(), out, keep, linger](beast::error_code ec, size_t) {
      self->busy_ = false;
      if (ec) return self->do_close();
      if (linger) return self->do_linger();
      if (!keep) return self->do_close();
      self->do_read_header();
    });
  }

  // A streamed answer (Response::stream): the header with chunked transfer coding, then one
  // chunk per call of the producer, each produced once the one before is written, so the
  // server holds one page of a long list at a time however long the list.
  void send_streamed(Response res, unsigned version, bool keep_alive, const std::string& route,
                     const std::string& method) {
    body_budget_.reset();
    auto out = std::make_shared<bhttp::response<bhttp::empty_body>>();
    fill_header(*out, res, version);
    bool keep = keep_alive && !srv_.draining;
    out->keep_alive(keep);
    out->chunked(true);
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
    srv_.metrics.observe(route, res.status, secs);
    if (log::enabled(log::Level::kInfo))
      log::info("request", {{"method", method},
                            {"route", route},
                            {"status", std::to_string(res.status)},
                            {"ms", fmt_ms(secs)},
                            {"peer", peer_},
                            {"body", "streamed"}});
    auto sr = std::make_shared<bhttp::response_serializer<bhttp::empty_body>>(*out);
    auto next = std::make_shared<std::function<bool(std::string&)>>(std::move(res.stream));
    bool head = method == "HEAD";
    beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(srv_.opt.limits.read_timeout));
    bhttp::async_write_header(stream_, *sr, [self = shared_from_this(), out, sr, next, keep, head, route](
                                                beast::error_code ec, size_t) {
      if (ec) return self->do_close();
      if (head) return self->end_streamed(keep);
      self->write_chunk(next, keep, route);
    });
  }

  void write_chunk(std::shared_ptr<std::function<bool(std::string&)>> next, bool keep, const std::string& route) {
    auto chunk = std::make_shared<std::string>();
    bool more = false;
    try {
      do {
        chunk->clear();
        more = (*next)(*chunk);
      } while (more && chunk->empty());
    } catch (const std::exception& e) {
      // The status is sent: the only honest end is an unfinished transfer.
      log::error("streamed answer failed", {{"route", route}, {"error", e.what()}});
      busy_ = false;
      return do_close();
    }
    beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(srv_.opt.limits.read_timeout));
    if (!more) {
      auto last = std::make_shared<bhttp::chunk_last<bhttp::chunk_crlf>>(bhttp::make_chunk_last());
      return net::async_write(stream_, *last, [self = shared_from_this(), last, keep](beast::error_code ec, size_t) {
        if (ec) {
          self->busy_ = false;
          return self->do_close();
        }
        self->end_streamed(keep);
      });
    }
    auto body = std::make_shared<bhttp::chunk_body<net::const_buffer>>(bhttp::make_chunk(net::const_buffer(chunk->data(), chunk->size())));
    net::async_write(stream_, *body, [self = shared_from_this(), chunk, body, next, keep, route](beast::error_code ec, size_t) {
      if (ec) {
        self->busy_ = false;
        return self->do_close();
      }
      self->write_chunk(next, keep, route);
    });
  }

  void end_streamed(bool keep) {
    busy_ = false;
    if (!keep) return do_close();
    do_read_header();
  }

  // RFC 9110 IMF-fixdate; managers' doctor compares it with their clock.
  // Formatted once a second per thread.
  static std::string_view http_date() {
    thread_local std::time_t formatted_for = -1;
    thread_local char b[64];
    std::time_t now = std::time(nullptr);
    if (now != formatted_for) {
      std::tm tm{};
      gmtime_r(&now, &tm);
      std::strftime(b, sizeof b, "%a, %d %b %Y %H:%M:%S GMT", &tm);
      formatted_for = now;
    }
    return b;
  }

  static std::string fmt_ms(double secs) {
    char b[32];
    std::snprintf(b, sizeof b, "%.2f", secs * 1000);
    return b;
  }

  // After refusing a request whose body is still arriving, read and drop what the client sends
  // for a moment before closing: closing with unread data makes the kernel send a reset, and the
  // client may then lose the 413/431 it was sent.
  void do_linger() {
    if (linger_until_ == std::chrono::steady_clock::time_point{})
      linger_until_ = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    if (std::chrono::steady_clock::now() >= linger_until_) return do_close();
    beast::get_lowest_layer(stream_).expires_at(linger_until_);
    stream_.async_read_some(net::buffer(discard_), [self = shared_from_this()](beast::error_code ec, size_t) {
      if (ec) return self->do_close();
      self->do_linger();
    });
  }

  void do_close() {
    beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(5));
    stream_.async_shutdown([self = shared_from_this()](beast::error_code) {
      beast::error_code ec;
      beast::get_lowest_layer(self->stream_).socket().shutdown(tcp::socket::shutdown_both, ec);
    });
  }

  Impl& srv_;
  beast::ssl_stream<Stream> stream_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  std::optional<Request> head_;  // the header as the route's check saw it, until the body is read
  bool body_unread_ = false;     // the request was refused before its body was read
  std::optional<BodyBudget::Reservation> body_budget_;  // this request's body bytes, until it is answered
  std::string peer_;
  net::steady_timer read_deadline_;
  std::chrono::steady_clock::time_point linger_until_{};
  std::array<char, 16384> discard_{};
  bool timed_out_ = false;
  bool busy_ = false;
  std::chrono::steady_clock::time_point started_{};
};

void Server::Impl::do_accept() {
  auto& loop = *loops[next_loop++ % loops.size()];
  acceptor.async_accept(loop.get_executor(), [this](beast::error_code ec, Socket socket) {
    if (ec) {
      if (draining) return;
      if (ec == net::error::connection_aborted) return do_accept();
      // Out of descriptors or memory: accepting again at once would fail again at once, a busy
      // loop writing a log line each time. Wait for connections to close.
      metrics.limit_hit("accept");
      log::warn("accept failed, retrying in 100 ms", {{"reason", ec.message()}});
      accept_retry.expires_after(std::chrono::milliseconds(100));
      accept_retry.async_wait([this](const boost::system::error_code& e) {
        if (!e && !draining) do_accept();
      });
      return;
    }
    if (open.load() >= max_connections) {
      metrics.limit_hit("connections");
      log::warn("connection refused: too many open connections", {{"limit", std::to_string(max_connections)}});
      beast::error_code ignored;
      socket.close(ignored);
      return do_accept();
    }
    boost::system::error_code nd;
    socket.set_option(tcp::no_delay(true), nd);
    open.fetch_add(1);
    metrics.connection_opened();
    auto s = std::make_shared<Session>(*this, std::move(socket));
    {
      std::lock_guard l(sessions_mu);
      sessions.push_back(s);
    }
    s->start();
    do_accept();
  });
}

void Server::Impl::session_done() {
  std::lock_guard l(sessions_mu);
  sessions.remove_if([](const std::weak_ptr<Session>& w) { return w.expired(); });
  if (draining && sessions.empty()) net::post(acceptor.get_executor(), [this] { deadline.cancel(); });
}

void Server::Impl::close_idle_sessions() {
  std::vector<std::shared_ptr<Session>> live;
  {
    std::lock_guard l(sessions_mu);
    for (auto& w : sessions)
      if (auto s = w.lock()) live.push_back(std::move(s));
  }
  for (auto& s : live) s->close_if_idle();
  if (live.empty()) deadline.cancel();
}

Server::Server(ServerOptions options, const Router& router, Metrics& metrics)
    : impl_(std::make_unique<Impl>(std::move(options), router, metrics)) {}
Server::~Server() = default;
Status Server::start() { return impl_->start(); }
uint16_t Server::port() const { return impl_->bound_port; }
void Server::run() { impl_->run(); }
void Server::shutdown() { impl_->shutdown(); }

}  // namespace licsat::http
