// The admin CLI's session file: written whole at mode 0600 in a 0700 directory, read back, and
// refused when others may read it, when it is a symbolic link or when its directory is open.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "cli/admin_session_cache.h"

namespace licsat::cli {
namespace {

class SessionCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/licsat-session-XXXXXX";
    root_ = mkdtemp(tmpl);
    path_ = session_cache_path(root_ + "/licsat", "https://x:8443", "admin");
  }
  void TearDown() override { std::filesystem::remove_all(root_); }
  CachedSession sample() {
    return CachedSession{"https://x:8443", "admin", "access-token", 1000, "refresh-token", 2000};
  }
  std::string root_, path_;
};

TEST_F(SessionCacheTest, SavedSessionReadsBackAt0600In0700) {
  ASSERT_TRUE(save_session(path_, sample()));
  struct stat st {};
  ASSERT_EQ(::stat(path_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(::stat((root_ + "/licsat").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  auto s = load_session(path_);
  ASSERT_TRUE(s) << s.error().message;
  ASSERT_TRUE(*s);
  EXPECT_EQ((*s)->access_token, "access-token");
  EXPECT_EQ((*s)->refresh_token, "refresh-token");
  EXPECT_EQ((*s)->access_expires, 1000);
  EXPECT_EQ((*s)->refresh_expires, 2000);
  // The path names neither the server nor the user in clear.
  EXPECT_EQ(path_.find("admin"), std::string::npos);
  EXPECT_NE(session_cache_path(root_, "https://x:8443", "netops"), path_);
}

TEST_F(SessionCacheTest, NoFileIsNoSession) {
  auto s = load_session(path_);
  ASSERT_TRUE(s);
  EXPECT_FALSE(*s);
  EXPECT_TRUE(remove_session(path_));
}

TEST_F(SessionCacheTest, AFileOthersMayReadIsRefusedExceptForLogout) {
  ASSERT_TRUE(save_session(path_, sample()));
  ASSERT_EQ(::chmod(path_.c_str(), 0640), 0);
  auto s = load_session(path_);
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message.find("mode 0640"), std::string::npos) << s.error().message;
  EXPECT_NE(s.error().message.find("licsat admin logout"), std::string::npos) << s.error().message;
  auto loose = load_session(path_, true);
  ASSERT_TRUE(loose) << loose.error().message;
  EXPECT_TRUE(*loose);
}

TEST_F(SessionCacheTest, ASymbolicLinkIsRefused) {
  ASSERT_TRUE(save_session(root_ + "/licsat/elsewhere", sample()));
  ASSERT_EQ(::symlink((root_ + "/licsat/elsewhere").c_str(), path_.c_str()), 0);
  auto s = load_session(path_);
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message.find("symbolic link"), std::string::npos) << s.error().message;
}

TEST_F(SessionCacheTest, AnOpenDirectoryIsRefused) {
  ASSERT_TRUE(save_session(path_, sample()));
  ASSERT_EQ(::chmod((root_ + "/licsat").c_str(), 0755), 0);
  auto s = load_session(path_);
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message.find("chmod 700"), std::string::npos) << s.error().message;
  EXPECT_FALSE(save_session(path_, sample()));
}

TEST_F(SessionCacheTest, SavingReplacesTheWholeFile) {
  ASSERT_TRUE(save_session(path_, sample()));
  CachedSession next = sample();
  next.refresh_token = "rotated";
  ASSERT_TRUE(save_session(path_, next));
  auto s = load_session(path_);
  ASSERT_TRUE(s && *s);
  EXPECT_EQ((*s)->refresh_token, "rotated");
  size_t files = 0;
  for (const auto& e : std::filesystem::directory_iterator(root_ + "/licsat")) files += e.is_regular_file();
  EXPECT_EQ(files, 1u) << "no temporary file left behind";
}

}  // namespace
}  // namespace licsat::cli
