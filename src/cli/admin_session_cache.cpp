#include "cli/admin_session_cache.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include <nlohmann/json.hpp>

#include "core/crypto.h"

namespace licsat::cli {
namespace {

std::string octal_mode(mode_t m) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(m & 07777));
  return buf;
}

std::string parent_of(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == std::string::npos ? "." : path.substr(0, slash);
}

// The cache directory must be the user's own and closed to others: whoever may write in it could
// replace the session file.
Status check_dir(const std::string& dir) {
  struct stat st {};
  if (::lstat(dir.c_str(), &st) != 0) return fail(Error::invalid("cannot read the session directory " + dir + ": " + std::strerror(errno)));
  if (!S_ISDIR(st.st_mode))
    return fail(Error::invalid("the session directory " + dir + " is not a directory; delete it"));
  if (st.st_uid != ::geteuid())
    return fail(Error::invalid("the session directory " + dir + " belongs to another user (uid " + std::to_string(st.st_uid) +
                               "); delete it, or run with --no-session"));
  if ((st.st_mode & 077) != 0)
    return fail(Error::invalid("the session directory " + dir + " is open to group or others (mode " + octal_mode(st.st_mode) +
                               "); run `chmod 700 " + dir + "`, or run with --no-session"));
  return {};
}

Status make_dir(const std::string& dir) {
  if (::mkdir(dir.c_str(), 0700) == 0 || errno == EEXIST) return check_dir(dir);
  if (errno == ENOENT) {
    // The parent (~/.cache) may not exist yet: it is created with the usual mode.
    std::string parent = parent_of(dir);
    if (parent != dir && ::mkdir(parent.c_str(), 0700) != 0 && errno != EEXIST)
      return fail(Error::invalid("cannot create " + parent + ": " + std::strerror(errno)));
    if (::mkdir(dir.c_str(), 0700) == 0 || errno == EEXIST) return check_dir(dir);
  }
  return fail(Error::invalid("cannot create the session directory " + dir + ": " + std::strerror(errno)));
}

}  // namespace

std::string session_cache_dir() {
  if (const char* x = std::getenv("XDG_CACHE_HOME"); x && *x) return std::string(x) + "/licsat";
  if (const char* h = std::getenv("HOME"); h && *h) return std::string(h) + "/.cache/licsat";
  return "";
}

std::string session_cache_path(const std::string& dir, const std::string& server, const std::string& user) {
  // A hash keeps the name short and free of the URL's characters; the file repeats both in clear.
  return dir + "/session-" + crypto::sha256_hex(server + "\n" + user).substr(0, 32);
}

Result<std::optional<CachedSession>> load_session(const std::string& path, bool loose_mode_ok) {
  std::string dir = parent_of(path);
  struct stat dst {};
  if (::lstat(dir.c_str(), &dst) != 0 && errno == ENOENT) return std::optional<CachedSession>{};
  if (auto d = check_dir(dir); !d && !loose_mode_ok) return fail(d.error());
  int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    if (errno == ENOENT) return std::optional<CachedSession>{};
    if (errno == ELOOP)
      return fail(Error::invalid("the session file " + path + " is a symbolic link; refusing it. Delete it (`licsat admin logout`)"));
    return fail(Error::invalid("cannot read the session file " + path + ": " + std::strerror(errno)));
  }
  struct stat st {};
  std::string why;
  if (::fstat(fd, &st) != 0) why = std::string("cannot stat it: ") + std::strerror(errno);
  else if (!S_ISREG(st.st_mode)) why = "it is not a regular file";
  else if (st.st_uid != ::geteuid()) why = "it belongs to another user (uid " + std::to_string(st.st_uid) + ")";
  else if ((st.st_mode & 077) != 0 && !loose_mode_ok)
    why = "group or others may read or write it (mode " + octal_mode(st.st_mode) + "), so its tokens may have been read";
  if (!why.empty()) {
    ::close(fd);
    return fail(Error::invalid("refusing the session file " + path + ": " + why +
                               ". Run `licsat admin logout` to revoke its tokens and delete it (or delete it), "
                               "then log in again"));
  }
  std::string text;
  char buf[4096];
  for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0 && text.size() < 65536;) text.append(buf, static_cast<size_t>(n));
  ::close(fd);
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_object()) return std::optional<CachedSession>{};
  CachedSession s;
  try {
    s.server = j.value("server", "");
    s.user = j.value("user", "");
    s.access_token = j.value("access_token", "");
    s.access_expires = j.value("access_expires", int64_t{0});
    s.refresh_token = j.value("refresh_token", "");
    s.refresh_expires = j.value("refresh_expires", int64_t{0});
  } catch (const nlohmann::json::exception&) {
    return std::optional<CachedSession>{};
  }
  return std::optional<CachedSession>{s};
}

Status save_session(const std::string& path, const CachedSession& s) {
  std::string dir = parent_of(path);
  if (auto d = make_dir(dir); !d) return d;
  nlohmann::json j = {{"server", s.server},
                      {"user", s.user},
                      {"access_token", s.access_token},
                      {"access_expires", s.access_expires},
                      {"refresh_token", s.refresh_token},
                      {"refresh_expires", s.refresh_expires}};
  std::string text = j.dump() + "\n";
  std::string tmp = path + ".XXXXXX";
  int fd = ::mkstemp(tmp.data());  // mode 0600
  if (fd < 0) return fail(Error::invalid("cannot write the session file in " + dir + ": " + std::strerror(errno)));
  bool ok = ::fchmod(fd, 0600) == 0 && ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) &&
            ::fsync(fd) == 0;
  int err = errno;
  ok = ::close(fd) == 0 && ok;
  if (ok && ::rename(tmp.c_str(), path.c_str()) == 0) return {};
  if (ok) err = errno;
  ::unlink(tmp.c_str());
  return fail(Error::invalid("cannot write the session file " + path + ": " + std::strerror(err)));
}

Status remove_session(const std::string& path) {
  if (::unlink(path.c_str()) == 0 || errno == ENOENT) return {};
  return fail(Error::invalid("cannot delete the session file " + path + ": " + std::strerror(errno)));
}

SessionLock::SessionLock(const std::string& path) {
  if (!make_dir(parent_of(path))) return;
  fd_ = ::open((path + ".lock").c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd_ >= 0) ::flock(fd_, LOCK_EX);
}

SessionLock::~SessionLock() {
  if (fd_ >= 0) ::close(fd_);
}

}  // namespace licsat::cli
