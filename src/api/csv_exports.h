// The CSV form of the list endpoints (`?format=csv` on GET …/devices and GET
// /api/v1/admin/events): a header row, then every item the filter matches, written page by page
// through the lists' cursor reads as a chunked answer, so an export of a million devices never
// sits whole in the server's memory. Quoting and the formula-injection defence: core/csv.h.
#pragma once

#include <optional>
#include <string>

#include "api/app.h"
#include "domain/auth_records.h"
#include "http/message.h"

namespace licsat::api {

// Rows read per page of an export.
inline constexpr int64_t kCsvPageRows = 1000;

// Whether the request asks for CSV (`format=csv`); a `format` other than csv or json is
// answered 400 through `refusal`.
bool wants_csv(const std::string& format, std::optional<http::Response>& refusal);

// The devices of an account (one virtual account when `va` is not empty) from the cursor
// `after` on (every device when absent). The first page is read before answering, so an unknown
// account or virtual account is still a 404 with its JSON body.
http::Response devices_csv(App& app, const std::string& account, const std::string& va, std::optional<int64_t> after);

// The Event Log, newest first, as `filter` selects (its limit, offset and total are ignored;
// `before` is where it starts).
http::Response events_csv(App& app, domain::EventFilter filter);

}  // namespace licsat::api
