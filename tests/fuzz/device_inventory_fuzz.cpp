// The manager's device inventory import (src/manager/device_inventory.cpp), CSV and JSON, as
// `licsat manager devices import FILE` reads it: automatic detection and each format forced.
//
// Properties checked: an accepted inventory has devices with a pid and a serial number, and
// license counts that are not negative; a refusal has a message.
#include <cstdlib>
#include <string>

#include "manager/device_inventory.h"

using namespace licsat;

namespace {

void check(const Result<std::vector<protocol::Device>>& r) {
  if (!r) {
    if (r.error().message.empty()) std::abort();
    return;
  }
  for (const auto& d : *r) {
    if (d.pid.empty() || d.sn.empty()) std::abort();
    for (const auto& l : d.licenses)
      if (l.count < 0) std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  check(manager::parse_inventory(text, "fuzz.csv", manager::InventoryFormat::kAuto));
  check(manager::parse_inventory(text, "fuzz.csv", manager::InventoryFormat::kCsv));
  check(manager::parse_inventory(text, "fuzz.json", manager::InventoryFormat::kJson));
  return 0;
}
