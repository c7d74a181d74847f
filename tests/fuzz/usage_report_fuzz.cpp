// The usage report body (POST …/usage): the SAX parser of src/api/usage_report_parser.cpp.
//
// Properties checked on an accepted report: reportId, pid, sn and tag are 1-256 characters,
// counts are 0 to kMaxLicenseCount and the period does not end before it starts.
#include <cstdlib>
#include <string_view>

#include "api/usage_report_parser.h"

using namespace licsat;

namespace {
bool text_ok(const std::string& s) { return !s.empty() && s.size() <= 256; }
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto r = api::parse_usage_report(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!r) {
    if (r.error().message.empty()) std::abort();
    return 0;
  }
  if (!text_ok(r->report_id) || r->period_end < r->period_start) std::abort();
  for (const auto& d : r->devices) {
    if (!text_ok(d.pid) || !text_ok(d.sn)) std::abort();
    for (const auto& l : d.licenses)
      if (!text_ok(l.tag) || l.count < 0 || l.count > api::kMaxLicenseCount) std::abort();
  }
  return 0;
}
