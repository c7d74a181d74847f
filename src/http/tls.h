// TLS material: a self-signed ECDSA P-256 certificate generated through the OpenSSL API on first
// start (SAN: localhost, 127.0.0.1, ::1 and the host name), and the server's TLS settings.
#pragma once

#include <string>

#include "core/result.h"

namespace licsat::http {

// Writes cert.pem and key.pem (mode 0600) unless both already exist.
Status ensure_self_signed(const std::string& cert_path, const std::string& key_path);

}  // namespace licsat::http
