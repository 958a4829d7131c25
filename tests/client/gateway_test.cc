// The gateway helpers: building a CorsRequest from HTTP, and putting a
// Decision on a response.
#include "corsd/gateway.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace corsd {
namespace {

using ::testing::ElementsAre;

TEST(CorsRequestFromHttp, KeepsWhatCorsdNeeds) {
  CorsRequest r = CorsRequestFromHttp("OPTIONS", "/api/items?secret=1", "shop.example.com",
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
  EXPECT_EQ(CorsRequestFromHttp("GET", "/", "h",
                                {{"origin", "https://a.com"}, {"Origin", "https://b.com"}})
                .origin,
            "https://a.com, https://b.com");
}

TEST(CorsRequestViewFromHttp, ViewsTheRequestWithoutCopying) {
  const std::vector<HeaderRef> headers = {{"Origin", "https://app.example.com"},
                                          {"Access-Control-Request-Method", "PUT"},
                                          {"Cookie", "session=abc"}};
  std::string scratch;
  CorsRequestView r = CorsRequestViewFromHttp("OPTIONS", "/api/items?secret=1#x",
                                              "shop.example.com", headers, &scratch);
  EXPECT_EQ(r.method, "OPTIONS");
  EXPECT_EQ(r.path, "/api/items");
  EXPECT_EQ(r.host, "shop.example.com");
  EXPECT_EQ(r.origin.data(), headers[0].value.data()) << "a view, not a copy";
  EXPECT_EQ(r.headers.size(), 3u);
  EXPECT_TRUE(scratch.empty());

  const std::vector<HeaderRef> two = {{"origin", "https://a.com"}, {"Origin", "https://b.com"}};
  EXPECT_EQ(CorsRequestViewFromHttp("GET", "/", "h", two, &scratch).origin,
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
  EXPECT_THAT(response,
              ElementsAre(HttpHeader{"Content-Type", "application/json"},
                          HttpHeader{"Access-Control-Allow-Origin", "https://app.example.com"},
                          HttpHeader{"Vary", "Accept-Encoding, Accept, Origin"}));
}

// corsd is authoritative: on a DENY (no CORS headers but Vary) the upstream's
// own Access-Control-* headers must not reach the browser, or an upstream's
// "Access-Control-Allow-Origin: *" would undo corsd's answer.
TEST(ApplyDecisionHeaders, UpstreamCorsHeadersNeverSurviveADeny) {
  Decision deny;
  deny.verdict = Verdict::kDeny;
  deny.response_headers = {{"Vary", "Origin"}};
  std::vector<HttpHeader> response = {{"Access-Control-Allow-Origin", "*"},
                                      {"access-control-allow-credentials", "true"},
                                      {"Access-Control-Expose-Headers", "x-secret"},
                                      {"Content-Length", "2"}};
  ApplyDecisionHeaders(deny, &response);
  EXPECT_THAT(response,
              ElementsAre(HttpHeader{"Content-Length", "2"}, HttpHeader{"Vary", "Origin"}));
}

TEST(ApplyDecisionHeaders, UpstreamCorsHeadersTheDecisionDoesNotSetAreRemovedOnAllow) {
  Decision allow;
  allow.verdict = Verdict::kAllow;
  allow.response_headers = {{"Access-Control-Allow-Origin", "https://app.example.com"},
                            {"Vary", "Origin"}};
  std::vector<HttpHeader> response = {{"Access-Control-Allow-Credentials", "true"},
                                      {"Access-Control-Allow-Origin", "https://evil.example"}};
  ApplyDecisionHeaders(allow, &response);
  EXPECT_THAT(response,
              ElementsAre(HttpHeader{"Access-Control-Allow-Origin", "https://app.example.com"},
                          HttpHeader{"Vary", "Origin"}));
}

TEST(ApplyCorsHeaders, WithoutVaryLeavesTheUpstreamVaryAsItWas) {
  const HeaderRef star[] = {{"Access-Control-Allow-Origin", "*"}};
  std::vector<HttpHeader> response = {{"vary", "Accept"}, {"Vary", "Accept-Encoding"}};
  ApplyCorsHeaders(star, &response);
  EXPECT_THAT(response, ElementsAre(HttpHeader{"Access-Control-Allow-Origin", "*"},
                                    HttpHeader{"Vary", "Accept, Accept-Encoding"}));
  std::vector<HttpHeader> plain = {{"Content-Type", "text/plain"}};
  ApplyCorsHeaders(star, &plain);
  EXPECT_THAT(plain, ElementsAre(HttpHeader{"Content-Type", "text/plain"},
                                 HttpHeader{"Access-Control-Allow-Origin", "*"}));
}

}  // namespace
}  // namespace corsd
