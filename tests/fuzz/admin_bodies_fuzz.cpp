// JSON bodies of the admin and licensing APIs: each route that turns a JSON body into a domain
// request, called through the real router with an admin bearer token.
//
// Input: the first byte chooses the route (table below), the rest is the body. Routes that change
// or rename an object work on scratch objects that are made again when a change renamed them, so
// that the seeded account "acme", virtual account "Branches" and the admin stay as they are.
#include "fuzz_app.h"

using namespace licsat;

namespace {

struct Target {
  const char* method;
  const char* path;
  // Made (ignoring "already exists") before the call, when the last call through this route
  // succeeded (it may have renamed the object).
  const char* scratch_path = nullptr;
  const char* scratch_body = nullptr;
};

const Target kTargets[] = {
    {"POST", "/api/v1/admin/users"},
    {"PATCH", "/api/v1/admin/users/fuzzuser", "/api/v1/admin/users",
     R"({"name":"fuzzuser","role":"viewer","password":"fuzz-user-password-1"})"},
    {"POST", "/api/v1/admin/grants"},
    {"PUT", "/api/v1/admin/console"},
    {"POST", "/api/v1/admin/accounts"},
    {"PATCH", "/api/v1/admin/accounts/scratch", "/api/v1/admin/accounts", R"({"name":"scratch"})"},
    {"POST", "/api/v1/admin/accounts/acme/virtual-accounts"},
    {"PATCH", "/api/v1/admin/accounts/acme/virtual-accounts/Scratch",
     "/api/v1/admin/accounts/acme/virtual-accounts", R"({"name":"Scratch"})"},
    {"POST", "/api/v1/admin/accounts/acme/virtual-accounts/Branches/licenses"},
    {"PATCH", "/api/v1/admin/accounts/acme/virtual-accounts/Branches/licenses/scratch-tag",
     "/api/v1/admin/accounts/acme/virtual-accounts/Branches/licenses", R"({"tag":"scratch-tag","quantity":1})"},
    {"POST", "/api/v1/accounts/acme/licenses"},
    {"POST", "/api/v1/accounts/acme/alerts"},
    {"POST", "/api/v1/accounts/acme/virtual-accounts/Branches/tokens"},
    {"POST", "/api/v1/accounts/acme/virtual-accounts/Branches/usage"},
    {"POST", "/api/v1/admin/sync/trust"},
};
constexpr size_t kCount = sizeof kTargets / sizeof kTargets[0];
bool dirty[kCount] = {true, true, true, true, true, true, true, true, true, true, true, true, true, true, true};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto& fa = fuzz::fuzz_app();
  if (size == 0) return 0;
  size_t i = data[0] % kCount;
  const Target& t = kTargets[i];
  if (t.scratch_path && dirty[i]) (void)fa.call("POST", t.scratch_path, t.scratch_body);
  std::string body(reinterpret_cast<const char*>(data) + 1, size - 1);
  auto r = fa.call(t.method, t.path, body);
  dirty[i] = r.status < 300;
  // Whatever the fuzzer did to the console toggle, grants keep working for the next input.
  if (i == 3 && r.status < 300) (void)fa.app->tokens->set_console_enabled(true, {"fuzz", "127.0.0.1"});
  return 0;
}
