#include "api/json_views.h"

#include "api/account_scope_json.h"
#include "core/clock.h"

namespace licsat::api {

nlohmann::json to_json(const domain::User& u, int64_t now) {
  bool temporarily = u.locked_until > now;
  nlohmann::json j = {{"name", u.name},
                      {"role", std::string(domain::role_name(u.role))},
                      {"locked", u.locked || temporarily},
                      {"failed_logins", u.failed_logins},
                      {"created_at", format_iso8601(u.created_at)},
                      {"created_by", u.created_by},
                      {"accounts", to_json(u.accounts)}};
  // A temporary lockout after failed logins: when it ends (an admin may unlock it sooner).
  if (temporarily && !u.locked) j["locked_until"] = format_iso8601(u.locked_until);
  return j;
}

nlohmann::json to_json(const domain::Grant& g) {
  return {{"name", g.name},
          {"type", domain::grant_type_name(g.type)},
          {"type_label", domain::grant_type_label(g.type)},
          {"description", g.description},
          {"client_id", g.client_id},
          {"role", std::string(domain::role_name(g.role))},
          // A grant created to expire on a date works through that whole day (UTC): show that date.
          {"expires", g.expires ? nlohmann::json(format_date(g.expires % 86400 == 0 ? g.expires - 86400 : g.expires))
                                : nlohmann::json(nullptr)},
          {"expires_at", g.expires ? nlohmann::json(format_iso8601(g.expires)) : nlohmann::json(nullptr)},
          {"created_at", format_iso8601(g.created_at)},
          {"created_by", g.created_by},
          {"accounts", to_json(g.accounts)}};
}

nlohmann::json to_json(const domain::GrantWithSecret& g) {
  auto j = to_json(g.grant);
  j["client_secret"] = g.client_secret;
  return j;
}

nlohmann::json to_json(const domain::Event& e) {
  return {{"id", e.id},         {"time", format_iso8601(e.time)}, {"actor", e.actor},   {"source_ip", e.source_ip},
          {"action", e.action}, {"outcome", e.outcome},           {"detail", e.detail}};
}

}  // namespace licsat::api
