// The application/x-www-form-urlencoded decoder (http::url_decode, url_encode, parse_form), the
// base64 decoder and the HTTP Basic client authentication of the token endpoint.
//
// Input: AUTHORIZATION "\n--\n" BODY "\n--\n" QUERY (see fuzz_support.h split_parts); the first
// byte of BODY chooses the endpoint. "@BASIC@" becomes base64(client_id:client_secret) of a real
// grant, "@CLIENT_ID@" and "@SECRET@" its parts, "@PASSWORD@" the admin's password.
//
// Properties checked: url_decode(url_encode(x)) == x; url_encode output is plain ASCII;
// from_base64(to_base64(x)) == x; parse_form never yields an empty name.
#include <cstdlib>

#include "fuzz_app.h"

using namespace licsat;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto& fa = fuzz::fuzz_app();
  std::string in(reinterpret_cast<const char*>(data), size);

  (void)http::url_decode(in);
  std::string enc = http::url_encode(in);
  for (char c : enc)
    if (static_cast<unsigned char>(c) > 0x7e || c == '&' || c == '=' || c == '+' || c == ' ') std::abort();
  if (http::url_decode(enc) != in) std::abort();
  for (const auto& [k, v] : http::parse_form(in))
    if (k.empty()) std::abort();
  (void)crypto::from_base64(in);
  auto back = crypto::from_base64(crypto::to_base64(in));
  if (!back || *back != in) std::abort();

  auto parts = fuzz::split_parts(in, 3);
  for (auto& p : parts) {
    fuzz::replace_all(p, "@BASIC@", crypto::to_base64(fa.client_id + ":" + fa.client_secret));
    fuzz::replace_all(p, "@CLIENT_ID@", fa.client_id);
    fuzz::replace_all(p, "@SECRET@", fa.client_secret);
    fuzz::replace_all(p, "@PASSWORD@", fuzz::kAdminPassword);
  }
  static const char* kPaths[] = {"/oauth/token", "/oauth/revoke", "/oauth/introspect", "/backend/oauth/token"};
  http::Request req;
  req.method = "POST";
  req.path = kPaths[parts[1].empty() ? 0 : static_cast<unsigned char>(parts[1][0]) % 4];
  if (!parts[0].empty()) req.headers.emplace_back("authorization", parts[0]);
  req.headers.emplace_back("content-type", "application/x-www-form-urlencoded");
  req.body = parts[1];
  req.query = parts[2];
  (void)fa.serve(req);
  return 0;
}
