// Tenant names and hosts: what the admin API accepts before anything is
// stored.
#include "service/engine/tenant_names.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace corsd::engine {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(TenantNames, FollowTheContract) {
  for (const std::string& ok :
       std::vector<std::string>{"a", "shop", "shop-eu-1", "0day", std::string(63, 'a')}) {
    EXPECT_TRUE(ValidateTenantName(ok).ok()) << ok;
  }
  for (const std::string& bad :
       std::vector<std::string>{"", "-shop", "Shop", "shop_eu", "shop.eu", "sh op",
                                std::string(64, 'a'), std::string("a\0b", 3)}) {
    EXPECT_EQ(ValidateTenantName(bad).code(), absl::StatusCode::kInvalidArgument) << bad;
  }
}

TEST(TenantHosts, NormalizedLowercaseSortedUnique) {
  auto hosts = NormalizeHosts({"Shop.Example.com", "api.example.com:8443", "shop.example.com",
                               "127.0.0.1:8080", "[::1]:9000", "[::1]"});
  ASSERT_TRUE(hosts.ok()) << hosts.status();
  EXPECT_THAT(*hosts, ElementsAre("127.0.0.1:8080", "[::1]", "[::1]:9000", "api.example.com:8443",
                                  "shop.example.com"));
}

TEST(TenantHosts, EveryBadHostIsNamed) {
  auto hosts = NormalizeHosts(
      {"ok.example", "bad host", "x.example:99999", "https://a.example", "a..b", "[zz]"});
  ASSERT_EQ(hosts.status().code(), absl::StatusCode::kInvalidArgument);
  for (const char* field : {"hosts[1]", "hosts[2]", "hosts[3]", "hosts[4]", "hosts[5]"}) {
    EXPECT_THAT(hosts.status().message(), HasSubstr(field));
  }
  EXPECT_THAT(hosts.status().message(), ::testing::Not(HasSubstr("hosts[0]")));
}

}  // namespace
}  // namespace corsd::engine
