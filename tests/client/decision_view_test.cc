// The zero-copy local path (Client::CheckLocal, DecisionView) against a real
// corsd: it answers every row of the Fetch table exactly like remote Check, a
// view stays valid across a policy swap while it lives, and the watch state
// is exported as Prometheus gauges.
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "corsd/client.h"
#include "corsd/gateway.h"
#include "gmock/gmock.h"
#include "service/convert/policy_convert.h"
#include "tests/support/fetch_cases.h"
#include "tests/support/server_fixture.h"

namespace corsd::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class DecisionViewTest : public ServerTest {
 protected:
  void SetUp() override {
    ServerTest::SetUp();
    viewer_token_ = store_->CreateToken("viewer", "", "gateway");
  }

  std::unique_ptr<Client> MakeClient(bool local, std::vector<std::string> tenants = {}) {
    ClientOptions options;
    options.target = corsd_->data_address();
    options.deadline = absl::Seconds(2);
    if (local) {
      options.local_evaluation = true;
      options.admin_target = corsd_->admin_address();
      options.admin_token = viewer_token_;
      options.tenants = std::move(tenants);
    }
    absl::StatusOr<std::unique_ptr<Client>> client = Client::Create(options);
    EXPECT_TRUE(client.ok()) << client.status();
    return client.ok() ? std::move(*client) : nullptr;
  }

  // Waits until the local client holds `revision` of `tenant`.
  static bool WaitForRevision(Client& client, const std::string& tenant, int64_t revision) {
    for (int i = 0; i < 500; ++i) {
      LocalPolicyStatus status = client.local_status();
      auto it = status.revisions.find(tenant);
      if (it != status.revisions.end() && it->second == revision) return true;
      absl::SleepFor(absl::Milliseconds(10));
    }
    return false;
  }

  std::string viewer_token_;
};

TEST_F(DecisionViewTest, AnswersEveryTableRowLikeRemoteCheck) {
  for (const auto& [name, spec] : FetchPolicySpecs()) {
    ASSERT_TRUE(CreateTenant(FetchCaseTenant(name)).ok()) << name;
    ASSERT_TRUE(PutPolicyProto(FetchCaseTenant(name), ToPolicyProto(spec)).ok()) << name;
  }
  ASSERT_TRUE(CreateTenant("empty").ok());
  auto remote = MakeClient(false);
  auto local = MakeClient(true);
  ASSERT_TRUE(local->WaitUntilSynced(absl::Seconds(10)));

  DecisionView view;  // reused across rows, as a gateway thread would
  for (const DecisionCase& c : FetchDecisionCases()) {
    for (bool explain : {false, true}) {
      CorsRequest request{.tenant = FetchCaseTenant(c.policy),
                          .origin = c.origin,
                          .method = c.method,
                          .path = c.path,
                          .explain = explain};
      std::vector<HeaderRef> headers;
      for (const auto& [name, value] : c.headers) headers.push_back({name, value});
      for (const auto& [name, value] : c.headers) request.headers.push_back({name, value});
      const CorsRequestView request_view{.tenant = request.tenant,
                                         .origin = request.origin,
                                         .method = request.method,
                                         .path = request.path,
                                         .headers = headers,
                                         .explain = explain};
      absl::StatusOr<Decision> from_server = remote->Check(request);
      ASSERT_TRUE(from_server.ok()) << c.name << ": " << from_server.status();
      const bool decided = local->CheckLocal(request_view, &view);
      // Tenants without a policy are not in the watch stream.
      ASSERT_EQ(decided, c.policy != "empty") << c.name;
      EXPECT_EQ(view.has_decision(), decided);
      if (!decided) {
        EXPECT_TRUE(view.response_headers().empty());
        continue;
      }
      Decision from_view = view.ToDecision();
      EXPECT_EQ(from_view.source, Decision::Source::kLocal);
      EXPECT_TRUE(from_server->SameAnswer(from_view)) << c.name << (explain ? " (explain)" : "");
    }
  }
}

TEST_F(DecisionViewTest, StaysValidAcrossAPolicySwapWhileItLives) {
  ASSERT_TRUE(CreateTenant("shop").ok());
  ASSERT_TRUE(PutPolicy("shop", R"({"rules":[{"allowedOrigins":["https://one.example"],
      "exposedHeaders":["x-first-revision"]}]})")
                  .ok());
  auto client = MakeClient(true, {"shop"});
  ASSERT_TRUE(client->WaitUntilSynced(absl::Seconds(10)));
  ASSERT_TRUE(WaitForRevision(*client, "shop", 1));

  const std::string origin_one = "https://one.example";
  const CorsRequestView first_request{.tenant = "shop", .origin = origin_one, .method = "GET"};
  DecisionView held;
  ASSERT_TRUE(client->CheckLocal(first_request, &held));
  ASSERT_EQ(held.verdict(), Verdict::kAllow);
  const std::vector<HttpHeader> before = held.ToDecision().response_headers;
  EXPECT_THAT(before,
              ::testing::Contains(HttpHeader{"Access-Control-Expose-Headers", "x-first-revision"}));

  // A new revision replaces the policy the view points into...
  ASSERT_TRUE(PutPolicy("shop", R"({"rules":[{"allowedOrigins":["https://two.example"],
      "exposedHeaders":["x-second-revision"]}]})")
                  .ok());
  ASSERT_TRUE(WaitForRevision(*client, "shop", 2));
  // ...and this thread reads the new directory (which drops its cached copy
  // of the old one): only the view's pin keeps the old policy alive.
  const std::string origin_two = "https://two.example";
  DecisionView fresh;
  ASSERT_TRUE(
      client->CheckLocal({.tenant = "shop", .origin = origin_two, .method = "GET"}, &fresh));
  EXPECT_EQ(fresh.policy_revision(), 2);
  EXPECT_EQ(fresh.verdict(), Verdict::kAllow);

  // The held view still reads the first revision's strings (ASan would catch
  // a freed policy here).
  EXPECT_EQ(held.policy_revision(), 1);
  EXPECT_EQ(held.tenant(), "shop");
  EXPECT_EQ(held.ToDecision().response_headers, before);
  std::vector<HttpHeader> response = {{"Access-Control-Allow-Origin", "*"}};
  ApplyDecisionHeaders(held, &response);
  EXPECT_THAT(response, ::testing::Contains(HttpHeader{"Access-Control-Allow-Origin", origin_one}));
  EXPECT_THAT(response, Not(::testing::Contains(HttpHeader{"Access-Control-Allow-Origin", "*"})));

  // Filling a view again releases what it held.
  ASSERT_TRUE(client->CheckLocal({.tenant = "shop", .origin = origin_one, .method = "GET"}, &held));
  EXPECT_EQ(held.policy_revision(), 2);
  EXPECT_EQ(held.verdict(), Verdict::kDeny);
  held.Clear();
  EXPECT_FALSE(held.has_decision());
}

// A gateway that keeps one view per worker thread (thread_local) destroys it
// at thread exit, after the thread's snapshot caches; and a request that
// moves between threads clears its view on another thread. Both release the
// pin safely (ASan and TSan builds catch a release through freed or foreign
// thread state).
thread_local DecisionView per_thread_view;

TEST_F(DecisionViewTest, ThreadLocalAndHandedOverViewsReleaseSafely) {
  ASSERT_TRUE(CreateTenant("shop").ok());
  ASSERT_TRUE(PutPolicy("shop", R"({"rules":[{"allowedOrigins":["https://one.example"]}]})").ok());
  auto client = MakeClient(true, {"shop"});
  ASSERT_TRUE(client->WaitUntilSynced(absl::Seconds(10)));
  ASSERT_TRUE(WaitForRevision(*client, "shop", 1));
  const std::string origin = "https://one.example";
  const CorsRequestView request{.tenant = "shop", .origin = origin, .method = "GET"};

  for (int round = 0; round < 3; ++round) {
    std::thread worker([&] {
      DecisionView& view = per_thread_view;  // made before the thread's first read
      ASSERT_TRUE(client->CheckLocal(request, &view));
      EXPECT_EQ(view.verdict(), Verdict::kAllow);
    });
    worker.join();  // the view is destroyed after the thread's caches
    ASSERT_TRUE(
        PutPolicy("shop", R"({"rules":[{"allowedOrigins":["https://one.example"]}]})").ok());
    ASSERT_TRUE(WaitForRevision(*client, "shop", round + 2));
  }

  auto moved = std::make_unique<DecisionView>();
  std::thread filler([&] { ASSERT_TRUE(client->CheckLocal(request, moved.get())); });
  filler.join();
  EXPECT_EQ(moved->verdict(), Verdict::kAllow);
  moved.reset();  // destroyed on a thread that did not fill it
  DecisionView here;
  ASSERT_TRUE(client->CheckLocal(request, &here));
  EXPECT_EQ(here.policy_revision(), 4);
}

TEST_F(DecisionViewTest, NotCoveredMeansAskRemotely) {
  ASSERT_TRUE(CreateTenant("shop").ok());
  ASSERT_TRUE(PutPolicy("shop", kAppPolicy).ok());
  auto remote_only = MakeClient(false);
  DecisionView view;
  EXPECT_FALSE(remote_only->CheckLocal({.tenant = "shop", .origin = "https://a.example"}, &view))
      << "local evaluation is off";
  auto local = MakeClient(true, {"shop"});
  ASSERT_TRUE(local->WaitUntilSynced(absl::Seconds(10)));
  EXPECT_FALSE(local->CheckLocal({.tenant = "other", .origin = "https://a.example"}, &view));
  EXPECT_FALSE(view.has_decision());
}

TEST_F(DecisionViewTest, StalenessIsExportedAsPrometheusGauges) {
  ASSERT_TRUE(CreateTenant("shop").ok());
  ASSERT_TRUE(PutPolicy("shop", kAppPolicy).ok());
  auto client = MakeClient(true, {"shop"});
  ASSERT_TRUE(client->WaitUntilSynced(absl::Seconds(10)));
  ASSERT_TRUE(WaitForRevision(*client, "shop", 1));
  const std::string connected = LocalStatusMetrics(client->local_status());
  EXPECT_THAT(connected, HasSubstr("\ncorsd_client_watch_connected 1\n"));
  EXPECT_THAT(connected, HasSubstr("\ncorsd_client_policy_staleness_seconds 0\n"));
  EXPECT_THAT(connected, HasSubstr("\ncorsd_client_policy_revision{tenant=\"shop\"} 1\n"));
  EXPECT_THAT(connected, HasSubstr("# TYPE corsd_client_policy_staleness_seconds gauge\n"));

  admin_.reset();
  decision_.reset();
  ASSERT_EQ(corsd_->Stop(), 0);
  for (int i = 0; i < 200 && client->local_status().connected; ++i) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  absl::SleepFor(absl::Milliseconds(1100));
  const std::string stale = LocalStatusMetrics(client->local_status());
  EXPECT_THAT(stale, HasSubstr("\ncorsd_client_watch_connected 0\n"));
  EXPECT_THAT(stale, Not(HasSubstr("\ncorsd_client_policy_staleness_seconds 0\n")));
  EXPECT_THAT(stale, Not(HasSubstr("\ncorsd_client_policy_staleness_seconds -1\n")));
  EXPECT_THAT(stale, HasSubstr("\ncorsd_client_policy_revision{tenant=\"shop\"} 1\n"));

  LocalPolicyStatus never;
  never.watching = true;
  never.revisions["we\"ird\\name\n"] = 3;
  const std::string unsynced = LocalStatusMetrics(never);
  EXPECT_THAT(unsynced, HasSubstr("\ncorsd_client_policy_staleness_seconds -1\n"));
  EXPECT_THAT(unsynced, HasSubstr("{tenant=\"we\\\"ird\\\\name\\n\"} 3\n"));
}

}  // namespace
}  // namespace corsd::testing
