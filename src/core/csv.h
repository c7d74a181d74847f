// CSV text (RFC 4180) for the exports of lists (devices, the Event Log): one row at a time, so
// that an export is written page by page and never held whole in memory.
//
// Quoting: a field holding a comma, a double quote, CR or LF is enclosed in double quotes, its
// quotes doubled; rows end with CRLF. Bytes are kept as they are (UTF-8 passes through).
// Formula injection: a spreadsheet runs a cell that starts with = + - @ TAB or CR as a formula,
// so such a field is prefixed with a single quote (') and opens as the text it was. Values come
// from reporting managers and users (host names, event details), so every field is defended.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>

namespace licsat {

// One field as it appears in a CSV row (defended, then quoted when needed).
std::string csv_field(std::string_view value);
// Appends one row (fields separated by commas, CRLF at the end) to `out`.
void csv_append_row(std::string& out, std::initializer_list<std::string_view> fields);

}  // namespace licsat
