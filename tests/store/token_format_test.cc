// API token secrets and page tokens: their format and what they reject.
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "service/store/api_token.h"
#include "service/store/page_token.h"

namespace corsd::store {
namespace {

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
