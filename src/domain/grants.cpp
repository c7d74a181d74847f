#include "domain/grants.h"

#include "core/crypto.h"

namespace licsat::domain {
namespace {

Status check_name(const std::string& name) {
  if (name.empty() || name.size() > 100) return fail(Error::invalid("grant name must be 1 to 100 characters"));
  for (unsigned char c : name)
    if (c < 0x20 || c == 0x7f) return fail(Error::invalid("grant name must not contain control characters"));
  if (name.front() == ' ' || name.back() == ' ')
    return fail(Error::invalid("grant name must not start or end with a space"));
  return {};
}

}  // namespace

GrantService::GrantService(store::AuthStore& store, const Clock& clock, std::string hash_key)
    : store_(store), clock_(clock), hash_key_(std::move(hash_key)) {}

std::string GrantService::hash_secret(const std::string& secret) const {
  return crypto::keyed_hash(hash_key_, "client-secret:" + secret);
}

Result<GrantWithSecret> GrantService::create(const NewGrantRequest& req, const Actor& by) {
  if (auto s = check_name(req.name); !s) return fail(s.error());
  if (req.description.size() > 1000) return fail(Error::invalid("description must be at most 1000 characters"));
  if (req.expires != 0 && req.expires <= clock_.now())
    return fail(Error::invalid("expiration date must be in the future"));
  GrantWithSecret out;
  out.client_secret = crypto::random_urlsafe(40);
  Grant& g = out.grant;
  g.name = req.name;
  g.type = req.type;
  g.description = req.description;
  g.expires = req.expires;
  g.role = req.role;
  g.client_id = crypto::random_urlsafe(48);
  g.secret_hash = hash_secret(out.client_secret);
  g.created_at = clock_.now();
  g.created_by = by.name;
  g.accounts = req.accounts;
  Event e{0, clock_.now(), by.name, by.source_ip, "grant.create", "success",
          grant_type_label(g.type) + " '" + g.name + "' client_id " + g.client_id + ", accounts " + g.accounts.to_string()};
  auto stored = store_.create_grant(g, e);
  if (!stored) return fail(stored.error());
  out.grant = *stored;
  return out;
}

Result<GrantWithSecret> GrantService::regenerate_secret(const std::string& name, const Actor& by) {
  auto g = get(name);
  if (!g) return fail(g.error());
  GrantWithSecret out{*g, crypto::random_urlsafe(40)};
  out.grant.secret_hash = hash_secret(out.client_secret);
  Event e{0, clock_.now(), by.name, by.source_ip, "grant.regenerate_secret", "success",
          "grant '" + name + "': new secret; the old secret and the grant's tokens no longer work"};
  if (auto s = store_.replace_grant_secret(name, out.grant.secret_hash, e); !s) return fail(s.error());
  return out;
}

Status GrantService::remove(const std::string& name, const Actor& by) {
  Event e{0, clock_.now(), by.name, by.source_ip, "grant.delete", "success", "grant '" + name + "' and its tokens"};
  return store_.delete_grant(name, e);
}

Status GrantService::set_accounts(const std::string& name, const AccountScope& accounts, const Actor& by) {
  Event e{0, clock_.now(), by.name, by.source_ip, "grant.accounts", "success",
          "grant '" + name + "' now reaches accounts " + accounts.to_string()};
  return store_.set_grant_accounts(name, accounts, e);
}

Result<std::vector<Grant>> GrantService::list(const std::string& search) { return store_.list_grants(search); }

Result<Grant> GrantService::get(const std::string& name) {
  auto g = store_.find_grant_by_name(name);
  if (!g) return fail(g.error());
  if (!*g) return fail(Error::not_found("grant '" + name + "' does not exist"));
  return **g;
}

}  // namespace licsat::domain
