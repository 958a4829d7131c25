// CorsDecision.Check end to end: the answer shapes of the API contract, host
// resolution, path rules, visibility of policy changes, and bad input.
#include "gmock/gmock.h"
#include "tests/support/raw_call.h"
#include "tests/support/server_fixture.h"

namespace corsd::testing {
namespace {

using ::testing::HasSubstr;

class CheckTest : public ServerTest {
 protected:
  void SetUp() override {
    ServerTest::SetUp();
    ASSERT_TRUE(CreateTenant("shop", {"shop.example.com", "api.shop.example:8443"}).ok());
    ASSERT_TRUE(PutPolicy("shop", R"({"rules":[
      {"allowedOrigins":["https://app.example.com"],"allowedMethods":["PUT"],
       "allowedHeaders":["content-type"],"exposedHeaders":["x-request-id"],
       "allowCredentials":true,"maxAgeSeconds":600},
      {"pathPrefix":"/public","allowedOrigins":["*"]}]})")
                    .ok());
  }
};

TEST_F(CheckTest, PreflightAllowed) {
  v1::CheckRequest request = Request("shop", "https://app.example.com", "OPTIONS", "/api/items");
  AddHeader(&request, "Access-Control-Request-Method", "PUT");
  AddHeader(&request, "Access-Control-Request-Headers", "content-type");
  v1::CheckResponse response;
  ASSERT_TRUE(Check(request, &response).ok());
  EXPECT_EQ(response.verdict(), v1::ALLOW);
  EXPECT_EQ(response.kind(), v1::PREFLIGHT);
  EXPECT_EQ(response.reason(), v1::ALLOWED);
  EXPECT_TRUE(response.respond_now());
  EXPECT_EQ(response.http_status(), 204);
  EXPECT_EQ(response.policy_revision(), 1);
  EXPECT_EQ(response.tenant(), "shop");
  EXPECT_EQ(HeaderValue(response, "Access-Control-Allow-Origin"), "https://app.example.com");
  EXPECT_EQ(HeaderValue(response, "Access-Control-Allow-Credentials"), "true");
  EXPECT_EQ(HeaderValue(response, "Access-Control-Allow-Methods"), "PUT");
  EXPECT_EQ(HeaderValue(response, "Access-Control-Allow-Headers"), "content-type");
  EXPECT_EQ(HeaderValue(response, "Access-Control-Max-Age"), "600");
  EXPECT_EQ(HeaderValue(response, "Vary"),
            "Origin, Access-Control-Request-Method, Access-Control-Request-Headers, "
            "Access-Control-Request-Private-Network");
  EXPECT_TRUE(response.explanation().empty());
}

TEST_F(CheckTest, PreflightDenied) {
  v1::CheckRequest request = Request("shop", "https://evil.example", "OPTIONS");
  AddHeader(&request, "Access-Control-Request-Method", "PUT");
  v1::CheckResponse response;
  ASSERT_TRUE(Check(request, &response).ok());
  EXPECT_EQ(response.verdict(), v1::DENY);
  EXPECT_EQ(response.reason(), v1::ORIGIN_NOT_ALLOWED);
  EXPECT_TRUE(response.respond_now());
  EXPECT_EQ(response.http_status(), 403);
  ASSERT_EQ(response.response_headers_size(), 1);
  EXPECT_EQ(response.response_headers(0).name(), "Vary");
}

TEST_F(CheckTest, ActualAllowedAndDenied) {
  v1::CheckResponse allowed;
  ASSERT_TRUE(Check(Request("shop", "https://app.example.com", "GET"), &allowed).ok());
  EXPECT_EQ(allowed.verdict(), v1::ALLOW);
  EXPECT_EQ(allowed.kind(), v1::ACTUAL);
  EXPECT_FALSE(allowed.respond_now());
  EXPECT_EQ(HeaderValue(allowed, "Access-Control-Expose-Headers"), "x-request-id");
  EXPECT_EQ(HeaderValue(allowed, "Vary"), "Origin");

  v1::CheckResponse denied;
  ASSERT_TRUE(Check(Request("shop", "https://evil.example", "POST"), &denied).ok());
  EXPECT_EQ(denied.verdict(), v1::DENY);
  EXPECT_FALSE(denied.respond_now()) << "denied actual requests are forwarded";
  EXPECT_EQ(HeaderValue(denied, "Access-Control-Allow-Origin"), "<absent>");
  EXPECT_EQ(HeaderValue(denied, "Vary"), "Origin");
}

TEST_F(CheckTest, NoOriginIsNotCors) {
  v1::CheckResponse response;
  ASSERT_TRUE(Check(Request("shop", "", "GET"), &response).ok());
  EXPECT_EQ(response.verdict(), v1::NOT_CORS);
  EXPECT_EQ(response.kind(), v1::NO_ORIGIN);
  EXPECT_EQ(response.reason(), v1::NO_ORIGIN_HEADER);
  EXPECT_FALSE(response.respond_now());
  EXPECT_EQ(HeaderValue(response, "Vary"), "Origin");
}

TEST_F(CheckTest, ResolvesTenantFromHost) {
  for (const char* host : {"shop.example.com", "SHOP.example.com:443", "api.shop.example:8443"}) {
    v1::CheckRequest request = Request("", "https://app.example.com", "GET");
    request.set_host(host);
    v1::CheckResponse response;
    ASSERT_TRUE(Check(request, &response).ok()) << host;
    EXPECT_EQ(response.tenant(), "shop");
    EXPECT_EQ(response.verdict(), v1::ALLOW);
  }
  v1::CheckRequest unknown = Request("", "https://app.example.com", "GET");
  unknown.set_host("other.example.com");
  v1::CheckResponse response;
  grpc::Status status = Check(unknown, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(status.error_message(), HasSubstr("other.example.com"));

  EXPECT_EQ(Check(Request("nope", "https://a.example", "GET"), &response).error_code(),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(Check(Request("", "https://a.example", "GET"), &response).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(CheckTest, PathRulesSelectByLongestPrefix) {
  v1::CheckResponse response;
  ASSERT_TRUE(
      Check(Request("shop", "https://anyone.example", "GET", "/public/logo.png"), &response).ok());
  EXPECT_EQ(response.verdict(), v1::ALLOW);
  EXPECT_EQ(HeaderValue(response, "Access-Control-Allow-Origin"), "*");
  ASSERT_TRUE(
      Check(Request("shop", "https://anyone.example", "GET", "/publication"), &response).ok());
  EXPECT_EQ(response.verdict(), v1::DENY);
}

TEST_F(CheckTest, ExplainTracesTheDecision) {
  v1::CheckRequest request = Request("shop", "https://app.example.com", "OPTIONS", "/x");
  AddHeader(&request, "Access-Control-Request-Method", "PUT");
  AddHeader(&request, "Access-Control-Request-Headers", "x-trace");
  request.set_explain(true);
  v1::CheckResponse response;
  ASSERT_TRUE(Check(request, &response).ok());
  EXPECT_EQ(response.reason(), v1::HEADERS_NOT_ALLOWED);
  EXPECT_EQ(response.explanation(),
            "default rule \"\" matched; origin https://app.example.com matched pattern "
            "https://app.example.com; method PUT allowed; header x-trace not allowed -> DENY "
            "HEADERS_NOT_ALLOWED");
}

TEST_F(CheckTest, PolicyChangeIsServedBeforePutPolicyReturns) {
  v1::CheckResponse response;
  ASSERT_TRUE(Check(Request("shop", "https://new.example", "GET"), &response).ok());
  EXPECT_EQ(response.verdict(), v1::DENY);
  v1::PolicyVersion written;
  ASSERT_TRUE(PutPolicy("shop", R"({"rules":[{"allowedOrigins":["https://new.example"]}]})",
                        std::nullopt, "", &written)
                  .ok());
  ASSERT_TRUE(Check(Request("shop", "https://new.example", "GET"), &response).ok());
  EXPECT_EQ(response.verdict(), v1::ALLOW);
  EXPECT_EQ(response.policy_revision(), written.revision());
}

TEST_F(CheckTest, TenantWithoutPolicyDeniesEverything) {
  ASSERT_TRUE(CreateTenant("empty").ok());
  v1::CheckResponse response;
  ASSERT_TRUE(Check(Request("empty", "https://app.example.com", "GET"), &response).ok());
  EXPECT_EQ(response.verdict(), v1::DENY);
  EXPECT_EQ(response.policy_revision(), 0);
}

TEST_F(CheckTest, MalformedInputIsDeniedNeverEchoed) {
  v1::CheckRequest request = Request("shop", "https://app.example.com\r\nX-Evil: 1", "GET");
  v1::CheckResponse response;
  ASSERT_TRUE(Check(request, &response).ok());
  EXPECT_EQ(response.verdict(), v1::DENY);
  EXPECT_EQ(response.reason(), v1::MALFORMED_REQUEST);
  for (const auto& h : response.response_headers()) {
    EXPECT_THAT(h.value(), ::testing::Not(HasSubstr("evil")));
  }
  // Oversized header lists are bounded, not processed.
  v1::CheckRequest big = Request("shop", "https://app.example.com", "OPTIONS");
  AddHeader(&big, "Access-Control-Request-Method", "PUT");
  AddHeader(&big, "Access-Control-Request-Headers", std::string(100'000, 'a'));
  ASSERT_TRUE(Check(big, &response).ok());
  EXPECT_EQ(response.reason(), v1::MALFORMED_REQUEST);
  EXPECT_EQ(response.http_status(), 403);
}

TEST_F(CheckTest, InvalidUtf8IsACleanInvalidArgument) {
  grpc::Status status =
      RawUnaryCall(grpc::CreateChannel(corsd_->data_address(), grpc::InsecureChannelCredentials()),
                   "/corsd.v1.CorsDecision/Check", WithInvalidUtf8(Request("shop", "x", "GET")));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("UTF-8"));
}

TEST_F(CheckTest, MessagesOverOneMebibyteAreRejected) {
  v1::CheckRequest request = Request("shop", "https://app.example.com", "GET");
  AddHeader(&request, "X-Big", std::string(2 << 20, 'a'));
  v1::CheckResponse response;
  EXPECT_EQ(Check(request, &response).error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  // And the server is fine afterwards.
  EXPECT_TRUE(Check(Request("shop", "https://app.example.com", "GET"), &response).ok());
}

}  // namespace
}  // namespace corsd::testing
