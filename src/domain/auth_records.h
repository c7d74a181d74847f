// Plain records of Access Management, the API Tool Kit, tokens and the Event Log, as the store
// keeps them. No secret is ever held here in clear: only argon2id strings and keyed hashes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "domain/account_scope.h"
#include "domain/roles.h"

namespace licsat::domain {

struct User {
  std::string name;
  Role role = Role::kViewer;
  std::string password_hash;   // argon2id encoded string
  bool locked = false;
  int64_t failed_logins = 0;
  int64_t first_failure_at = 0;
  int64_t locked_until = 0;    // a temporary lockout ends at this time (Unix seconds); 0 = none
  int64_t lockouts = 0;        // temporary lockouts since the last successful login or unlock
  int64_t created_at = 0;
  std::string created_by;
  AccountScope accounts;       // the smart accounts the user may reach (default: every account)
};

enum class GrantType { kResourceOwner, kClientCredentials };
std::string grant_type_name(GrantType t);        // "resource_owner" | "client_credentials"
std::string grant_type_label(GrantType t);       // "Resource Owner Grant" | "Client Credentials Grant"
std::optional<GrantType> parse_grant_type(std::string s);  // accepts dashes or underscores

struct Grant {
  int64_t id = 0;
  std::string name;
  std::string description;
  GrantType type = GrantType::kResourceOwner;
  std::string client_id;
  std::string secret_hash;     // keyed hash of the client secret
  Role role = Role::kOperator; // role of client_credentials tokens
  int64_t expires = 0;         // Unix seconds; 0 = never
  int64_t created_at = 0;
  std::string created_by;
  AccountScope accounts;       // the smart accounts its tokens may reach (default: every account)
};

enum class TokenKind { kAccess, kRefresh };

struct Token {
  std::string hash;            // keyed hash of the opaque token
  TokenKind kind = TokenKind::kAccess;
  std::optional<int64_t> grant_id;  // empty for the built-in first-party client
  std::string client_id;
  std::string username;        // empty for client_credentials
  Role role = Role::kViewer;
  std::string scope;
  int64_t expires = 0;
  int64_t created_at = 0;
  bool revoked = false;
  std::string parent;          // hash of the refresh token issued beside an access token
};

struct Event {
  int64_t id = 0;
  int64_t time = 0;
  std::string actor;           // user name, client ID or "system"
  std::string source_ip;
  std::string action;          // e.g. "token.issue", "grant.create", "user.lock"
  std::string outcome;         // "success" | "failure"
  std::string detail;          // reason or description; never a secret
};

struct EventFilter {
  std::optional<int64_t> since;
  std::string action;          // prefix match; empty = all
  std::string outcome;         // exact; empty = all
  std::string actor;
  int64_t limit = 100;
  int64_t offset = 0;
  // A cursor: only events with an id below this one (newest first). With a cursor the page is
  // an index range scan and carries no total (counting millions of events is the slow part).
  std::optional<int64_t> before;
  bool paging_by_cursor = false;  // the caller pages by cursor (even from the start): no total
};

// A page of events, newest first. `total` counts every event the filter matches; it is absent
// when paging by cursor. `next` is the cursor of the next page, set when more events follow.
struct EventPage {
  std::optional<int64_t> total;
  std::vector<Event> events;
  std::optional<int64_t> next;
};

}  // namespace licsat::domain
