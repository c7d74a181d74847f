// Errors as values: every fallible operation in licsat returns Result<T>.
// An Error carries a machine code (mapped to an HTTP status or exit code at the edge, in one
// place) and a human message that says what went wrong and, where possible, what to do.
#pragma once

#include <expected>
#include <string>
#include <utility>

namespace licsat {

enum class ErrorCode {
  kInvalidArgument,   // bad input from a caller: 400 / usage error
  kNotFound,          // 404
  kAlreadyExists,     // 409 on create
  kConflict,          // 409 on a different body under a used id
  kUnauthenticated,   // 401
  kPermissionDenied,  // 403
  kTooLarge,          // 413
  kRateLimited,       // 429
  kUnavailable,       // 503, database busy, upstream down
  kInternal,          // 500: a bug or an environment failure
};

struct Error {
  ErrorCode code = ErrorCode::kInternal;
  std::string message;

  static Error invalid(std::string m) { return {ErrorCode::kInvalidArgument, std::move(m)}; }
  static Error not_found(std::string m) { return {ErrorCode::kNotFound, std::move(m)}; }
  static Error exists(std::string m) { return {ErrorCode::kAlreadyExists, std::move(m)}; }
  static Error conflict(std::string m) { return {ErrorCode::kConflict, std::move(m)}; }
  static Error denied(std::string m) { return {ErrorCode::kPermissionDenied, std::move(m)}; }
  static Error internal(std::string m) { return {ErrorCode::kInternal, std::move(m)}; }
  static Error unavailable(std::string m) { return {ErrorCode::kUnavailable, std::move(m)}; }
};

template <typename T>
using Result = std::expected<T, Error>;

// Result<void> spelled once.
using Status = std::expected<void, Error>;

inline std::unexpected<Error> fail(Error e) { return std::unexpected<Error>(std::move(e)); }

// HTTP status that an error code maps to; the one place this mapping lives.
int http_status(ErrorCode code);
// Short machine name of a code ("not_found", ...), used in JSON error bodies.
const char* code_name(ErrorCode code);

}  // namespace licsat
