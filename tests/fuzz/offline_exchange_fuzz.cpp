// The manager's side of an offline exchange (src/protocol/offline_exchange.cpp, `licsat manager
// offline import FILE`): the input is the payload of a server's license-answer file, sealed here
// with the server key the manager pinned, and imported into a manager state (SQLite in a temporary
// directory). "@NONCE@" in the input becomes the nonce of a request the state has exported and not
// yet seen answered, so the answer is applied (acknowledgements, accounts, pools).
// With the first input byte odd, the input is imported as the file itself, unsealed.
#include <cstdlib>

#include "fuzz_support.h"
#include "manager/manager_state.h"
#include "manager/offline_exchange.h"
#include "protocol/bundle.h"

using namespace licsat;

namespace {

struct World {
  FakeClock clock{1'800'000'000};
  std::unique_ptr<manager::ManagerState> state;
  crypto::SigningKey server_key = crypto::generate_signing_key();
  int64_t next = 0;
};

World& world() {
  static World* w = [] {
    fuzz::quiet();
    auto* w = new World;
    auto s = manager::ManagerState::open(fuzz::temp_dir("manager"), w->clock);
    if (!s) std::abort();
    w->state = std::move(*s);
    if (!w->state->pin_key("https://authority.example:8443", w->server_key.public_key)) std::abort();
    return w;
  }();
  return *w;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto& w = world();
  if (size == 0) return 0;
  std::string text(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (data[0] % 2) {
    (void)manager::import_answer(*w.state, text);
    return 0;
  }
  if (text.find("@NONCE@") != std::string::npos) {
    std::string nonce = "fuzz-request-" + std::to_string(w.next++);
    if (!w.state->record_request({nonce, w.clock.now(), {"report-1", "report-2"}, 0})) std::abort();
    fuzz::replace_all(text, "@NONCE@", nonce);
  }
  std::string file = protocol::seal_bundle(protocol::kKindLicenseAnswer, text, w.server_key, w.clock.now());
  auto r = manager::import_answer(*w.state, file);
  if (!r && r.error().cls == protocol::FailureClass::kState) {
    std::fprintf(stderr, "state failure: %s\n", r.error().what.c_str());
    std::abort();
  }
  return 0;
}
