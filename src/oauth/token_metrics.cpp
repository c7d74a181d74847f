#include "oauth/token_metrics.h"

namespace licsat::oauth {

const char* refusal_label(Refusal r) {
  switch (r) {
    case Refusal::kUnknownClient: return "unknown_client";
    case Refusal::kBadSecret: return "bad_secret";
    case Refusal::kExpired: return "expired";
    case Refusal::kWrongGrantType: return "wrong_grant_type";
    case Refusal::kBadPassword: return "bad_password";
    case Refusal::kUnknownUser: return "unknown_user";
    case Refusal::kLocked: return "locked";
    case Refusal::kConsoleDisabled: return "console_disabled";
    case Refusal::kThrottled: return "throttled";
    case Refusal::kBadRefreshToken: return "bad_refresh_token";
    case Refusal::kRefreshTokenReused: return "refresh_token_reused";
    case Refusal::kInvalidRequest: return "invalid_request";
    case Refusal::kUnsupportedGrantType: return "unsupported_grant_type";
  }
  return "other";
}

TokenMetrics::TokenMetrics(metrics::Registry& registry) {
  auto& issued = registry.counter("licsat_tokens_issued_total", "Tokens issued (and stored), by grant type.",
                                  {"grant_type"});
  password_ = &issued.with({"password"});
  client_credentials_ = &issued.with({"client_credentials"});
  refresh_ = &issued.with({"refresh_token"});
  auto& refused = registry.counter("licsat_token_refusals_total",
                                   "Token requests refused, by the reason the Event Log records.", {"reason"});
  for (size_t i = 0; i < kRefusalCount; ++i) refusals_[i] = &refused.with({refusal_label(static_cast<Refusal>(i))});
  locked_ = &registry.counter("licsat_logins_locked_total", "Users locked by repeated failed logins.").get();
}

void TokenMetrics::issued(const std::string& grant_type) {
  if (grant_type == "password")
    password_->inc();
  else if (grant_type == "client_credentials")
    client_credentials_->inc();
  else
    refresh_->inc();
}

}  // namespace licsat::oauth
