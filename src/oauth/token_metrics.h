// The token endpoint's families on /metrics: tokens issued by grant type, refusals by reason
// (the Event Log's reasons as fixed words, never a client's text) and users locked by repeated
// failed logins. Every series exists from the start (at 0), so a rate over them is defined.
#pragma once

#include <array>
#include <string>

#include "core/metrics_registry.h"

namespace licsat::oauth {

// Why a token request (or a revoke or introspect's client authentication) was refused.
enum class Refusal {
  kUnknownClient,         // unknown client id
  kBadSecret,             // wrong or missing secret; a secret given to the built-in client; replaced meanwhile
  kExpired,               // the grant expired
  kWrongGrantType,        // a grant of the other type for this grant_type
  kBadPassword,           // a user's wrong password
  kUnknownUser,           // no such user
  kLocked,                // the user is locked (by an admin or after failed logins)
  kConsoleDisabled,       // the API console is disabled
  kThrottled,             // too many failed attempts (429)
  kBadRefreshToken,       // unknown, another client's, expired or concurrently used refresh token
  kRefreshTokenReused,    // a used refresh token presented again (the session is revoked)
  kInvalidRequest,        // a parameter missing
  kUnsupportedGrantType,  // grant_type other than the three
};
inline constexpr size_t kRefusalCount = 13;
// The `reason` label of a refusal: "unknown_client", "bad_secret", …
const char* refusal_label(Refusal r);

class TokenMetrics {
 public:
  explicit TokenMetrics(metrics::Registry& registry);
  // `grant_type`: password, client_credentials or refresh_token.
  void issued(const std::string& grant_type);
  void refused(Refusal r) { refusals_[static_cast<size_t>(r)]->inc(); }
  void user_locked() { locked_->inc(); }

 private:
  metrics::Counter* password_;
  metrics::Counter* client_credentials_;
  metrics::Counter* refresh_;
  std::array<metrics::Counter*, kRefusalCount> refusals_{};
  metrics::Counter* locked_;
};

}  // namespace licsat::oauth
