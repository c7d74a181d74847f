#include "protocol/failure.h"

#include <nlohmann/json.hpp>

namespace licsat::protocol {
namespace {

std::string host_port(const std::string& server) {
  std::string s = server;
  if (auto p = s.find("://"); p != std::string::npos) s = s.substr(p + 3);
  if (auto slash = s.find('/'); slash != std::string::npos) s = s.substr(0, slash);
  return s;
}

std::string host_of(const std::string& server) {
  std::string hp = host_port(server);
  if (!hp.empty() && hp.front() == '[') return hp.substr(1, hp.find(']') - 1);
  return hp.substr(0, hp.rfind(':') == std::string::npos ? hp.size() : hp.rfind(':'));
}

bool contains(const std::string& hay, const char* needle) {
  std::string h = hay, n = needle;
  for (auto& c : h) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (auto& c : n) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return h.find(n) != std::string::npos;
}

// The server's own words from an error body ({"error","error_description","error_message"}).
void read_error_body(const HttpReply& r, Failure& f) {
  auto j = nlohmann::json::parse(r.body, nullptr, false);
  if (j.is_object()) {
    if (j.contains("error") && j["error"].is_string()) f.error_code = j["error"].get<std::string>();
    for (const char* k : {"error_message", "error_description", "message"}) {
      if (j.contains(k) && j[k].is_string() && !j[k].get<std::string>().empty()) {
        f.server_words = j[k].get<std::string>();
        break;
      }
    }
  } else if (!r.body.empty()) {
    f.server_words = r.body.substr(0, 200);
  }
  if (auto it = r.headers.find("retry-after"); it != r.headers.end()) {
    try {
      f.retry_after = std::stoll(it->second);
    } catch (...) {
      f.retry_after = 0;
    }
  }
}

}  // namespace

int exit_code(FailureClass c) {
  switch (c) {
    case FailureClass::kUsage: return 2;
    case FailureClass::kDns: return 10;
    case FailureClass::kConnect: return 11;
    case FailureClass::kProxy: return 12;
    case FailureClass::kTls: return 13;
    case FailureClass::kCertificate: return 14;
    case FailureClass::kTimeout: return 15;
    case FailureClass::kClock: return 16;
    case FailureClass::kInvalidClient: return 20;
    case FailureClass::kInvalidGrant: return 21;
    case FailureClass::kUserLocked: return 22;
    case FailureClass::kAccessDenied: return 23;
    case FailureClass::kRateLimited: return 24;
    case FailureClass::kRejected: return 30;
    case FailureClass::kServer: return 31;
    case FailureClass::kOfflineRefused: return 40;
    case FailureClass::kState: return 41;
  }
  return 1;
}

const char* class_name(FailureClass c) {
  switch (c) {
    case FailureClass::kUsage: return "usage";
    case FailureClass::kDns: return "dns";
    case FailureClass::kConnect: return "connect";
    case FailureClass::kProxy: return "proxy";
    case FailureClass::kTls: return "tls";
    case FailureClass::kCertificate: return "certificate";
    case FailureClass::kTimeout: return "timeout";
    case FailureClass::kClock: return "clock";
    case FailureClass::kInvalidClient: return "invalid_client";
    case FailureClass::kInvalidGrant: return "invalid_grant";
    case FailureClass::kUserLocked: return "user_locked";
    case FailureClass::kAccessDenied: return "access_denied";
    case FailureClass::kRateLimited: return "rate_limited";
    case FailureClass::kRejected: return "rejected";
    case FailureClass::kServer: return "server_error";
    case FailureClass::kOfflineRefused: return "offline_file_refused";
    case FailureClass::kState: return "state";
  }
  return "unknown";
}

bool transient(FailureClass c) {
  switch (c) {
    case FailureClass::kDns:
    case FailureClass::kConnect:
    case FailureClass::kProxy:
    case FailureClass::kTimeout:
    case FailureClass::kRateLimited:
    case FailureClass::kServer:
    case FailureClass::kTls: return true;
    default: return false;
  }
}

bool retry_cannot_fix(FailureClass c) {
  switch (c) {
    case FailureClass::kUsage:
    case FailureClass::kInvalidClient:
    case FailureClass::kInvalidGrant:
    case FailureClass::kUserLocked:
    case FailureClass::kState: return true;
    default: return false;
  }
}

std::string redact_credentials(const std::string& url) {
  auto scheme = url.find("://");
  size_t start = scheme == std::string::npos ? 0 : scheme + 3;
  auto at = url.find('@', start);
  auto slash = url.find('/', start);
  if (at == std::string::npos || (slash != std::string::npos && at > slash)) return url;
  return url.substr(0, start) + "***@" + url.substr(at + 1);
}

Failure from_transport(const TransportError& e) {
  Failure f;
  f.detail = e.message;
  std::string where = e.host.empty() ? "the server" : e.host + ":" + std::to_string(e.port);
  std::string proxy = redact_credentials(e.proxy);
  switch (e.kind) {
    case TransportFailure::kDns:
      f.cls = FailureClass::kDns;
      f.what = "DNS: the name '" + e.host + "' does not resolve";
      break;
    case TransportFailure::kConnect:
      f.cls = FailureClass::kConnect;
      f.what = "connection: nothing accepted a connection at " + where;
      break;
    case TransportFailure::kProxy:
      f.cls = FailureClass::kProxy;
      if (e.proxy_status == 407)
        f.what = "proxy: " + proxy + " asks for credentials (HTTP 407)";
      else if (e.proxy_status != 0)
        f.what = "proxy: " + proxy + " refused to open a tunnel to " + where + " (CONNECT answered HTTP " +
                 std::to_string(e.proxy_status) + ")";
      else
        f.what = "proxy: cannot reach the proxy " + proxy;
      f.http_status = e.proxy_status;
      break;
    case TransportFailure::kTls:
      f.cls = FailureClass::kTls;
      f.what = "TLS: the handshake with " + where + " failed";
      if (contains(e.message, "not supported"))  // an http:// URL (https_client.cpp speaks HTTPS only)
        f.what = "TLS: the server URL is not https://; credentials are sent over HTTPS only";
      break;
    case TransportFailure::kCaFile:
      f.cls = FailureClass::kCertificate;
      f.what = "TLS: the CA file given with --ca-file cannot be read or holds no certificate";
      f.error_code = "ca_file";
      break;
    case TransportFailure::kCertificate:
      f.cls = FailureClass::kCertificate;
      if (contains(e.message, "expired")) {
        f.what = "TLS: the certificate of " + where + " has expired";
        f.error_code = "expired";
      } else if (contains(e.message, "subject name") || contains(e.message, "does not match") ||
                 contains(e.message, "hostname")) {
        f.what = "TLS: the certificate of " + where + " is not issued for the name '" + e.host + "'";
        f.error_code = "name_mismatch";
      } else {
        f.what = "TLS: the certificate of " + where + " is not trusted by this host";
        f.error_code = "untrusted";
      }
      break;
    case TransportFailure::kTimeout:
      f.cls = FailureClass::kTimeout;
      f.what = "timeout: " + where + (proxy.empty() ? "" : " (through the proxy " + proxy + ")") + " did not answer in time";
      break;
    case TransportFailure::kOther:
      f.cls = FailureClass::kConnect;
      f.what = "connection: the exchange with " + where + " failed";
      break;
  }
  return f;
}

Failure from_token_reply(const HttpReply& r) {
  Failure f;
  f.http_status = r.status;
  read_error_body(r, f);
  f.what = "token request refused";
  if (f.error_code == "invalid_client" || (r.status == 401 && f.error_code.empty())) {
    f.cls = FailureClass::kInvalidClient;
  } else if (f.error_code == "invalid_grant") {
    f.cls = contains(f.server_words, "locked") ? FailureClass::kUserLocked : FailureClass::kInvalidGrant;
  } else if (r.status == 403 || f.error_code == "access_denied") {
    f.cls = FailureClass::kAccessDenied;
  } else if (r.status == 429 || f.error_code == "slow_down") {
    f.cls = FailureClass::kRateLimited;
  } else if (r.status >= 500) {
    f.cls = FailureClass::kServer;
  } else if (r.status == 404 || r.status == 405) {
    f.cls = FailureClass::kRejected;
    f.what = "the server has no token endpoint at /oauth/token (is --server the licensing server's URL?)";
  } else {
    f.cls = FailureClass::kRejected;
  }
  return f;
}

Failure from_api_reply(const HttpReply& r, const std::string& what) {
  Failure f;
  f.http_status = r.status;
  read_error_body(r, f);
  f.what = what + " failed";
  if (r.status == 401 || r.status == 403) {
    f.cls = FailureClass::kAccessDenied;
  } else if (r.status == 429) {
    f.cls = FailureClass::kRateLimited;
  } else if (r.status >= 500 || r.status < 100) {
    f.cls = FailureClass::kServer;
  } else {
    f.cls = FailureClass::kRejected;
  }
  return f;
}

namespace {

// The fix for a satellite, where the words differ from a manager's: its authority is set in the
// [upstream] table of its configuration, it has no proxy, and the grant is a Client Credentials
// Grant on the authority. Empty where a manager's words serve.
std::string satellite_fix(const Failure& f, const FixContext& ctx) {
  std::string hp = host_port(ctx.server);
  switch (f.cls) {
    case FailureClass::kDns:
      return "check the host name in this server's upstream.url, and this host's DNS settings (/etc/resolv.conf); "
             "`getent hosts " + host_of(ctx.server) + "` must print an address.";
    case FailureClass::kConnect:
    case FailureClass::kTimeout:
      return "the authority at " + hp + " did not answer: check that it runs (`licsat serve` there, GET /healthz), "
             "that upstream.url has the right port (8443 by default) and that no firewall blocks " + hp +
             ". Reports stay queued here and leave at the next sync.";
    case FailureClass::kProxy:
      return "this server reaches its authority directly (satellites take no proxy): check upstream.url.";
    case FailureClass::kTls:
      return "check that upstream.url points at the authority's HTTPS port (not plain HTTP or another service).";
    case FailureClass::kCertificate:
      return "trust the authority's certificate: set upstream.ca_file to the certificate of the CA that signed it, or "
             "to the authority's DATA/tls/cert.pem when it uses its self-signed one" +
             std::string(ctx.ca_file.empty() ? "" : " (the file set does not vouch for it)") + ".";
    case FailureClass::kInvalidClient:
      return "the authority does not accept upstream.client_id with this secret: create a Client Credentials Grant "
             "on the authority (`licsat admin grant create --type client-credentials --name NAME` there) or "
             "regenerate its secret (`licsat admin grant regenerate-secret NAME`), and set upstream.client_id and "
             "upstream.client_secret_file here; the authority's Event Log says which check failed.";
    case FailureClass::kUsage:
      return "correct the [upstream] table of this server's configuration.";
    case FailureClass::kState:
      return "this server's database refused the change: see this server's log.";
    default: return "";
  }
}

}  // namespace

std::string fix_for(const Failure& f, const FixContext& ctx) {
  std::string host = host_of(ctx.server);
  std::string hp = host_port(ctx.server);
  if (!f.fix.empty()) return f.fix;
  if (ctx.satellite) {
    if (auto s = satellite_fix(f, ctx); !s.empty()) return s;
  }
  switch (f.cls) {
    case FailureClass::kUsage: return "correct the command line or the settings file (see licsat manager --help).";
    case FailureClass::kDns:
      return "check the host name in --server, and this host's DNS settings (/etc/resolv.conf); "
             "`getent hosts " + host + "` must print an address. Use the server's IP address if DNS has no entry.";
    case FailureClass::kConnect:
      return "check that the server runs (`licsat serve`, GET /healthz), that --server has the right port "
             "(licsat listens on 8443 by default) and that no firewall blocks " + hp +
             (ctx.proxy.empty() ? "; if this host may only reach the server through a proxy, pass --proxy." : ".");
    case FailureClass::kProxy:
      if (f.http_status == 407) return "put the proxy's user and password in the proxy URL: --proxy http://USER:PASSWORD@proxy:port.";
      if (f.http_status != 0)
        return "the proxy was reached but would not connect to " + hp +
               ": check that the server runs, and that the proxy allows CONNECT to port " +
               hp.substr(hp.rfind(':') + 1) + " (tinyproxy: ConnectPort; squid: SSL_ports).";
      return "check the proxy URL (--proxy or https_proxy) and that the proxy runs; to go direct, drop --proxy "
             "or add the server to no_proxy.";
    case FailureClass::kTls:
      return "check that " + hp + " is the licsat server's HTTPS port (not plain HTTP or another service) "
             "and that nothing in between intercepts TLS.";
    case FailureClass::kCertificate:
      if (f.error_code == "ca_file") return "give --ca-file a readable PEM file: the server's certificate or the CA that signed it.";
      if (f.error_code == "expired")
        return "renew the server's certificate (or check this host's clock: `date -u`; run `licsat manager doctor`).";
      if (f.error_code == "name_mismatch")
        return "use in --server the name the certificate was issued for, or reissue the server's certificate "
               "with '" + host + "' in its subject alternative names.";
      return "trust the server's certificate: pass --ca-file with the certificate of the CA that signed it, or, for a "
             "licsat server's self-signed certificate, its DATA/tls/cert.pem copied to this host" +
             std::string(ctx.ca_file.empty() ? "" : " (the file given does not vouch for it)") +
             ". --insecure skips the check; use it only in a test lab.";
    case FailureClass::kTimeout:
      return "the server or the network is slow or dropping packets: check the server's load and the path to " + hp +
             (ctx.proxy.empty() ? "" : " through the proxy") + "; `licsat manager doctor` walks the path step by step.";
    case FailureClass::kClock:
      return "synchronise this host's clock (and the server's) with NTP, e.g. `chronyc tracking` or `timedatectl`; "
             "tokens, certificates and usage periods depend on it.";
    case FailureClass::kInvalidClient:
      return "the client ID and secret do not match a " +
             std::string(ctx.username.empty() ? "Client Credentials Grant" : "Resource Owner Grant") +
             " on the server (unknown ID, wrong or regenerated secret, expired grant, or a grant of the other type). "
             "Create one in the server's API Tool Kit (Admin Workspace → API Tool Kit → " +
             std::string(ctx.username.empty() ? "Client Credentials Grant" : "Resource Owner Grant") +
             ", or `licsat admin grant create --type " +
             std::string(ctx.username.empty() ? "client-credentials" : "resource-owner") +
             " --name NAME`) and use its client ID and secret here.";
    case FailureClass::kInvalidGrant:
      return "the user name or password is wrong for '" + ctx.username +
             "' on the server: check --username and $LICSAT_PASSWORD (the user's password on the licensing server, "
             "not the grant's client secret). Repeated failures lock the user.";
    case FailureClass::kUserLocked:
      return "the user '" + ctx.username + "' is locked after failed logins: wait until the lock ends (the server's "
             "answer says when), or ask a server admin to unlock it (Admin Workspace → Access Management, or "
             "`licsat admin user unlock " + ctx.username + "`).";
    case FailureClass::kAccessDenied:
      return "the API console is disabled on the server, or the user's role is too low for this call: ask a server "
             "admin to enable it (Admin Workspace → API Tool Kit → API Console, or `licsat admin console enable`) "
             "and to give '" + (ctx.username.empty() ? std::string("the grant") : ctx.username) +
             "' the operator role for usage reports.";
    case FailureClass::kRateLimited:
      return "the server slows down clients after repeated failures: wait " +
             (f.retry_after > 0 ? std::to_string(f.retry_after) + " seconds" : std::string("a minute")) +
             ", fix the credentials first, then sync again.";
    case FailureClass::kRejected:
      return "the server refused the request as sent: read its words above; check the account and virtual account "
             "names in the device file against the server's (`licsat manager sync --json` lists them).";
    case FailureClass::kServer:
      return "the server failed: retry later; if it persists, the server's admin finds the cause in its log and "
             "Event Log at the time of this attempt.";
    case FailureClass::kOfflineRefused:
      return "use the answer file the server produced for this manager's latest request, unmodified; if the server's "
             "key changed, pin it again with `licsat manager trust`.";
    case FailureClass::kState:
      return "check that the --state directory exists, is writable by this user and is on a disk with free space.";
  }
  return "";
}

std::string render(const Failure& f, const FixContext& ctx) {
  std::string out = f.what;
  if (f.http_status != 0 && f.cls != FailureClass::kProxy) {
    out += " (HTTP " + std::to_string(f.http_status);
    if (!f.error_code.empty()) out += " " + f.error_code;
    out += ")";
  }
  if (!f.server_words.empty()) out += "\n  server said: " + f.server_words;
  if (!f.detail.empty()) out += "\n  detail: " + f.detail;
  std::string fix = fix_for(f, ctx);
  if (!fix.empty()) out += "\n  fix: " + fix;
  return out;
}

Failure state_failure(const Error& e) {
  Failure f;
  f.cls = FailureClass::kState;
  f.what = "local state: " + e.message;
  return f;
}

}  // namespace licsat::protocol
