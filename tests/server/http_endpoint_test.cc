// The HTTP door (`corsd serve --http-listen`): POST /v1/check in the
// protobuf JSON mapping, /v1/forward-auth for nginx auth_request, Traefik
// forwardAuth and Caddy forward_auth, /healthz, the JSON errors and limits,
// and the api="http" metrics, against a real corsd.
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/message_differencer.h>
#include <httplib.h>
#include <signal.h>

#include <fstream>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "nlohmann/json.hpp"
#include "service/convert/policy_convert.h"
#include "tests/support/fetch_cases.h"
#include "tests/support/pki.h"
#include "tests/support/server_fixture.h"

namespace corsd::testing {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

// `request` over TLS with `openssl s_client`, trusting the test CA and
// presenting the client certificate when asked; returns what came back.
std::string OpensslClient(int port, const Pki& pki, bool client_certificate,
                          const std::string& request) {
  TempDir dir;
  const std::string in = dir.File("request");
  const std::string out = dir.File("answer");
  { std::ofstream(in) << request; }
  std::vector<std::string> argv = {
      "/usr/bin/openssl", "s_client",  "-quiet",  "-connect",  "127.0.0.1:" + std::to_string(port),
      "-servername",      "localhost", "-CAfile", pki.ca_cert, "-verify_return_error"};
  if (client_certificate) {
    argv.insert(argv.end(), {"-cert", pki.client_cert, "-key", pki.client_key});
  }
  std::string command;
  for (const std::string& arg : argv) command += "'" + arg + "' ";
  command += "< '" + in + "' > '" + out + "' 2>/dev/null";
  (void)!system(command.c_str());
  return ReadFileOrEmpty(out);
}

class HttpEndpointTest : public ServerTest {
 protected:
  void SetUp() override {
    // cpp-httplib writes without MSG_NOSIGNAL: a server that closes early
    // must not kill the test.
    signal(SIGPIPE, SIG_IGN);
    ServerTest::SetUp();
    ASSERT_GT(corsd_->http_port(), 0);
    http_ = std::make_unique<httplib::Client>("127.0.0.1", corsd_->http_port());
    http_->set_keep_alive(true);
    http_->set_read_timeout(5);
  }
  std::vector<std::string> ExtraArgs() override { return {"--http-listen", "127.0.0.1:0"}; }

  void CreateShop() {
    ASSERT_TRUE(CreateTenant("shop", {"shop.example.com"}).ok());
    ASSERT_TRUE(PutPolicy("shop", R"({"rules":[
      {"allowedOrigins":["https://app.example.com"],"allowedMethods":["PUT"],
       "allowedHeaders":["content-type"],"exposedHeaders":["x-request-id"],
       "allowCredentials":true,"maxAgeSeconds":600},
      {"pathPrefix":"/public","allowedOrigins":["*"]}]})")
                    .ok());
  }

  httplib::Result ForwardAuth(const std::string& method, const httplib::Headers& headers) {
    httplib::Request request;
    request.method = method;
    request.path = "/v1/forward-auth";
    request.headers = headers;
    return http_->send(request);
  }

  static void ExpectJsonError(const httplib::Result& result, int status, const std::string& code) {
    ASSERT_TRUE(result);
    EXPECT_EQ(result->status, status) << result->body;
    EXPECT_EQ(result->get_header_value("Content-Type"), "application/json");
    json body = json::parse(result->body, nullptr, false);
    ASSERT_TRUE(body.is_object()) << result->body;
    EXPECT_EQ(body["code"], code) << result->body;
    EXPECT_FALSE(body["message"].get<std::string>().empty());
  }

  std::unique_ptr<httplib::Client> http_;
};

TEST_F(HttpEndpointTest, CheckAnswersEveryFetchTableRowExactlyAsGrpcCheck) {
  for (const auto& [name, spec] : FetchPolicySpecs()) {
    ASSERT_TRUE(CreateTenant(FetchCaseTenant(name)).ok()) << name;
    ASSERT_TRUE(PutPolicyProto(FetchCaseTenant(name), ToPolicyProto(spec)).ok()) << name;
  }
  ASSERT_TRUE(CreateTenant("empty").ok());
  for (const DecisionCase& c : FetchDecisionCases()) {
    v1::CheckRequest request = Request(FetchCaseTenant(c.policy), c.origin, c.method, c.path);
    for (const auto& [name, value] : c.headers) AddHeader(&request, name, value);
    request.set_explain(true);
    v1::CheckResponse from_grpc;
    ASSERT_TRUE(Check(request, &from_grpc).ok()) << c.name;

    std::string body;
    ASSERT_TRUE(google::protobuf::util::MessageToJsonString(request, &body).ok());
    auto result = http_->Post("/v1/check", body, "application/json");
    ASSERT_TRUE(result) << c.name;
    ASSERT_EQ(result->status, 200) << c.name << ": " << result->body;
    v1::CheckResponse from_http;
    ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(result->body, &from_http).ok())
        << result->body;
    EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(from_grpc, from_http))
        << c.name << "\ngrpc: " << from_grpc.ShortDebugString()
        << "\nhttp: " << from_http.ShortDebugString();
  }
}

TEST_F(HttpEndpointTest, CheckTakesBothJsonSpellingsAndPrintsEnumNames) {
  CreateShop();
  for (const char* body :
       {R"({"tenant":"shop","origin":"https://app.example.com","method":"OPTIONS",
            "headers":[{"name":"Access-Control-Request-Method","value":"PUT"}]})",
        R"({"host":"shop.example.com","origin":"https://app.example.com","method":"OPTIONS",
            "headers":[{"name":"access-control-request-method","value":"PUT"}],"explain":true})"}) {
    auto result = http_->Post("/v1/check", body, "application/json");
    ASSERT_TRUE(result);
    ASSERT_EQ(result->status, 200) << result->body;
    EXPECT_EQ(result->get_header_value("Content-Type"), "application/json");
    json answer = json::parse(result->body);
    EXPECT_EQ(answer["verdict"], "ALLOW");
    EXPECT_EQ(answer["kind"], "PREFLIGHT");
    EXPECT_EQ(answer["reason"], "ALLOWED");
    EXPECT_EQ(answer["respondNow"], true);
    EXPECT_EQ(answer["httpStatus"], 204);
    EXPECT_EQ(answer["tenant"], "shop");
    EXPECT_EQ(answer["policyRevision"], "1");
    EXPECT_THAT(
        answer["responseHeaders"].dump(),
        HasSubstr(R"({"name":"Access-Control-Allow-Origin","value":"https://app.example.com"})"));
  }
  auto proto_names =
      http_->Post("/v1/check",
                  R"({"tenant":"shop","origin":"https://evil.example","method":"GET","path":"/x"})",
                  "application/json");
  ASSERT_TRUE(proto_names);
  json denied = json::parse(proto_names->body);
  EXPECT_EQ(denied["verdict"], "DENY");
  EXPECT_EQ(denied["respondNow"], false) << "primitive fields are always printed";
}

TEST_F(HttpEndpointTest, CheckErrorsAreJsonWithTheRightStatus) {
  CreateShop();
  ExpectJsonError(http_->Post("/v1/check", "{not json", "application/json"), 400,
                  "INVALID_ARGUMENT");
  ExpectJsonError(http_->Post("/v1/check", R"({"tenant":7})", "application/json"), 400,
                  "INVALID_ARGUMENT");
  ExpectJsonError(http_->Post("/v1/check", R"({"tenant":"shop","orign":"https://a.example"})",
                              "application/json"),
                  400, "INVALID_ARGUMENT");
  ExpectJsonError(http_->Post("/v1/check", R"({"origin":"https://a.example"})", "application/json"),
                  400, "INVALID_ARGUMENT");
  ExpectJsonError(
      http_->Post("/v1/check", R"({"tenant":"nope","method":"GET"})", "application/json"), 404,
      "NOT_FOUND");
  ExpectJsonError(
      http_->Post("/v1/check", R"({"host":"unknown.example","method":"GET"})", "application/json"),
      404, "NOT_FOUND");
  auto get = http_->Get("/v1/check");
  ExpectJsonError(get, 405, "UNIMPLEMENTED");
  EXPECT_EQ(get->get_header_value("Allow"), "POST");
  ExpectJsonError(http_->Get("/nope"), 404, "NOT_FOUND");
  // Over the 1 MiB body limit: 413, and the connection is not reused.
  ExpectJsonError(http_->Post("/v1/check", std::string(2 << 20, ' '), "application/json"), 413,
                  "INVALID_ARGUMENT");
  // A string that is not UTF-8 in the JSON.
  ExpectJsonError(http_->Post("/v1/check", "{\"tenant\":\"sh\xff\"}", "application/json"), 400,
                  "INVALID_ARGUMENT");
}

TEST_F(HttpEndpointTest, ForwardAuthAnswersPreflightsWithCorsdsStatusAndHeaders) {
  CreateShop();
  auto allowed = ForwardAuth("OPTIONS", {{"Host", "shop.example.com"},
                                         {"Origin", "https://app.example.com"},
                                         {"Access-Control-Request-Method", "PUT"},
                                         {"Access-Control-Request-Headers", "content-type"}});
  ASSERT_TRUE(allowed);
  EXPECT_EQ(allowed->status, 204);
  EXPECT_EQ(allowed->get_header_value("Access-Control-Allow-Origin"), "https://app.example.com");
  EXPECT_EQ(allowed->get_header_value("Access-Control-Allow-Methods"), "PUT");
  EXPECT_EQ(allowed->get_header_value("Access-Control-Allow-Headers"), "content-type");
  EXPECT_EQ(allowed->get_header_value("Access-Control-Max-Age"), "600");
  EXPECT_THAT(allowed->get_header_value("Vary"), HasSubstr("Access-Control-Request-Method"));
  EXPECT_EQ(allowed->get_header_value("X-Corsd-Verdict"), "ALLOW");
  EXPECT_EQ(allowed->get_header_value("X-Corsd-Reason"), "ALLOWED");
  EXPECT_EQ(allowed->get_header_value("X-Corsd-Revision"), "1");
  EXPECT_EQ(allowed->body, "");

  auto denied = ForwardAuth("OPTIONS", {{"Host", "shop.example.com"},
                                        {"Origin", "https://evil.example"},
                                        {"Access-Control-Request-Method", "PUT"}});
  ASSERT_TRUE(denied);
  EXPECT_EQ(denied->status, 403);
  EXPECT_FALSE(denied->has_header("Access-Control-Allow-Origin"));
  EXPECT_EQ(denied->get_header_value("Vary"),
            "Origin, Access-Control-Request-Method, Access-Control-Request-Headers, "
            "Access-Control-Request-Private-Network");
  EXPECT_EQ(denied->get_header_value("X-Corsd-Reason"), "ORIGIN_NOT_ALLOWED");
}

TEST_F(HttpEndpointTest, ForwardAuthAnswers200ToActualRequestsAllowedOrNot) {
  CreateShop();
  auto allowed =
      ForwardAuth("GET", {{"Host", "shop.example.com"}, {"Origin", "https://app.example.com"}});
  ASSERT_TRUE(allowed);
  EXPECT_EQ(allowed->status, 200);
  EXPECT_EQ(allowed->get_header_value("Access-Control-Allow-Origin"), "https://app.example.com");
  EXPECT_EQ(allowed->get_header_value("Access-Control-Allow-Credentials"), "true");
  EXPECT_EQ(allowed->get_header_value("Access-Control-Expose-Headers"), "x-request-id");
  EXPECT_EQ(allowed->get_header_value("Vary"), "Origin");

  auto denied =
      ForwardAuth("GET", {{"Host", "shop.example.com"}, {"Origin", "https://evil.example"}});
  ASSERT_TRUE(denied);
  EXPECT_EQ(denied->status, 200) << "the browser enforces a denied actual request";
  EXPECT_FALSE(denied->has_header("Access-Control-Allow-Origin"));
  EXPECT_EQ(denied->get_header_value("X-Corsd-Verdict"), "DENY");

  auto no_origin = ForwardAuth("GET", {{"Host", "shop.example.com"}});
  ASSERT_TRUE(no_origin);
  EXPECT_EQ(no_origin->status, 200);
  EXPECT_EQ(no_origin->get_header_value("X-Corsd-Verdict"), "NOT_CORS");

  // Two Origin lines: never a match, never echoed.
  auto two = ForwardAuth("GET", {{"Host", "shop.example.com"},
                                 {"Origin", "https://app.example.com"},
                                 {"Origin", "https://evil.example"}});
  ASSERT_TRUE(two);
  EXPECT_FALSE(two->has_header("Access-Control-Allow-Origin"));
  EXPECT_EQ(two->get_header_value("X-Corsd-Reason"), "MALFORMED_REQUEST");
}

// Gateways describe the original request in headers: nginx's auth_request
// subrequest is always a GET to /v1/forward-auth, Traefik and Caddy send
// X-Forwarded-*, Traefik's replacePath leaves X-Replaced-Path.
TEST_F(HttpEndpointTest, ForwardAuthReadsTheOriginalRequestFromGatewayHeadersInOrder) {
  CreateShop();
  ASSERT_TRUE(CreateTenant("other", {"other.example.com"}).ok());
  const httplib::Headers preflight = {{"Origin", "https://anyone.example"},
                                      {"Access-Control-Request-Method", "GET"}};
  auto with = [&](httplib::Headers extra) {
    httplib::Headers headers = preflight;
    headers.insert(extra.begin(), extra.end());
    return headers;
  };
  struct Row {
    std::string name;
    std::string method;  // of the request to corsd
    httplib::Headers headers;
    int status;
    std::string tenant_revision;
  };
  const std::vector<Row> rows = {
      {"path from X-Original-URI, query cut (/public allows *)", "GET",
       with({{"Host", "shop.example.com"},
             {"X-Original-Method", "OPTIONS"},
             {"X-Original-URI", "/public/a?x=/y"}}),
       204, "1"},
      {"X-Original-URI wins over X-Forwarded-Uri", "GET",
       with({{"Host", "shop.example.com"},
             {"X-Original-Method", "OPTIONS"},
             {"X-Original-URI", "/private"},
             {"X-Forwarded-Uri", "/public"}}),
       403, "1"},
      {"X-Forwarded-Uri and X-Forwarded-Method (Traefik, Caddy)", "GET",
       with({{"Host", "shop.example.com"},
             {"X-Forwarded-Method", "OPTIONS"},
             {"X-Forwarded-Uri", "/public"}}),
       204, "1"},
      {"X-Original-Method wins over X-Forwarded-Method", "GET",
       with({{"Host", "shop.example.com"},
             {"X-Original-Method", "GET"},
             {"X-Forwarded-Method", "OPTIONS"},
             {"X-Original-URI", "/public"}}),
       200, "1"},
      {"X-Replaced-Path (Traefik replacePath)", "OPTIONS",
       with({{"Host", "shop.example.com"}, {"X-Replaced-Path", "/public/x"}}), 204, "1"},
      {"the request's own method and path", "OPTIONS", with({{"Host", "shop.example.com"}}), 403,
       "1"},
      {"X-Forwarded-Host wins over Host, port ignored", "OPTIONS",
       with({{"Host", "corsd.internal"}, {"X-Forwarded-Host", "other.example.com:8443"}}), 403,
       "0"},
      {"X-Corsd-Tenant wins over the host", "OPTIONS",
       with({{"Host", "shop.example.com"}, {"X-Corsd-Tenant", "other"}}), 403, "0"},
  };
  for (const Row& row : rows) {
    auto result = ForwardAuth(row.method, row.headers);
    ASSERT_TRUE(result) << row.name;
    EXPECT_EQ(result->status, row.status) << row.name << ": " << result->body;
    EXPECT_EQ(result->get_header_value("X-Corsd-Revision"), row.tenant_revision) << row.name;
  }
  ExpectJsonError(ForwardAuth("GET", with({{"Host", "unknown.example"}})), 404, "NOT_FOUND");
  ExpectJsonError(
      ForwardAuth("GET", with({{"Host", "shop.example.com"}, {"X-Corsd-Tenant", "nope"}})), 404,
      "NOT_FOUND");
  ExpectJsonError(ForwardAuth("GET", with({{"Host", std::string(400, 'a')}})), 400,
                  "INVALID_ARGUMENT");
}

TEST_F(HttpEndpointTest, HealthzAndMetrics) {
  CreateShop();
  auto health = http_->Get("/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  EXPECT_EQ(health->body, "ok\n");
  ExpectJsonError(http_->Post("/healthz", "", "text/plain"), 405, "UNIMPLEMENTED");

  ASSERT_TRUE(
      ForwardAuth("GET", {{"Host", "shop.example.com"}, {"Origin", "https://app.example.com"}}));
  ASSERT_TRUE(http_->Post("/v1/check", R"({"tenant":"nope","method":"GET"})", "application/json"));
  ASSERT_TRUE(http_->Post("/v1/check", "{", "application/json"));
  const std::string metrics = HttpGet(corsd_->metrics_port(), "/metrics");
  EXPECT_THAT(metrics, HasSubstr("corsd_check_total{api=\"http\",verdict=\"ALLOW\","
                                 "reason=\"ALLOWED\"} 1\n"));
  EXPECT_THAT(metrics, HasSubstr("corsd_check_errors_total{api=\"http\",code=\"NOT_FOUND\"} 1\n"));
  EXPECT_THAT(metrics,
              HasSubstr("corsd_check_errors_total{api=\"http\",code=\"INVALID_ARGUMENT\"} 1\n"));
  EXPECT_THAT(metrics, HasSubstr("corsd_check_duration_seconds_count{api=\"http\"} 1\n"));
  EXPECT_THAT(metrics, HasSubstr("corsd_http_refused_total{status=\"413\"} 0\n"));

  // What the server refuses before any decision is counted by status.
  ExpectJsonError(http_->Post("/v1/check", std::string(2 << 20, ' '), "application/json"), 413,
                  "INVALID_ARGUMENT");
  EXPECT_THAT(HttpGet(corsd_->metrics_port(), "/metrics"),
              HasSubstr("corsd_http_refused_total{status=\"413\"} 1\n"));
}

// The endpoint takes the data port's --tls-* settings: with a client CA, a
// client without a certificate gets nothing.
TEST(HttpEndpointTlsTest, ServesHttpsWithTheDataPortsCertificate) {
  signal(SIGPIPE, SIG_IGN);
  TempDir dir;
  const Pki pki = MakePki(dir);
  auto corsd = CorsdProcess::Start({.db = dir.File("corsd.db"),
                                    .dir = dir.path(),
                                    .extra_args = {"--tls-cert", pki.server_cert, "--tls-key",
                                                   pki.server_key, "--tls-client-ca", pki.ca_cert},
                                    .http_endpoint = true});
  ASSERT_NE(corsd, nullptr);
  const std::string request =
      "GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
  const std::string with_certificate = OpensslClient(corsd->http_port(), pki, true, request);
  EXPECT_THAT(with_certificate, HasSubstr("HTTP/1.1 200 OK"));
  EXPECT_THAT(with_certificate, HasSubstr("\r\n\r\nok\n"));
  EXPECT_THAT(OpensslClient(corsd->http_port(), pki, false, request),
              ::testing::Not(HasSubstr("200 OK")));
  EXPECT_EQ(corsd->Stop(), 0);
}

}  // namespace
}  // namespace corsd::testing
