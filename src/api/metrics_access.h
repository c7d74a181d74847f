// Who may read GET /metrics. The local host always may (127.0.0.0/8, ::1); `[metrics] allow`
// adds address ranges (a Prometheus server elsewhere); `[metrics] token_file` names a file whose
// first line is a bearer token that opens it from anywhere. The token is kept only as a keyed
// hash and compared in constant time. Anyone else gets 403 (the caller writes the body and
// counts the refusal).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/cidr.h"
#include "core/result.h"

namespace licsat::api {

class MetricsAccess {
 public:
  // Reads the configuration; a bad range or an unreadable or empty token file is an error that
  // names it.
  // `allow`: address ranges (CIDR); `token_file`: empty, or the file of the bearer token.
  static Result<MetricsAccess> load(const std::vector<std::string>& allow, const std::string& token_file,
                                    const std::string& hash_key);

  // Why the request is refused, or nullopt when it may read. `peer`: the socket's address;
  // `authorization`: the Authorization header, if any.
  std::optional<std::string> refusal(const std::string& peer, std::optional<std::string_view> authorization) const;

 private:
  std::vector<Cidr> allow_;
  std::string hash_key_;
  std::optional<std::string> token_hash_;  // keyed hash of the token; none: no token configured
};

}  // namespace licsat::api
