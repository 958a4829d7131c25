// The gateway helpers: building a CorsRequest from HTTP, and putting a
// Decision on a response.
#include "corsd/gateway.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace corsd {
namespace {

using ::testing::ElementsAre;

TEST(CorsRequestFromHttp, KeepsWhatCorsdNeeds) {
  CorsRequest r = CorsRequestFromHttp(
      "OPTIONS", "/api/items?secret=1", "shop.example.com",
      {{"Origin", "https://app.example.com"},
       {"Access-Control-Request-Method", "PUT"},
       {"access-control-request-headers", "content-type"},
       {"Cookie", "session=abc"},
       {"User-Agent", "x"}});
  EXPECT_EQ(r.method, "OPTIONS");
  EXPECT_EQ(r.path, "/api/items");
  EXPECT_EQ(r.host, "shop.example.com");
  EXPECT_EQ(r.origin, "https://app.example.com");
  EXPECT_THAT(r.headers, ElementsAre(HttpHeader{"Access-Control-Request-Method", "PUT"},
                                     HttpHeader{"access-control-request-headers", "content-type"}));
  // Two Origin headers never come from a browser; corsd sees them joined and
  // rejects the result as malformed.
  EXPECT_EQ(CorsRequestFromHttp("GET", "/", "h", {{"origin", "https://a.com"}, {"Origin", "https://b.com"}})
                .origin,
            "https://a.com, https://b.com");
}

TEST(MergeVary, UnionCaseInsensitiveStarWins) {
  EXPECT_EQ(MergeVary("", "Origin"), "Origin");
  EXPECT_EQ(MergeVary("Accept-Encoding", "Origin"), "Accept-Encoding, Origin");
  EXPECT_EQ(MergeVary("origin, Accept", "Origin, Access-Control-Request-Method"),
            "origin, Accept, Access-Control-Request-Method");
  EXPECT_EQ(MergeVary("*", "Origin"), "*");
  EXPECT_EQ(MergeVary("Accept", "*"), "*");
  EXPECT_EQ(MergeVary(" , Accept ,, ", ""), "Accept");
}

TEST(ApplyDecisionHeaders, CorsdWinsAndVaryMerges) {
  Decision decision;
  decision.response_headers = {{"Access-Control-Allow-Origin", "https://app.example.com"},
                               {"Vary", "Origin"}};
  std::vector<HttpHeader> response = {{"Content-Type", "application/json"},
                                      {"access-control-allow-origin", "*"},
                                      {"Vary", "Accept-Encoding"},
                                      {"vary", "Accept"}};
  ApplyDecisionHeaders(decision, &response);
  EXPECT_THAT(response, ElementsAre(HttpHeader{"Content-Type", "application/json"},
                                    HttpHeader{"Access-Control-Allow-Origin", "https://app.example.com"},
                                    HttpHeader{"Vary", "Accept-Encoding, Accept, Origin"}));
}

}  // namespace
}  // namespace corsd
