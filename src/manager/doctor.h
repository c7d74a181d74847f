// `licsat manager doctor`: the field's troubleshooting checklist as a program. Each step says ok or
// FAIL, what it saw, and the fix; later steps that cannot run after a failure are skipped:
//   dns    the server's name (and the proxy's) resolves
//   tcp    host:port accepts a connection, directly or through the proxy's CONNECT tunnel
//   tls    the handshake succeeds and the certificate is trusted, names the host, is in date
//   clock  this host's clock agrees with the server's Date header
//   token  the grant and user get a token (invalid_client — and whether the ID is a grant of the
//          other type —, wrong password, locked user, console disabled)
//   api    a licensing API call answers, and the user's role may report usage
#pragma once

#include <string>
#include <vector>

#include "core/clock.h"
#include "manager/protocol_names.h"
#include "manager/settings.h"

namespace licsat::manager {

struct Check {
  std::string name;
  enum class Outcome { kOk, kFail, kSkipped } outcome = Outcome::kOk;
  std::string seen;
  std::string fix;
  FailureClass cls = FailureClass::kServer;  // when failed
};

struct DoctorReport {
  std::vector<Check> checks;
  // 0 when every check passed, else the exit code of the first failure's class.
  int exit_code() const;
};

DoctorReport run_doctor(const ManagerSettings& settings, const Clock& clock);

// Largest clock difference with the server that doctor accepts (seconds).
inline constexpr int64_t kMaxClockSkew = 300;

}  // namespace licsat::manager
