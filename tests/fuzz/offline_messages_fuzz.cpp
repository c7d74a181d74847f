// The payloads of offline files (src/protocol/offline_messages.cpp): a manager's usage request, read
// by a server, and a server's license answer, read by a manager or a satellite (with the manager's
// readers of accounts, pools and acknowledgements from src/manager/api_types.cpp).
//
// Property checked: what is accepted, written out again, is accepted again and writes out the same.
#include <cstdlib>

#include "protocol/offline_messages.h"

using namespace licsat;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  if (auto r = protocol::usage_request_from_payload(text)) {
    std::string once = protocol::to_payload(*r);
    auto again = protocol::usage_request_from_payload(once);
    if (!again || protocol::to_payload(*again) != once) std::abort();
  }
  if (auto a = protocol::license_answer_from_payload(text)) {
    std::string once = protocol::to_payload(*a);
    auto again = protocol::license_answer_from_payload(once);
    if (!again || protocol::to_payload(*again) != once) std::abort();
  }
  return 0;
}
