// JSON shapes of the admin API's records (snake_case, like OAuth). Secrets never appear here.
#pragma once

#include <nlohmann/json.hpp>

#include "domain/auth_records.h"
#include "domain/grants.h"

namespace licsat::api {

// `locked` is true for an admin's lock and for a temporary lockout in force at `now`.
nlohmann::json to_json(const domain::User& u, int64_t now);
nlohmann::json to_json(const domain::Grant& g);
// The one answer that carries a client secret: creation and regeneration.
nlohmann::json to_json(const domain::GrantWithSecret& g);
nlohmann::json to_json(const domain::Event& e);

}  // namespace licsat::api
