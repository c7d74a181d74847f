#include "store/grant_cache.h"

#include <gtest/gtest.h>

namespace licsat::store {
namespace {

domain::Grant grant(const std::string& name, const std::string& hash) {
  domain::Grant g;
  g.name = name;
  g.secret_hash = hash;
  return g;
}

TEST(GrantCacheTest, ServesFromMemoryAfterTheFirstLoad) {
  GrantCache cache;
  int loads = 0;
  auto load = [&](const std::string&) -> Result<std::optional<domain::Grant>> {
    ++loads;
    return std::optional<domain::Grant>(grant("a", "h1"));
  };
  ASSERT_EQ((*cache.find("id", load))->secret_hash, "h1");
  ASSERT_EQ((*cache.find("id", load))->secret_hash, "h1");
  EXPECT_EQ(loads, 1);
}

TEST(GrantCacheTest, UnknownClientIdsAreCachedToo) {
  GrantCache cache;
  int loads = 0;
  auto load = [&](const std::string&) -> Result<std::optional<domain::Grant>> {
    ++loads;
    return std::optional<domain::Grant>();
  };
  EXPECT_FALSE(cache.find("nobody", load)->has_value());
  EXPECT_FALSE(cache.find("nobody", load)->has_value());
  EXPECT_EQ(loads, 1);
}

TEST(GrantCacheTest, InvalidateMakesTheNextLookupReadTheDatabase) {
  GrantCache cache;
  std::string current = "h1";
  auto load = [&](const std::string&) -> Result<std::optional<domain::Grant>> {
    return std::optional<domain::Grant>(grant("a", current));
  };
  ASSERT_EQ((*cache.find("id", load))->secret_hash, "h1");
  current = "h2";  // the secret is regenerated: the store invalidates around its transaction
  cache.invalidate();
  EXPECT_EQ((*cache.find("id", load))->secret_hash, "h2");
}

TEST(GrantCacheTest, ARowReadWhileAChangeCommitsIsNotKept) {
  GrantCache cache;
  std::string current = "old";
  bool change_during_load = true;
  auto load = [&](const std::string&) -> Result<std::optional<domain::Grant>> {
    auto row = grant("a", current);  // read before the change commits...
    if (change_during_load) {
      change_during_load = false;
      current = "new";      // ...the change commits...
      cache.invalidate();   // ...and invalidates, before this lookup stores what it read
    }
    return std::optional<domain::Grant>(row);
  };
  EXPECT_EQ((*cache.find("id", load))->secret_hash, "old");  // this one request saw the old row
  EXPECT_EQ((*cache.find("id", load))->secret_hash, "new");  // but it was not cached
}

TEST(GrantCacheTest, ALoadErrorIsReturnedAndNotCached) {
  GrantCache cache;
  bool fail_once = true;
  auto load = [&](const std::string&) -> Result<std::optional<domain::Grant>> {
    if (fail_once) {
      fail_once = false;
      return fail(Error::unavailable("database down"));
    }
    return std::optional<domain::Grant>(grant("a", "h1"));
  };
  EXPECT_FALSE(cache.find("id", load).has_value());
  EXPECT_EQ((*cache.find("id", load))->secret_hash, "h1");
}

TEST(GrantCacheTest, StaysBoundedByEmptyingWhenFull) {
  GrantCache cache(2);
  int loads = 0;
  auto load = [&](const std::string&) -> Result<std::optional<domain::Grant>> {
    ++loads;
    return std::optional<domain::Grant>();
  };
  (void)cache.find("a", load);
  (void)cache.find("b", load);
  (void)cache.find("c", load);  // full: emptied, then c kept
  (void)cache.find("c", load);
  (void)cache.find("a", load);
  EXPECT_EQ(loads, 4);
}

}  // namespace
}  // namespace licsat::store
