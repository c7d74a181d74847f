// A database outage is logged once when it starts (error) and once when it ends (warn), however
// many transactions fail in between; other errors (a bad request, a conflict) are not an outage.
#include <gtest/gtest.h>

#include "core/log.h"
#include "store/outage_notice.h"

namespace licsat::store {
namespace {

size_t count(const std::string& hay, const std::string& needle) {
  size_t n = 0;
  for (size_t at = hay.find(needle); at != std::string::npos; at = hay.find(needle, at + 1)) ++n;
  return n;
}

TEST(OutageNotice, LogsTheStateChangeOnceEachWay) {
  log::init("text", "info");
  OutageNotice notice("postgresql://licsat:***@db/licsat");
  testing::internal::CaptureStderr();
  notice.observe({});
  notice.observe(fail(Error::invalid("bad input")));
  EXPECT_FALSE(notice.down());
  for (int i = 0; i < 50; ++i) notice.observe(fail(Error::unavailable("connection refused")));
  EXPECT_TRUE(notice.down());
  notice.observe({});
  notice.observe({});
  EXPECT_FALSE(notice.down());
  notice.observe(fail(Error::unavailable("connection refused again")));
  std::string out = testing::internal::GetCapturedStderr();
  EXPECT_EQ(count(out, "database unavailable"), 2u) << out;  // two outages, one line each
  EXPECT_EQ(count(out, "database available again"), 1u) << out;
  EXPECT_NE(out.find("connection refused"), std::string::npos) << out;
  EXPECT_NE(out.find("error"), std::string::npos) << out;
}

}  // namespace
}  // namespace licsat::store
