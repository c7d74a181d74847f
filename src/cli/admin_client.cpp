#include "cli/admin_client.h"

#include <iostream>

#include "cli/admin_defaults.h"
#include "cli/commands.h"
#include "http/message.h"
#include "oauth/token_service.h"

namespace licsat::cli {

AdminSession::AdminSession(const AdminOptions& o)
    : opt_(o), client_(manager::ClientOptions{o.server, o.ca_file, o.insecure, "", 120, 10}) {}

bool AdminSession::login() {
  std::string pw = password_from("LICSAT_PASSWORD", "Password for " + opt_.user + ": ");
  if (pw.empty()) {
    // An empty login would only come back as a refused password and a lockout count.
    std::cerr << "licsat admin: no password for '" << opt_.user
              << "': set $LICSAT_PASSWORD, pipe the password on standard input, or run from a terminal\n";
    return false;
  }
  std::string form = "grant_type=password&client_id=" + std::string(oauth::kFirstPartyClientId) +
                     "&username=" + http::url_encode(opt_.user) + "&password=" + http::url_encode(pw);
  auto r = client_.request("POST", "/oauth/token", form, "application/x-www-form-urlencoded");
  if (!r) {
    std::cerr << "licsat admin: cannot reach " << opt_.server << ": " << manager::transport_failure_name(r.error().kind)
              << ": " << r.error().message << "\n";
    if (r.error().kind == manager::TransportFailure::kCertificate)
      std::cerr << "fix: pass --ca-file with the server's certificate (on a server using the default self-signed one: "
                   "its DATA/tls/cert.pem) or the CA that signed it\n";
    return false;
  }
  auto j = nlohmann::json::parse(r->body, nullptr, false);
  if (r->status != 200 || !j.is_object() || !j.contains("access_token")) {
    std::string msg = j.is_object() ? j.value("error_message", j.value("error", r->body)) : r->body;
    std::cerr << "licsat admin: login as '" << opt_.user << "' failed (HTTP " << r->status << "): " << msg << "\n";
    return false;
  }
  client_.set_bearer(j["access_token"].get<std::string>());
  return true;
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
  if (!r) {
    std::cerr << "licsat admin: cannot reach " << opt_.server << ": " << manager::transport_failure_name(r.error().kind)
              << ": " << r.error().message << "\n";
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
