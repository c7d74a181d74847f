// The key file: the server's key-encryption key (core/key_wrap.h), kept outside the database as
// one line of 64 hex characters. Made at first start with libsodium randomness, mode 0600 in a
// 0700 directory; a file that group or others may read, or that does not hold one key, is
// refused, and an existing file is never overwritten.
#pragma once

#include <string>

#include "core/key_wrap.h"
#include "core/result.h"

namespace licsat::crypto {

// Reads the key file. kNotFound when it does not exist; kInvalidArgument when group or others
// may read or write it, or when it holds no key. Every message names the file.
Result<Kek> read_key_file(const std::string& path);

// Creates the key file with a new random key (its directory 0700 if made here) and returns the
// key. Two processes creating it at once end with one file: the second reads the first's (the
// file appears whole, by link(2), or not at all).
Result<Kek> create_key_file(const std::string& path);

}  // namespace licsat::crypto
