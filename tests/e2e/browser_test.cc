// The whole chain in a real browser: headless Chromium (driven through
// chromedriver's WebDriver protocol) loads a page from one loopback origin
// (http://127.0.0.1:PAGE) that calls a gateway on another
// (http://localhost:GATEWAY), which asks a real corsd. The gateway is
// corsd-demo-gateway (remote Check, or local decisions) or a stock nginx
// with examples/nginx/corsd.conf in front of an application that sets its
// own `Access-Control-Allow-Origin: *`. What the browser allows or blocks is
// recorded in the page's DOM and read back.
//
// Skipped, with the reason, only when Chromium or chromedriver cannot start.
#include <httplib.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "gmock/gmock.h"
#include "nlohmann/json.hpp"
#include "tests/support/corsd_process.h"
#include "tests/support/loopback_port.h"
#include "tests/support/stock_gateway.h"
#include "tests/support/temp_dir.h"

namespace corsd::testing {
namespace {

using nlohmann::json;

constexpr char kPage[] = R"html(<!doctype html>
<html><body><pre id="results">pending</pre>
<script>
const GATEWAY = "http://localhost:GATEWAY_PORT/echo";
async function attempt(init) {
  try {
    const response = await fetch(GATEWAY, init);
    const body = await response.json();
    return {outcome: "allowed", status: response.status, method: body.method,
            requestId: response.headers.get("x-request-id")};
  } catch (e) {
    return {outcome: "blocked", error: String(e)};
  }
}
const CASES = {
  simple_get: () => attempt({}),
  put_json: () => attempt({method: "PUT", headers: {"Content-Type": "application/json"},
                           body: "{}"}),
  custom_header_allowed: () => attempt({headers: {"X-Allowed": "1"}}),
  custom_header_denied: () => attempt({headers: {"X-Denied": "1"}}),
  credentials: () => attempt({credentials: "include"}),
  later_header: () => attempt({method: "PUT", headers: {"X-Later": "1"}}),
};
window.runCases = async function(names) {
  const results = {};
  for (const name of names) results[name] = await CASES[name]();
  document.getElementById("results").textContent = JSON.stringify(results);
  return results;
};
</script></body></html>)html";

// A minimal WebDriver client.
class WebDriver {
 public:
  explicit WebDriver(int port) : http_("127.0.0.1", port) {
    http_.set_read_timeout(30);
    http_.set_connection_timeout(5);
  }

  // Empty string on success, else why it failed.
  std::string StartSession(const std::string& profile_dir) {
    json capabilities = {
        {"capabilities",
         {{"alwaysMatch",
           {{"browserName", "chrome"},
            {"goog:chromeOptions",
             {{"binary", "/usr/bin/chromium"},
              {"args",
               {"--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--no-first-run", "--user-data-dir=" + profile_dir}}}}}}}}};
    auto response = http_.Post("/session", capabilities.dump(), "application/json");
    if (!response) return "chromedriver did not answer";
    json body = json::parse(response->body, nullptr, false);
    if (response->status != 200 || !body.contains("value") ||
        !body["value"].contains("sessionId")) {
      return "chromedriver could not start Chromium: " + response->body.substr(0, 500);
    }
    session_ = body["value"]["sessionId"];
    Post("/timeouts", {{"script", 20000}});
    return "";
  }

  void Navigate(const std::string& url) { Post("/url", {{"url", url}}); }

  // Runs `script` (which gets a `done` callback) and returns its result.
  json ExecuteAsync(const std::string& script) {
    return Post("/execute/async", {{"script", script}, {"args", json::array()}});
  }

  json Execute(const std::string& script) {
    return Post("/execute/sync", {{"script", script}, {"args", json::array()}});
  }

  ~WebDriver() {
    if (!session_.empty()) http_.Delete(("/session/" + session_).c_str());
  }

 private:
  json Post(const std::string& path, const json& body) {
    auto response =
        http_.Post(("/session/" + session_ + path).c_str(), body.dump(), "application/json");
    if (!response) return json();
    json parsed = json::parse(response->body, nullptr, false);
    return parsed.is_discarded() ? json() : parsed["value"];
  }

  httplib::Client http_;
  std::string session_;
};

// The demo gateway asks corsd remotely, or decides locally from watched
// policies through the zero-copy API (Client::CheckLocal, DecisionView);
// or nginx asks corsd's HTTP endpoint (auth_request); or nginx decides
// in-process with ngx_http_corsd_module.
enum class GatewayMode { kRemote, kLocal, kNginx, kNginxModule };

bool IsNginx(GatewayMode mode) {
  return mode == GatewayMode::kNginx || mode == GatewayMode::kNginxModule;
}

class BrowserTest : public ::testing::TestWithParam<GatewayMode> {
 protected:
  void SetUp() override {
    start_ = absl::Now();
    if (!std::filesystem::exists("/usr/bin/chromium") ||
        !std::filesystem::exists("/usr/bin/chromedriver")) {
      GTEST_SKIP() << "Chromium or chromedriver is not installed (scripts/install-deps --test "
                      "installs them)";
    }
    if (GetParam() == GatewayMode::kNginx && !StockGateway::Installed(StockGateway::kNginx)) {
      GTEST_SKIP() << "nginx is not installed (scripts/install-deps --test installs it)";
    }
    if (GetParam() == GatewayMode::kNginxModule &&
        !StockGateway::Installed(StockGateway::kNginxModule)) {
      GTEST_SKIP() << "nginx or the module is missing (scripts/install-deps installs nginx-dev, "
                      "then the build makes build/nginx-module/)";
    }
    // corsd with a tenant the page's origin may use.
    db_ = dir_.File("corsd.db");
    token_ = CreateToken(db_, "admin");
    corsd_ = CorsdProcess::Start({.db = db_, .dir = dir_.path(), .http_endpoint = true});
    ASSERT_NE(corsd_, nullptr);
    page_port_ = FreeLoopbackPort();
    other_port_ = FreeLoopbackPort();
    gateway_port_ = FreeLoopbackPort();
    ASSERT_TRUE(corsd_->CreateTenant(token_, "web").ok());
    ASSERT_TRUE(ApplyPolicy({"content-type", "x-allowed"}).ok());
    if (IsNginx(GetParam())) {
      StartNginx();
    } else {
      StartDemoGateway();
    }
    if (HasFatalFailure()) return;
    // Pages served from two loopback origins: one the policy allows, one not.
    const std::string page =
        absl::StrReplaceAll(kPage, {{"GATEWAY_PORT", std::to_string(gateway_port_)}});
    for (httplib::Server* server : {&page_server_, &other_server_}) {
      server->Get("/index.html", [page](const httplib::Request&, httplib::Response& res) {
        res.set_content(page, "text/html");
      });
    }
    ASSERT_TRUE(page_server_.bind_to_port("127.0.0.1", page_port_));
    ASSERT_TRUE(other_server_.bind_to_port("127.0.0.1", other_port_));
    page_thread_ = std::thread([this] { page_server_.listen_after_bind(); });
    other_thread_ = std::thread([this] { other_server_.listen_after_bind(); });
    ASSERT_TRUE(WaitForGateway());

    const int driver_port = FreeLoopbackPort();
    chromedriver_ = std::make_unique<Subprocess>(
        std::vector<std::string>{"/usr/bin/chromedriver", "--port=" + std::to_string(driver_port)},
        dir_.File("chromedriver.log"));
    for (int i = 0; i < 100 && HttpGet(driver_port, "/status").empty(); ++i) {
      absl::SleepFor(absl::Milliseconds(50));
    }
    driver_ = std::make_unique<WebDriver>(driver_port);
    std::string failure = driver_->StartSession(dir_.File("profile"));
    if (!failure.empty()) {
      GTEST_SKIP() << failure << "\nchromedriver log:\n"
                   << ReadFileOrEmpty(dir_.File("chromedriver.log")).substr(0, 2000);
    }
  }

  void StartDemoGateway() {
    std::vector<std::string> gateway_args = {BinaryDir() + "/corsd-demo-gateway",
                                             "--listen",
                                             "127.0.0.1:" + std::to_string(gateway_port_),
                                             "--corsd",
                                             corsd_->data_address(),
                                             "--tenant",
                                             "web",
                                             "--deadline",
                                             "2s"};
    if (GetParam() == GatewayMode::kLocal) {
      const std::string token_file = dir_.File("gateway.token");
      std::ofstream(token_file) << CreateToken(db_, "viewer") << "\n";
      gateway_args.insert(gateway_args.end(), {"--local", "--admin", corsd_->admin_address(),
                                               "--token-file", token_file});
    }
    gateway_ = std::make_unique<Subprocess>(gateway_args, dir_.File("gateway.log"));
  }

  // nginx with the shipped configuration, in front of an application that
  // answers /echo like the demo gateway but also sets its own CORS headers,
  // which must never reach the browser.
  void StartNginx() {
    application_.set_post_routing_handler([](const httplib::Request&, httplib::Response& res) {
      res.set_header("Access-Control-Allow-Origin", "*");
      res.set_header("X-Request-Id", "42");
    });
    auto echo = [this](const httplib::Request& req, httplib::Response& res) {
      if (req.method == "OPTIONS") application_preflights_++;
      res.set_content(absl::StrCat(R"({"method":")", req.method, "\"}"), "application/json");
    };
    application_.Get("/echo", echo);
    application_.Put("/echo", echo);
    application_.Options("/echo", echo);
    const int application_port = application_.bind_to_any_port("127.0.0.1");
    application_thread_ = std::thread([this] { application_.listen_after_bind(); });
    const std::string token_file = dir_.File("nginx.token");
    std::ofstream(token_file) << CreateToken(db_, "viewer") << "\n";
    nginx_ = StockGateway::Start(
        GetParam() == GatewayMode::kNginx ? StockGateway::kNginx : StockGateway::kNginxModule, dir_,
        {.corsd_http_port = corsd_->http_port(),
         .upstream_port = application_port,
         .tenant = "web",
         .corsd_admin_address = corsd_->admin_address(),
         .corsd_data_address = corsd_->data_address(),
         .token_file = token_file});
    ASSERT_NE(nginx_, nullptr);
    gateway_port_ = nginx_->port();
  }

  void TearDown() override {
    driver_.reset();
    if (chromedriver_) chromedriver_->Signal(SIGTERM);
    if (gateway_) gateway_->Signal(SIGTERM);
    if (HasFailure() && nginx_) std::cerr << "---- nginx log ----\n" << nginx_->log();
    nginx_.reset();
    application_.stop();
    if (application_thread_.joinable()) application_thread_.join();
    page_server_.stop();
    other_server_.stop();
    if (page_thread_.joinable()) page_thread_.join();
    if (other_thread_.joinable()) other_thread_.join();
    if (corsd_) {
      EXPECT_EQ(corsd_->Stop(), 0);
    }
    if (HasFailure()) {
      std::cerr << "---- gateway log ----\n" << ReadFileOrEmpty(dir_.File("gateway.log"));
    }
    EXPECT_LT(absl::Now() - start_, absl::Seconds(60)) << "the browser test must stay bounded";
  }

  grpc::Status ApplyPolicy(const std::vector<std::string>& headers) {
    v1::PutPolicyRequest put;
    put.set_tenant("web");
    v1::CorsRule* rule = put.mutable_policy()->add_rules();
    rule->add_allowed_origins("http://127.0.0.1:" + std::to_string(page_port_));
    rule->add_allowed_methods("PUT");
    for (const std::string& h : headers) rule->add_allowed_headers(h);
    rule->add_exposed_headers("x-request-id");
    rule->set_allow_credentials(true);
    rule->set_max_age_seconds(-1);  // browsers must not cache preflights here
    grpc::ClientContext context;
    Authorize(&context, token_);
    v1::PolicyVersion version;
    return corsd_->AdminStub()->PutPolicy(&context, put, &version);
  }

  // The source the gateway logs for decisions it made itself.
  static std::string DecisionSource() {
    return GetParam() == GatewayMode::kLocal ? "local-view" : "remote";
  }

  // A local gateway learns of a policy change through its watch stream
  // (well under a second); a remote one asks corsd on every request.
  bool WaitUntilGatewayAllowsHeader(const std::string& header) {
    for (int i = 0; i < 200; ++i) {
      httplib::Client client("127.0.0.1", gateway_port_);
      httplib::Headers headers = {{"Origin", "http://127.0.0.1:" + std::to_string(page_port_)},
                                  {"Access-Control-Request-Method", "PUT"},
                                  {"Access-Control-Request-Headers", header}};
      if (auto r = client.Options("/echo", headers); r && r->status == 204) return true;
      absl::SleepFor(absl::Milliseconds(25));
    }
    return false;
  }

  bool WaitForGateway() {
    for (int i = 0; i < 200; ++i) {
      httplib::Client client("127.0.0.1", gateway_port_);
      if (auto r = client.Get("/echo")) return true;
      absl::SleepFor(absl::Milliseconds(25));
    }
    return false;
  }

  // Loads the page from `port` and runs the named cases in the browser.
  json RunInBrowser(int port, const std::vector<std::string>& cases) {
    driver_->Navigate("http://127.0.0.1:" + std::to_string(port) + "/index.html");
    json result = driver_->ExecuteAsync(
        "const done = arguments[arguments.length - 1];"
        "window.runCases(" +
        json(cases).dump() + ").then(r => done(JSON.stringify(r)));");
    // The same results, as recorded in the DOM.
    json dom = driver_->Execute("return document.getElementById('results').textContent;");
    EXPECT_EQ(result, dom);
    return result.is_string() ? json::parse(result.get<std::string>(), nullptr, false) : json();
  }

  absl::Time start_;
  TempDir dir_;
  std::string db_;
  std::string token_;
  std::unique_ptr<CorsdProcess> corsd_;
  std::unique_ptr<Subprocess> gateway_;
  std::unique_ptr<StockGateway> nginx_;
  httplib::Server application_;  // behind nginx
  std::thread application_thread_;
  std::atomic<int> application_preflights_{0};
  std::unique_ptr<Subprocess> chromedriver_;
  std::unique_ptr<WebDriver> driver_;
  httplib::Server page_server_;
  httplib::Server other_server_;
  std::thread page_thread_;
  std::thread other_thread_;
  int page_port_ = 0;
  int other_port_ = 0;
  int gateway_port_ = 0;
};

TEST_P(BrowserTest, ChromiumEnforcesCorsdDecisions) {
  json results = RunInBrowser(page_port_, {"simple_get", "put_json", "custom_header_allowed",
                                           "custom_header_denied", "credentials", "later_header"});
  ASSERT_TRUE(results.is_object()) << results;
  EXPECT_EQ(results["simple_get"]["outcome"], "allowed") << results;
  EXPECT_FALSE(results["simple_get"]["requestId"].is_null()) << "exposed header is readable";
  EXPECT_EQ(results["put_json"]["outcome"], "allowed") << results;
  EXPECT_EQ(results["put_json"]["method"], "PUT");
  EXPECT_EQ(results["custom_header_allowed"]["outcome"], "allowed") << results;
  EXPECT_EQ(results["custom_header_denied"]["outcome"], "blocked") << results;
  EXPECT_EQ(results["credentials"]["outcome"], "allowed") << results;
  EXPECT_EQ(results["later_header"]["outcome"], "blocked") << results;

  // A page from an origin the policy does not list is blocked.
  json other = RunInBrowser(other_port_, {"simple_get"});
  EXPECT_EQ(other["simple_get"]["outcome"], "blocked") << other;

  // A policy change through the admin API applies to the very next request
  // (max-age -1: the browser keeps no preflight cache).
  ASSERT_TRUE(ApplyPolicy({"content-type", "x-allowed", "x-later"}).ok());
  ASSERT_TRUE(WaitUntilGatewayAllowsHeader("x-later"));
  json after = RunInBrowser(page_port_, {"later_header"});
  EXPECT_EQ(after["later_header"]["outcome"], "allowed") << after;

  if (IsNginx(GetParam())) {
    // corsd answered every preflight through nginx; the application saw
    // none, and its `Access-Control-Allow-Origin: *` never reached the
    // browser (the other origin was blocked above).
    EXPECT_EQ(application_preflights_, 0);
    if (GetParam() == GatewayMode::kNginxModule) {
      // $corsd_verdict and $corsd_reason in the access log.
      const std::string log = nginx_->access_log();
      EXPECT_THAT(log, ::testing::HasSubstr("\"OPTIONS /echo HTTP/1.1\" 204 corsd=ALLOW/ALLOWED"));
      EXPECT_THAT(log, ::testing::HasSubstr(
                           "\"OPTIONS /echo HTTP/1.1\" 403 corsd=DENY/HEADERS_NOT_ALLOWED"));
      EXPECT_THAT(log,
                  ::testing::HasSubstr("\"GET /echo HTTP/1.1\" 200 corsd=DENY/ORIGIN_NOT_ALLOWED"));
    }
    return;
  }
  // The gateway answered denied preflights itself and forwarded denied
  // actual requests.
  std::string log = ReadFileOrEmpty(dir_.File("gateway.log"));
  EXPECT_THAT(log,
              ::testing::HasSubstr(
                  "\"method\":\"OPTIONS\",\"path\":\"/echo\",\"verdict\":\"DENY\",\"source\":\"" +
                  DecisionSource() + "\",\"status\":403"));
  EXPECT_THAT(log, ::testing::HasSubstr(
                       "\"method\":\"GET\",\"path\":\"/echo\",\"verdict\":\"DENY\",\"source\":\"" +
                       DecisionSource() + "\",\"status\":200"));
  EXPECT_THAT(
      log, ::testing::HasSubstr("\"verdict\":\"ALLOW\",\"source\":\"" + DecisionSource() + "\""));
}

INSTANTIATE_TEST_SUITE_P(Gateway, BrowserTest,
                         ::testing::Values(GatewayMode::kRemote, GatewayMode::kLocal,
                                           GatewayMode::kNginx, GatewayMode::kNginxModule),
                         [](const ::testing::TestParamInfo<GatewayMode>& info) {
                           switch (info.param) {
                             case GatewayMode::kLocal:
                               return "Local";
                             case GatewayMode::kNginx:
                               return "Nginx";
                             case GatewayMode::kNginxModule:
                               return "NginxModule";
                             default:
                               return "Remote";
                           }
                         });

}  // namespace
}  // namespace corsd::testing
