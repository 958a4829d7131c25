// ngx_http_corsd_module in Debian's nginx, against a real corsd and an
// application that sets its own CORS headers: corsd's answer replaces them,
// `nginx -s reload` under load loses no request and denies nothing it
// should allow, decisions go on while corsd is stopped and follow it once it
// is back, and a start while corsd is down decides from the snapshot, or
// with neither denies cross-origin requests and says why.
// (The Chromium cases run against the module in browser_test.cc.)
#include <httplib.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "tests/support/corsd_process.h"
#include "tests/support/loopback_port.h"
#include "tests/support/stock_gateway.h"
#include "tests/support/temp_dir.h"

namespace corsd::testing {
namespace {

using ::testing::HasSubstr;

constexpr char kAllowed[] = "https://app.example";

class NginxModuleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!StockGateway::Installed(StockGateway::kNginxModule)) {
      GTEST_SKIP() << "nginx or the module is missing (scripts/install-deps installs nginx-dev, "
                      "then the build makes build/nginx-module/)";
    }
    db_ = dir_.File("corsd.db");
    token_ = CreateToken(db_, "admin");
    StartCorsd("127.0.0.1:0", "127.0.0.1:0");
    ASSERT_TRUE(corsd_->CreateTenant(token_, "web").ok());
    ASSERT_TRUE(PutPolicy({kAllowed}).ok());
    token_file_ = dir_.File("nginx.token");
    std::ofstream(token_file_) << CreateToken(db_, "viewer") << "\n";

    // The application sets its own CORS headers and Vary; nginx must show
    // only corsd's answer, with Vary merged.
    application_.set_post_routing_handler([](const httplib::Request&, httplib::Response& res) {
      res.set_header("Access-Control-Allow-Origin", "*");
      res.set_header("Access-Control-Allow-Methods", "*");
      res.set_header("Vary", "Accept-Encoding");
    });
    application_.Get("/echo", [this](const httplib::Request&, httplib::Response& res) {
      application_requests_++;
      res.set_content("{}", "application/json");
    });
    application_.Options("/echo", [this](const httplib::Request&, httplib::Response& res) {
      application_preflights_++;
    });
    application_port_ = application_.bind_to_any_port("127.0.0.1");
    application_thread_ = std::thread([this] { application_.listen_after_bind(); });
    listen_port_ = FreeLoopbackPort();
  }

  void TearDown() override {
    if (HasFailure() && nginx_ != nullptr) std::cerr << "---- nginx log ----\n" << nginx_->log();
    nginx_.reset();
    application_.stop();
    if (application_thread_.joinable()) application_thread_.join();
    if (corsd_ != nullptr && corsd_->running()) {
      EXPECT_EQ(corsd_->Stop(), 0);
    }
  }

  void StartCorsd(const std::string& data, const std::string& admin) {
    corsd_ = CorsdProcess::Start(
        {.db = db_, .dir = dir_.path(), .data_listen = data, .admin_listen = admin});
    ASSERT_NE(corsd_, nullptr);
  }

  void StartNginx(const std::string& site_append = "") {
    nginx_ = StockGateway::Start(StockGateway::kNginxModule, dir_,
                                 {.upstream_port = application_port_,
                                  .tenant = "web",
                                  .corsd_admin_address = corsd_->admin_address(),
                                  .corsd_data_address = corsd_->data_address(),
                                  .token_file = token_file_,
                                  .listen_port = listen_port_,
                                  .site_append = site_append});
    ASSERT_NE(nginx_, nullptr);
  }

  grpc::Status PutPolicy(const std::vector<std::string>& origins) {
    v1::PutPolicyRequest put;
    put.set_tenant("web");
    v1::CorsRule* rule = put.mutable_policy()->add_rules();
    for (const std::string& origin : origins) rule->add_allowed_origins(origin);
    rule->add_allowed_methods("PUT");
    rule->add_allowed_headers("content-type");
    grpc::ClientContext context;
    Authorize(&context, token_);
    v1::PolicyVersion version;
    return corsd_->AdminStub()->PutPolicy(&context, put, &version);
  }

  // One request on a connection of its own (a reload closes idle keep-alive
  // connections, which a client may race; new connections never fail).
  httplib::Result Get(const std::string& origin) {
    httplib::Client client("127.0.0.1", listen_port_);
    client.set_keep_alive(false);
    httplib::Headers headers;
    if (!origin.empty()) headers.emplace("Origin", origin);
    return client.Get("/echo", headers);
  }

  httplib::Result Preflight(const std::string& origin) {
    httplib::Client client("127.0.0.1", listen_port_);
    return client.Options("/echo", {{"Origin", origin},
                                    {"Access-Control-Request-Method", "PUT"},
                                    {"Access-Control-Request-Headers", "content-type"}});
  }

  static size_t Count(const httplib::Headers& headers, const std::string& name) {
    return headers.count(name);
  }

  // Polls (a watch delivers within well under a second).
  bool WaitFor(const std::function<bool()>& condition) {
    for (int i = 0; i < 400; ++i) {
      if (condition()) return true;
      absl::SleepFor(absl::Milliseconds(25));
    }
    return false;
  }

  static int Occurrences(const std::string& text, const std::string& needle) {
    int n = 0;
    for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) {
      ++n;
    }
    return n;
  }

  TempDir dir_;
  std::string db_;
  std::string token_;
  std::string token_file_;
  std::unique_ptr<CorsdProcess> corsd_;
  std::unique_ptr<StockGateway> nginx_;
  httplib::Server application_;
  std::thread application_thread_;
  int application_port_ = 0;
  int listen_port_ = 0;
  std::atomic<int> application_requests_{0};
  std::atomic<int> application_preflights_{0};
};

TEST_F(NginxModuleTest, CorsdsAnswerReplacesTheApplicationsHeaders) {
  StartNginx();
  ASSERT_NE(nginx_, nullptr);

  // Allowed: corsd's ACAO instead of the application's "*", one Vary line.
  httplib::Result allowed = Get(kAllowed);
  ASSERT_TRUE(allowed);
  EXPECT_EQ(allowed->status, 200);
  EXPECT_EQ(allowed->get_header_value("Access-Control-Allow-Origin"), kAllowed);
  EXPECT_EQ(Count(allowed->headers, "Access-Control-Allow-Origin"), 1u);
  EXPECT_EQ(Count(allowed->headers, "Access-Control-Allow-Methods"), 0u);
  EXPECT_EQ(Count(allowed->headers, "Vary"), 1u);
  EXPECT_EQ(allowed->get_header_value("Vary"), "Accept-Encoding, Origin");

  // Denied: the application's wildcard never reaches the browser.
  httplib::Result denied = Get("https://evil.example");
  ASSERT_TRUE(denied);
  EXPECT_EQ(denied->status, 200);  // forwarded; the browser blocks it
  EXPECT_EQ(Count(denied->headers, "Access-Control-Allow-Origin"), 0u);
  EXPECT_EQ(Count(denied->headers, "Access-Control-Allow-Methods"), 0u);
  EXPECT_THAT(denied->get_header_value("Vary"), HasSubstr("Origin"));

  // Not CORS: passes, and still no stray Access-Control-* header.
  httplib::Result plain = Get("");
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->status, 200);
  EXPECT_EQ(Count(plain->headers, "Access-Control-Allow-Origin"), 0u);

  // Preflights are answered by the module: allowed 204, denied 403, no body.
  httplib::Result preflight = Preflight(kAllowed);
  ASSERT_TRUE(preflight);
  EXPECT_EQ(preflight->status, 204);
  EXPECT_EQ(preflight->get_header_value("Access-Control-Allow-Origin"), kAllowed);
  EXPECT_THAT(preflight->get_header_value("Access-Control-Allow-Methods"), HasSubstr("PUT"));
  httplib::Result refused = Preflight("https://evil.example");
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 403);
  EXPECT_TRUE(refused->body.empty());
  EXPECT_EQ(Count(refused->headers, "Access-Control-Allow-Origin"), 0u);
  EXPECT_EQ(application_preflights_, 0);
  EXPECT_EQ(application_requests_, 3);
}

TEST_F(NginxModuleTest, AddHeaderCannotWidenThePolicyVariablesAndOffWorkHostileInputIsCheap) {
  // An old-style CORS configuration left next to the module: its
  // add_header lines run before the module's filter, which removes them.
  const int port = FreeLoopbackPort();
  // The tenant comes from a variable here (corsd_tenant $variable), and
  // `corsd off` opts a location out.
  StartNginx(
      absl::StrCat("map $host $test_tenant { default web; }\n"
                   "server {\n  listen 127.0.0.1:",
                   port,
                   ";\n  corsd on;\n  corsd_tenant $test_tenant;\n"
                   "  add_header Access-Control-Allow-Origin \"*\" always;\n"
                   "  add_header Access-Control-Allow-Credentials \"true\" always;\n"
                   "  location / { return 200 \"static\\n\"; }\n"
                   "  location /off/ { corsd off; return 200 \"untouched\\n\"; }\n}\n"));
  ASSERT_NE(nginx_, nullptr);
  httplib::Client client("127.0.0.1", port);
  httplib::Result denied = client.Get("/", {{"Origin", "https://evil.example"}});
  ASSERT_TRUE(denied);
  EXPECT_EQ(denied->status, 200);
  EXPECT_EQ(Count(denied->headers, "Access-Control-Allow-Origin"), 0u);
  EXPECT_EQ(Count(denied->headers, "Access-Control-Allow-Credentials"), 0u);
  httplib::Result allowed = client.Get("/", {{"Origin", kAllowed}});
  ASSERT_TRUE(allowed);
  EXPECT_EQ(Count(allowed->headers, "Access-Control-Allow-Origin"), 1u);
  EXPECT_EQ(allowed->get_header_value("Access-Control-Allow-Origin"), kAllowed);
  httplib::Result off = client.Get("/off/", {{"Origin", "https://evil.example"}});
  ASSERT_TRUE(off);
  EXPECT_EQ(off->get_header_value("Access-Control-Allow-Origin"), "*");  // not corsd's business

  // A preflight with its Origin repeated 800 times (as much as nginx's
  // default header buffers take) and 50
  // Access-Control-Request-* lines: denied as malformed, and the worker
  // serves on.
  httplib::Headers hostile = {{"Access-Control-Request-Method", "PUT"}};
  for (int i = 0; i < 800; ++i) hostile.emplace("Origin", kAllowed);
  for (int i = 0; i < 50; ++i) hostile.emplace("Access-Control-Request-Headers", "content-type");
  httplib::Result refused = client.Options("/", hostile);
  ASSERT_TRUE(refused) << nginx_->log();
  // Malformed is not a preflight corsd answers: it is denied and passed on,
  // and the browser blocks it (no Access-Control-* header).
  EXPECT_EQ(refused->status, 200);
  EXPECT_EQ(Count(refused->headers, "Access-Control-Allow-Origin"), 0u);
  httplib::Result after = client.Get("/", {{"Origin", kAllowed}});
  ASSERT_TRUE(after);
  EXPECT_EQ(after->get_header_value("Access-Control-Allow-Origin"), kAllowed);
}

TEST_F(NginxModuleTest, ReloadUnderLoadLosesNoRequest) {
  StartNginx();
  ASSERT_NE(nginx_, nullptr);
  std::atomic<bool> stop{false};
  std::atomic<int> ok{0}, failed{0}, wrong{0};
  std::vector<std::thread> load;
  for (int t = 0; t < 2; ++t) {
    load.emplace_back([&] {
      while (!stop) {
        httplib::Result r = Get(kAllowed);
        if (!r || r->status != 200) {
          failed++;
        } else if (r->get_header_value("Access-Control-Allow-Origin") != kAllowed) {
          wrong++;  // a decision that denied what the policy allows
        } else {
          ok++;
        }
      }
    });
  }
  // Three reloads, each complete (the new worker started and the old one
  // gone) before the next, with requests flowing throughout.
  const std::string started = "start worker process";
  const std::string exited = "exited with code 0";
  for (int i = 1; i <= 3; ++i) {
    const int before = ok;
    nginx_->Reload();
    ASSERT_TRUE(WaitFor([&] {
      const std::string log = nginx_->log();
      return Occurrences(log, started) >= i + 1 && Occurrences(log, exited) >= i;
    })) << nginx_->log();
    ASSERT_TRUE(WaitFor([&] { return ok > before + 20; }));
  }
  stop = true;
  for (std::thread& t : load) t.join();
  EXPECT_EQ(failed, 0);
  EXPECT_EQ(wrong, 0);
  EXPECT_GT(ok, 60);
}

TEST_F(NginxModuleTest, DecisionsContinueWhileCorsdIsStoppedAndFollowItBack) {
  StartNginx();
  ASSERT_NE(nginx_, nullptr);
  const std::string data = corsd_->data_address();
  const std::string admin = corsd_->admin_address();
  ASSERT_EQ(corsd_->Stop(), 0);

  // corsd is gone: the worker decides with the policy it holds.
  for (int i = 0; i < 5; ++i) {
    httplib::Result r = Get(kAllowed);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->get_header_value("Access-Control-Allow-Origin"), kAllowed);
  }
  // Back on the same ports, with a new policy: the worker follows.
  StartCorsd(data, admin);
  ASSERT_TRUE(PutPolicy({"https://other.example"}).ok());
  EXPECT_TRUE(WaitFor([&] {
    httplib::Result r = Get("https://other.example");
    return r && r->get_header_value("Access-Control-Allow-Origin") == "https://other.example";
  })) << nginx_->log();
  httplib::Result old = Get(kAllowed);
  ASSERT_TRUE(old);
  EXPECT_EQ(Count(old->headers, "Access-Control-Allow-Origin"), 0u);
}

TEST_F(NginxModuleTest, AStartWhileCorsdIsDownUsesTheSnapshotOrDeniesAndSaysWhy) {
  StartNginx();
  ASSERT_NE(nginx_, nullptr);
  const std::string snapshot = nginx_->snapshot_path();
  ASSERT_TRUE(WaitFor([&] { return std::filesystem::exists(snapshot); }));
  nginx_.reset();  // the worker writes what it holds on exit, too
  ASSERT_EQ(corsd_->Stop(), 0);

  // corsd down, snapshot present: decided from it at once.
  StartNginx();
  ASSERT_NE(nginx_, nullptr);
  httplib::Result preflight = Preflight(kAllowed);
  ASSERT_TRUE(preflight);
  EXPECT_EQ(preflight->status, 204);
  EXPECT_EQ(preflight->get_header_value("Access-Control-Allow-Origin"), kAllowed);
  nginx_.reset();

  // Neither corsd nor a snapshot: cross-origin requests are denied (and the
  // worker is never blocked), others pass; the log says why, rate-limited.
  std::filesystem::remove(snapshot);
  StartNginx();
  ASSERT_NE(nginx_, nullptr);
  for (int i = 0; i < 10; ++i) {
    httplib::Result refused = Preflight(kAllowed);
    ASSERT_TRUE(refused);
    EXPECT_EQ(refused->status, 403);
  }
  httplib::Result actual = Get(kAllowed);
  ASSERT_TRUE(actual);
  EXPECT_EQ(actual->status, 200);
  EXPECT_EQ(Count(actual->headers, "Access-Control-Allow-Origin"), 0u);
  httplib::Result plain = Get("");
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->status, 200);
  const std::string log = nginx_->log();
  EXPECT_THAT(log, HasSubstr("no policies yet: corsd unreachable since start and no snapshot"));
  EXPECT_THAT(log, HasSubstr("watch: UNAVAILABLE"));
  // Eleven denials within a second or two: at most a line per second.
  EXPECT_LE(Occurrences(log, "denying cross-origin request"), 3) << log;
}

}  // namespace
}  // namespace corsd::testing
