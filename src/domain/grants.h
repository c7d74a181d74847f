// The API Tool Kit: Resource Owner and Client Credentials Grants. A grant's client ID is 64
// random URL-safe characters; its secret carries 320 random bits, is shown once at creation or
// regeneration, and is stored only as a keyed hash.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "domain/access.h"
#include "domain/auth_records.h"
#include "store/auth_store.h"

namespace licsat::domain {

struct NewGrantRequest {
  std::string name;
  GrantType type = GrantType::kResourceOwner;
  std::string description;
  int64_t expires = 0;          // 0 = never
  Role role = Role::kOperator;  // role of client_credentials tokens
  AccountScope accounts;        // default: every account
};

// A grant together with its secret in clear: exists only in the answer to create/regenerate.
struct GrantWithSecret {
  Grant grant;
  std::string client_secret;
};

class GrantService {
 public:
  GrantService(store::AuthStore& store, const Clock& clock, std::string hash_key);

  Result<GrantWithSecret> create(const NewGrantRequest& req, const Actor& by);
  Result<GrantWithSecret> regenerate_secret(const std::string& name, const Actor& by);
  Status remove(const std::string& name, const Actor& by);
  // Limits the grant to smart accounts (or lifts the limit); its tokens follow at once.
  Status set_accounts(const std::string& name, const AccountScope& accounts, const Actor& by);
  Result<std::vector<Grant>> list(const std::string& search);
  Result<Grant> get(const std::string& name);

  std::string hash_secret(const std::string& secret) const;

 private:
  store::AuthStore& store_;
  const Clock& clock_;
  std::string hash_key_;
};

}  // namespace licsat::domain
