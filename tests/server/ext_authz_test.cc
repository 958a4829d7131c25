// Envoy's ext_authz door (envoy.service.auth.v3.Authorization/Check on the
// data port), driven by a client speaking the Envoy protos: every row of the
// Fetch table answers as gRPC Check does, mapped as the contract's table
// says; tenants from context_extensions or the host; hostile input.
#include <grpcpp/grpcpp.h>

#include <map>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "envoy/service/auth/v3/external_auth.grpc.pb.h"
#include "gmock/gmock.h"
#include "service/convert/policy_convert.h"
#include "tests/support/fetch_cases.h"
#include "tests/support/raw_call.h"
#include "tests/support/server_fixture.h"

namespace corsd::testing {
namespace {

namespace auth = envoy::service::auth::v3;
using ::testing::HasSubstr;

// An HTTP request as Envoy describes it: lower-case names, repeated headers
// joined with ','.
struct EnvoyRequest {
  std::string tenant;  // context_extensions["corsd_tenant"]; "" = none
  std::string host;
  std::string method;
  std::string path;
  std::map<std::string, std::string> headers;
};

EnvoyRequest FromCase(const DecisionCase& c) {
  EnvoyRequest request{.tenant = FetchCaseTenant(c.policy), .method = c.method, .path = c.path};
  if (!c.origin.empty()) request.headers["origin"] = c.origin;
  for (const auto& [name, value] : c.headers) {
    std::string& joined = request.headers[absl::AsciiStrToLower(name)];
    joined = joined.empty() ? value : absl::StrCat(joined, ",", value);
  }
  return request;
}

auth::CheckRequest ToEnvoy(const EnvoyRequest& request) {
  auth::CheckRequest out;
  auto* attributes = out.mutable_attributes();
  if (!request.tenant.empty()) {
    (*attributes->mutable_context_extensions())["corsd_tenant"] = request.tenant;
  }
  auto* http = attributes->mutable_request()->mutable_http();
  http->set_method(request.method);
  http->set_path(request.path);
  http->set_host(request.host);
  http->set_scheme("https");
  http->set_protocol("HTTP/1.1");
  for (const auto& [name, value] : request.headers) (*http->mutable_headers())[name] = value;
  (*http->mutable_headers())[":authority"] = request.host;
  (*http->mutable_headers())["user-agent"] = "Mozilla/5.0";
  return out;
}

// The same request as a corsd.v1 CheckRequest.
v1::CheckRequest ToCheck(const EnvoyRequest& request) {
  v1::CheckRequest out;
  out.set_tenant(request.tenant);
  out.set_host(request.host);
  out.set_method(request.method);
  out.set_path(request.path);
  for (const auto& [name, value] : request.headers) {
    if (name == "origin") {
      out.set_origin(value);
      continue;
    }
    v1::Header* header = out.add_headers();
    header->set_name(name);
    header->set_value(value);
  }
  return out;
}

std::string MetadataField(const auth::CheckResponse& response, const std::string& key) {
  const auto& corsd = response.dynamic_metadata().fields();
  auto it = corsd.find("corsd");
  if (it == corsd.end()) return "<no corsd metadata>";
  const auto& fields = it->second.struct_value().fields();
  auto field = fields.find(key);
  if (field == fields.end()) return "<absent>";
  return field->second.has_number_value() ? absl::StrCat(field->second.number_value())
                                          : field->second.string_value();
}

// "name: value (append)" lines, for comparing header lists.
std::vector<std::string> Describe(
    const google::protobuf::RepeatedPtrField<envoy::config::core::v3::HeaderValueOption>& list) {
  std::vector<std::string> out;
  for (const auto& option : list) {
    out.push_back(absl::StrCat(option.header().key(), ": ", option.header().value(),
                               option.has_append()
                                   ? (option.append().value() ? " (append)" : " (replace)")
                                   : " (append unset)"));
  }
  return out;
}

// What ext_authz must answer, derived from gRPC Check's answer.
void ExpectSameDecision(const v1::CheckResponse& check, const auth::CheckResponse& envoy,
                        const std::string& trace) {
  SCOPED_TRACE(trace);
  std::vector<std::string> want;
  for (const v1::Header& h : check.response_headers()) {
    const bool append = !check.respond_now() && h.name() == "Vary";
    want.push_back(absl::StrCat(h.name(), ": ", h.value(), append ? " (append)" : " (replace)"));
  }
  if (check.respond_now()) {
    EXPECT_EQ(envoy.status().code(), 7);
    ASSERT_TRUE(envoy.has_denied_response());
    EXPECT_EQ(static_cast<int>(envoy.denied_response().status().code()), check.http_status());
    EXPECT_EQ(Describe(envoy.denied_response().headers()), want);
    EXPECT_EQ(envoy.denied_response().body(), "");
  } else {
    EXPECT_EQ(envoy.status().code(), 0);
    ASSERT_TRUE(envoy.has_ok_response());
    EXPECT_EQ(Describe(envoy.ok_response().response_headers_to_add()), want);
    EXPECT_TRUE(envoy.ok_response().headers().empty()) << "nothing is added to the request";
  }
  EXPECT_EQ(MetadataField(envoy, "verdict"), v1::Verdict_Name(check.verdict()));
  EXPECT_EQ(MetadataField(envoy, "reason"), v1::Reason_Name(check.reason()));
  EXPECT_EQ(MetadataField(envoy, "tenant"), check.tenant());
  EXPECT_EQ(MetadataField(envoy, "revision"), absl::StrCat(check.policy_revision()));
}

class ExtAuthzTest : public ServerTest {
 protected:
  void SetUp() override {
    ServerTest::SetUp();
    envoy_ = auth::Authorization::NewStub(
        grpc::CreateChannel(corsd_->data_address(), grpc::InsecureChannelCredentials()));
  }

  grpc::Status EnvoyCheck(const auth::CheckRequest& request, auth::CheckResponse* response) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    return envoy_->Check(&context, request, response);
  }

  std::unique_ptr<auth::Authorization::Stub> envoy_;
};

TEST_F(ExtAuthzTest, EveryFetchTableRowAnswersAsCheckDoes) {
  for (const auto& [name, spec] : FetchPolicySpecs()) {
    ASSERT_TRUE(CreateTenant(FetchCaseTenant(name)).ok()) << name;
    ASSERT_TRUE(PutPolicyProto(FetchCaseTenant(name), ToPolicyProto(spec)).ok()) << name;
  }
  ASSERT_TRUE(CreateTenant("empty").ok());
  const std::vector<DecisionCase> cases = FetchDecisionCases();
  ASSERT_GE(cases.size(), 150u);
  int preflights = 0;
  int forwarded = 0;
  for (const DecisionCase& c : cases) {
    const EnvoyRequest request = FromCase(c);
    v1::CheckResponse check;
    ASSERT_TRUE(Check(ToCheck(request), &check).ok()) << c.name;
    auth::CheckResponse envoy;
    ASSERT_TRUE(EnvoyCheck(ToEnvoy(request), &envoy).ok()) << c.name;
    ExpectSameDecision(check, envoy, c.name);
    (check.respond_now() ? preflights : forwarded)++;
    // Rows whose headers Envoy presents exactly as the table has them
    // (no repeated names) must also reach the table's own verdict.
    if (request.headers.size() == c.headers.size() + (c.origin.empty() ? 0 : 1)) {
      EXPECT_EQ(static_cast<int>(check.verdict()), static_cast<int>(c.verdict)) << c.name;
    }
  }
  EXPECT_GT(preflights, 20);
  EXPECT_GT(forwarded, 20);
}

class ExtAuthzShopTest : public ExtAuthzTest {
 protected:
  void SetUp() override {
    ExtAuthzTest::SetUp();
    ASSERT_TRUE(CreateTenant("shop", {"shop.example.com", "api.shop.example:8443"}).ok());
    ASSERT_TRUE(PutPolicy("shop", kAppPolicy).ok());
  }

  static EnvoyRequest Preflight(const std::string& host) {
    return EnvoyRequest{.host = host,
                        .method = "OPTIONS",
                        .path = "/items?page=2#top",
                        .headers = {{"origin", "https://app.example.com"},
                                    {"access-control-request-method", "PUT"},
                                    {"access-control-request-headers", "content-type"}}};
  }
};

TEST_F(ExtAuthzShopTest, AnswersAnAllowedPreflightLocallyWithCorsdsStatusAndHeaders) {
  auth::CheckResponse response;
  ASSERT_TRUE(EnvoyCheck(ToEnvoy(Preflight("shop.example.com")), &response).ok());
  EXPECT_EQ(response.status().code(), 7) << "PERMISSION_DENIED makes Envoy answer itself";
  EXPECT_EQ(response.denied_response().status().code(), envoy::type::v3::NoContent);
  EXPECT_THAT(
      Describe(response.denied_response().headers()),
      ::testing::Contains("Access-Control-Allow-Origin: https://app.example.com (replace)"));
  EXPECT_EQ(MetadataField(response, "verdict"), "ALLOW");
  EXPECT_EQ(MetadataField(response, "tenant"), "shop");
  EXPECT_EQ(MetadataField(response, "revision"), "1");
}

TEST_F(ExtAuthzShopTest, FindsTheTenantByHostWithOrWithoutAPort) {
  for (const char* host :
       {"shop.example.com", "shop.example.com:443", "SHOP.example.com", "api.shop.example:8443"}) {
    auth::CheckResponse response;
    ASSERT_TRUE(EnvoyCheck(ToEnvoy(Preflight(host)), &response).ok());
    EXPECT_EQ(MetadataField(response, "tenant"), "shop") << host;
    EXPECT_EQ(response.denied_response().status().code(), envoy::type::v3::NoContent) << host;
  }
}

TEST_F(ExtAuthzShopTest, ContextExtensionsNameTheTenantOverTheHost) {
  ASSERT_TRUE(CreateTenant("other").ok());  // no policy: denies everything
  EnvoyRequest request = Preflight("shop.example.com");
  request.tenant = "other";
  auth::CheckResponse response;
  ASSERT_TRUE(EnvoyCheck(ToEnvoy(request), &response).ok());
  EXPECT_EQ(MetadataField(response, "tenant"), "other");
  EXPECT_EQ(response.denied_response().status().code(), envoy::type::v3::Forbidden);
}

TEST_F(ExtAuthzShopTest, UnknownTenantOrHostPassesThroughUntouched) {
  for (const EnvoyRequest& request : {EnvoyRequest{.host = "unknown.example",
                                     .method = "GET",
                                     .path = "/",
                                     .headers = {{"origin", "https://evil.example"}}},
                                      EnvoyRequest{.tenant = "nope",
                                      .host = "shop.example.com",
                                      .method = "GET",
                                      .path = "/",
                                      .headers = {{"origin", "https://evil.example"}}}}) {
    auth::CheckResponse response;
    ASSERT_TRUE(EnvoyCheck(ToEnvoy(request), &response).ok());
    EXPECT_EQ(response.status().code(), 0);
    ASSERT_TRUE(response.has_ok_response());
    EXPECT_TRUE(response.ok_response().response_headers_to_add().empty());
    EXPECT_EQ(MetadataField(response, "error"), "unknown_tenant");
  }
}

TEST_F(ExtAuthzShopTest, ActualRequestsReplaceAccessControlHeadersAndMergeVary) {
  auth::CheckResponse allowed;
  ASSERT_TRUE(EnvoyCheck(ToEnvoy({.host = "shop.example.com",
                                  .method = "GET",
                                  .path = "/a?q=1",
                                  .headers = {{"origin", "https://app.example.com"}}}),
                         &allowed)
                  .ok());
  EXPECT_EQ(allowed.status().code(), 0);
  EXPECT_THAT(
      Describe(allowed.ok_response().response_headers_to_add()),
      ::testing::ElementsAre("Access-Control-Allow-Origin: https://app.example.com (replace)",
                             "Access-Control-Allow-Credentials: true (replace)",
                             "Access-Control-Expose-Headers: x-request-id (replace)",
                             "Vary: Origin (append)"));

  auth::CheckResponse denied;
  ASSERT_TRUE(EnvoyCheck(ToEnvoy({.host = "shop.example.com",
                                  .method = "GET",
                                  .path = "/",
                                  .headers = {{"origin", "https://evil.example"}}}),
                         &denied)
                  .ok());
  EXPECT_EQ(denied.status().code(), 0) << "the browser enforces a denied actual request";
  EXPECT_THAT(Describe(denied.ok_response().response_headers_to_add()),
              ::testing::ElementsAre("Vary: Origin (append)"));
  EXPECT_EQ(MetadataField(denied, "reason"), "ORIGIN_NOT_ALLOWED");
}

TEST_F(ExtAuthzShopTest, RawHeaderMapIsReadWhenEnvoySendsRawHeaders) {
  auth::CheckRequest request = ToEnvoy(Preflight("shop.example.com"));
  auto* http = request.mutable_attributes()->mutable_request()->mutable_http();
  for (const auto& [name, value] : http->headers()) {
    auto* header = http->mutable_header_map()->add_headers();
    header->set_key(name);
    header->set_raw_value(value);
  }
  http->mutable_headers()->clear();
  auth::CheckResponse response;
  ASSERT_TRUE(EnvoyCheck(request, &response).ok());
  EXPECT_EQ(response.denied_response().status().code(), envoy::type::v3::NoContent);
  EXPECT_EQ(MetadataField(response, "verdict"), "ALLOW");
}

TEST_F(ExtAuthzShopTest, HostileInputCostsLittleAndNeverCrashes) {
  // 10,000 headers, a huge header map near the data port's 1 MiB limit.
  EnvoyRequest many = Preflight("shop.example.com");
  for (int i = 0; i < 10'000; ++i) many.headers[absl::StrCat("x-junk-", i)] = "v";
  auth::CheckResponse response;
  ASSERT_TRUE(EnvoyCheck(ToEnvoy(many), &response).ok());
  EXPECT_EQ(MetadataField(response, "verdict"), "ALLOW") << "junk headers are ignored";

  EnvoyRequest huge = Preflight("shop.example.com");
  huge.headers["x-big"] = std::string(900'000, 'a');
  ASSERT_TRUE(EnvoyCheck(ToEnvoy(huge), &response).ok());

  // Over the data port's message limit: gRPC refuses it before corsd.
  huge.headers["x-big"] = std::string(2 << 20, 'a');
  EXPECT_EQ(EnvoyCheck(ToEnvoy(huge), &response).error_code(),
            grpc::StatusCode::RESOURCE_EXHAUSTED);

  // A malformed origin or an oversized one: DENY, nothing echoed.
  for (const std::string& origin : {std::string("https://app.example.com, https://evil.example"),
                                    std::string("https://") + std::string(5000, 'a') + ".com",
                                    std::string("HTTPS://APP.EXAMPLE.COM")}) {
    EnvoyRequest request = Preflight("shop.example.com");
    request.headers["origin"] = origin;
    ASSERT_TRUE(EnvoyCheck(ToEnvoy(request), &response).ok());
    EXPECT_EQ(response.denied_response().status().code(), envoy::type::v3::Forbidden);
    EXPECT_EQ(MetadataField(response, "reason"), "MALFORMED_REQUEST");
    EXPECT_EQ(Describe(response.denied_response().headers()).size(), 1u) << "Vary only";
  }

  // A tenant name over its limit: INVALID_ARGUMENT, answered 400.
  EnvoyRequest long_tenant = Preflight("shop.example.com");
  long_tenant.tenant = std::string(100, 'a');
  ASSERT_TRUE(EnvoyCheck(ToEnvoy(long_tenant), &response).ok());
  EXPECT_EQ(response.status().code(), 3);
  EXPECT_EQ(response.denied_response().status().code(), envoy::type::v3::BadRequest);
  EXPECT_TRUE(response.denied_response().headers().empty());
}

TEST_F(ExtAuthzShopTest, InvalidUtf8IsAnswered400NotAnRpcError) {
  // Build the request by hand: protobuf would refuse to serialize a
  // non-UTF-8 string, but a peer can send one.
  auth::CheckRequest request = ToEnvoy(Preflight("shop.example.com"));
  std::string bytes = request.SerializeAsString();
  const std::string needle = "app.example.com";
  const size_t at = bytes.find(needle);
  ASSERT_NE(at, std::string::npos);
  bytes[at] = '\xff';
  std::string answer;
  const grpc::Status status =
      RawUnaryCall(grpc::CreateChannel(corsd_->data_address(), grpc::InsecureChannelCredentials()),
                   "/envoy.service.auth.v3.Authorization/Check", bytes, "", &answer);
  ASSERT_TRUE(status.ok()) << status.error_message();
  auth::CheckResponse response;
  ASSERT_TRUE(response.ParseFromString(answer));
  EXPECT_EQ(response.status().code(), 3);
  EXPECT_EQ(response.denied_response().status().code(), envoy::type::v3::BadRequest);
  EXPECT_EQ(MetadataField(response, "error"), "invalid_request");
}

TEST_F(ExtAuthzShopTest, HealthAndMetricsKnowTheDoor) {
  auto health = corsd_->HealthStub(corsd_->data_port());
  grpc::health::v1::HealthCheckRequest request;
  request.set_service("envoy.service.auth.v3.Authorization");
  grpc::health::v1::HealthCheckResponse answer;
  grpc::ClientContext context;
  ASSERT_TRUE(health->Check(&context, request, &answer).ok());
  EXPECT_EQ(answer.status(), grpc::health::v1::HealthCheckResponse::SERVING);

  auth::CheckResponse response;
  ASSERT_TRUE(EnvoyCheck(ToEnvoy(Preflight("shop.example.com")), &response).ok());
  ASSERT_TRUE(EnvoyCheck(ToEnvoy({.host = "unknown.example", .method = "GET"}), &response).ok());
  const std::string metrics = HttpGet(corsd_->metrics_port(), "/metrics");
  EXPECT_THAT(metrics, HasSubstr("corsd_check_total{api=\"ext_authz\",verdict=\"ALLOW\","
                                 "reason=\"ALLOWED\"} 1\n"));
  EXPECT_THAT(metrics,
              HasSubstr("corsd_check_errors_total{api=\"ext_authz\",code=\"NOT_FOUND\"} 1\n"));
  EXPECT_THAT(metrics, HasSubstr("corsd_check_total{api=\"grpc\",verdict=\"ALLOW\","
                                 "reason=\"ALLOWED\"} 0\n"));
}

}  // namespace
}  // namespace corsd::testing
