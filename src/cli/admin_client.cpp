#include "cli/admin_client.h"

#include <cstdlib>
#include <ctime>
#include <iostream>
#include <string_view>

#include "cli/admin_defaults.h"
#include "cli/admin_session_cache.h"
#include "cli/commands.h"
#include "http/message.h"
#include "oauth/token_service.h"

namespace licsat::cli {

namespace {
// A cached access token this close to its expiry is not used: the command could outlast it.
constexpr int64_t kExpiryMargin = 30;
}  // namespace

std::string admin_session_path(const AdminOptions& o) {
  const char* off = std::getenv("LICSAT_NO_SESSION");
  if (o.no_session || (off && *off && std::string_view(off) != "0")) return "";
  std::string dir = session_cache_dir();
  return dir.empty() ? "" : session_cache_path(dir, o.server, o.user);
}

AdminSession::AdminSession(const AdminOptions& o)
    : opt_(o),
      client_(protocol::ClientOptions{o.server, o.ca_file, o.insecure, "", 120, 10}),
      cache_path_(admin_session_path(o)) {}

void AdminSession::print_unreachable(const protocol::TransportError& e) const {
  std::cerr << "licsat admin: cannot reach " << opt_.server << ": " << protocol::transport_failure_name(e.kind) << ": "
            << e.message << "\n";
  if (e.kind == protocol::TransportFailure::kCertificate)
    std::cerr << "fix: pass --ca-file with the server's certificate (on a server using the default self-signed one: "
                 "its DATA/tls/cert.pem) or the CA that signed it\n";
}

bool AdminSession::login() {
  if (cache_path_.empty()) return password_login();
  SessionLock lock(cache_path_);
  auto cached = load_session(cache_path_);
  if (!cached) {
    std::cerr << "licsat admin: " << cached.error().message << "\n";
    return false;
  }
  const auto& c = *cached;
  if (c && c->server == opt_.server && c->user == opt_.user) {
    int64_t now = std::time(nullptr);
    if (!c->access_token.empty() && c->access_expires > now + kExpiryMargin) {
      bearer_ = c->access_token;
      client_.set_bearer(bearer_);
      bearer_from_cache_ = true;
      return true;
    }
    if (!c->refresh_token.empty() && (c->refresh_expires == 0 || c->refresh_expires > now + kExpiryMargin)) {
      Got g = refresh(c->refresh_token);
      if (g == Got::kTokens) return true;
      if (g == Got::kUnreachable) return false;
    }
  }
  return password_login();
}

bool AdminSession::relogin() {
  bearer_from_cache_ = false;
  if (cache_path_.empty()) return false;
  SessionLock lock(cache_path_);
  auto cached = load_session(cache_path_);
  if (cached && *cached && (*cached)->access_token != bearer_ && (*cached)->server == opt_.server &&
      (*cached)->user == opt_.user && (*cached)->access_expires > std::time(nullptr) + kExpiryMargin) {
    bearer_ = (*cached)->access_token;
    client_.set_bearer(bearer_);
    return true;
  }
  // The token was revoked (a logout, a password reset) or the server forgot it: its refresh
  // token is most likely dead as well, and presenting it would read as a stolen copy.
  return password_login();
}

AdminSession::Got AdminSession::refresh(const std::string& refresh_token) {
  client_.set_bearer("");
  std::string form = "grant_type=refresh_token&client_id=" + std::string(oauth::kFirstPartyClientId) +
                     "&refresh_token=" + http::url_encode(refresh_token);
  auto r = client_.request("POST", "/oauth/token", form, "application/x-www-form-urlencoded");
  if (!r) {
    print_unreachable(r.error());
    return Got::kUnreachable;
  }
  auto j = nlohmann::json::parse(r->body, nullptr, false);
  if (r->status != 200 || !j.is_object() || !j.contains("access_token")) return Got::kRefused;
  use_tokens(j);
  return Got::kTokens;
}

bool AdminSession::password_login() {
  std::string pw = password_from("LICSAT_PASSWORD", "Password for " + opt_.user + ": ");
  if (pw.empty()) {
    // An empty login would only come back as a refused password and a lockout count.
    std::cerr << "licsat admin: no password for '" << opt_.user
              << "': set $LICSAT_PASSWORD, pipe the password on standard input, or run from a terminal\n";
    return false;
  }
  client_.set_bearer("");
  std::string form = "grant_type=password&client_id=" + std::string(oauth::kFirstPartyClientId) +
                     "&username=" + http::url_encode(opt_.user) + "&password=" + http::url_encode(pw);
  auto r = client_.request("POST", "/oauth/token", form, "application/x-www-form-urlencoded");
  if (!r) {
    print_unreachable(r.error());
    return false;
  }
  auto j = nlohmann::json::parse(r->body, nullptr, false);
  if (r->status != 200 || !j.is_object() || !j.contains("access_token")) {
    std::string msg = j.is_object() ? j.value("error_message", j.value("error", r->body)) : r->body;
    std::cerr << "licsat admin: login as '" << opt_.user << "' failed (HTTP " << r->status << "): " << msg << "\n";
    return false;
  }
  use_tokens(j);
  return true;
}

void AdminSession::use_tokens(const nlohmann::json& answer) {
  bearer_ = answer.value("access_token", "");
  client_.set_bearer(bearer_);
  if (cache_path_.empty()) return;
  int64_t now = std::time(nullptr);
  CachedSession c;
  c.server = opt_.server;
  c.user = opt_.user;
  c.access_token = bearer_;
  c.access_expires = now + answer.value("expires_in", int64_t{0});
  c.refresh_token = answer.value("refresh_token", "");
  if (int64_t in = answer.value("refresh_token_expires_in", int64_t{0}); in > 0) c.refresh_expires = now + in;
  // Without a cache the command still runs; the next one logs in again.
  if (auto s = save_session(cache_path_, c); !s)
    std::cerr << "licsat admin: warning: the session is not kept for the next command: " << s.error().message << "\n";
}

std::optional<nlohmann::json> AdminSession::call(const std::string& method, const std::string& path,
                                                 const nlohmann::json& body) {
  return call(method, path, body, 0, nullptr);
}

std::optional<nlohmann::json> AdminSession::call(const std::string& method, const std::string& path, int also_ok,
                                                 long* status) {
  return call(method, path, nullptr, also_ok, status);
}

std::optional<nlohmann::json> AdminSession::call(const std::string& method, const std::string& path,
                                                 const nlohmann::json& body, int also_ok, long* status) {
  auto r = client_.request(method, path, body.is_null() ? "" : body.dump());
  // A cached token the server no longer takes: nothing was done (the bearer check comes first),
  // so the request is sent again once logged in.
  if (r && r->status == 401 && bearer_from_cache_) {
    if (!relogin()) return std::nullopt;
    r = client_.request(method, path, body.is_null() ? "" : body.dump());
  }
  if (!r) {
    print_unreachable(r.error());
    return std::nullopt;
  }
  auto j = nlohmann::json::parse(r->body, nullptr, false);
  if (status) *status = r->status;
  if (r->status >= 300 && !(also_ok != 0 && r->status == also_ok && j.is_object())) {
    std::string msg = j.is_object() ? j.value("error_message", j.value("error_description", r->body)) : r->body;
    std::cerr << "licsat admin: " << msg << " (HTTP " << r->status << ")\n";
    return std::nullopt;
  }
  if (j.is_discarded()) return nlohmann::json(r->body);
  return j;
}

Status resolve_admin_options(AdminOptions& o) {
  if (o.server.empty() || o.user.empty() || o.ca_file.empty()) {
    auto d = read_admin_defaults(admin_defaults_path());
    if (!d) return fail(d.error());
    if (o.server.empty() && d->server) o.server = *d->server;
    if (o.user.empty() && d->user) o.user = *d->user;
    // A file's CA would contradict --insecure given on the command line: the flag wins.
    if (o.ca_file.empty() && d->ca_file && !o.insecure) o.ca_file = *d->ca_file;
  }
  if (o.server.empty()) o.server = kDefaultAdminServer;
  if (o.user.empty()) o.user = kDefaultAdminUser;
  return {};
}

void with_session(const AdminOptions& given, const std::function<bool(AdminSession&)>& fn) {
  AdminOptions o = given;
  if (auto r = resolve_admin_options(o); !r) {
    std::cerr << "licsat admin: " << r.error().message << "\n";
    return set_exit(kUsage);
  }
  AdminSession s(o);
  if (!s.login()) return set_exit(kFailure);
  set_exit(fn(s) ? kOk : kFailure);
}

}  // namespace licsat::cli
