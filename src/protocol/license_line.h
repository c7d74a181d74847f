// The one codec of a license line: the server's view of a pool and its usage
// (domain::LicenseLine) as the licensing API sends it, for the online answer
// (POST …/licenses) and for the offline answer file alike.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "domain/licensing_status.h"
#include "protocol/wire_types.h"

namespace licsat::protocol {

// The line as a license pool of `account` (licenseDetails: the pool's type, quantity, dates and
// state; empty when the line has no pool).
LicensePool license_pool_of(const domain::LicenseLine& l, const std::string& account);

// The line's JSON as the licenses answer lists it (the pool's JSON without "account").
nlohmann::json license_line_json(const domain::LicenseLine& l);

}  // namespace licsat::protocol
