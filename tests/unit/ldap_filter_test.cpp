// RFC 4515 escaping of outside text placed into LDAP search filters (directory/ldap_filter.h).
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "directory/ldap_filter.h"

using namespace licsat::directory;

TEST(LdapFilter, EscapesEveryFilterMetacharacterAndNul) {
  EXPECT_EQ(escape_filter_value("alice"), "alice");
  EXPECT_EQ(escape_filter_value("*"), "\\2a");
  EXPECT_EQ(escape_filter_value("("), "\\28");
  EXPECT_EQ(escape_filter_value(")"), "\\29");
  EXPECT_EQ(escape_filter_value("\\"), "\\5c");
  EXPECT_EQ(escape_filter_value(std::string("a\0b", 3)), "a\\00b");
  // Other bytes, UTF-8 included, are values as they are.
  EXPECT_EQ(escape_filter_value("jos\xc3\xa9 o'neil=x,y"), "jos\xc3\xa9 o'neil=x,y");
}

TEST(LdapFilter, AnInjectionAttemptStaysOneAssertionValue) {
  std::string f = user_search_filter("(uid={user})", "*)(uid=*");
  EXPECT_EQ(f, "(uid=\\2a\\29\\28uid=\\2a)");
  // Exactly one opening and one closing parenthesis are left: the template's own.
  EXPECT_EQ(std::count(f.begin(), f.end(), '('), 1);
  EXPECT_EQ(std::count(f.begin(), f.end(), ')'), 1);
  EXPECT_EQ(f.find('*'), std::string::npos);
  // An escaped backslash cannot be turned into an escape of what follows.
  EXPECT_EQ(user_search_filter("(uid={user})", "\\29"), "(uid=\\5c29)");
}

TEST(LdapFilter, EveryPlaceholderOfTheTemplateIsReplaced) {
  EXPECT_EQ(user_search_filter("(|(uid={user})(mail={user}))", "bo*b"), "(|(uid=bo\\2ab)(mail=bo\\2ab))");
  EXPECT_EQ(user_search_filter("(&(objectClass=user)(sAMAccountName={user}))", "carol"),
            "(&(objectClass=user)(sAMAccountName=carol))");
  EXPECT_EQ(user_search_filter("(uid={user})", ""), "(uid=)");
}

TEST(LdapFilter, GroupMemberFilterEscapesTheDnAndUsesTheInChainRuleForNestedGroups) {
  EXPECT_EQ(group_member_filter("uid=alice,ou=people,dc=example,dc=org", false),
            "(member=uid=alice,ou=people,dc=example,dc=org)");
  EXPECT_EQ(group_member_filter("cn=Smith\\, John (IT),dc=corp", true),
            "(member:1.2.840.113556.1.4.1941:=cn=Smith\\5c, John \\28IT\\29,dc=corp)");
}
