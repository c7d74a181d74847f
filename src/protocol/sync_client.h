// The client side of the licensing protocol: an OAuth2 token from the server's token endpoint, then
// the licensing API (accounts, license pools, usage reports). One class for a manager syncing with
// a server and for a satellite syncing with its authority (one protocol):
// it keeps no state beyond its access token; what to send and where to keep the answers
// is the caller's business (protocol/sync_run.h runs the one sync loop over it).
//
// Every call returns a Failure on error, classified (transport, OAuth, API) with the server's own
// words kept, so the caller can print a fix or decide to retry.
#pragma once

#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "protocol/failure.h"
#include "protocol/https_client.h"
#include "protocol/wire_types.h"

namespace licsat::protocol {

// A grant of the server's API Tool Kit, and the user for the password grant. With a user name the
// client uses the password grant (a Resource Owner Grant); without one, client_credentials (a
// Client Credentials Grant, as a satellite uses).
struct Credentials {
  std::string client_id;
  std::string client_secret;
  std::string username;
  std::string password;
};

class SyncClient {
 public:
  SyncClient(ClientOptions http, Credentials creds, const Clock& clock);

  // Gets an access token. Called by the other calls when there is no valid token; call it first to
  // tell credential problems apart from the rest.
  std::expected<void, Failure> authenticate();
  // GET /api/v1/accounts.
  std::expected<std::vector<Account>, Failure> fetch_accounts();
  // POST /api/v1/accounts/{account}/licenses for the given virtual accounts (empty: all), every page.
  std::expected<std::vector<LicensePool>, Failure> fetch_licenses(const std::string& account,
                                                                  const std::vector<std::string>& virtual_accounts = {});
  // POST /api/v1/accounts/{account}/virtual-accounts/{va}/usage.
  std::expected<Acknowledgement, Failure> send_usage(const std::string& account, const std::string& virtual_account,
                                                     const UsageReport& report);
  // GET /api/v1/server-key: the server's Ed25519 public key (raw bytes), which signs offline answers.
  std::expected<std::string, Failure> fetch_server_key();

  // The server's Date header of the last answer, as Unix seconds (for clock-skew checks).
  std::optional<int64_t> last_server_date() const { return last_date_; }
  const Credentials& credentials() const { return creds_; }
  HttpsClient& http() { return http_; }
  FixContext fix_context() const;

 private:
  // An authenticated JSON call; re-authenticates once when the token was refused with 401.
  std::expected<nlohmann::json, Failure> call(const std::string& method, const std::string& path,
                                              const nlohmann::json& body, const std::string& what);
  void note_date(const HttpReply& r);

  HttpsClient http_;
  Credentials creds_;
  const Clock& clock_;
  std::string token_;
  int64_t token_expires_ = 0;
  std::optional<int64_t> last_date_;
};

// Parses an RFC 9110 IMF-fixdate ("Wed, 25 Nov 2026 17:19:01 GMT"); nullopt when malformed.
std::optional<int64_t> parse_http_date(const std::string& text);

}  // namespace licsat::protocol
