// The server's side of an offline exchange (src/protocol/offline_answer.cpp behind POST
// /api/v1/admin/offline/answer): the input is the payload of a manager's usage-request file,
// sealed here with a manager key (a random file never carries a valid signature), then answered by
// a whole App, whose license database ingests the reports (usage report parser, licensing service).
// With the first input byte odd, the input is sent as the file itself, unsealed.
//
// Property checked: a 200 answer is a license-answer bundle signed by the server's key whose
// payload the manager's reader accepts.
#include <cstdlib>

#include "fuzz_app.h"
#include "protocol/bundle.h"
#include "protocol/offline_messages.h"

using namespace licsat;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto& fa = fuzz::fuzz_app();
  static const crypto::SigningKey manager_key = crypto::generate_signing_key();
  if (size == 0) return 0;
  std::string text(reinterpret_cast<const char*>(data) + 1, size - 1);
  std::string file =
      data[0] % 2 ? text : protocol::seal_bundle(protocol::kKindUsageRequest, text, manager_key, 1'800'000'000);
  auto r = fa.call("POST", "/api/v1/admin/offline/answer", file);
  if (r.status == 200) {
    auto b = protocol::open_bundle(r.body, protocol::kKindLicenseAnswer, fa.app->signing_key.public_key);
    if (!b) std::abort();
    auto a = protocol::license_answer_from_payload(b->payload);
    if (!a) {
      std::fprintf(stderr, "answer refused by the manager's reader: %s\n", a.error().message.c_str());
      std::abort();
    }
  } else if (r.status >= 500) {
    std::fprintf(stderr, "offline answer failed: %d %s\n", r.status, r.body.c_str());
    std::abort();
  }
  return 0;
}
