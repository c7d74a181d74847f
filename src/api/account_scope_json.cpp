#include "api/account_scope_json.h"

#include "api/auth.h"

namespace licsat::api {
namespace {

std::unexpected<http::Response> bad(const std::string& m) {
  return std::unexpected(http::error_response(400, "invalid_request", m));
}

}  // namespace

nlohmann::json to_json(const domain::AccountScope& s) {
  if (s.is_every()) return nullptr;
  return s.names();
}

std::expected<std::optional<domain::AccountScope>, http::Response> accounts_field(App& app, const nlohmann::json& body) {
  if (!body.contains("accounts")) return std::nullopt;
  const auto& v = body["accounts"];
  domain::AccountScope scope;
  if (v.is_null()) {
    scope = domain::AccountScope::every();
  } else if (v.is_string()) {
    auto parsed = domain::AccountScope::parse(v.get<std::string>());
    if (!parsed) return bad("'accounts': " + parsed.error().message + ".");
    scope = *parsed;
  } else if (v.is_array()) {
    std::vector<std::string> names;
    for (const auto& n : v) {
      if (!n.is_string()) return bad("'accounts' must be an array of smart account names, \"all\" or null.");
      if (auto s = domain::AccountScope::check_name(n.get<std::string>()); !s) return bad("'accounts': " + s.error().message + ".");
      names.push_back(n.get<std::string>());
    }
    if (names.empty()) return bad("'accounts' is empty; give at least one smart account, or null for every account.");
    scope = domain::AccountScope::only(std::move(names));
  } else {
    return bad("'accounts' must be an array of smart account names, \"all\" or null.");
  }
  for (const auto& name : scope.names()) {
    auto a = app.licensing->account(name);
    if (a) continue;
    if (a.error().code == ErrorCode::kNotFound)
      return bad("'accounts': smart account '" + name + "' does not exist on this server.");
    return std::unexpected(error_of(a.error()));
  }
  return scope;
}

}  // namespace licsat::api
