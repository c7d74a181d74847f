#include "core/key_wrap.h"

#include <sodium.h>

#include "core/crypto.h"

namespace licsat::crypto {
namespace {

constexpr std::string_view kPrefix = "sealed:v1:";
constexpr size_t kIdHex = 16;

std::string associated_data(std::string_view name, std::string_view id) {
  return "licsat-server-key:v1:" + std::string(name) + ":" + std::string(id);
}

}  // namespace

Result<Kek> Kek::from_bytes(std::string bytes) {
  if (bytes.size() != kKekBytes)
    return fail(Error::invalid("a key-encryption key has " + std::to_string(kKekBytes) + " bytes, not " +
                               std::to_string(bytes.size())));
  init();
  Kek k;
  unsigned char out[kIdHex / 2];
  static constexpr std::string_view kLabel = "licsat key id v1";
  crypto_generichash(out, sizeof out, reinterpret_cast<const unsigned char*>(kLabel.data()), kLabel.size(),
                     reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
  k.id_ = to_hex(std::string_view(reinterpret_cast<const char*>(out), sizeof out));
  k.bytes_ = std::move(bytes);
  return k;
}

Kek::~Kek() {
  if (!bytes_.empty()) sodium_memzero(bytes_.data(), bytes_.size());
}

bool is_sealed(std::string_view value) { return value.starts_with(kPrefix); }

std::string sealed_key_id(std::string_view value) {
  if (!is_sealed(value)) return {};
  value.remove_prefix(kPrefix.size());
  auto colon = value.find(':');
  return std::string(value.substr(0, colon));
}

std::string seal(const Kek& kek, std::string_view name, std::string_view clear) {
  init();
  std::string ad = associated_data(name, kek.id());
  std::string box(crypto_aead_xchacha20poly1305_ietf_NPUBBYTES + clear.size() + crypto_aead_xchacha20poly1305_ietf_ABYTES,
                  '\0');
  auto* nonce = reinterpret_cast<unsigned char*>(box.data());
  randombytes_buf(nonce, crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
  unsigned long long written = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(nonce + crypto_aead_xchacha20poly1305_ietf_NPUBBYTES, &written,
                                             reinterpret_cast<const unsigned char*>(clear.data()), clear.size(),
                                             reinterpret_cast<const unsigned char*>(ad.data()), ad.size(), nullptr,
                                             nonce, reinterpret_cast<const unsigned char*>(kek.bytes().data()));
  return std::string(kPrefix) + kek.id() + ":" + to_base64(box);
}

Result<std::string> unseal(const Kek& kek, std::string_view name, std::string_view sealed) {
  init();
  if (!is_sealed(sealed)) return fail(Error::invalid("setting '" + std::string(name) + "' is not sealed"));
  std::string id = sealed_key_id(sealed);
  if (id.size() != kIdHex || sealed.size() < kPrefix.size() + kIdHex + 1 || sealed[kPrefix.size() + kIdHex] != ':')
    return fail(Error::invalid("sealed setting '" + std::string(name) + "' is damaged (no key id)"));
  if (id != kek.id())
    return fail(Error::denied("setting '" + std::string(name) + "' is sealed with key id " + id +
                              ", the key file holds key id " + kek.id()));
  auto box = from_base64(sealed.substr(kPrefix.size() + kIdHex + 1));
  constexpr size_t overhead = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES + crypto_aead_xchacha20poly1305_ietf_ABYTES;
  if (!box || box->size() < overhead)
    return fail(Error::invalid("sealed setting '" + std::string(name) + "' is damaged (not base64 or too short)"));
  std::string ad = associated_data(name, id);
  std::string clear(box->size() - overhead, '\0');
  unsigned long long got = 0;
  const auto* nonce = reinterpret_cast<const unsigned char*>(box->data());
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(
          reinterpret_cast<unsigned char*>(clear.data()), &got, nullptr,
          nonce + crypto_aead_xchacha20poly1305_ietf_NPUBBYTES, box->size() - crypto_aead_xchacha20poly1305_ietf_NPUBBYTES,
          reinterpret_cast<const unsigned char*>(ad.data()), ad.size(), nonce,
          reinterpret_cast<const unsigned char*>(kek.bytes().data())) != 0)
    return fail(Error::denied("sealed setting '" + std::string(name) +
                              "' does not open with the key file's key (altered, or sealed for another setting)"));
  clear.resize(got);
  return clear;
}

}  // namespace licsat::crypto
