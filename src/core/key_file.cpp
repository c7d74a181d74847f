#include "core/key_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "core/crypto.h"

namespace licsat::crypto {

Result<Kek> read_key_file(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) {
    int e = errno;
    if (e == ENOENT) return fail(Error::not_found("key file " + path + " does not exist"));
    return fail(Error::invalid("cannot read key file " + path + ": " + std::strerror(e)));
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return fail(Error::invalid("key file " + path + " is not a regular file"));
  }
  if (st.st_mode & 077) {
    ::close(fd);
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    return fail(Error::invalid("key file " + path + " has mode " + mode +
                               ": group or others may read it; make it 0600 (chmod 600 " + path + ")"));
  }
  char buf[256];
  ssize_t n = ::read(fd, buf, sizeof buf);
  ::close(fd);
  if (n < 0) return fail(Error::invalid("cannot read key file " + path + ": " + std::strerror(errno)));
  std::string text(buf, static_cast<size_t>(n));
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) text.pop_back();
  auto raw = from_hex(text);
  if (text.size() != kKekBytes * 2 || !raw)
    return fail(Error::invalid("key file " + path + " does not hold a key (one line of " +
                               std::to_string(kKekBytes * 2) + " hex characters)"));
  return Kek::from_bytes(std::move(*raw));
}

Result<Kek> create_key_file(const std::string& path) {
  std::filesystem::path p(path);
  std::error_code ec;
  if (p.has_parent_path() && !std::filesystem::exists(p.parent_path(), ec)) {
    std::filesystem::create_directories(p.parent_path(), ec);
    if (ec) return fail(Error::invalid("cannot create the key file's directory " + p.parent_path().string() + ": " +
                                       ec.message()));
    ::chmod(p.parent_path().c_str(), 0700);
  }
  std::string tmp = path + ".new." + std::to_string(::getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return fail(Error::invalid("cannot create key file " + tmp + ": " + std::strerror(errno)));
  ::fchmod(fd, 0600);
  std::string line = to_hex(random_bytes(kKekBytes)) + "\n";
  bool ok = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size()) && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) {
    ::unlink(tmp.c_str());
    return fail(Error::invalid("cannot write key file " + tmp));
  }
  // link(2) never replaces an existing file: whoever links first made the key file.
  int linked = ::link(tmp.c_str(), path.c_str());
  int e = errno;
  ::unlink(tmp.c_str());
  if (linked != 0 && e != EEXIST) return fail(Error::invalid("cannot create key file " + path + ": " + std::strerror(e)));
  if (p.has_parent_path()) {
    int dfd = ::open(p.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
      ::fsync(dfd);
      ::close(dfd);
    }
  }
  return read_key_file(path);
}

}  // namespace licsat::crypto
