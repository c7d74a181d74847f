// Reads who may read GET /metrics from the server's TOML config file: the `[metrics]` table,
// `allow = ["CIDR", …]` and `token_file = "PATH"` (see api/metrics_access.h). The config loader
// (core/config.cpp) checks these keys with the others, so a typo or a bad range stops the start
// naming the key; this reads their values for the MetricsAccess the server is built with.
#pragma once

#include <optional>
#include <string>

#include "api/metrics_access.h"
#include "core/result.h"

namespace licsat::api {

// No file, or no [metrics] table: the local host only.
Result<MetricsAccess> metrics_access_from_config_file(const std::optional<std::string>& path,
                                                      const std::string& hash_key);

}  // namespace licsat::api
