// An LD_PRELOAD shim for the durability tests: counts the fsync() and fdatasync() calls of the
// process it is loaded into and keeps the count, as decimal text, in the file named by
// $LICSAT_FSYNC_COUNT_FILE (rewritten in place after every call). A test reads the file before
// a request and after its answer: a commit that promised something must have synced in between.
// The real calls are made as usual; nothing else changes.
#include <dlfcn.h>
#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>

namespace {

std::atomic<long> g_syncs{0};

void record() {
  long n = g_syncs.fetch_add(1) + 1;
  const char* path = std::getenv("LICSAT_FSYNC_COUNT_FILE");
  if (!path) return;
  // Fixed width, so a concurrent reader never sees a mix of an old and a new number's digits.
  char text[32];
  int len = std::snprintf(text, sizeof text, "%20ld\n", n);
  int fd = ::open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return;
  (void)!::pwrite(fd, text, static_cast<size_t>(len), 0);
  ::close(fd);
}

template <typename Fn>
Fn real(const char* name) {
  return reinterpret_cast<Fn>(::dlsym(RTLD_NEXT, name));
}

}  // namespace

extern "C" int fsync(int fd) {
  static auto next = real<int (*)(int)>("fsync");
  int rc = next(fd);
  record();
  return rc;
}

extern "C" int fdatasync(int fd) {
  static auto next = real<int (*)(int)>("fdatasync");
  int rc = next(fd);
  record();
  return rc;
}
