// licsat admin logout: revokes the cached session's tokens on the server (RFC 7009) and deletes
// the session file. With the server out of reach it still deletes the file, and says that the
// tokens were not revoked and when they expire.
#include <CLI/CLI.hpp>

#include <iostream>

#include "cli/admin_client.h"
#include "cli/admin_session_cache.h"
#include "cli/commands.h"
#include "core/clock.h"
#include "http/message.h"
#include "oauth/token_service.h"

namespace licsat::cli {
namespace {

// Revokes one token; returns why it was not revoked, empty once it is.
std::string revoke(protocol::HttpsClient& client, const std::string& token, const char* hint) {
  std::string form = "client_id=" + std::string(oauth::kFirstPartyClientId) + "&token=" + http::url_encode(token) +
                     "&token_type_hint=" + hint;
  auto r = client.request("POST", "/oauth/revoke", form, "application/x-www-form-urlencoded");
  if (!r) return "cannot reach the server: " + std::string(protocol::transport_failure_name(r.error().kind)) + ": " + r.error().message;
  if (r->status == 200) return "";
  auto j = nlohmann::json::parse(r->body, nullptr, false);
  return "the server refused (HTTP " + std::to_string(r->status) +
         "): " + (j.is_object() ? j.value("error_message", j.value("error", r->body)) : r->body);
}

int logout(AdminOptions o) {
  if (auto r = resolve_admin_options(o); !r) {
    std::cerr << "licsat admin: " << r.error().message << "\n";
    return kUsage;
  }
  o.no_session = false;  // logout is about the session file, whatever the environment says
  std::string path = admin_session_path(o);
  if (path.empty()) {
    std::cerr << "licsat admin logout: no session directory: neither $XDG_CACHE_HOME nor $HOME is set\n";
    return kFailure;
  }
  SessionLock lock(path);
  auto cached = load_session(path, true);
  if (!cached) {
    // Not the user's own file (or not a file): its tokens are not sent anywhere; it is removed.
    std::cerr << "licsat admin logout: " << cached.error().message << "\n";
    if (auto d = remove_session(path); !d) {
      std::cerr << "licsat admin logout: " << d.error().message << "\n";
      return kFailure;
    }
    std::cout << "deleted the session file " << path << " without revoking anything\n";
    return kOk;
  }
  if (!*cached) {
    std::cout << "no session of '" << o.user << "' at " << o.server << " is kept on this machine\n";
    return kOk;
  }
  const CachedSession& c = **cached;
  protocol::HttpsClient client(protocol::ClientOptions{o.server, o.ca_file, o.insecure, "", 30, 10});
  // The refresh token first: revoking it also ends the access tokens issued with it.
  std::string why = c.refresh_token.empty() ? "" : revoke(client, c.refresh_token, "refresh_token");
  if (why.empty() && !c.access_token.empty()) why = revoke(client, c.access_token, "access_token");
  if (auto d = remove_session(path); !d) {
    std::cerr << "licsat admin logout: " << d.error().message << "\n";
    return kFailure;
  }
  if (why.empty()) {
    std::cout << "logged out '" << o.user << "' from " << o.server << ": its tokens are revoked and the session file deleted\n";
    return kOk;
  }
  std::cerr << "licsat admin logout: " << o.server << ": " << why << "\n"
            << "The session's tokens were NOT revoked; the local session file is deleted. The access token expires at "
            << format_iso8601(c.access_expires)
            << (c.refresh_expires > 0 ? ", the refresh token at " + format_iso8601(c.refresh_expires) : std::string())
            << " (UTC); nobody can use them without a copy of the deleted file.\n";
  return kOk;
}

}  // namespace

void add_admin_logout(CLI::App& admin, std::shared_ptr<AdminOptions> o) {
  auto* sub = admin.add_subcommand("logout", "Revoke the session kept since the last password login and delete its file");
  sub->callback([o] { set_exit(logout(*o)); });
}

}  // namespace licsat::cli
