// The admin CLI's session between commands: after a password login, `licsat admin` keeps the
// access and refresh tokens in $XDG_CACHE_HOME/licsat/session-<hash of server and user> (else
// ~/.cache/licsat/…), so the next command uses the access token, or refreshes it, instead of
// asking for the password again and writing a login to the Event Log per command.
//
// The file is mode 0600 in a directory of mode 0700, written whole (a temporary file renamed over
// it). A file or directory that another user owns, that group or others may read or write, or
// that is a symbolic link is refused: its tokens may have been read, or planted.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/result.h"

namespace licsat::cli {

struct CachedSession {
  std::string server;
  std::string user;
  std::string access_token;
  int64_t access_expires = 0;   // Unix time
  std::string refresh_token;
  int64_t refresh_expires = 0;  // Unix time; 0 when the server did not say
};

// $XDG_CACHE_HOME/licsat, else $HOME/.cache/licsat; empty when neither variable is set.
std::string session_cache_dir();
// The file of (server, user) in `dir`.
std::string session_cache_path(const std::string& dir, const std::string& server, const std::string& user);

// Reads the session at `path`: nullopt when there is none (or it is unreadable as JSON, or for
// another server or user); an error naming the file, the reason and the fix when it is refused.
// `loose_mode_ok` accepts a file of the user's own that others may read (logout revokes it).
Result<std::optional<CachedSession>> load_session(const std::string& path, bool loose_mode_ok = false);
// Writes the session atomically, creating the directory (0700) if needed.
Status save_session(const std::string& path, const CachedSession& s);
// Deletes the file; no file is not an error.
Status remove_session(const std::string& path);

// Holds an exclusive lock on `path`.lock while alive, so that two commands started together do not
// both refresh one refresh token (the server would take the second use for a stolen copy and end
// the session). Without a lock file (no directory) it holds nothing.
class SessionLock {
 public:
  explicit SessionLock(const std::string& path);
  ~SessionLock();
  SessionLock(const SessionLock&) = delete;
  SessionLock& operator=(const SessionLock&) = delete;

 private:
  int fd_ = -1;
};

}  // namespace licsat::cli
