// The manager's device inventory, imported from a file (`licsat manager devices import FILE`):
// which devices exist, in which virtual account, and which licenses each uses. CSV or JSON.
//
// CSV: a header row, then one row per device and license (rows of one device are merged):
//   pid,sn,hostname,virtual_account,tag,count
//   C9300-24T,FOC2231X0AB,edge-1,Branches,network-advantage,1
// or one row per device with a `licenses` column "TAG=COUNT;TAG=COUNT". Optional `account`
// column (the smart account). Header names are case-insensitive; spaces, dashes and underscores
// are ignored ("Virtual Account", "virtualAccount" and "va" all work). Blank lines and lines
// starting with '#' are skipped; fields may be quoted ("…", with "" for a quote).
//
// JSON: {"devices":[{"pid","sn","hostname","virtualAccount","account"?,"licenses":[{"tag","count"}]}]}
// or the bare array; "licenses" may also be an object {"TAG": COUNT}.
//
// Every bad row is named (file, line or device number, field, what is wrong); nothing is imported
// when any row is bad.
#pragma once

#include <string>
#include <vector>

#include "core/result.h"
#include "manager/protocol_names.h"

namespace licsat::manager {

enum class InventoryFormat { kAuto, kCsv, kJson };

// Parses an inventory. `source` names the file in messages. kAuto: JSON when the text starts with
// '{' or '[', else CSV. The error message lists every problem, one per line.
Result<std::vector<Device>> parse_inventory(const std::string& text, const std::string& source,
                                            InventoryFormat format = InventoryFormat::kAuto);

}  // namespace licsat::manager
