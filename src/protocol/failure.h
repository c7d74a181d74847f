// What went wrong in a sync, in classes a person can act on. Every failure of the manager client
// (transport, OAuth, licensing API, offline files, local state) becomes one Failure: its class
// decides the exit code and the fix printed; the server's own words (error_message) are kept
// verbatim, because they are what the server's admin will search their Event Log for.
//
// The exit codes are part of the command-line contract (docs/manager.md): scripts and monitoring
// branch on them. Keep them stable.
#pragma once

#include <cstdint>
#include <string>

#include "core/result.h"
#include "protocol/https_client.h"

namespace licsat::protocol {

enum class FailureClass {
  kUsage,           // bad command line, settings or input file
  kDns,             // the server's (or proxy's) name does not resolve
  kConnect,         // nothing answers at host:port (server down, wrong port, firewall)
  kProxy,           // the proxy is unreachable or refused to open the tunnel
  kTls,             // TLS handshake failed (not TLS on that port, protocol mismatch)
  kCertificate,     // the server's certificate is not trusted, names another host, or expired
  kTimeout,         // the server or the proxy did not answer in time
  kClock,           // this host's clock is too far from the server's (doctor)
  kInvalidClient,   // 401 invalid_client: the client ID/secret is not a grant of the right type
  kInvalidGrant,    // 400 invalid_grant: wrong user name or password
  kUserLocked,      // 400 invalid_grant for a locked user
  kAccessDenied,    // 403: API console disabled, or the user's role is too low
  kRateLimited,     // 429 slow_down: too many failed attempts
  kRejected,        // another 4xx from the licensing API (unknown account, bad report)
  kServer,          // 5xx or an answer that is not what the API promises
  kOfflineRefused,  // an offline file was refused: tampered, foreign, replayed, no key pinned
  kState,           // the local --state directory cannot be read or written
};

struct Failure {
  FailureClass cls = FailureClass::kServer;
  std::string what;          // what happened, in our words ("token request refused")
  std::string server_words;  // the server's error_message, verbatim (may be empty)
  std::string error_code;    // the server's error code ("invalid_client"), or curl's detail
  long http_status = 0;
  int64_t retry_after = 0;   // seconds, from Retry-After
  std::string detail;        // transport detail (curl's message), certificate subject, …
  std::string fix;           // when the caller knows the exact fix (a file's bad row), it, instead of the class's
};

// What the fix text may mention: where the user is pointing and with what.
struct FixContext {
  std::string server;      // https://host:port
  std::string username;    // empty: client_credentials
  std::string proxy;       // the proxy in effect, if any (credentials removed)
  std::string ca_file;
  bool insecure = false;
  // A satellite syncing with its authority: the fix names the [upstream] settings of its
  // configuration, not the manager's command-line flags.
  bool satellite = false;
};

// Process exit code of a failure class (0 is success, 1 is reserved for the unexpected).
int exit_code(FailureClass c);
// Short stable name ("invalid_client", "connect", …) for logs and --json.
const char* class_name(FailureClass c);
// The plain-language fix.
std::string fix_for(const Failure& f, const FixContext& ctx);
// Whether trying again later can succeed without anyone changing anything.
bool transient(FailureClass c);
// Whether retrying is pointless or harmful until a person acts: the same wrong secret or password
// again only locks the user and fills the server's Event Log. `licsat manager run` stops on these.
bool retry_cannot_fix(FailureClass c);

// Classification of the three kinds of answers.
Failure from_transport(const TransportError& e);
// A non-200 answer of the token endpoint.
Failure from_token_reply(const HttpReply& r);
// A non-2xx answer of a licensing API call described by `what` ("fetching accounts").
Failure from_api_reply(const HttpReply& r, const std::string& what);

// The whole message: "what (HTTP n error)\n  server said: …\n  fix: …", without a trailing newline.
std::string render(const Failure& f, const FixContext& ctx);

// A failure of the local state (class kState, "local state: …").
Failure state_failure(const Error& e);

// Removes user:password@ from a URL before it is printed or logged.
std::string redact_credentials(const std::string& url);

}  // namespace licsat::protocol
