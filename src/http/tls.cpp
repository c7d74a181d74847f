#include "http/tls.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <memory>

namespace licsat::http {
namespace {

template <typename T, void (*F)(T*)>
struct Free {
  void operator()(T* p) const { F(p); }
};
using PKey = std::unique_ptr<EVP_PKEY, Free<EVP_PKEY, EVP_PKEY_free>>;
using Cert = std::unique_ptr<X509, Free<X509, X509_free>>;

Status add_ext(X509* cert, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  if (!ext) return fail(Error::internal("cannot build certificate extension " + value));
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
  return {};
}

Status write_pem(const std::string& path, bool secret, auto writer) {
  std::string tmp = path + ".tmp";
  FILE* f = std::fopen(tmp.c_str(), "wb");
  if (!f) return fail(Error::internal("cannot write " + tmp));
  if (secret) ::fchmod(fileno(f), 0600);
  bool ok = writer(f);
  ok = (std::fflush(f) == 0) && ok;
  ::fsync(fileno(f));
  std::fclose(f);
  if (!ok || std::rename(tmp.c_str(), path.c_str()) != 0) return fail(Error::internal("cannot write " + path));
  return {};
}

}  // namespace

Status ensure_self_signed(const std::string& cert_path, const std::string& key_path) {
  namespace fs = std::filesystem;
  if (fs::exists(cert_path) && fs::exists(key_path)) return {};
  std::error_code ec;
  fs::create_directories(fs::path(cert_path).parent_path(), ec);

  PKey key(EVP_EC_gen("P-256"));
  if (!key) return fail(Error::internal("cannot generate an ECDSA P-256 key"));
  Cert cert(X509_new());
  X509_set_version(cert.get(), 2);
  unsigned char serial[16];
  FILE* ur = std::fopen("/dev/urandom", "rb");
  if (!ur || std::fread(serial, 1, sizeof serial, ur) != sizeof serial) {
    if (ur) std::fclose(ur);
    return fail(Error::internal("cannot read /dev/urandom"));
  }
  std::fclose(ur);
  serial[0] &= 0x7f;
  BIGNUM* bn = BN_bin2bn(serial, sizeof serial, nullptr);
  BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert.get()));
  BN_free(bn);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 3650L * 24 * 3600);
  X509_set_pubkey(cert.get(), key.get());

  char host[256] = "localhost";
  gethostname(host, sizeof host - 1);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("licsat"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(host), -1, -1, 0);
  X509_set_issuer_name(cert.get(), name);

  std::string san = "DNS:localhost,IP:127.0.0.1,IP:0:0:0:0:0:0:0:1";
  if (std::string(host) != "localhost") san += std::string(",DNS:") + host;
  if (auto s = add_ext(cert.get(), NID_subject_alt_name, san); !s) return s;
  if (auto s = add_ext(cert.get(), NID_basic_constraints, "critical,CA:FALSE"); !s) return s;
  if (auto s = add_ext(cert.get(), NID_key_usage, "critical,digitalSignature"); !s) return s;
  if (auto s = add_ext(cert.get(), NID_ext_key_usage, "serverAuth"); !s) return s;
  if (X509_sign(cert.get(), key.get(), EVP_sha256()) == 0) return fail(Error::internal("cannot sign the certificate"));

  if (auto s = write_pem(key_path, true, [&](FILE* f) {
        return PEM_write_PrivateKey(f, key.get(), nullptr, nullptr, 0, nullptr, nullptr) == 1;
      });
      !s)
    return s;
  return write_pem(cert_path, false, [&](FILE* f) { return PEM_write_X509(f, cert.get()) == 1; });
}

}  // namespace licsat::http
