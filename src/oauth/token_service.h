// The OAuth2 authorization server's logic (RFC 6749 token endpoint, RFC 7009 revocation,
// RFC 7662 introspection) and the bearer check of protected APIs. No HTTP here: the API layer
// turns a request into a TokenRequest and an OAuthError into a response.
#pragma once

#include <atomic>
#include <expected>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "core/clock.h"
#include "core/crypto.h"
#include "domain/access.h"
#include "domain/event_log.h"
#include "domain/grants.h"
#include "domain/name_fingerprint.h"
#include "oauth/throttle.h"
#include "oauth/token_metrics.h"
#include "store/auth_store.h"
#include "domain/refusal_summary.h"

namespace licsat::oauth {

// The built-in first-party client of the admin CLI and the web UI: a public client (no secret)
// that may only use the password and refresh_token grants. People log in with it; managers and
// tools use the grants of the API Tool Kit.
inline constexpr const char* kFirstPartyClientId = "licsat-admin";

// The exact words field managers display for every client-authentication failure.
inline constexpr const char* kGrantNotFound = "Grant not found. Ensure that the given grant details are correct.";

// The longest `scope` a token request may carry (400 invalid_scope past it).
inline constexpr size_t kMaxScopeBytes = 1024;

struct TokenPolicy {
  int64_t access_ttl = 3600;
  int64_t refresh_ttl = 14 * 86400;
  int64_t client_failures_per_minute = 10;
  int64_t address_failures_per_minute = 50;
  // The built-in client's sessions (web UI, admin CLI) end after this long without a refresh:
  // its refresh tokens live this long (each rotation starts it again) and its access tokens at
  // most this long. Grants of the API Tool Kit keep access_ttl and refresh_ttl. 0: no idle limit.
  int64_t session_idle_timeout = 30 * 60;
};

struct TokenRequest {
  std::string grant_type;
  std::string client_id;
  std::string client_secret;
  bool client_secret_given = false;
  std::string username;
  std::string password;
  std::string refresh_token;
  std::string scope;
  std::string source_ip;
};

struct IssuedTokens {
  std::string access_token;
  std::string refresh_token;  // empty for client_credentials
  int64_t refresh_expires_in = 0;  // the refresh token's lifetime (the CLI's session cache)
  int64_t expires_in = 0;
  std::string scope;
  int64_t created_at = 0;
};

// Tokens minted and not yet stored (see TokenService::mint_client_credentials).
struct PendingTokens {
  IssuedTokens issued;
  std::vector<domain::Token> rows;
  domain::Event event;
  std::string grant_secret_hash;  // the secret the client authenticated with
  std::string grant_name;
  std::string source_ip;
};

struct OAuthError {
  int status = 400;
  std::string error;          // RFC 6749 code
  std::string description;    // error_description
  std::string message;        // error_message (what managers display)
  int64_t retry_after = 0;    // 429
};

struct Principal {
  std::string actor;          // user name, or the client ID for client_credentials tokens
  domain::Role role = domain::Role::kViewer;
  std::string client_id;
  std::string username;
  std::string scope;
  int64_t expires = 0;
  // The smart accounts the token reaches: its grant's accounts ∩ its user's, as they are now.
  domain::AccountScope accounts;
};

struct BearerError {
  int status = 401;           // 401, or 503 when the store fails
  std::string error;          // "invalid_token" | "invalid_request"
  std::string description;
};

class TokenService {
 public:
  TokenService(store::AuthStore& store, domain::AccessService& access, domain::EventLog& events, const Clock& clock,
               std::string hash_key, TokenPolicy policy);

  using TokenResult = std::expected<IssuedTokens, OAuthError>;
  // The token endpoint. Blocks: argon2id for the password grant, the database's writer for the
  // new tokens' commit.
  TokenResult token(const TokenRequest& req);
  // The token endpoint in two steps for callers that must not block (an I/O thread), for
  // grant_type=client_credentials (the grant without slow work): mint_client_credentials()
  // authenticates and mints, or refuses (with the refusal in the Event Log); store_async()
  // stores the tokens with their issue event and returns at once, and `committed` runs on the
  // store's writer thread once they are committed. Only then may the tokens be given out.
  // `committed` gets nothing once they are stored, or the refusal to send instead: invalid_client
  // when the grant's secret was replaced (or the grant deleted) since it authenticated, with the
  // reason in the Event Log, or 503 when the database failed.
  std::expected<PendingTokens, OAuthError> mint_client_credentials(const TokenRequest& req);
  void store_async(PendingTokens pending, std::function<void(const std::optional<OAuthError>&)> committed);

  // RFC 7009: revokes a token held by the authenticated client. Unknown tokens are not an error.
  std::expected<void, OAuthError> revoke(const TokenRequest& client, const std::string& token);
  // RFC 7662: the token's state as the authenticated client may see it (its own tokens only).
  std::expected<std::optional<Principal>, OAuthError> introspect(const TokenRequest& client, const std::string& token);

  // The bearer check of protected APIs.
  std::expected<Principal, BearerError> authenticate(const std::string& bearer_token);
  // Writes the summaries of throttled requests whose minute has ended (housekeeping, on a timer).
  void write_ended_refusal_summaries();

  // Counts tokens issued, refusals by reason and users locked in `registry` from now on (the
  // server attaches it once at start; without it nothing is counted).
  void attach_metrics(metrics::Registry& registry) { metrics_ = std::make_unique<TokenMetrics>(registry); }

  bool console_enabled();
  Status set_console_enabled(bool enabled, const domain::Actor& by);

  // The stored key of a token (see new_token()).
  std::string hash_token(const std::string& token) const;
  // A new access or refresh token: its issue time, then 256 random bits. `key` receives its
  // stored key (what hash_token() gives for it).
  std::string new_token(std::string* key = nullptr) const;
  static constexpr size_t kTokenTimeBytes = 8;
  static constexpr size_t kTokenChars = 54;  // 40 bytes in base64url
  const TokenPolicy& policy() const { return policy_; }
  // Lifetimes of the tokens issued to this client (the built-in one has the idle limit).
  int64_t access_ttl_for(const std::string& client_id) const;
  int64_t refresh_ttl_for(const std::string& client_id) const;

 private:
  struct Client {
    std::optional<domain::Grant> grant;  // empty for the first-party client
    std::string client_id;
  };
  // Everything before a grant's own work: throttle, grant_type, client authentication, the
  // grant's type against the grant_type, the API console switch.
  std::expected<Client, OAuthError> preflight(const TokenRequest& req);
  std::expected<Client, OAuthError> authenticate_client(const TokenRequest& req, const std::string& action);
  std::expected<IssuedTokens, OAuthError> password_grant(const TokenRequest& req, const Client& c);
  std::expected<IssuedTokens, OAuthError> client_credentials_grant(const TokenRequest& req, const Client& c);
  std::expected<IssuedTokens, OAuthError> refresh_grant(const TokenRequest& req, const Client& c);
  IssuedTokens mint(const Client& c, const std::string& username, domain::Role role, const std::string& scope,
                    bool with_refresh, std::vector<domain::Token>& rows);
  OAuthError refuse(const TokenRequest& req, const std::string& actor, Refusal why, const std::string& reason,
                    OAuthError err, bool counts_for_client);
  void count_refusal(Refusal why) {
    if (metrics_) metrics_->refused(why);
  }
  void count_issued(const std::string& grant_type) {
    if (metrics_) metrics_->issued(grant_type);
  }
  std::optional<OAuthError> throttled(const TokenRequest& req);
  // A client ID as the Event Log may keep it: as is when it names a grant (or the built-in
  // client), else its fingerprint (domain::NameFingerprint), never a possible secret in clear.
  std::string client_label(const std::string& client_id);
  // The same for a user name: as is when it names a user, else its fingerprint.
  std::string user_label(const std::string& name);
  void write_throttled_summaries(const std::vector<domain::RefusalSummary::Summary>& due);

  store::AuthStore& store_;
  domain::AccessService& access_;
  domain::EventLog& events_;
  const Clock& clock_;
  std::string hash_key_;
  crypto::KeyedHasher token_hasher_;   // keyed_hash(hash_key_, "token:" + …)
  crypto::KeyedHasher secret_hasher_;  // keyed_hash(hash_key_, "client-secret:" + …)
  domain::NameFingerprint fingerprint_;  // names that match no grant or user
  TokenPolicy policy_;
  FailureThrottle throttle_;
  // Throttled requests (429) are not each written to the Event Log: the first from an address
  // in a minute is, the rest of that minute as one event with their count. A caller held back
  // by the throttle cannot grow the log at the request rate.
  domain::RefusalSummary throttled_refusals_;
  std::string dummy_secret_hash_;
  std::atomic<int64_t> console_checked_at_{-1};
  std::atomic<bool> console_enabled_{true};
  std::unique_ptr<TokenMetrics> metrics_;
};

// Error values of the token endpoint, so that the words are written once.
OAuthError invalid_client_error();
OAuthError invalid_request_error(const std::string& what);
OAuthError not_stored_error();

}  // namespace licsat::oauth
