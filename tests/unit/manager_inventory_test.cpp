// Device inventory import: CSV and JSON, merged rows, and every bad row named.
#include <gtest/gtest.h>

#include "manager/device_inventory.h"

namespace licsat::manager {
namespace {

TEST(ManagerInventory, CsvRowsPerTagAreMergedByDevice) {
  auto d = parse_inventory(
      "pid,sn,hostname,virtual_account,tag,count\n"
      "C9300,FOC1,edge-1,Branches,network-advantage,1\n"
      "C9300,FOC1,edge-1,Branches,dna-advantage,2\r\n"
      "\n"
      "# a comment\n"
      "C9300,FOC2,edge-2,Campus,network-advantage,1\n",
      "devices.csv");
  ASSERT_TRUE(d) << d.error().message;
  ASSERT_EQ(d->size(), 2u);
  EXPECT_EQ((*d)[0].sn, "FOC1");
  ASSERT_EQ((*d)[0].licenses.size(), 2u);
  EXPECT_EQ((*d)[0].licenses[1].tag, "dna-advantage");
  EXPECT_EQ((*d)[0].licenses[1].count, 2);
  EXPECT_EQ((*d)[1].virtual_account, "Campus");
}

TEST(ManagerInventory, CsvLicensesColumnQuotedFieldsAndHeaderAliases) {
  auto d = parse_inventory(
      "Product ID,Serial Number,Host,Virtual Account,Account,licenses\n"
      "C9300,FOC1,\"edge, one\",Branches,acme,\"network-advantage=1;dna-advantage=3\"\n",
      "devices.csv");
  ASSERT_TRUE(d) << d.error().message;
  ASSERT_EQ(d->size(), 1u);
  EXPECT_EQ((*d)[0].hostname, "edge, one");
  EXPECT_EQ((*d)[0].account, "acme");
  ASSERT_EQ((*d)[0].licenses.size(), 2u);
  EXPECT_EQ((*d)[0].licenses[1].count, 3);
}

TEST(ManagerInventory, CsvBadRowsAreAllNamedAndNothingIsImported) {
  auto d = parse_inventory(
      "pid,sn,hostname,virtual_account,tag,count\n"
      "C9300,FOC1,edge-1,Branches,network-advantage,1\n"
      "C9300,,edge-2,Branches,network-advantage,1\n"
      "C9300,FOC3,edge-3,Branches,network-advantage,many\n"
      "C9300,FOC4,edge-4,Branches,network-advantage,-1\n",
      "devices.csv");
  ASSERT_FALSE(d);
  const auto& m = d.error().message;
  EXPECT_NE(m.find("3 problems"), std::string::npos) << m;
  EXPECT_NE(m.find("devices.csv line 3: empty sn"), std::string::npos) << m;
  EXPECT_NE(m.find("devices.csv line 4: count 'many'"), std::string::npos) << m;
  EXPECT_NE(m.find("devices.csv line 5: count '-1'"), std::string::npos) << m;
}

TEST(ManagerInventory, CsvWithoutRequiredColumnSaysWhich) {
  auto d = parse_inventory("pid,hostname,tag,count\nC9300,edge,x,1\n", "d.csv");
  ASSERT_FALSE(d);
  EXPECT_NE(d.error().message.find("no 'sn' column"), std::string::npos) << d.error().message;
}

TEST(ManagerInventory, CsvDeviceInTwoVirtualAccountsIsRefused) {
  auto d = parse_inventory(
      "pid,sn,virtual_account,tag,count\nC9300,FOC1,A,x,1\nC9300,FOC1,B,x,1\n", "d.csv");
  ASSERT_FALSE(d);
  EXPECT_NE(d.error().message.find("line 3"), std::string::npos) << d.error().message;
}

TEST(ManagerInventory, JsonObjectAndArrayForms) {
  auto a = parse_inventory(
      R"({"devices":[{"pid":"C9300","sn":"FOC1","hostname":"edge-1","virtualAccount":"Branches",
          "licenses":[{"tag":"network-advantage","count":1}]}]})",
      "d.json");
  ASSERT_TRUE(a) << a.error().message;
  EXPECT_EQ((*a)[0].licenses[0].tag, "network-advantage");
  auto b = parse_inventory(
      R"([{"pid":"C9300","sn":"FOC1","virtual_account":"Branches","licenses":{"network-advantage":2}}])", "d.json");
  ASSERT_TRUE(b) << b.error().message;
  EXPECT_EQ((*b)[0].licenses[0].count, 2);
}

TEST(ManagerInventory, JsonBadDevicesAreNamedByPositionAndSerial) {
  auto d = parse_inventory(
      R"({"devices":[{"pid":"C9300","sn":"FOC1","virtualAccount":"B","licenses":[{"tag":"x","count":"one"}]},
                     {"pid":"C9300","virtualAccount":"B"}, 7]})",
      "d.json");
  ASSERT_FALSE(d);
  const auto& m = d.error().message;
  EXPECT_NE(m.find("d.json device #1 (sn FOC1): license 'x': count \"one\""), std::string::npos) << m;
  EXPECT_NE(m.find("d.json device #2: missing sn"), std::string::npos) << m;
  EXPECT_NE(m.find("d.json device #3: not an object"), std::string::npos) << m;
}

TEST(ManagerInventory, NotJsonIsSaidSo) {
  auto d = parse_inventory("{\"devices\": [", "d.json", InventoryFormat::kJson);
  ASSERT_FALSE(d);
  EXPECT_NE(d.error().message.find("not valid JSON"), std::string::npos);
}

}  // namespace
}  // namespace licsat::manager
