// Text from outside (client IDs, user names, event details) made safe for a terminal: control
// bytes (C0, DEL, C1), invalid UTF-8 and the Unicode direction overrides are written as visible
// escapes, so a value cannot forge table rows or log lines, move the cursor or recolour the
// screen. Printable UTF-8 is kept as it is.
#pragma once

#include <string>
#include <string_view>

namespace licsat {

// `\n`, `\r`, `\t`, `\\` for a backslash (so an escape cannot be forged), `\xNN` for other C0
// bytes, DEL and each byte of invalid UTF-8, `\u{NNNN}` for C1 controls and direction
// overrides (U+202A-U+202E, U+2066-U+2069).
std::string printable(std::string_view text);

// The same for a value a JSON encoder will write: C0 controls, `"` and backslashes are left to
// the encoder (it escapes them); DEL, C1, direction overrides and invalid UTF-8 are escaped here.
std::string printable_for_json(std::string_view text);

}  // namespace licsat
