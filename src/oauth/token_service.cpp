#include "oauth/token_service.h"

#include "core/printable.h"

#include <algorithm>
#include <chrono>

#include "core/crypto.h"

namespace licsat::oauth {

using domain::GrantType;
using domain::Role;

namespace {
constexpr const char* kConsoleKey = "api_console_enabled";
constexpr const char* kDefaultScope = "licensing";

// A client ID as the Event Log and the throttle keep it. Real ones are 64 characters; a caller's
// made-up one may be as long as the body limit, and must not grow the log or the throttle's memory.
std::string clip(const std::string& client_id) {
  constexpr size_t kMax = 128;
  if (client_id.empty()) return "(none)";
  return client_id.size() <= kMax ? client_id : client_id.substr(0, kMax) + "...";
}
// The throttle's key of a client's failures: per (client ID, source address), so bad secrets
// sent from one address do not hold the real client back at its own.
std::string client_key(const TokenRequest& req) { return "client:" + clip(req.client_id) + "@" + req.source_ip; }
}  // namespace

OAuthError invalid_client_error() {
  return {401, "invalid_client",
          "Client authentication failed. The client ID and secret must belong to a grant in the server's API Tool Kit: "
          "a Resource Owner Grant for grant_type=password, a Client Credentials Grant for grant_type=client_credentials.",
          kGrantNotFound, 0};
}

OAuthError not_stored_error() {
  return {503, "temporarily_unavailable", "The token could not be stored.",
          "The license database is unavailable. Try again shortly.", 0};
}

OAuthError invalid_request_error(const std::string& what) {
  return {400, "invalid_request", what, what, 0};
}

TokenService::TokenService(store::AuthStore& store, domain::AccessService& access, domain::EventLog& events,
                           const Clock& clock, std::string hash_key, TokenPolicy policy)
    : store_(store), access_(access), events_(events), clock_(clock), hash_key_(std::move(hash_key)),
      token_hasher_(hash_key_, "token:"), secret_hasher_(hash_key_, "client-secret:"), fingerprint_(hash_key_),
      policy_(policy), throttle_(clock), throttled_refusals_(clock) {
  dummy_secret_hash_ = secret_hasher_(crypto::random_urlsafe(40));
}

int64_t TokenService::access_ttl_for(const std::string& client_id) const {
  if (client_id != kFirstPartyClientId || policy_.session_idle_timeout <= 0) return policy_.access_ttl;
  return std::min(policy_.access_ttl, policy_.session_idle_timeout);
}

int64_t TokenService::refresh_ttl_for(const std::string& client_id) const {
  if (client_id != kFirstPartyClientId || policy_.session_idle_timeout <= 0) return policy_.refresh_ttl;
  return std::min(policy_.refresh_ttl, policy_.session_idle_timeout);
}

// A token is 40 bytes in base64url (54 characters): 8 bytes of its issue time in microseconds,
// big-endian, then 32 random bytes, its 256-bit secret. Its stored key is that time in hex, then
// the keyed hash of the whole token: keys of new tokens sort by issue time, so storing one
// appends to the tokens' primary-key index instead of dirtying a random page of it (which, per
// commit, was a page written to the WAL per token). The time part is no secret: created_at says
// as much. Tokens of the older form (32 random bytes, 43 characters) keep their plain keyed hash.
std::string TokenService::new_token(std::string* key) const {
  uint64_t us = static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                          std::chrono::system_clock::now().time_since_epoch())
                                          .count());
  std::string raw(kTokenTimeBytes, '\0');
  for (size_t i = 0; i < kTokenTimeBytes; ++i) raw[i] = static_cast<char>(us >> (8 * (kTokenTimeBytes - 1 - i)));
  raw += crypto::random_bytes(32);
  std::string token = crypto::to_base64url(raw);
  if (key) *key = crypto::to_hex(std::string_view(raw).substr(0, kTokenTimeBytes)) + token_hasher_(token);
  return token;
}

std::string TokenService::hash_token(const std::string& token) const {
  std::string mac = token_hasher_(token);
  if (token.size() != kTokenChars) return mac;
  auto raw = crypto::from_base64url(token);
  if (!raw || raw->size() != kTokenTimeBytes + 32) return mac;
  return crypto::to_hex(std::string_view(*raw).substr(0, kTokenTimeBytes)) + mac;
}

bool TokenService::console_enabled() {
  // Read through to the store at most once a second, so a toggle on another node applies fast.
  int64_t now = clock_.now();
  if (console_checked_at_.load() != now) {
    auto v = store_.get_setting(kConsoleKey);
    if (v) console_enabled_ = !*v || **v != "false";
    console_checked_at_ = now;
  }
  return console_enabled_;
}

Status TokenService::set_console_enabled(bool enabled, const domain::Actor& by) {
  domain::Event e = events_.make(by.name, by.source_ip, enabled ? "console.enable" : "console.disable", "success",
                                 enabled ? "API console enabled" : "API console disabled");
  if (auto s = store_.set_setting(kConsoleKey, enabled ? "true" : "false", e); !s) return s;
  console_enabled_ = enabled;
  console_checked_at_ = clock_.now();
  return {};
}

std::string TokenService::client_label(const std::string& client_id) {
  if (client_id.empty()) return "(none)";
  if (client_id == kFirstPartyClientId) return client_id;
  auto found = store_.find_grant_by_client_id(client_id);
  if (found && *found) return clip(client_id);
  return fingerprint_(client_id);
}

std::string TokenService::user_label(const std::string& name) {
  auto found = store_.find_user(name);
  if (found && *found) return name.substr(0, 64);
  return fingerprint_(name);
}

OAuthError TokenService::refuse(const TokenRequest& req, const std::string& actor, Refusal why,
                                const std::string& reason, OAuthError err, bool counts_for_client) {
  count_refusal(why);
  events_.record(events_.make(clip(actor), req.source_ip, "token.issue", "failure",
                              "grant_type=" + req.grant_type.substr(0, 64) + ": " + reason));
  throttle_.add_failure("ip:" + req.source_ip);
  if (counts_for_client && !req.client_id.empty()) throttle_.add_failure(client_key(req));
  return err;
}

void TokenService::write_throttled_summaries(const std::vector<domain::RefusalSummary::Summary>& due) {
  for (const auto& d : due)
    events_.record(events_.make("(throttled)", d.address, "token.issue", "failure",
                                std::to_string(d.refusals) + " more throttled in the minute after the last event; the last: " +
                                    d.reason));
}

void TokenService::write_ended_refusal_summaries() { write_throttled_summaries(throttled_refusals_.take_ended()); }

std::optional<OAuthError> TokenService::throttled(const TokenRequest& req) {
  int64_t wait = throttle_.retry_after("ip:" + req.source_ip, policy_.address_failures_per_minute);
  if (!req.client_id.empty())
    wait = std::max(wait, throttle_.retry_after(client_key(req), policy_.client_failures_per_minute));
  if (wait == 0) return std::nullopt;
  count_refusal(Refusal::kThrottled);
  auto o = throttled_refusals_.refuse(req.source_ip, "throttled: too many failed attempts");
  if (o.write_now) {
    std::string detail = "grant_type=" + req.grant_type.substr(0, 64) + ": throttled: too many failed attempts";
    if (o.address != req.source_ip)
      detail += " (further throttled requests from addresses new this minute are counted under \"" + o.address + "\")";
    events_.record(events_.make(client_label(req.client_id), req.source_ip, "token.issue", "failure", detail));
  }
  write_throttled_summaries(o.due);
  std::string m = "Too many failed attempts. Try again in " + std::to_string(wait) + " seconds.";
  return OAuthError{429, "slow_down", m, m, wait};
}

std::expected<TokenService::Client, OAuthError> TokenService::authenticate_client(const TokenRequest& req,
                                                                                   const std::string& action) {
  if (req.client_id.empty()) {
    count_refusal(Refusal::kInvalidRequest);
    events_.record(events_.make("(none)", req.source_ip, action, "failure", "no client_id given"));
    return std::unexpected(invalid_request_error("The client_id parameter (or HTTP Basic client authentication) is missing."));
  }
  if (req.client_id == kFirstPartyClientId) {
    if (req.client_secret_given && !req.client_secret.empty())
      return std::unexpected(refuse(req, req.client_id, Refusal::kBadSecret, "the built-in client takes no secret", invalid_client_error(), true));
    return Client{std::nullopt, req.client_id};
  }
  auto found = store_.find_grant_by_client_id(req.client_id);
  if (!found) {
    return std::unexpected(OAuthError{503, "temporarily_unavailable", "The license database is unavailable.",
                                      "The license database is unavailable. Try again shortly.", 0});
  }
  // Unknown client IDs cost the same keyed hash and comparison as known ones.
  std::string given = secret_hasher_(req.client_secret);
  const std::string& want = *found ? (*found)->secret_hash : dummy_secret_hash_;
  bool secret_ok = crypto::equal_ct(given, want);
  if (!*found)
    return std::unexpected(refuse(req, fingerprint_(req.client_id), Refusal::kUnknownClient,
                                  "unknown client id (kept as its fingerprint)", invalid_client_error(), true));
  const domain::Grant& g = **found;
  if (!secret_ok || !req.client_secret_given)
    return std::unexpected(refuse(req, req.client_id, Refusal::kBadSecret, "bad client secret (grant '" + g.name + "')", invalid_client_error(), true));
  if (g.expires != 0 && g.expires <= clock_.now())
    return std::unexpected(refuse(req, req.client_id, Refusal::kExpired, "grant '" + g.name + "' expired", invalid_client_error(), true));
  return Client{g, req.client_id};
}

std::expected<IssuedTokens, OAuthError> TokenService::token(const TokenRequest& req) {
  auto client = preflight(req);
  if (!client) return std::unexpected(client.error());
  if (req.grant_type == "password") return password_grant(req, *client);
  if (req.grant_type == "client_credentials") return client_credentials_grant(req, *client);
  return refresh_grant(req, *client);
}

std::expected<PendingTokens, OAuthError> TokenService::mint_client_credentials(const TokenRequest& req) {
  if (req.grant_type != "client_credentials")
    return std::unexpected(invalid_request_error("grant_type must be client_credentials here."));
  auto client = preflight(req);
  if (!client) return std::unexpected(client.error());
  PendingTokens p;
  p.issued = mint(*client, "", client->grant->role, req.scope.empty() ? kDefaultScope : req.scope, false, p.rows);
  p.event = events_.make(client->client_id, req.source_ip, "token.issue", "success",
                         "grant_type=client_credentials (grant '" + client->grant->name + "')");
  p.grant_secret_hash = client->grant->secret_hash;
  p.grant_name = client->grant->name;
  p.source_ip = req.source_ip;
  return p;
}

void TokenService::store_async(PendingTokens pending,
                               std::function<void(const std::optional<OAuthError>&)> committed) {
  // The issue event goes in the tokens' own transaction: no token without its event.
  std::string client_id = pending.event.actor;
  store_.insert_tokens_async(
      std::move(pending.rows), std::move(pending.event), std::move(pending.grant_secret_hash),
      [this, committed = std::move(committed), client_id = std::move(client_id), ip = std::move(pending.source_ip),
       grant = std::move(pending.grant_name)](const Status& s) {
        if (s) {
          count_issued("client_credentials");
          return committed(std::nullopt);
        }
        if (s.error().code != ErrorCode::kUnauthenticated) return committed(not_stored_error());
        count_refusal(Refusal::kBadSecret);
        events_.record(events_.make(clip(client_id), ip, "token.issue", "failure",
                                    "grant_type=client_credentials: the secret of grant '" + grant +
                                        "' was replaced (or the grant deleted) while the token was issued"));
        committed(invalid_client_error());
      });
}

std::expected<TokenService::Client, OAuthError> TokenService::preflight(const TokenRequest& req) {
  if (auto t = throttled(req)) return std::unexpected(*t);
  if (req.grant_type.empty()) {
    count_refusal(Refusal::kInvalidRequest);
    events_.record(events_.make(client_label(req.client_id), req.source_ip, "token.issue",
                                "failure", "no grant_type given"));
    return std::unexpected(invalid_request_error("The grant_type parameter is missing."));
  }
  if (req.grant_type != "password" && req.grant_type != "client_credentials" && req.grant_type != "refresh_token") {
    count_refusal(Refusal::kUnsupportedGrantType);
    events_.record(events_.make(client_label(req.client_id), req.source_ip, "token.issue",
                                "failure", "unsupported grant_type '" + req.grant_type.substr(0, 64) + "'"));
    std::string m = "grant_type must be password, client_credentials or refresh_token.";
    return std::unexpected(OAuthError{400, "unsupported_grant_type", m, m, 0});
  }
  // Every token stores its scope: a caller must not make the server keep a megabyte per token.
  if (req.scope.size() > kMaxScopeBytes) {
    events_.record(events_.make(client_label(req.client_id), req.source_ip, "token.issue", "failure",
                                "grant_type=" + req.grant_type + ": scope of " + std::to_string(req.scope.size()) +
                                    " bytes refused (the limit is " + std::to_string(kMaxScopeBytes) + ")"));
    std::string m = "The scope parameter is longer than " + std::to_string(kMaxScopeBytes) + " bytes.";
    return std::unexpected(OAuthError{400, "invalid_scope", m, m, 0});
  }
  auto client = authenticate_client(req, "token.issue");
  if (!client) return std::unexpected(client.error());

  // A grant of the wrong type for the grant_type is invalid_client, with the precise reason logged.
  const auto& g = client->grant;
  if (req.grant_type == "client_credentials" && (!g || g->type != GrantType::kClientCredentials)) {
    std::string what = g ? "Resource Owner Grant '" + g->name + "'" : std::string("the built-in client");
    return std::unexpected(refuse(req, req.client_id, Refusal::kWrongGrantType, "wrong grant type: " + what + " used with grant_type=client_credentials",
                                  invalid_client_error(), true));
  }
  if ((req.grant_type == "password" || req.grant_type == "refresh_token") && g && g->type != GrantType::kResourceOwner) {
    return std::unexpected(refuse(req, req.client_id, Refusal::kWrongGrantType,
                                  "wrong grant type: Client Credentials Grant '" + g->name + "' used with grant_type=" +
                                      req.grant_type,
                                  invalid_client_error(), true));
  }
  if (g && !console_enabled()) {
    count_refusal(Refusal::kConsoleDisabled);
    events_.record(events_.make(req.client_id, req.source_ip, "token.issue", "failure", "API console disabled"));
    std::string m = "The API console is disabled on this server. An administrator can enable it in the API Tool Kit.";
    return std::unexpected(OAuthError{403, "access_denied", m, m, 0});
  }
  return client;
}

IssuedTokens TokenService::mint(const Client& c, const std::string& username, Role role, const std::string& scope,
                                bool with_refresh, std::vector<domain::Token>& rows) {
  IssuedTokens out;
  out.created_at = clock_.now();
  out.expires_in = access_ttl_for(c.client_id);
  out.scope = scope;
  domain::Token access;
  out.access_token = new_token(&access.hash);
  access.kind = domain::TokenKind::kAccess;
  if (c.grant) access.grant_id = c.grant->id;
  access.client_id = c.client_id;
  access.username = username;
  access.role = role;
  access.scope = scope;
  access.created_at = out.created_at;
  access.expires = out.created_at + out.expires_in;
  if (with_refresh) {
    domain::Token refresh = access;
    out.refresh_token = new_token(&refresh.hash);
    refresh.kind = domain::TokenKind::kRefresh;
    refresh.expires = out.created_at + refresh_ttl_for(c.client_id);
    out.refresh_expires_in = refresh.expires - out.created_at;
    access.parent = refresh.hash;
    rows.push_back(refresh);
  }
  rows.push_back(access);
  return out;
}

std::expected<IssuedTokens, OAuthError> TokenService::password_grant(const TokenRequest& req, const Client& c) {
  if (req.username.empty() || req.password.empty()) {
    count_refusal(Refusal::kInvalidRequest);
    events_.record(events_.make(req.client_id, req.source_ip, "token.issue", "failure", "username or password missing"));
    return std::unexpected(invalid_request_error("The username and password parameters are required for grant_type=password."));
  }
  domain::AccessService::LoginInfo info;
  auto user = access_.authenticate(req.username, req.password, &info, req.source_ip);
  if (!info.store_error.empty())
    return std::unexpected(OAuthError{503, "temporarily_unavailable", "The license database is unavailable.",
                                      "The license database is unavailable. Try again shortly.", 0});
  if (!user && user.error() == domain::LoginFailure::kBusy) {
    // Not a failure of the caller's: nothing was verified, nothing is counted toward a lock.
    count_refusal(Refusal::kThrottled);
    auto o = throttled_refusals_.refuse(req.source_ip, "password verifications at their limit");
    if (o.write_now)
      events_.record(events_.make(client_label(req.client_id), req.source_ip, "token.issue", "failure",
                                  "grant_type=password: refused before verification: password verifications at their "
                                  "limit (" + std::to_string(access_.verify_gate().running_limit()) + " running, " +
                                  std::to_string(access_.verify_gate().queue_limit()) + " waiting)"));
    write_throttled_summaries(o.due);
    std::string m = "The server is busy verifying other logins. Try again in 1 second.";
    return std::unexpected(OAuthError{429, "slow_down", m, m, 1});
  }
  if (!user && user.error() == domain::LoginFailure::kDelayed) {
    // Many addresses failed for this name; this one has not logged in as it before: it waits.
    int64_t wait = std::max<int64_t>(1, info.delayed_until - clock_.now());
    count_refusal(Refusal::kThrottled);
    auto o = throttled_refusals_.refuse(req.source_ip, "delayed: many addresses failed for this user name");
    if (o.write_now)
      events_.record(events_.make(client_label(req.client_id), req.source_ip, "token.issue", "failure",
                                  "grant_type=password: delayed before verification for '" + user_label(req.username) +
                                      "': many addresses failed for this user name"));
    write_throttled_summaries(o.due);
    std::string m = "Too many failed logins for this user from many addresses. Try again in " + std::to_string(wait) +
                    " seconds.";
    return std::unexpected(OAuthError{429, "slow_down", m, m, wait});
  }
  if (!user) {
    // A name that is no user may be a password typed into the wrong field: kept as its fingerprint.
    const auto& directory = info.directory_refusal;
    const bool unknown = user.error() == domain::LoginFailure::kUnknownUser ||
                         (directory && directory->kind == domain::DirectoryFailure::kNoSuchUser);
    std::string who = unknown                                                    ? fingerprint_(req.username)
                      : user.error() == domain::LoginFailure::kLockedTemporarily ? user_label(req.username)
                                                                                 : req.username.substr(0, 64);
    // A directory's refusal says which step failed here, never to the client (the same answer).
    std::string reason = directory ? domain::directory_failure_reason(directory->kind) + " for '" + who +
                                         "': " + directory->detail.substr(0, 512)
                                   : domain::login_failure_reason(user.error()) + " for '" + who + "'";
    if (info.locked_now) {
      if (metrics_) metrics_->user_locked();
      std::string how = info.locked_until == 0
                            ? std::string(" until an administrator unlocks it")
                            : " for " + std::to_string((info.locked_until - clock_.now() + 59) / 60) +
                                  " minutes, from this address only";
      events_.record(events_.make("system", req.source_ip, "user.lock", "success",
                                  "user '" + who + "' locked after repeated failed logins" + how));
    }
    if (info.delay_started)
      events_.record(events_.make("system", req.source_ip, "user.delay", "success",
                                  "many addresses failed for user '" + who + "': addresses without a recent login as "
                                  "this user wait " + std::to_string(access_.policy().lockout_global_delay) +
                                  " s between attempts"));
    if (user.error() == domain::LoginFailure::kLocked) {
      std::string m = "User account '" + printable(req.username.substr(0, 64)) + "' is locked. Ask an administrator to unlock it.";
      return std::unexpected(refuse(req, req.client_id, Refusal::kLocked, reason, OAuthError{400, "invalid_grant", m, m, 0}, false));
    }
    if (user.error() == domain::LoginFailure::kLockedTemporarily) {
      int64_t minutes = std::max<int64_t>(1, (info.locked_until - clock_.now() + 59) / 60);
      std::string m = "User account '" + printable(req.username.substr(0, 64)) + "' is locked after repeated failed logins. Try again in " +
                      std::to_string(minutes) + (minutes == 1 ? " minute" : " minutes") +
                      ", or ask an administrator to unlock it.";
      return std::unexpected(refuse(req, req.client_id, Refusal::kLocked, reason, OAuthError{400, "invalid_grant", m, m, 0}, false));
    }
    std::string m = "Invalid user credentials: the user name or password is incorrect.";
    Refusal why = unknown ? Refusal::kUnknownUser : Refusal::kBadPassword;
    return std::unexpected(refuse(req, req.client_id, why, reason, OAuthError{400, "invalid_grant", m, m, 0}, false));
  }
  std::vector<domain::Token> rows;
  IssuedTokens out = mint(c, user->name, user->role, req.scope.empty() ? kDefaultScope : req.scope, true, rows);
  if (auto s = store_.insert_tokens(rows); !s)
    return std::unexpected(not_stored_error());
  count_issued("password");
  events_.record(
      events_.make(user->name, req.source_ip, "token.issue", "success",
                   "grant_type=password client_id " + c.client_id +
                       (c.grant ? " (grant '" + c.grant->name + "')" : std::string(" (built-in client)")) +
                       (info.directory_dn.empty() ? std::string()
                                                  : "; directory user '" + info.directory_dn.substr(0, 256) +
                                                        "' with role " + std::string(domain::role_name(user->role)))));
  return out;
}

std::expected<IssuedTokens, OAuthError> TokenService::client_credentials_grant(const TokenRequest& req, const Client& c) {
  std::vector<domain::Token> rows;
  IssuedTokens out = mint(c, "", c.grant->role, req.scope.empty() ? kDefaultScope : req.scope, false, rows);
  if (auto s = store_.insert_tokens(rows); !s)
    return std::unexpected(not_stored_error());
  count_issued("client_credentials");
  events_.record(events_.make(c.client_id, req.source_ip, "token.issue", "success",
                              "grant_type=client_credentials (grant '" + c.grant->name + "')"));
  return out;
}

std::expected<IssuedTokens, OAuthError> TokenService::refresh_grant(const TokenRequest& req, const Client& c) {
  if (req.refresh_token.empty()) {
    count_refusal(Refusal::kInvalidRequest);
    events_.record(events_.make(req.client_id, req.source_ip, "token.issue", "failure", "refresh_token missing"));
    return std::unexpected(invalid_request_error("The refresh_token parameter is required for grant_type=refresh_token."));
  }
  std::string m = "The refresh token is invalid, expired or already used. Log in again.";
  OAuthError bad{400, "invalid_grant", m, m, 0};
  auto found = store_.find_token(hash_token(req.refresh_token));
  if (!found) return std::unexpected(OAuthError{503, "temporarily_unavailable", "The license database is unavailable.",
                                                "The license database is unavailable. Try again shortly.", 0});
  if (!*found || (*found)->token.kind != domain::TokenKind::kRefresh)
    return std::unexpected(refuse(req, req.client_id, Refusal::kBadRefreshToken, "unknown refresh token", bad, true));
  const auto& rec = **found;
  if (rec.token.client_id != c.client_id)
    return std::unexpected(refuse(req, req.client_id, Refusal::kBadRefreshToken, "refresh token belongs to another client", bad, true));
  if (rec.token.revoked) {
    // A used refresh token presented again: someone holds a copy. End the whole session.
    (void)store_.revoke_tokens_of(rec.token.client_id, rec.token.username);
    return std::unexpected(refuse(req, req.client_id, Refusal::kRefreshTokenReused,
                                  "refresh token reused; every token of user '" + rec.token.username + "' for this client revoked",
                                  bad, true));
  }
  if (rec.token.expires <= clock_.now()) {
    // For the built-in client this is the server-side idle limit of the web and CLI session.
    std::string why = c.client_id == kFirstPartyClientId && policy_.session_idle_timeout > 0
                          ? "refresh token expired (session idle for more than " +
                                std::to_string(policy_.session_idle_timeout) + " s)"
                          : std::string("refresh token expired");
    return std::unexpected(refuse(req, req.client_id, Refusal::kBadRefreshToken, why, bad, true));
  }
  if (rec.user_locked) {
    std::string lm = "User account '" + rec.token.username + "' is locked. Ask an administrator to unlock it.";
    return std::unexpected(refuse(req, req.client_id, Refusal::kLocked, "user locked", OAuthError{400, "invalid_grant", lm, lm, 0}, false));
  }
  std::vector<domain::Token> rows;
  IssuedTokens out = mint(c, rec.token.username, rec.token.role, rec.token.scope, true, rows);
  auto rotated = store_.rotate_refresh_token(rec.token.hash, rows);
  if (!rotated) return std::unexpected(OAuthError{503, "temporarily_unavailable", "The token could not be stored.",
                                                  "The license database is unavailable. Try again shortly.", 0});
  if (!*rotated) return std::unexpected(refuse(req, req.client_id, Refusal::kBadRefreshToken, "refresh token used concurrently", bad, true));
  count_issued("refresh_token");
  events_.record(events_.make(rec.token.username, req.source_ip, "token.refresh", "success", "client_id " + c.client_id));
  return out;
}

std::expected<void, OAuthError> TokenService::revoke(const TokenRequest& client, const std::string& token) {
  if (auto t = throttled(client)) return std::unexpected(*t);
  auto c = authenticate_client(client, "token.revoke");
  if (!c) return std::unexpected(c.error());
  if (token.empty()) return std::unexpected(invalid_request_error("The token parameter is missing."));
  std::string h = hash_token(token);
  auto found = store_.find_token(h);
  if (found && *found && (*found)->token.client_id == c->client_id) {
    (void)store_.revoke_token(h);
    events_.record(events_.make(c->client_id, client.source_ip, "token.revoke", "success",
                                std::string((*found)->token.kind == domain::TokenKind::kAccess ? "access" : "refresh") +
                                    " token revoked"));
  }
  return {};
}

std::expected<std::optional<Principal>, OAuthError> TokenService::introspect(const TokenRequest& client,
                                                                             const std::string& token) {
  if (auto t = throttled(client)) return std::unexpected(*t);
  auto c = authenticate_client(client, "token.introspect");
  if (!c) return std::unexpected(c.error());
  if (token.empty()) return std::unexpected(invalid_request_error("The token parameter is missing."));
  auto found = store_.find_token(hash_token(token));
  if (!found || !*found) return std::optional<Principal>{};
  const auto& rec = **found;
  if (rec.token.client_id != c->client_id || rec.token.revoked || rec.token.expires <= clock_.now() || rec.user_locked)
    return std::optional<Principal>{};
  // What the bearer check would refuse is not active either: an expired grant, and a grant's
  // token while the API console is off.
  if (rec.grant_expires != 0 && rec.grant_expires <= clock_.now()) return std::optional<Principal>{};
  if (rec.token.grant_id && !console_enabled()) return std::optional<Principal>{};
  Principal p{rec.token.username.empty() ? rec.token.client_id : rec.token.username, rec.token.role, rec.token.client_id,
              rec.token.username, rec.token.scope, rec.token.expires,
              rec.grant_accounts.intersect(rec.user_accounts)};
  return std::optional<Principal>{p};
}

std::expected<Principal, BearerError> TokenService::authenticate(const std::string& bearer) {
  if (bearer.empty()) return std::unexpected(BearerError{401, "invalid_request", "A bearer token is required."});
  auto found = store_.find_token(hash_token(bearer));
  if (!found) return std::unexpected(BearerError{503, "temporarily_unavailable", "The license database is unavailable."});
  if (!*found || (*found)->token.kind != domain::TokenKind::kAccess)
    return std::unexpected(BearerError{401, "invalid_token", "The access token is not known to this server."});
  const auto& rec = **found;
  if (rec.token.revoked) return std::unexpected(BearerError{401, "invalid_token", "The access token was revoked."});
  if (rec.token.expires <= clock_.now())
    return std::unexpected(BearerError{401, "invalid_token", "The access token expired; request a new one."});
  if (rec.user_locked) return std::unexpected(BearerError{401, "invalid_token", "The token's user is locked."});
  if (rec.grant_expires != 0 && rec.grant_expires <= clock_.now())
    return std::unexpected(BearerError{401, "invalid_token", "The token's grant expired."});
  if (rec.token.grant_id && !console_enabled())
    return std::unexpected(BearerError{403, "access_denied",
                                       "The API console is disabled on this server. An administrator can enable it in "
                                       "the API Tool Kit."});
  return Principal{rec.token.username.empty() ? rec.token.client_id : rec.token.username, rec.token.role,
                   rec.token.client_id, rec.token.username, rec.token.scope, rec.token.expires,
                   rec.grant_accounts.intersect(rec.user_accounts)};
}

}  // namespace licsat::oauth
