// JSON bodies of the token endpoint (and of revocation and introspection, which read the same
// parameters): POST /oauth/token with Content-Type application/json, as field tools send it.
//
// Input: the first byte chooses the endpoint and the client authentication, the rest is the
// body. "@CLIENT_ID@", "@SECRET@", "@PASSWORD@" and "@BASIC@" become a real grant's credentials,
// the admin's password and base64(client_id:client_secret), so that tokens are really issued.
#include "fuzz_app.h"

using namespace licsat;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto& fa = fuzz::fuzz_app();
  if (size == 0) return 0;
  uint8_t sel = data[0];
  std::string body(reinterpret_cast<const char*>(data) + 1, size - 1);
  fuzz::replace_all(body, "@CLIENT_ID@", fa.client_id);
  fuzz::replace_all(body, "@SECRET@", fa.client_secret);
  fuzz::replace_all(body, "@PASSWORD@", fuzz::kAdminPassword);

  static const char* kPaths[] = {"/oauth/token", "/backend/oauth/token", "/oauth/revoke", "/oauth/introspect"};
  static const char* kTypes[] = {"application/json", "application/json; charset=utf-8", "APPLICATION/JSON",
                                 "application/x-www-form-urlencoded"};
  http::Request req;
  req.method = "POST";
  req.path = kPaths[sel & 3];
  req.headers.emplace_back("content-type", kTypes[(sel >> 2) & 3]);
  if (sel & 0x10) req.headers.emplace_back("authorization", "Basic " + crypto::to_base64(fa.client_id + ":" + fa.client_secret));
  req.body = std::move(body);
  (void)fa.serve(req);
  return 0;
}
