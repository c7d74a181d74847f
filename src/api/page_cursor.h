// Opaque page cursors of the list endpoints (`after` in a request, `next` in its answer). A
// cursor names the last item of a page for one kind of list; clients pass it back unchanged and
// must not build one. Its text is base64url of "<kind>:<id>", so a cursor of one list is refused
// by another.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace licsat::api {

std::string encode_cursor(std::string_view kind, int64_t id);
// The id a cursor of `kind` names; nothing when the text is not such a cursor.
std::optional<int64_t> decode_cursor(std::string_view kind, std::string_view text);

}  // namespace licsat::api
