// A fast path for parse_usage_report(): reads a usage report of the plain shape managers send
// (the documented members only, each once; strings without escapes or bytes outside ASCII;
// counts as plain whole numbers) in one pass over the bytes, without a general JSON parser.
// Anything else, valid or not, makes it give up and leave the body to the full parser, which
// alone writes error messages. So for every body it accepts, the result is what the full parser
// would return (tests/unit/usage_report_scanner_test.cpp compares the two).
#pragma once

#include <optional>
#include <string_view>

#include "domain/licensing.h"

namespace licsat::api {

// The report, or nullopt when the body is not of the plain shape or not valid.
std::optional<domain::UsageReport> scan_plain_usage_report(std::string_view body);

}  // namespace licsat::api
