#include "manager/doctor.h"

#include <curl/curl.h>
#include <netdb.h>
#include <arpa/inet.h>

#include <chrono>
#include <cstdlib>
#include <ctime>

#include "protocol/sync_client.h"

namespace licsat::manager {
namespace {

using Outcome = Check::Outcome;

struct Target {
  std::string host;
  long port = 0;
  bool https = true;
};

std::optional<Target> parse_target(const std::string& url) {
  Target t;
  CURLU* u = curl_url();
  char* h = nullptr;
  char* p = nullptr;
  char* s = nullptr;
  bool ok = curl_url_set(u, CURLUPART_URL, url.c_str(), 0) == CURLUE_OK &&
            curl_url_get(u, CURLUPART_HOST, &h, 0) == CURLUE_OK &&
            curl_url_get(u, CURLUPART_PORT, &p, CURLU_DEFAULT_PORT) == CURLUE_OK &&
            curl_url_get(u, CURLUPART_SCHEME, &s, 0) == CURLUE_OK;
  if (ok) {
    t.host = h;
    if (!t.host.empty() && t.host.front() == '[') t.host = t.host.substr(1, t.host.size() - 2);
    t.port = std::atol(p);
    t.https = std::string(s) == "https";
  }
  curl_free(h);
  curl_free(p);
  curl_free(s);
  curl_url_cleanup(u);
  if (!ok) return std::nullopt;
  return t;
}

bool is_ip_literal(const std::string& host) {
  unsigned char buf[16];
  return inet_pton(AF_INET, host.c_str(), buf) == 1 || inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

// Resolves a name; on success the addresses, on failure the resolver's words.
bool resolve(const std::string& host, std::string& out) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  int rc = getaddrinfo(host.c_str(), nullptr, &hints, &res);
  if (rc != 0) {
    out = gai_strerror(rc);
    return false;
  }
  out.clear();
  int n = 0;
  for (auto* a = res; a && n < 4; a = a->ai_next) {
    char text[INET6_ADDRSTRLEN] = {0};
    const void* addr = a->ai_family == AF_INET ? static_cast<const void*>(&reinterpret_cast<sockaddr_in*>(a->ai_addr)->sin_addr)
                                               : static_cast<const void*>(&reinterpret_cast<sockaddr_in6*>(a->ai_addr)->sin6_addr);
    inet_ntop(a->ai_family, addr, text, sizeof text);
    if (out.find(text) != std::string::npos) continue;
    out += (out.empty() ? "" : ", ") + std::string(text);
    ++n;
  }
  freeaddrinfo(res);
  return true;
}

struct Probe {
  CURLcode rc = CURLE_OK;
  std::string error;
  long proxy_status = 0;
  double seconds = 0;
  std::string subject, issuer, expires, san;
};

// A connection-only probe: TCP (http:// URL), TLS (https:// URL), with the configured proxy.
Probe probe(const std::string& url, const ManagerSettings& s, bool verify, bool tls) {
  Probe out;
  CURL* c = curl_easy_init();
  char err[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, err);
  curl_easy_setopt(c, CURLOPT_CONNECT_ONLY, 1L);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
  curl_easy_setopt(c, CURLOPT_TIMEOUT, 20L);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  std::string proxy = effective_proxy(s.server, s.proxy);
  if (!proxy.empty()) {
    curl_easy_setopt(c, CURLOPT_PROXY, proxy.c_str());
    curl_easy_setopt(c, CURLOPT_HTTPPROXYTUNNEL, 1L);
  } else {
    curl_easy_setopt(c, CURLOPT_PROXY, "");
  }
  if (tls) {
    curl_easy_setopt(c, CURLOPT_CERTINFO, 1L);
    if (!s.ca_file.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, s.ca_file.c_str());
    if (!verify) {
      curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
      curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
    }
  }
  auto t0 = std::chrono::steady_clock::now();
  out.rc = curl_easy_perform(c);
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  out.error = err[0] ? err : curl_easy_strerror(out.rc);
  curl_easy_getinfo(c, CURLINFO_HTTP_CONNECTCODE, &out.proxy_status);
  if (tls && out.rc == CURLE_OK) {
    curl_certinfo* ci = nullptr;
    if (curl_easy_getinfo(c, CURLINFO_CERTINFO, &ci) == CURLE_OK && ci && ci->num_of_certs > 0) {
      for (auto* l = ci->certinfo[0]; l; l = l->next) {
        std::string line = l->data;
        auto colon = line.find(':');
        if (colon == std::string::npos) continue;
        std::string k = line.substr(0, colon), v = line.substr(colon + 1);
        if (k == "Subject") out.subject = v;
        else if (k == "Issuer") out.issuer = v;
        else if (k == "Expire date") out.expires = v;
        else if (k == "X509v3 Subject Alternative Name") out.san = v;
      }
    }
  }
  curl_easy_cleanup(c);
  return out;
}

// "2036-11-23 17:19:01 GMT" (curl's OpenSSL backend) or "Nov 23 17:19:01 2036 GMT".
std::optional<int64_t> parse_cert_time(const std::string& text) {
  std::tm tm{};
  for (const char* fmt : {"%Y-%m-%d %H:%M:%S GMT", "%b %d %H:%M:%S %Y GMT"}) {
    tm = {};
    const char* end = strptime(text.c_str(), fmt, &tm);
    if (end) return static_cast<int64_t>(timegm(&tm));
  }
  return std::nullopt;
}

Check ok(const char* name, std::string seen) { return Check{name, Outcome::kOk, std::move(seen), "", FailureClass::kServer}; }
Check failed(const char* name, const Failure& f, const FixContext& ctx, std::string seen = "") {
  if (seen.empty()) {
    seen = f.what;
    if (!f.server_words.empty()) seen += ": \"" + f.server_words + "\"";
    if (f.http_status && f.cls != FailureClass::kProxy) seen += " (HTTP " + std::to_string(f.http_status) + ")";
    if (!f.detail.empty()) seen += " [" + f.detail + "]";
  }
  return Check{name, Outcome::kFail, std::move(seen), fix_for(f, ctx), f.cls};
}
Check skipped(const char* name, const std::string& why) {
  return Check{name, Outcome::kSkipped, why, "", FailureClass::kServer};
}

Failure transport_failure(const Probe& p, const Target& t, const std::string& proxy) {
  TransportError e;
  e.message = p.error;
  e.host = t.host;
  e.port = t.port;
  e.proxy = proxy;
  e.proxy_status = p.proxy_status;
  switch (p.rc) {
    case CURLE_COULDNT_RESOLVE_HOST: e.kind = TransportFailure::kDns; break;
    case CURLE_COULDNT_RESOLVE_PROXY: e.kind = TransportFailure::kProxy; break;
    case CURLE_OPERATION_TIMEDOUT: e.kind = TransportFailure::kTimeout; break;
    case CURLE_PEER_FAILED_VERIFICATION: e.kind = TransportFailure::kCertificate; break;
    case CURLE_SSL_CACERT_BADFILE: e.kind = TransportFailure::kCaFile; break;
    case CURLE_SSL_CONNECT_ERROR: e.kind = TransportFailure::kTls; break;
    default: e.kind = TransportFailure::kConnect; break;
  }
  if (!proxy.empty() && ((e.kind == TransportFailure::kConnect && p.proxy_status == 0) ||
                         (p.proxy_status != 0 && (p.proxy_status < 200 || p.proxy_status >= 300))))
    e.kind = TransportFailure::kProxy;
  return from_transport(e);
}

}  // namespace

int DoctorReport::exit_code() const {
  for (const auto& c : checks)
    if (c.outcome == Outcome::kFail) return protocol::exit_code(c.cls);
  return 0;
}

DoctorReport run_doctor(const ManagerSettings& s, const Clock& clock) {
  DoctorReport report;
  auto& out = report.checks;
  FixContext ctx{s.server, s.username, redact_credentials(effective_proxy(s.server, s.proxy)), s.ca_file, s.insecure};
  auto target = parse_target(s.server);
  if (!target) {
    Failure f;
    f.cls = FailureClass::kUsage;
    f.what = "--server '" + s.server + "' is not a URL";
    out.push_back(failed("dns", f, ctx));
    return report;
  }
  const std::string hp = target->host + ":" + std::to_string(target->port);
  const std::string proxy = effective_proxy(s.server, s.proxy);
  const std::string shown_proxy = redact_credentials(proxy);
  auto proxy_target = proxy.empty() ? std::nullopt : parse_target(proxy.find("://") == std::string::npos ? "http://" + proxy : proxy);

  // 1. DNS.
  {
    std::string addrs;
    if (is_ip_literal(target->host)) {
      out.push_back(ok("dns", target->host + " is an IP address; no lookup needed"));
    } else if (resolve(target->host, addrs)) {
      out.push_back(ok("dns", target->host + " resolves to " + addrs));
    } else if (!proxy.empty()) {
      out.push_back(ok("dns", target->host + " does not resolve here (" + addrs + "); the proxy " + shown_proxy +
                                  " resolves it"));
    } else {
      Failure f;
      f.cls = FailureClass::kDns;
      f.what = target->host + " does not resolve (" + addrs + ")";
      out.push_back(failed("dns", f, ctx, f.what));
    }
    std::string paddrs;
    if (proxy_target && !is_ip_literal(proxy_target->host) && !resolve(proxy_target->host, paddrs)) {
      Failure f;
      f.cls = FailureClass::kProxy;
      f.what = "the proxy's name " + proxy_target->host + " does not resolve (" + paddrs + ")";
      out.push_back(failed("dns", f, ctx, f.what));
    }
  }
  bool path_ok = report.exit_code() == 0;

  // 2. TCP, directly or through the proxy's CONNECT tunnel.
  if (!path_ok) {
    out.push_back(skipped("tcp", "skipped: the name does not resolve"));
  } else {
    auto p = probe("http://" + (target->host.find(':') != std::string::npos ? "[" + target->host + "]" : target->host) +
                       ":" + std::to_string(target->port) + "/",
                   s, true, false);
    if (p.rc == CURLE_OK) {
      char ms[32];
      std::snprintf(ms, sizeof ms, "%.0f ms", p.seconds * 1000);
      out.push_back(ok("tcp", proxy.empty() ? "connected to " + hp + " in " + ms
                                            : "the proxy " + shown_proxy + " opened a tunnel to " + hp + " in " + ms));
    } else {
      out.push_back(failed("tcp", transport_failure(p, *target, proxy), ctx));
      path_ok = false;
    }
  }

  // 3. TLS handshake and certificate.
  bool tls_ok = false;
  if (!path_ok) {
    out.push_back(skipped("tls", "skipped: no connection"));
  } else if (!target->https) {
    Failure f;
    f.cls = FailureClass::kTls;
    f.what = "--server uses http://; licsat serves HTTPS only";
    out.push_back(failed("tls", f, ctx, f.what));
  } else {
    auto p = probe(s.server, s, !s.insecure, true);
    auto look = p.rc == CURLE_OK ? p : probe(s.server, s, false, true);  // what the certificate says, trusted or not
    std::string cert = look.subject.empty() ? "" : "certificate " + look.subject;
    if (!look.issuer.empty() && look.issuer != look.subject) cert += ", issued by " + look.issuer;
    if (look.issuer == look.subject && !look.subject.empty()) cert += " (self-signed)";
    if (!look.san.empty()) cert += ", names " + look.san.substr(look.san.find_first_not_of(" "));
    auto expires = parse_cert_time(look.expires);
    int64_t days_left = expires ? (*expires - clock.now()) / 86400 : 0;
    if (expires) cert += ", valid until " + format_iso8601(*expires);
    if (p.rc != CURLE_OK) {
      Failure f = transport_failure(p, *target, proxy);
      out.push_back(failed("tls", f, ctx, f.what + (cert.empty() ? "" : "; " + cert) + " [" + p.error + "]"));
    } else if (expires && *expires < clock.now()) {
      Failure f;
      f.cls = FailureClass::kCertificate;
      f.error_code = "expired";
      f.what = "the certificate expired on " + format_iso8601(*expires);
      out.push_back(failed("tls", f, ctx, f.what + "; " + cert));
    } else {
      tls_ok = true;
      std::string note = s.insecure ? " — NOT verified (--insecure)" : " — trusted";
      if (expires && days_left < 30) note += "; WARNING: expires in " + std::to_string(days_left) + " days";
      out.push_back(ok("tls", "handshake ok; " + (cert.empty() ? std::string("certificate") : cert) + note));
    }
  }

  // 4. Clock skew against the server's Date header (readable even when the certificate is not trusted).
  if (!path_ok || !target->https) {
    out.push_back(skipped("clock", "skipped: no connection"));
  } else {
    ClientOptions o = client_options(s);
    if (!tls_ok) {
      o.insecure = true;
      o.ca_file.clear();
    }
    HttpsClient http(o);
    auto r = http.request("GET", "/healthz");
    std::optional<int64_t> server_time;
    if (r)
      if (auto it = r->headers.find("date"); it != r->headers.end()) server_time = parse_http_date(it->second);
    if (!server_time) {
      out.push_back(skipped("clock", r ? "the server sent no Date header" : "no answer: " + r.error().message));
    } else {
      int64_t skew = clock.now() - *server_time;
      std::string seen = "this host's clock is " + std::to_string(std::llabs(skew)) + " s " +
                         (skew >= 0 ? "ahead of" : "behind") + " the server's (" + format_iso8601(*server_time) + ")";
      if (std::llabs(skew) <= kMaxClockSkew) {
        out.push_back(ok("clock", seen));
      } else {
        Failure f;
        f.cls = FailureClass::kClock;
        Check c{"clock", Outcome::kFail, seen, fix_for(f, ctx), FailureClass::kClock};
        out.push_back(c);
      }
    }
  }

  // 5. Token with the given grant.
  bool token_ok = false;
  SyncClient client(client_options(s), credentials(s), clock);
  if (!tls_ok) {
    out.push_back(skipped("token", "skipped: no trusted TLS connection"));
  } else if (s.client_id.empty() || s.client_secret.empty()) {
    Failure f;
    f.cls = FailureClass::kUsage;
    f.what = "no --client-id/--client-secret given";
    out.push_back(failed("token", f, ctx, f.what));
  } else if (auto a = client.authenticate(); a) {
    token_ok = true;
    out.push_back(ok("token", s.username.empty() ? "client_credentials token issued to client " + s.client_id
                                                 : "password grant token issued for user '" + s.username + "'"));
  } else {
    Failure f = a.error();
    std::string seen;
    if (f.cls == FailureClass::kInvalidClient && !s.username.empty()) {
      // Is the ID a Client Credentials Grant's? That is the field's most common mistake.
      Credentials cc = credentials(s);
      cc.username.clear();
      cc.password.clear();
      SyncClient other(client_options(s), cc, clock);
      if (other.authenticate()) {
        seen = "invalid_client: \"" + f.server_words + "\" — the client ID and secret belong to a Client Credentials "
               "Grant; the password grant (with --username) needs a Resource Owner Grant";
      }
    }
    out.push_back(failed("token", f, ctx, seen));
  }

  // 6. One licensing API call, and whether the role may report usage.
  if (!token_ok) {
    out.push_back(skipped("api", "skipped: no token"));
  } else {
    auto accounts = client.fetch_accounts();
    if (!accounts) {
      out.push_back(failed("api", accounts.error(), ctx));
    } else {
      std::string names;
      for (const auto& a : *accounts) names += (names.empty() ? "" : ", ") + a.name;
      std::string seen = "GET /api/v1/accounts: " + std::to_string(accounts->size()) + " account(s)" +
                         (names.empty() ? "" : " (" + names + ")");
      auto me = client.http().request("GET", "/api/v1/me");
      auto j = me && me->status == 200 ? nlohmann::json::parse(me->body, nullptr, false) : nlohmann::json();
      std::string role = j.is_object() && j.contains("role") && j["role"].is_string() ? j["role"].get<std::string>() : "";
      if (role == "viewer") {
        Check c{"api", Outcome::kFail, seen + "; role of '" + s.username + "' is viewer: usage reports need operator",
                "ask a server admin to give '" + s.username + "' the operator role (Admin Workspace → Access Management)",
                FailureClass::kAccessDenied};
        out.push_back(c);
      } else {
        if (accounts->empty()) seen += " — no accounts: the server has none yet, or none for this user";
        if (!role.empty()) seen += "; role " + role;
        out.push_back(ok("api", seen));
      }
    }
  }
  return report;
}

}  // namespace licsat::manager
