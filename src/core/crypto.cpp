#include "core/crypto.h"

#include <openssl/evp.h>
#include <sodium.h>

#include <algorithm>
#include <cstring>
#include <mutex>
#include <semaphore>
#include <stdexcept>
#include <thread>
#include <vector>

namespace licsat::crypto {
namespace {

// argon2id takes its memory cost (64 MiB by default) for each computation; at most one per core
// run at once, so a burst of password logins queues instead of taking gigabytes.
std::counting_semaphore<>& argon2_slots() {
  static std::counting_semaphore<> slots(std::max<std::ptrdiff_t>(2, std::thread::hardware_concurrency()));
  return slots;
}

struct Argon2Slot {
  Argon2Slot() { argon2_slots().acquire(); }
  ~Argon2Slot() { argon2_slots().release(); }
  Argon2Slot(const Argon2Slot&) = delete;
  Argon2Slot& operator=(const Argon2Slot&) = delete;
};

}  // namespace

void init() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise");
  });
}

std::string random_urlsafe(size_t n) {
  std::vector<unsigned char> buf(n);
  randombytes_buf(buf.data(), n);
  const int variant = sodium_base64_VARIANT_URLSAFE_NO_PADDING;
  std::string out(sodium_base64_ENCODED_LEN(n, variant), '\0');
  sodium_bin2base64(out.data(), out.size(), buf.data(), n, variant);
  out.resize(out.find('\0'));
  sodium_memzero(buf.data(), n);
  return out;
}

std::string keyed_hash(std::string_view key, std::string_view data) {
  unsigned char mac[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256_state st;
  crypto_auth_hmacsha256_init(&st, reinterpret_cast<const unsigned char*>(key.data()), key.size());
  crypto_auth_hmacsha256_update(&st, reinterpret_cast<const unsigned char*>(data.data()), data.size());
  crypto_auth_hmacsha256_final(&st, mac);
  return to_hex(std::string_view(reinterpret_cast<const char*>(mac), sizeof mac));
}

static_assert(sizeof(crypto_auth_hmacsha256_state) <= 512, "KeyedHasher::state_ is too small");

KeyedHasher::KeyedHasher(std::string_view key, std::string_view prefix) {
  auto* st = reinterpret_cast<crypto_auth_hmacsha256_state*>(state_);
  crypto_auth_hmacsha256_init(st, reinterpret_cast<const unsigned char*>(key.data()), key.size());
  crypto_auth_hmacsha256_update(st, reinterpret_cast<const unsigned char*>(prefix.data()), prefix.size());
}

KeyedHasher::~KeyedHasher() { sodium_memzero(state_, sizeof state_); }

std::string KeyedHasher::operator()(std::string_view data) const {
  crypto_auth_hmacsha256_state st;
  std::memcpy(&st, state_, sizeof st);
  crypto_auth_hmacsha256_update(&st, reinterpret_cast<const unsigned char*>(data.data()), data.size());
  unsigned char mac[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256_final(&st, mac);
  sodium_memzero(&st, sizeof st);
  return to_hex(std::string_view(reinterpret_cast<const char*>(mac), sizeof mac));
}

std::string random_bytes(size_t n) {
  std::string out(n, '\0');
  randombytes_buf(out.data(), n);
  return out;
}

bool equal_ct(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

Result<std::string> hash_password(std::string_view password, const PwhashCost& cost) {
  char out[crypto_pwhash_STRBYTES];
  Argon2Slot slot;
  if (crypto_pwhash_str_alg(out, password.data(), password.size(), cost.ops, cost.mem,
                            crypto_pwhash_ALG_ARGON2ID13) != 0) {
    return fail(Error::internal("argon2id hashing failed: out of memory for the configured cost"));
  }
  return std::string(out);
}

bool verify_password(std::string_view encoded, std::string_view password) {
  std::string enc(encoded);
  Argon2Slot slot;
  return crypto_pwhash_str_verify(enc.c_str(), password.data(), password.size()) == 0;
}

SigningKey generate_signing_key() {
  unsigned char pk[crypto_sign_PUBLICKEYBYTES];
  unsigned char sk[crypto_sign_SECRETKEYBYTES];
  crypto_sign_keypair(pk, sk);
  SigningKey k{std::string(reinterpret_cast<char*>(pk), sizeof pk),
               std::string(reinterpret_cast<char*>(sk), sizeof sk)};
  sodium_memzero(sk, sizeof sk);
  return k;
}

std::string sign(std::string_view message, const SigningKey& key) {
  unsigned char sig[crypto_sign_BYTES];
  crypto_sign_detached(sig, nullptr, reinterpret_cast<const unsigned char*>(message.data()),
                       message.size(), reinterpret_cast<const unsigned char*>(key.secret_key.data()));
  return std::string(reinterpret_cast<char*>(sig), sizeof sig);
}

bool verify(std::string_view message, std::string_view signature, std::string_view public_key) {
  if (signature.size() != crypto_sign_BYTES || public_key.size() != crypto_sign_PUBLICKEYBYTES)
    return false;
  return crypto_sign_verify_detached(reinterpret_cast<const unsigned char*>(signature.data()),
                                     reinterpret_cast<const unsigned char*>(message.data()),
                                     message.size(),
                                     reinterpret_cast<const unsigned char*>(public_key.data())) == 0;
}

std::string to_hex(std::string_view bytes) {
  std::string out(bytes.size() * 2 + 1, '\0');
  sodium_bin2hex(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bytes.data()),
                 bytes.size());
  out.pop_back();
  return out;
}

Result<std::string> from_hex(std::string_view hex) {
  std::string out(hex.size() / 2, '\0');
  size_t len = 0;
  if (hex.size() % 2 != 0 ||
      sodium_hex2bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), hex.data(), hex.size(),
                     nullptr, &len, nullptr) != 0 ||
      len != out.size()) {
    return fail(Error::invalid("not valid hexadecimal"));
  }
  return out;
}

std::string to_base64(std::string_view bytes) {
  const int variant = sodium_base64_VARIANT_ORIGINAL;
  std::string out(sodium_base64_ENCODED_LEN(bytes.size(), variant), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bytes.data()),
                    bytes.size(), variant);
  out.resize(out.find('\0'));
  return out;
}

Result<std::string> from_base64(std::string_view text) {
  std::string out(text.size(), '\0');
  size_t len = 0;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), text.data(),
                        text.size(), nullptr, &len, nullptr, sodium_base64_VARIANT_ORIGINAL) != 0) {
    return fail(Error::invalid("not valid base64"));
  }
  out.resize(len);
  return out;
}

std::string to_base64url(std::string_view bytes) {
  const int variant = sodium_base64_VARIANT_URLSAFE_NO_PADDING;
  std::string out(sodium_base64_ENCODED_LEN(bytes.size(), variant), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), variant);
  out.resize(out.find('\0'));
  return out;
}

Result<std::string> from_base64url(std::string_view text) {
  std::string out(text.size(), '\0');
  size_t len = 0;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), text.data(), text.size(), nullptr,
                        &len, nullptr, sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0) {
    return fail(Error::invalid("not valid base64url"));
  }
  out.resize(len);
  return out;
}

// OpenSSL's SHA-256 uses the CPU's SHA extensions where there are any (several times faster than
// libsodium's portable code on a usage report's megabytes); the digest is the same.
std::string sha256_hex(std::string_view data) {
  unsigned char h[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), h, &len, EVP_sha256(), nullptr) != 1 || len != crypto_hash_sha256_BYTES)
    crypto_hash_sha256(h, reinterpret_cast<const unsigned char*>(data.data()), data.size());
  return to_hex(std::string_view(reinterpret_cast<const char*>(h), crypto_hash_sha256_BYTES));
}

}  // namespace licsat::crypto
