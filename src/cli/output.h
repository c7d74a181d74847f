// How the CLI prints: aligned tables of text columns, and one JSON member as text.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace licsat::cli {

// Prints a header row and rows, columns padded to their widest cell, two spaces apart. Cells
// are printed through printable() (core/printable.h): control bytes appear as escapes.
void print_table(const std::vector<std::string>& head, const std::vector<std::vector<std::string>>& rows);

// Member `key` of `j` as text: strings as they are, other values as JSON, absent or null as "".
std::string json_text(const nlohmann::json& j, const char* key);

}  // namespace licsat::cli
