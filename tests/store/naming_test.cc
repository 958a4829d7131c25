#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "service/store/api_token.h"
#include "service/store/page_token.h"
#include "service/store/tenant_names.h"

namespace corsd::store {
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

TEST(ApiToken, SecretsAreLongRandomAndUrlSafe) {
  std::string a = NewTokenSecret();
  std::string b = NewTokenSecret();
  EXPECT_NE(a, b);
  EXPECT_EQ(a.rfind("corsd_", 0), 0u);
  EXPECT_GE(a.size() - 6, 43u);  // 256 bits in base64
  EXPECT_EQ(a.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_"),
            std::string::npos);
  EXPECT_EQ(HashTokenSecret("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(PageTokens, RoundTripAndRejectForeignTokens) {
  std::string token = EncodePageToken("tenants", "shop");
  EXPECT_EQ(*DecodePageToken("tenants", token), "shop");
  EXPECT_EQ(*DecodePageToken("tenants", ""), "");
  EXPECT_EQ(DecodePageToken("audit/", token).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(DecodePageToken("tenants", "!!!").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(*EffectivePageSize(0), kDefaultPageSize);
  EXPECT_EQ(*EffectivePageSize(5000), kMaxPageSize);
  EXPECT_EQ(EffectivePageSize(-3).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace corsd::store
