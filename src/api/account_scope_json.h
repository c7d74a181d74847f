// Per-account access in the admin API's JSON: a user's or a grant's `accounts` member is null
// (every account) or an array of smart account names; requests may also send "all" or a
// comma-separated string, as the CLI's --accounts takes.
#pragma once

#include <expected>
#include <optional>

#include <nlohmann/json.hpp>

#include "api/app.h"
#include "domain/account_scope.h"
#include "http/message.h"

namespace licsat::api {

nlohmann::json to_json(const domain::AccountScope& s);

// Reads the optional `accounts` member of a request body: nothing when absent; otherwise the
// scope, each name checked and required to be a smart account of this server (400 naming the
// first that is not, so a typo does not silently lock a user out).
std::expected<std::optional<domain::AccountScope>, http::Response> accounts_field(App& app, const nlohmann::json& body);

}  // namespace licsat::api
