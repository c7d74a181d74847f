// The signed-bundle envelope of offline files (src/protocol/bundle.cpp), opened the way the
// server (any kind, integrity only), the manager (license-answer, a pinned key) and a satellite
// open it. No random input carries a valid signature, so the input is also sealed with a known
// key and opened again: what comes out must be exactly what went in.
#include <cstdlib>

#include "core/clock.h"
#include "fuzz_support.h"
#include "protocol/bundle.h"

using namespace licsat;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::quiet();
  static const crypto::SigningKey key = crypto::generate_signing_key();
  std::string text(reinterpret_cast<const char*>(data), size);

  (void)protocol::open_bundle(text, "", "");
  (void)protocol::open_bundle(text, protocol::kKindLicenseAnswer, key.public_key);
  (void)protocol::open_bundle(text, protocol::kKindUsageRequest, "");

  // Sealed: NONCE "\n--\n" PAYLOAD. Kind and nonce are the signer's own (a constant and a
  // random URL-safe string in licsat), so only URL-safe characters of NONCE are kept.
  auto parts = fuzz::split_parts(text, 2);
  std::string nonce;
  for (char c : parts[0])
    if (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_') nonce += c;
  const std::string& payload = parts[1];
  std::string kind = size % 2 ? protocol::kKindLicenseAnswer : protocol::kKindUsageRequest;
  int64_t created = 1'800'000'000 + static_cast<int64_t>(size % 100'000) * 86'400;
  std::string sealed = protocol::seal_bundle(kind, payload, key, created, nonce);
  auto opened = protocol::open_bundle(sealed, kind, key.public_key);
  if (!opened) {
    std::fprintf(stderr, "sealed bundle refused: %s\n", opened.error().message.c_str());
    std::abort();
  }
  if (opened->payload != payload || opened->kind != kind || opened->created != created ||
      opened->issuer_public_key != key.public_key || (!nonce.empty() && opened->nonce != nonce))
    std::abort();
  return 0;
}
