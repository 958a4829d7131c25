// The shipped gateway configurations, run for real: Debian's nginx with
// examples/nginx/corsd.conf and caddy with examples/caddy/Caddyfile, in
// front of an application that sets its own `Access-Control-Allow-Origin: *`,
// with a real corsd's HTTP endpoint deciding. Plain HTTP requests as a
// browser sends them; the Chromium test (browser_test.cc) covers nginx with
// a real browser.
#include "tests/support/stock_gateway.h"

#include <httplib.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "tests/support/corsd_process.h"
#include "tests/support/loopback_port.h"
#include "tests/support/temp_dir.h"
#include "yaml-cpp/yaml.h"

namespace corsd::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr char kPageOrigin[] = "https://app.example.com";

class StockGatewayTest : public ::testing::TestWithParam<StockGateway::Kind> {
 protected:
  void SetUp() override {
    signal(SIGPIPE, SIG_IGN);
    if (!StockGateway::Installed(GetParam())) {
      GTEST_SKIP() << StockGateway::Name(GetParam())
                   << " is not installed (scripts/install-deps --test installs it)";
    }
    const std::string db = dir_.File("corsd.db");
    token_ = CreateToken(db, "admin");
    corsd_ = CorsdProcess::Start({.db = db, .dir = dir_.path(), .http_endpoint = true});
    ASSERT_NE(corsd_, nullptr);
    ASSERT_TRUE(corsd_->CreateTenant(token_, "web").ok());
    ASSERT_TRUE(ApplyPolicy({"content-type"}).ok());

    // The application: answers everything, with CORS headers of its own
    // that corsd's answer must replace.
    upstream_.set_post_routing_handler([](const httplib::Request&, httplib::Response& res) {
      res.set_header("Access-Control-Allow-Origin", "*");
      res.set_header("Access-Control-Allow-Methods", "GET, PUT, DELETE");
      res.set_header("Vary", "Accept-Encoding");
      res.set_header("X-Request-Id", "42");
    });
    auto echo = [this](const httplib::Request& req, httplib::Response& res) {
      upstream_hits_++;
      res.set_content(absl::StrCat(R"({"method":")", req.method, R"(","body":")", req.body, "\"}"),
                      "application/json");
    };
    upstream_.Get("/echo", echo);
    upstream_.Put("/echo", echo);
    upstream_.Options("/echo", echo);
    upstream_port_ = upstream_.bind_to_any_port("127.0.0.1");
    upstream_thread_ = std::thread([this] { upstream_.listen_after_bind(); });

    gateway_ = StockGateway::Start(
        GetParam(), dir_,
        {.corsd_http_port = corsd_->http_port(), .upstream_port = upstream_port_, .tenant = "web"});
    ASSERT_NE(gateway_, nullptr);
    client_ = std::make_unique<httplib::Client>("127.0.0.1", gateway_->port());
    client_->set_read_timeout(5);
    upstream_hits_ = 0;
  }

  void TearDown() override {
    if (HasFailure() && gateway_ != nullptr)
      std::cerr << "---- gateway log ----\n" << gateway_->log();
    gateway_.reset();
    upstream_.stop();
    if (upstream_thread_.joinable()) upstream_thread_.join();
    if (corsd_ != nullptr) {
      EXPECT_EQ(corsd_->Stop(), 0);
    }
  }

  grpc::Status ApplyPolicy(const std::vector<std::string>& headers) {
    v1::PutPolicyRequest put;
    put.set_tenant("web");
    v1::CorsRule* rule = put.mutable_policy()->add_rules();
    rule->add_allowed_origins(kPageOrigin);
    rule->add_allowed_methods("PUT");
    for (const std::string& h : headers) rule->add_allowed_headers(h);
    rule->add_exposed_headers("x-request-id");
    rule->set_allow_credentials(true);
    rule->set_max_age_seconds(600);
    grpc::ClientContext context;
    Authorize(&context, token_);
    v1::PolicyVersion version;
    return corsd_->AdminStub()->PutPolicy(&context, put, &version);
  }

  httplib::Result Preflight(const std::string& origin, const std::string& headers) {
    httplib::Headers request = {{"Origin", origin}, {"Access-Control-Request-Method", "PUT"}};
    if (!headers.empty()) request.emplace("Access-Control-Request-Headers", headers);
    return client_->Options("/echo", request);
  }

  // Every value of `name` in the answer (a header may come on several lines).
  static std::vector<std::string> All(const httplib::Result& result, const std::string& name) {
    std::vector<std::string> out;
    for (size_t i = 0; i < result->get_header_value_count(name.c_str()); ++i) {
      out.push_back(result->get_header_value(name.c_str(), i));
    }
    return out;
  }

  static void ExpectNoCorsdInternals(const httplib::Result& result) {
    for (const auto& [name, value] : result->headers) {
      EXPECT_FALSE(absl::StartsWithIgnoreCase(name, "x-corsd-")) << name << ": " << value;
    }
  }

  TempDir dir_;
  std::string token_;
  std::unique_ptr<CorsdProcess> corsd_;
  httplib::Server upstream_;
  std::thread upstream_thread_;
  int upstream_port_ = 0;
  std::atomic<int> upstream_hits_{0};
  std::unique_ptr<StockGateway> gateway_;
  std::unique_ptr<httplib::Client> client_;
};

TEST_P(StockGatewayTest, AnAllowedPreflightIsAnsweredByCorsdAndNeverReachesTheApplication) {
  auto result = Preflight(kPageOrigin, "content-type");
  ASSERT_TRUE(result);
  EXPECT_EQ(result->status, 204);
  EXPECT_THAT(All(result, "Access-Control-Allow-Origin"), ::testing::ElementsAre(kPageOrigin));
  EXPECT_THAT(All(result, "Access-Control-Allow-Methods"), ::testing::ElementsAre("PUT"));
  EXPECT_THAT(All(result, "Access-Control-Allow-Headers"), ::testing::ElementsAre("content-type"));
  EXPECT_THAT(All(result, "Access-Control-Allow-Credentials"), ::testing::ElementsAre("true"));
  EXPECT_THAT(All(result, "Access-Control-Max-Age"), ::testing::ElementsAre("600"));
  EXPECT_THAT(result->get_header_value("Vary"), HasSubstr("Access-Control-Request-Method"));
  ExpectNoCorsdInternals(result);
  EXPECT_EQ(upstream_hits_, 0);
}

TEST_P(StockGatewayTest, ADeniedPreflightIs403WithoutAccessControlHeaders) {
  for (const auto& [origin, headers] : std::vector<std::pair<std::string, std::string>>{
           {"https://evil.example", ""}, {kPageOrigin, "x-not-allowed"}}) {
    auto result = Preflight(origin, headers);
    ASSERT_TRUE(result);
    EXPECT_EQ(result->status, 403) << origin << " " << headers;
    EXPECT_THAT(All(result, "Access-Control-Allow-Origin"), IsEmpty());
    EXPECT_THAT(All(result, "Access-Control-Allow-Methods"), IsEmpty());
    ExpectNoCorsdInternals(result);
  }
  EXPECT_EQ(upstream_hits_, 0);
}

TEST_P(StockGatewayTest, AnAllowedRequestGetsCorsdsHeadersInsteadOfTheApplications) {
  auto result = client_->Get("/echo", {{"Origin", kPageOrigin}});
  ASSERT_TRUE(result);
  EXPECT_EQ(result->status, 200);
  EXPECT_THAT(result->body, HasSubstr(R"("method":"GET")"));
  EXPECT_THAT(All(result, "Access-Control-Allow-Origin"), ::testing::ElementsAre(kPageOrigin))
      << "corsd's answer, never the application's *";
  EXPECT_THAT(All(result, "Access-Control-Allow-Credentials"), ::testing::ElementsAre("true"));
  EXPECT_THAT(All(result, "Access-Control-Expose-Headers"), ::testing::ElementsAre("x-request-id"));
  EXPECT_THAT(All(result, "Access-Control-Allow-Methods"), IsEmpty());
  // Vary: corsd's and the application's, merged or on two lines.
  std::string vary;
  for (const std::string& line : All(result, "Vary")) absl::StrAppend(&vary, line, ",");
  EXPECT_THAT(vary, HasSubstr("Origin"));
  EXPECT_THAT(vary, HasSubstr("Accept-Encoding"));
  ExpectNoCorsdInternals(result);

  auto put = client_->Put("/echo", {{"Origin", kPageOrigin}}, "{\"a\":1}", "application/json");
  ASSERT_TRUE(put);
  EXPECT_THAT(put->body, HasSubstr(R"("method":"PUT","body":"{"a":1}")"))
      << "the body reaches the application";
  EXPECT_EQ(upstream_hits_, 2);
}

TEST_P(StockGatewayTest, TheApplicationsWildcardNeverReachesADeniedOrNonCorsRequest) {
  for (const httplib::Headers& headers :
       {httplib::Headers{{"Origin", "https://evil.example"}}, httplib::Headers{}}) {
    auto result = client_->Get("/echo", headers);
    ASSERT_TRUE(result);
    EXPECT_EQ(result->status, 200) << "forwarded: the browser enforces";
    for (const char* name : {"Access-Control-Allow-Origin", "Access-Control-Allow-Methods",
                             "Access-Control-Allow-Credentials"}) {
      EXPECT_THAT(All(result, name), IsEmpty()) << name;
    }
    ExpectNoCorsdInternals(result);
  }
  EXPECT_EQ(upstream_hits_, 2);
}

TEST_P(StockGatewayTest, APolicyChangeAppliesToTheNextRequest) {
  auto before = Preflight(kPageOrigin, "x-later");
  ASSERT_TRUE(before);
  EXPECT_EQ(before->status, 403);
  ASSERT_TRUE(ApplyPolicy({"content-type", "x-later"}).ok());
  auto after = Preflight(kPageOrigin, "x-later");
  ASSERT_TRUE(after);
  EXPECT_EQ(after->status, 204) << "corsd publishes before it acknowledges the write";
}

INSTANTIATE_TEST_SUITE_P(Gateways, StockGatewayTest,
                         ::testing::Values(StockGateway::kNginx, StockGateway::kCaddy),
                         [](const ::testing::TestParamInfo<StockGateway::Kind>& info) {
                           return StockGateway::Name(info.param);
                         });

}  // namespace
}  // namespace corsd::testing

namespace corsd::testing {
namespace {

std::vector<std::string> Strings(const YAML::Node& list) {
  std::vector<std::string> out;
  for (const YAML::Node& item : list) out.push_back(item.as<std::string>());
  return out;
}

// Traefik is not packaged for Debian: its example is checked by sending
// corsd exactly what the example makes Traefik send, and checking that the
// headers it copies are the ones corsd answers with.
TEST(TraefikExampleTest, NamesTheHeadersCorsdReadsAndSends) {
  signal(SIGPIPE, SIG_IGN);
  const YAML::Node config =
      YAML::LoadFile(absl::StrCat(CORSD_SOURCE_DIR, "/examples/traefik/dynamic.yml"));
  const YAML::Node decide = config["http"]["middlewares"]["corsd-decide"]["forwardAuth"];
  ASSERT_TRUE(decide) << "the corsd-decide forwardAuth middleware";
  EXPECT_THAT(decide["address"].as<std::string>(), ::testing::EndsWith("/v1/forward-auth"));
  const std::vector<std::string> sent = Strings(decide["authRequestHeaders"]);
  const std::vector<std::string> copied = Strings(decide["authResponseHeaders"]);
  EXPECT_EQ(config["http"]["middlewares"]["corsd-preflight-path"]["replacePath"]["path"]
                .as<std::string>(),
            "/v1/forward-auth");

  TempDir dir;
  const std::string db = dir.File("corsd.db");
  const std::string token = CreateToken(db, "admin");
  auto corsd = CorsdProcess::Start({.db = db, .dir = dir.path(), .http_endpoint = true});
  ASSERT_NE(corsd, nullptr);
  ASSERT_TRUE(corsd->CreateTenant(token, "web").ok());
  {
    v1::PutPolicyRequest put;
    put.set_tenant("web");
    v1::CorsRule* rule = put.mutable_policy()->add_rules();
    rule->add_allowed_origins(kPageOrigin);
    rule->add_allowed_methods("PUT");
    rule->add_exposed_headers("x-request-id");
    rule->set_allow_credentials(true);
    grpc::ClientContext context;
    Authorize(&context, token);
    v1::PolicyVersion version;
    ASSERT_TRUE(corsd->AdminStub()->PutPolicy(&context, put, &version).ok());
  }
  httplib::Client client("127.0.0.1", corsd->http_port());

  // An actual request as forwardAuth describes it: only the headers the
  // example lets through, plus Traefik's X-Forwarded-*.
  const httplib::Headers all = {{"Origin", kPageOrigin},
                                {"Access-Control-Request-Method", "PUT"},
                                {"X-Corsd-Tenant", "web"},
                                {"Cookie", "secret=1"}};
  httplib::Headers forwarded = {{"X-Forwarded-Method", "GET"},
                                {"X-Forwarded-Uri", "/items?page=2"},
                                {"X-Forwarded-Host", "app.example.com:8443"},
                                {"X-Forwarded-Proto", "https"}};
  for (const auto& [name, value] : all) {
    if (std::find(sent.begin(), sent.end(), name) != sent.end()) forwarded.emplace(name, value);
  }
  auto actual = client.Get("/v1/forward-auth", forwarded);
  ASSERT_TRUE(actual);
  EXPECT_EQ(actual->status, 200) << "a 2xx lets Traefik forward the request";
  EXPECT_EQ(actual->get_header_value("X-Corsd-Verdict"), "ALLOW");
  for (const std::string& name : copied) {
    EXPECT_TRUE(actual->has_header(name.c_str())) << name << " is copied but corsd never sends it";
  }
  for (const char* name : {"Access-Control-Allow-Origin", "Access-Control-Allow-Credentials",
                           "Access-Control-Expose-Headers", "Vary"}) {
    if (actual->has_header(name)) {
      EXPECT_NE(std::find(copied.begin(), copied.end(), name), copied.end())
          << name << " is in corsd's answer but the example does not copy it";
    }
  }

  // A preflight routed to corsd through replacePath: Traefik sends the
  // browser's own request, with the path it replaced in X-Replaced-Path.
  auto preflight = client.Options("/v1/forward-auth", {{"Origin", kPageOrigin},
                                                       {"Access-Control-Request-Method", "PUT"},
                                                       {"X-Corsd-Tenant", "web"},
                                                       {"X-Replaced-Path", "/items"}});
  ASSERT_TRUE(preflight);
  EXPECT_EQ(preflight->status, 204);
  EXPECT_EQ(preflight->get_header_value("Access-Control-Allow-Origin"), kPageOrigin);
  EXPECT_EQ(corsd->Stop(), 0);
}

}  // namespace
}  // namespace corsd::testing
