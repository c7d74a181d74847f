// Cost of one argon2id verification (the password grant's only expensive step) and of one keyed
// hash + constant-time comparison (the client_credentials grant's), at licsat's default settings.
#include <chrono>
#include <cstdio>
#include <thread>

#include "core/crypto.h"

using namespace licsat;

int main() {
  crypto::init();
  crypto::PwhashCost cost;  // the server's defaults: t=2, 64 MiB
  auto hash = crypto::hash_password("correct horse battery staple", cost);
  if (!hash) return 1;
  const int n = 10;
  auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < n; ++i) (void)crypto::verify_password(*hash, "correct horse battery staple");
  double argon_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count() / n;

  std::string key = crypto::random_urlsafe(32), secret = crypto::random_urlsafe(40);
  std::string want = crypto::keyed_hash(key, secret);
  const int m = 200000;
  bool ok = true;
  t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < m; ++i) ok = crypto::equal_ct(crypto::keyed_hash(key, secret), want) && ok;
  double hmac_us = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count() / m;

  std::printf("argon2id verify (t=%llu, %zu MiB): %.1f ms  -> at most %.0f password grants/s per core\n",
              static_cast<unsigned long long>(cost.ops), cost.mem >> 20, argon_ms, 1000.0 / argon_ms);
  std::printf("HMAC-SHA-256 keyed hash + constant-time compare: %.2f us %s\n", hmac_us, ok ? "" : "(mismatch!)");
  std::printf("cores: %u\n", std::thread::hardware_concurrency());
  return 0;
}
