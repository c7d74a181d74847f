#include "core/syslog_sink.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <thread>

#include "core/log.h"

namespace licsat::syslog {

struct TlsContext {
  SSL_CTX* ctx = nullptr;
  ~TlsContext() {
    if (ctx) SSL_CTX_free(ctx);
  }
};

namespace {

std::string openssl_error() {
  unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (e == 0) return "TLS error";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  return buf;
}

Result<std::shared_ptr<TlsContext>> make_tls(const std::string& ca_file) {
  auto t = std::make_shared<TlsContext>();
  t->ctx = SSL_CTX_new(TLS_client_method());
  if (!t->ctx) return fail(Error::internal("syslog: cannot create a TLS context: " + openssl_error()));
  SSL_CTX_set_min_proto_version(t->ctx, TLS1_2_VERSION);
  SSL_CTX_set_verify(t->ctx, SSL_VERIFY_PEER, nullptr);
  if (!ca_file.empty()) {
    if (SSL_CTX_load_verify_locations(t->ctx, ca_file.c_str(), nullptr) != 1)
      return fail(Error::invalid("setting 'event_log.syslog_ca_file': cannot load CA certificates from '" + ca_file +
                                 "': " + openssl_error()));
  } else if (SSL_CTX_set_default_verify_paths(t->ctx) != 1) {
    return fail(Error::internal("syslog: cannot load the system's CA certificates: " + openssl_error()));
  }
  return t;
}

}  // namespace

// One target: its queue, its connection and the thread that sends.
class Sender {
 public:
  Sender(Target target, std::shared_ptr<TlsContext> tls, const SinkOptions& o)
      : target_(std::move(target)), tls_(std::move(tls)), opt_(o), thread_([this] { run(); }) {}

  ~Sender() {
    {
      std::lock_guard l(mu_);
      stop_ = true;
      stop_at_ = std::chrono::steady_clock::now() + std::chrono::milliseconds(opt_.drain_ms);
    }
    cv_.notify_all();
    thread_.join();
    disconnect();
  }

  void push(const std::string& message) {
    {
      std::lock_guard l(mu_);
      if (queue_.size() >= opt_.queue_capacity) {
        dropped_.fetch_add(1, std::memory_order_relaxed);
        if (!dropping_) {
          dropping_ = true;
          log::warn("syslog queue full: dropping the newest events", {{"target", target_.url},
                                                                      {"queue", std::to_string(queue_.size())}});
        }
        return;
      }
      queue_.push_back(framed(message));
      depth_.store(queue_.size(), std::memory_order_relaxed);
    }
    cv_.notify_one();
  }

  size_t depth() const { return depth_.load(std::memory_order_relaxed); }
  uint64_t dropped() const { return dropped_.load(std::memory_order_relaxed); }
  uint64_t sent() const { return sent_.load(std::memory_order_relaxed); }

 private:
  std::string framed(const std::string& message) const {
    return target_.transport == Transport::kUdp ? message : frame_octet_counted(message);
  }

  void run() {
    pthread_setname_np(pthread_self(), "licsat-syslog");
    // A write to a connection the receiver closed must fail with EPIPE, not kill the server:
    // SIGPIPE from this thread's writes stays pending on this thread instead.
    sigset_t pipe;
    sigemptyset(&pipe);
    sigaddset(&pipe, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe, nullptr);

    int64_t backoff = opt_.min_backoff_ms;
    std::unique_lock l(mu_);
    for (;;) {
      cv_.wait(l, [&] { return stop_ || !queue_.empty(); });
      if (stop_ && (queue_.empty() || fd_ < 0 || std::chrono::steady_clock::now() >= stop_at_)) return;
      l.unlock();
      if (fd_ >= 0 && peer_closed()) {
        disconnect();
        report_down("the receiver closed the connection");
      }
      if (fd_ < 0) {
        std::string why;
        if (!connect_target(why)) {
          report_down(why);
          l.lock();
          if (stop_) return;
          cv_.wait_for(l, std::chrono::milliseconds(backoff), [&] { return stop_; });
          backoff = std::min(backoff * 2, opt_.max_backoff_ms);
          continue;
        }
        backoff = opt_.min_backoff_ms;
        if (down_) log::info("syslog target reachable again", {{"target", target_.url}});
        down_ = false;
      }
      l.lock();
      std::string message = queue_.front();
      l.unlock();
      std::string why;
      bool ok = send_all(message, why);
      l.lock();
      if (ok) {
        queue_.pop_front();
        depth_.store(queue_.size(), std::memory_order_relaxed);
        sent_.fetch_add(1, std::memory_order_relaxed);
        dropping_ = false;
      } else {
        l.unlock();
        disconnect();
        report_down(why);
        l.lock();
      }
    }
  }

  void report_down(const std::string& why) {
    if (down_) return;
    down_ = true;
    log::warn("syslog target unreachable; retrying with backoff", {{"target", target_.url}, {"error", why}});
  }

  // A syslog receiver never sends: a readable connection was closed (or reset) by it.
  bool peer_closed() const {
    pollfd p{fd_, POLLIN, 0};
    return ::poll(&p, 1, 0) > 0;
  }

  bool connect_target(std::string& why) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = target_.transport == Transport::kUdp ? SOCK_DGRAM : SOCK_STREAM;
    addrinfo* res = nullptr;
    std::string port = std::to_string(target_.port);
    if (int rc = ::getaddrinfo(target_.host.c_str(), port.c_str(), &hints, &res); rc != 0) {
      why = "cannot resolve '" + target_.host + "': " + gai_strerror(rc);
      return false;
    }
    why = "no address";
    for (addrinfo* a = res; a && fd_ < 0; a = a->ai_next) {
      int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, a->ai_protocol);
      if (fd < 0) {
        why = std::strerror(errno);
        continue;
      }
      if (connect_with_timeout(fd, a->ai_addr, a->ai_addrlen, why)) {
        fd_ = fd;
      } else {
        ::close(fd);
      }
    }
    ::freeaddrinfo(res);
    if (fd_ < 0) return false;
    if (target_.transport == Transport::kTls && !handshake(why)) {
      disconnect();
      return false;
    }
    return true;
  }

  bool connect_with_timeout(int fd, const sockaddr* addr, socklen_t len, std::string& why) {
    if (::connect(fd, addr, len) != 0) {
      if (errno != EINPROGRESS) {
        why = std::strerror(errno);
        return false;
      }
      pollfd p{fd, POLLOUT, 0};
      int rc = ::poll(&p, 1, static_cast<int>(opt_.io_timeout_ms));
      if (rc <= 0) {
        why = rc == 0 ? "connect timed out" : std::strerror(errno);
        return false;
      }
      int err = 0;
      socklen_t el = sizeof err;
      ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el);
      if (err != 0) {
        why = std::strerror(err);
        return false;
      }
    }
    // Blocking from here, with timeouts: only this thread waits on the receiver.
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    timeval tv{static_cast<time_t>(opt_.io_timeout_ms / 1000), static_cast<suseconds_t>((opt_.io_timeout_ms % 1000) * 1000)};
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    return true;
  }

  bool handshake(std::string& why) {
    ssl_ = SSL_new(tls_->ctx);
    if (!ssl_) {
      why = openssl_error();
      return false;
    }
    SSL_set_fd(ssl_, fd_);
    in6_addr ip;
    bool is_ip = ::inet_pton(AF_INET, target_.host.c_str(), &ip) == 1 || ::inet_pton(AF_INET6, target_.host.c_str(), &ip) == 1;
    if (is_ip) {
      X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl_), target_.host.c_str());
    } else {
      SSL_set_tlsext_host_name(ssl_, target_.host.c_str());
      SSL_set1_host(ssl_, target_.host.c_str());
    }
    if (SSL_connect(ssl_) != 1) {
      long v = SSL_get_verify_result(ssl_);
      why = v != X509_V_OK ? std::string("certificate not trusted: ") + X509_verify_cert_error_string(v) +
                                 " (set event_log.syslog_ca_file to the receiver's CA)"
                           : "TLS handshake failed: " + openssl_error();
      return false;
    }
    return true;
  }

  bool send_all(const std::string& data, std::string& why) {
    if (ssl_) {
      ERR_clear_error();
      int n = SSL_write(ssl_, data.data(), static_cast<int>(data.size()));
      if (n != static_cast<int>(data.size())) {
        why = "TLS write failed: " + openssl_error();
        return false;
      }
      return true;
    }
    size_t off = 0;
    while (off < data.size()) {
      ssize_t n = ::send(fd_, data.data() + off, data.size() - off, MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EINTR) continue;
        why = std::strerror(errno);
        return false;
      }
      off += static_cast<size_t>(n);
    }
    return true;
  }

  void disconnect() {
    if (ssl_) {
      SSL_free(ssl_);
      ssl_ = nullptr;
    }
    if (fd_ >= 0) {
      ::close(fd_);
      fd_ = -1;
    }
  }

  const Target target_;
  const std::shared_ptr<TlsContext> tls_;
  const SinkOptions opt_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::string> queue_;
  bool stop_ = false;
  bool dropping_ = false;
  std::chrono::steady_clock::time_point stop_at_;
  std::atomic<size_t> depth_{0};
  std::atomic<uint64_t> dropped_{0}, sent_{0};
  // Used by the sender thread only (and by the destructor after it joined).
  int fd_ = -1;
  SSL* ssl_ = nullptr;
  bool down_ = false;
  std::thread thread_;  // last: starts once everything above is ready
};

Result<std::unique_ptr<Sink>> Sink::start(SinkOptions options) {
  std::unique_ptr<Sink> sink(new Sink());
  bool any_tls = std::any_of(options.targets.begin(), options.targets.end(),
                             [](const Target& t) { return t.transport == Transport::kTls; });
  if (any_tls) {
    auto tls = make_tls(options.ca_file);
    if (!tls) return fail(tls.error());
    sink->tls_ = *tls;
  }
  if (options.queue_capacity == 0) options.queue_capacity = 1;
  for (const auto& t : options.targets) sink->senders_.push_back(std::make_unique<Sender>(t, sink->tls_, options));
  return sink;
}

Sink::~Sink() = default;

void Sink::submit(const Record& r) {
  if (senders_.empty()) return;
  std::string message = format_message(r);
  for (auto& s : senders_) s->push(message);
}

size_t Sink::depth() const {
  size_t n = 0;
  for (const auto& s : senders_) n += s->depth();
  return n;
}

uint64_t Sink::dropped() const {
  uint64_t n = 0;
  for (const auto& s : senders_) n += s->dropped();
  return n;
}

uint64_t Sink::sent() const {
  uint64_t n = 0;
  for (const auto& s : senders_) n += s->sent();
  return n;
}

}  // namespace licsat::syslog
