// The OpenAPI 3 document of GET /api/openapi.json: every route of the router, described from a
// table in openapi_route.cpp. API routes missing from the table are marked "x-undocumented".
#pragma once

#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "http/router.h"

namespace licsat::api {

nlohmann::json openapi_document(const http::Router& router);

// (method, pattern) of every described route, so a test can check that each still exists.
std::vector<std::pair<std::string, std::string>> documented_routes();

}  // namespace licsat::api
