// Reads a usage report body straight into domain records, with a fast path for the plain shape
// and a SAX parser for everything else: a 100,000-device report (about 21 MB of JSON) never
// becomes a JSON tree, so memory stays near the size of the records themselves. Every problem is a 400 that names the field ("devices[12].licenses[0].count").
#pragma once

#include <cstdint>
#include <string_view>

#include "core/result.h"
#include "domain/licensing.h"

namespace licsat::api {

// {"reportId","manager","period":{"start","end"},"devices":[{"pid","sn","hostname",
//  "licenses":[{"tag","count"}]}]}. period.start/end are ISO 8601 times or Unix seconds.
// Required: reportId, period.start, period.end, devices, and in each device pid and sn, in each
// license tag and count (a whole number, 0 to kMaxLicenseCount). Unknown members are ignored.
Result<domain::UsageReport> parse_usage_report(std::string_view body);

// The same with the general (SAX) parser alone, without the fast path for plain reports
// (usage_report_scanner.h) that parse_usage_report() tries first. For tests that compare the two.
Result<domain::UsageReport> parse_usage_report_in_full(std::string_view body);

// The largest count of one license on one device. Far above any real device, and low enough that
// the totals the server adds up (over a device's repeated tags, over the devices of an account)
// stay far from 64-bit overflow, which made the account's license queries fail.
inline constexpr int64_t kMaxLicenseCount = 1'000'000'000;

}  // namespace licsat::api
