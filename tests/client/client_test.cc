// corsd::Client against a real corsd: remote checks, local evaluation (and
// that it answers every row of the Fetch decision table exactly like corsd),
// propagation of changes, behaviour when corsd goes away, TLS, async use.
#include "corsd/client.h"

#include <atomic>
#include <filesystem>
#include <set>

#include "absl/synchronization/notification.h"
#include "gmock/gmock.h"
#include "service/convert/policy_convert.h"
#include "service/snapshot/snapshot_file.h"
#include "tests/support/fetch_cases.h"
#include "tests/support/pki.h"
#include "tests/support/server_fixture.h"

namespace corsd::testing {
namespace {

using ::testing::HasSubstr;

CorsRequest ToCorsRequest(const DecisionCase& c, bool explain) {
  CorsRequest request;
  request.tenant = FetchCaseTenant(c.policy);
  request.origin = c.origin;
  request.method = c.method;
  request.path = c.path;
  request.explain = explain;
  for (const auto& [name, value] : c.headers) request.headers.push_back({name, value});
  return request;
}

class ClientTest : public ServerTest {
 protected:
  void SetUp() override {
    ServerTest::SetUp();
    viewer_token_ = store_->CreateToken("viewer", "", "gateway");
  }

  ClientOptions RemoteOptions() {
    ClientOptions options;
    options.target = corsd_->data_address();
    options.deadline = absl::Seconds(2);  // generous: CI machines are slow
    return options;
  }

  ClientOptions LocalOptions(std::vector<std::string> tenants = {}) {
    ClientOptions options = RemoteOptions();
    options.local_evaluation = true;
    options.admin_target = corsd_->admin_address();
    options.admin_token = viewer_token_;
    options.tenants = std::move(tenants);
    return options;
  }

  std::unique_ptr<Client> MakeClient(const ClientOptions& options) {
    absl::StatusOr<std::unique_ptr<Client>> client = Client::Create(options);
    EXPECT_TRUE(client.ok()) << client.status();
    return client.ok() ? std::move(*client) : nullptr;
  }

  std::string viewer_token_;
};

TEST_F(ClientTest, RemoteAndLocalAnswerEveryTableRowIdentically) {
  for (const auto& [name, spec] : FetchPolicySpecs()) {
    ASSERT_TRUE(CreateTenant(FetchCaseTenant(name)).ok()) << name;
    ASSERT_TRUE(PutPolicyProto(FetchCaseTenant(name), ToPolicyProto(spec)).ok()) << name;
  }
  ASSERT_TRUE(CreateTenant("empty").ok());  // a tenant without a policy

  auto remote = MakeClient(RemoteOptions());
  auto local = MakeClient(LocalOptions());
  ASSERT_TRUE(local->WaitUntilSynced(absl::Seconds(10)));
  std::vector<DecisionCase> cases = FetchDecisionCases();
  ASSERT_GE(cases.size(), 150u);
  for (const DecisionCase& c : cases) {
    for (bool explain : {false, true}) {
      CorsRequest request = ToCorsRequest(c, explain);
      absl::StatusOr<Decision> from_server = remote->Check(request);
      absl::StatusOr<Decision> from_local = local->Check(request);
      ASSERT_TRUE(from_server.ok()) << c.name << ": " << from_server.status();
      ASSERT_TRUE(from_local.ok()) << c.name << ": " << from_local.status();
      EXPECT_EQ(from_server->source, Decision::Source::kRemote);
      // Tenants without a policy are not in the watch stream (by contract),
      // so the local client asks corsd about them.
      EXPECT_EQ(from_local->source,
                c.policy == "empty" ? Decision::Source::kRemote : Decision::Source::kLocal)
          << c.name;
      EXPECT_TRUE(from_server->SameAnswer(*from_local)) << c.name << (explain ? " (explain)" : "");
      EXPECT_EQ(static_cast<int>(from_local->verdict), static_cast<int>(c.verdict)) << c.name;
    }
  }
}

// Bytes that are not UTF-8 cannot travel in a protobuf string, but a gateway
// passes on whatever a client sent: remote Check must answer them as the
// local engine does (DENY, MALFORMED_REQUEST), not with an error.
TEST_F(ClientTest, RemoteAndLocalAnswerMalformedUtf8Alike) {
  ASSERT_TRUE(CreateTenant("shop").ok());
  ASSERT_TRUE(PutPolicy("shop", R"({"rules":[{"allowedOrigins":["https://app.example"],
      "allowedMethods":["PUT"],"allowedHeaders":["x-token"]}]})")
                  .ok());
  auto remote = MakeClient(RemoteOptions());
  auto local = MakeClient(LocalOptions({"shop"}));
  ASSERT_TRUE(local->WaitUntilSynced(absl::Seconds(10)));
  const auto preflight = [](std::string origin, std::string method, std::string headers) {
    return CorsRequest{.tenant = "shop",
                       .origin = std::move(origin),
                       .method = "OPTIONS",
                       .path = "/a\xff",
                       .headers = {{"Access-Control-Request-Method", std::move(method)},
                                   {"Access-Control-Request-Headers", std::move(headers)},
                                   {"X-\xc3", "\xe0\x82\x9b"}}};
  };
  const std::vector<std::pair<std::string, CorsRequest>> cases = {
      {"origin", preflight("https://app\xff.example", "PUT", "x-token")},
      {"overlong origin", preflight("https://app.example\xc0\xaf", "PUT", "x-token")},
      {"requested method", preflight("https://app.example", "P\xffT", "x-token")},
      {"requested headers", preflight("https://app.example", "PUT", "x-t\xf4\x90oken")},
      {"valid apart from other headers and path",
       preflight("https://app.example", "PUT", "x-token")},
  };
  // (Without explain: a trace quotes the bytes it saw, which differ.)
  for (const auto& [name, request] : cases) {
    absl::StatusOr<Decision> from_server = remote->Check(request);
    absl::StatusOr<Decision> from_local = local->Check(request);
    ASSERT_TRUE(from_server.ok()) << name << ": " << from_server.status();
    ASSERT_TRUE(from_local.ok()) << name << ": " << from_local.status();
    EXPECT_EQ(from_server->source, Decision::Source::kRemote);
    EXPECT_EQ(from_local->source, Decision::Source::kLocal);
    EXPECT_TRUE(from_server->SameAnswer(*from_local)) << name;
  }
  absl::StatusOr<Decision> malformed = remote->Check(cases[0].second);
  EXPECT_EQ(malformed->verdict, Verdict::kDeny);
  EXPECT_EQ(malformed->reason, Reason::kMalformedRequest);
  absl::StatusOr<Decision> fine = remote->Check(cases.back().second);
  EXPECT_EQ(fine->verdict, Verdict::kAllow) << "bytes the engine never reads change nothing";
}

TEST_F(ClientTest, LocalEvaluationFollowsPolicyChanges) {
  ASSERT_TRUE(CreateTenant("shop", {"shop.example.com"}).ok());
  ASSERT_TRUE(PutPolicy("shop", R"({"rules":[{"allowedOrigins":["https://one.example"]}]})").ok());
  auto client = MakeClient(LocalOptions({"shop"}));
  ASSERT_TRUE(client->WaitUntilSynced(absl::Seconds(10)));
  CorsRequest request{
      .tenant = "shop", .origin = "https://two.example", .method = "GET", .path = "/"};
  EXPECT_EQ(client->Check(request)->verdict, Verdict::kDeny);

  v1::PolicyVersion written;
  ASSERT_TRUE(PutPolicy("shop", R"({"rules":[{"allowedOrigins":["https://two.example"]}]})",
                        std::nullopt, "", &written)
                  .ok());
  Verdict verdict = Verdict::kDeny;
  for (int i = 0; i < 200 && verdict != Verdict::kAllow; ++i) {
    verdict = client->Check(request)->verdict;
    if (verdict != Verdict::kAllow) absl::SleepFor(absl::Milliseconds(10));
  }
  EXPECT_EQ(verdict, Verdict::kAllow);
  LocalPolicyStatus status = client->local_status();
  EXPECT_TRUE(status.watching);
  EXPECT_TRUE(status.connected);
  EXPECT_EQ(status.staleness, absl::ZeroDuration());
  EXPECT_EQ(status.revisions["shop"], written.revision());

  // Tenant resolution by host works locally too.
  CorsRequest by_host{.host = "shop.example.com", .origin = "https://two.example", .method = "GET"};
  absl::StatusOr<Decision> decision = client->Check(by_host);
  ASSERT_TRUE(decision.ok());
  EXPECT_EQ(decision->source, Decision::Source::kLocal);
  EXPECT_EQ(decision->tenant, "shop");
}

// Local decisions count in the shadow report: the watch carries the shadow,
// the client decides with it off the caller's path and reports its counts,
// which the report adds to the server's own.
TEST_F(ClientTest, ShadowReportsCountLocalDecisionsWithRemoteOnes) {
  ASSERT_TRUE(CreateTenant("shop").ok());
  ASSERT_TRUE(PutPolicy("shop", R"({"rules":[{"allowedOrigins":
      ["https://app.example","https://old.example"]}]})")
                  .ok());
  v1::PutShadowPolicyRequest set;
  set.set_tenant("shop");
  *set.mutable_policy() =
      PolicyFromJson(R"({"rules":[{"allowedOrigins":["https://app.example"]}]})");
  v1::ShadowPolicy shadow;
  grpc::ClientContext set_context;
  Authorize(&set_context, admin_token_);
  ASSERT_TRUE(admin_->PutShadowPolicy(&set_context, set, &shadow).ok());

  ClientOptions options = LocalOptions({"shop"});
  options.shadow_report_interval = absl::Milliseconds(50);
  options.client_name = "gateway-1";
  auto client = MakeClient(options);
  ASSERT_TRUE(client->WaitUntilSynced(absl::Seconds(10)));
  auto local = [&](const std::string& origin) {
    absl::StatusOr<Decision> decision =
        client->Check({.tenant = "shop", .origin = origin, .method = "GET", .path = "/"});
    ASSERT_TRUE(decision.ok());
    EXPECT_EQ(decision->source, Decision::Source::kLocal);
    EXPECT_EQ(decision->verdict, Verdict::kAllow) << "the active policy answers";
  };
  for (int i = 0; i < 4; ++i) local("https://app.example");
  for (int i = 0; i < 2; ++i) local("https://old.example");
  // The zero-copy path counts as well.
  const HeaderRef none[] = {{"X-Other", "1"}};
  CorsRequestView view_request{
      .tenant = "shop", .origin = "https://old.example", .method = "GET", .headers = none};
  DecisionView view;
  ASSERT_TRUE(client->CheckLocal(view_request, &view));
  v1::CheckResponse response;
  ASSERT_TRUE(Check(Request("shop", "https://app.example", "GET"), &response).ok());
  ASSERT_TRUE(Check(Request("shop", "https://old.example", "GET"), &response).ok());

  // Until the client's report arrived: 9 decisions, 4 of them changed.
  auto totals = [&]() -> std::pair<int64_t, int64_t> {
    v1::GetShadowReportRequest request;
    request.set_tenant("shop");
    v1::ShadowReport report;
    grpc::ClientContext context;
    Authorize(&context, admin_token_);
    if (!admin_->GetShadowReport(&context, request, &report).ok()) return {-1, -1};
    int64_t same = 0, changed = 0;
    for (const v1::ShadowCount& count : report.counts()) {
      (count.active_verdict() == count.shadow_verdict() ? same : changed) += count.count();
    }
    return {same, changed};
  };
  std::pair<int64_t, int64_t> counted;
  for (int i = 0; i < 500; ++i) {
    counted = totals();
    if (counted.first + counted.second >= 9) break;
    absl::SleepFor(absl::Milliseconds(20));
  }
  EXPECT_EQ(counted, std::make_pair(int64_t{5}, int64_t{4}));
}

// Hosts travel in watch events: a host moved from one tenant to another is
// decided locally with the new tenant's policy, with no call back to corsd.
TEST_F(ClientTest, LocalDecisionsFollowAHostMovingBetweenTenants) {
  ASSERT_TRUE(CreateTenant("old-home", {"api.example.com"}).ok());
  ASSERT_TRUE(CreateTenant("new-home").ok());
  ASSERT_TRUE(
      PutPolicy("old-home", R"({"rules":[{"allowedOrigins":["https://one.example"]}]})").ok());
  ASSERT_TRUE(
      PutPolicy("new-home", R"({"rules":[{"allowedOrigins":["https://two.example"]}]})").ok());
  auto client = MakeClient(LocalOptions());
  ASSERT_TRUE(client->WaitUntilSynced(absl::Seconds(10)));
  const CorsRequest by_host{
      .host = "api.example.com", .origin = "https://two.example", .method = "GET", .path = "/"};
  absl::StatusOr<Decision> before = client->Check(by_host);
  ASSERT_TRUE(before.ok()) << before.status();
  EXPECT_EQ(before->tenant, "old-home");
  EXPECT_EQ(before->source, Decision::Source::kLocal);
  EXPECT_EQ(before->verdict, Verdict::kDeny);

  // Neither tenant's policy changes: only the host moves.
  ASSERT_TRUE(UpdateTenant("old-home", {}).ok());
  ASSERT_TRUE(UpdateTenant("new-home", {"api.example.com"}).ok());
  // Between the two events the host belongs to no watched tenant, and the
  // client rightly asks corsd remotely; wait for the local answer.
  absl::StatusOr<Decision> after = client->Check(by_host);
  for (int i = 0; i < 1000 && !(after.ok() && after->tenant == "new-home" &&
                                after->source == Decision::Source::kLocal);
       ++i) {
    absl::SleepFor(absl::Milliseconds(10));
    after = client->Check(by_host);
  }
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_EQ(after->tenant, "new-home") << "the gateway still decides the host with the old tenant";
  EXPECT_EQ(after->source, Decision::Source::kLocal);
  EXPECT_EQ(after->verdict, Verdict::kAllow);
}

// A gateway deciding locally follows an origin-set change: the watch
// carries each referencing tenant's new resolved policy.
TEST_F(ClientTest, LocalDecisionsFollowAnOriginSetChange) {
  auto put_set = [&](const std::string& origin) {
    v1::PutOriginSetRequest request;
    request.mutable_set()->set_name("first-party");
    request.mutable_set()->add_origins(origin);
    v1::OriginSet written;
    grpc::ClientContext context;
    Authorize(&context, admin_token_);
    return admin_->PutOriginSet(&context, request, &written);
  };
  ASSERT_TRUE(put_set("https://one.example").ok());
  ASSERT_TRUE(CreateTenant("shop").ok());
  ASSERT_TRUE(PutPolicy("shop", R"({"rules":[{"allowedOrigins":["@first-party"]}]})").ok());
  auto client = MakeClient(LocalOptions());
  ASSERT_TRUE(client->WaitUntilSynced(absl::Seconds(10)));
  const CorsRequest from_two{
      .tenant = "shop", .origin = "https://two.example", .method = "GET", .path = "/"};
  absl::StatusOr<Decision> before = client->Check(from_two);
  ASSERT_TRUE(before.ok()) << before.status();
  EXPECT_EQ(before->source, Decision::Source::kLocal);
  EXPECT_EQ(before->verdict, Verdict::kDeny);

  ASSERT_TRUE(put_set("https://two.example").ok());
  absl::StatusOr<Decision> after = client->Check(from_two);
  for (int i = 0; i < 1000 && !(after.ok() && after->verdict == Verdict::kAllow); ++i) {
    absl::SleepFor(absl::Milliseconds(10));
    after = client->Check(from_two);
  }
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_EQ(after->verdict, Verdict::kAllow);
  EXPECT_EQ(after->source, Decision::Source::kLocal);
  EXPECT_EQ(after->policy_revision, 2);
}

TEST_F(ClientTest, RemoteErrorsThatAreTheCallersAreReturned) {
  auto client = MakeClient(RemoteOptions());
  absl::StatusOr<Decision> unknown =
      client->Check({.tenant = "nope", .origin = "https://a.example", .method = "GET"});
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kNotFound);
  absl::StatusOr<Decision> nothing =
      client->Check({.origin = "https://a.example", .method = "GET"});
  EXPECT_EQ(nothing.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(ClientTest, FailsClosedWithinTheDeadlineWhenCorsdIsGone) {
  ClientOptions options = RemoteOptions();
  options.deadline = absl::Milliseconds(50);
  admin_.reset();
  decision_.reset();
  ASSERT_EQ(corsd_->Stop(), 0);
  auto client = MakeClient(options);

  CorsRequest preflight{.tenant = "shop",
                        .origin = "https://app.example.com",
                        .method = "OPTIONS",
                        .path = "/",
                        .headers = {{"Access-Control-Request-Method", "PUT"}}};
  const absl::Time start = absl::Now();
  absl::StatusOr<Decision> decision = client->Check(preflight);
  const absl::Duration took = absl::Now() - start;
  ASSERT_TRUE(decision.ok());
  EXPECT_EQ(decision->source, Decision::Source::kFailClosed);
  EXPECT_EQ(decision->verdict, Verdict::kDeny);
  EXPECT_EQ(decision->kind, RequestKind::kPreflight);
  EXPECT_TRUE(decision->respond_now);
  EXPECT_EQ(decision->http_status, 403);
  for (const HttpHeader& h : decision->response_headers) {
    EXPECT_EQ(h.name, "Vary") << "no CORS headers when failing closed";
  }
  EXPECT_THAT(decision->fallback_error, HasSubstr("corsd unavailable"));
  EXPECT_LT(took, absl::Milliseconds(500)) << "retries stay inside the deadline";

  CorsRequest actual{.tenant = "shop", .origin = "https://app.example.com", .method = "GET"};
  decision = client->Check(actual);
  EXPECT_EQ(decision->kind, RequestKind::kActual);
  EXPECT_FALSE(decision->respond_now) << "the request is forwarded; the browser blocks it";
}

TEST_F(ClientTest, FailOpenCachedUsesTheLastKnownPolicy) {
  ASSERT_TRUE(CreateTenant("shop").ok());
  ASSERT_TRUE(PutPolicy("shop", kAppPolicy).ok());
  ClientOptions options = RemoteOptions();
  options.deadline = absl::Milliseconds(100);
  options.failure_mode = ClientOptions::FailureMode::kFailOpenCached;
  options.admin_target = corsd_->admin_address();
  options.admin_token = viewer_token_;
  auto client = MakeClient(options);
  ASSERT_TRUE(client->WaitUntilSynced(absl::Seconds(10)));
  CorsRequest request{.tenant = "shop", .origin = "https://app.example.com", .method = "GET"};
  EXPECT_EQ(client->Check(request)->source, Decision::Source::kRemote);

  admin_.reset();
  decision_.reset();
  ASSERT_EQ(corsd_->Stop(), 0);
  absl::StatusOr<Decision> decision = client->Check(request);
  ASSERT_TRUE(decision.ok());
  EXPECT_EQ(decision->source, Decision::Source::kCachedPolicy);
  EXPECT_EQ(decision->verdict, Verdict::kAllow);
  EXPECT_EQ(decision->policy_revision, 1);
  // A tenant it never saw fails closed.
  decision = client->Check({.tenant = "other", .origin = "https://a.example", .method = "GET"});
  EXPECT_EQ(decision->source, Decision::Source::kFailClosed);
}

TEST_F(ClientTest, LocalModeSurvivesAnOutageAndResyncs) {
  ASSERT_TRUE(CreateTenant("shop").ok());
  ASSERT_TRUE(CreateTenant("gone").ok());
  ASSERT_TRUE(PutPolicy("shop", kAppPolicy).ok());
  ASSERT_TRUE(PutPolicy("gone", kAppPolicy).ok());
  const int data_port = corsd_->data_port();
  const int admin_port = corsd_->admin_port();
  auto client = MakeClient(LocalOptions());
  ASSERT_TRUE(client->WaitUntilSynced(absl::Seconds(10)));
  EXPECT_EQ(client->local_status().revisions.size(), 2u);

  admin_.reset();
  decision_.reset();
  ASSERT_EQ(corsd_->Stop(), 0);
  for (int i = 0; i < 200 && client->local_status().connected; ++i) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  LocalPolicyStatus down = client->local_status();
  EXPECT_FALSE(down.connected);
  absl::SleepFor(absl::Milliseconds(50));
  EXPECT_GT(client->local_status().staleness, absl::ZeroDuration());
  // Still deciding, from the last policies it had.
  CorsRequest request{.tenant = "shop", .origin = "https://app.example.com", .method = "GET"};
  absl::StatusOr<Decision> decision = client->Check(request);
  ASSERT_TRUE(decision.ok());
  EXPECT_EQ(decision->source, Decision::Source::kLocal);
  EXPECT_EQ(decision->verdict, Verdict::kAllow);

  // Meanwhile "gone" is deleted and "shop" re-created at the same revision
  // number with another policy (straight in the database), and corsd comes
  // back on the same ports: the client resyncs, forgets "gone", and does not
  // mistake the new "shop" revision 1 for the one it compiled before.
  {
    std::unique_ptr<store::PolicyStore> direct = store_->OpenDirect();
    ASSERT_NE(direct, nullptr);
    ASSERT_TRUE(direct->DeleteTenant("gone", {"test"}).ok());
    ASSERT_TRUE(direct->DeleteTenant("shop", {"test"}).ok());
    ASSERT_TRUE(direct->CreateTenant({.name = "shop"}, {"test"}).ok());
    v1::Policy other;
    other.add_rules()->add_allowed_origins("https://other.example");
    ASSERT_EQ(direct->PutPolicy("shop", SerializePolicy(other), 0, "", {"test"})->revision, 1);
  }
  CorsdOptions restarted = store_->Options(dir_.path(), {}, "restarted");
  restarted.data_listen = "127.0.0.1:" + std::to_string(data_port);
  restarted.admin_listen = "127.0.0.1:" + std::to_string(admin_port);
  corsd_ = CorsdProcess::Start(restarted);
  ASSERT_NE(corsd_, nullptr);
  bool resynced = false;
  for (int i = 0; i < 1000 && !resynced; ++i) {
    LocalPolicyStatus status = client->local_status();
    resynced = status.connected && status.revisions.size() == 1;
    if (!resynced) absl::SleepFor(absl::Milliseconds(10));
  }
  EXPECT_TRUE(resynced);
  EXPECT_EQ(client->local_status().revisions.count("gone"), 0u);
  decision = client->Check(request);
  ASSERT_TRUE(decision.ok());
  EXPECT_EQ(decision->source, Decision::Source::kLocal);
  EXPECT_EQ(decision->verdict, Verdict::kDeny) << "decided with the deleted tenant's policy";
}

// Fail static for a gateway: a client that kept a snapshot and restarts
// while corsd is away decides from it at once (source kSnapshot), says how
// old it is, and switches to the live watch when corsd answers, picking up
// a change made meanwhile. A damaged snapshot is ignored with a log line.
TEST_F(ClientTest, ARestartWhileCorsdIsAwayDecidesFromTheSnapshot) {
  ASSERT_TRUE(CreateTenant("shop").ok());
  ASSERT_TRUE(PutPolicy("shop", kAppPolicy).ok());
  const int data_port = corsd_->data_port();
  const int admin_port = corsd_->admin_port();
  ClientOptions options = LocalOptions({"shop"});
  options.deadline = absl::Milliseconds(200);
  options.snapshot_path = dir_.File("gateway.snapshot");
  {
    auto first = MakeClient(options);
    ASSERT_TRUE(first->WaitUntilSynced(absl::Seconds(10)));
  }  // destroying the client writes what it holds
  absl::StatusOr<v1::Snapshot> kept = snapshot::ReadSnapshotFile(options.snapshot_path);
  ASSERT_TRUE(kept.ok()) << kept.status();
  ASSERT_EQ(kept->policies_size(), 1);

  admin_.reset();
  decision_.reset();
  ASSERT_EQ(corsd_->Stop(), 0);
  const CorsRequest request{.tenant = "shop", .origin = "https://app.example.com", .method = "GET"};
  {
    auto restarted = MakeClient(options);
    absl::StatusOr<Decision> decision = restarted->Check(request);
    ASSERT_TRUE(decision.ok());
    EXPECT_EQ(decision->source, Decision::Source::kSnapshot);
    EXPECT_EQ(decision->verdict, Verdict::kAllow);
    EXPECT_EQ(decision->policy_revision, 1);
    DecisionView view;
    ASSERT_TRUE(restarted->CheckLocal(
        {.tenant = "shop", .origin = "https://app.example.com", .method = "GET"}, &view));
    EXPECT_EQ(view.verdict(), Verdict::kAllow);
    LocalPolicyStatus status = restarted->local_status();
    EXPECT_TRUE(status.from_snapshot);
    EXPECT_FALSE(status.connected);
    EXPECT_NE(status.synced_at, absl::InfinitePast());
    EXPECT_THAT(LocalStatusMetrics(status), HasSubstr("corsd_client_serving_from_snapshot 1"));

    // Meanwhile the policy changes; corsd comes back on the same ports.
    {
      std::unique_ptr<store::PolicyStore> direct = store_->OpenDirect();
      ASSERT_NE(direct, nullptr);
      v1::Policy other;
      other.add_rules()->add_allowed_origins("https://other.example");
      ASSERT_TRUE(direct->PutPolicy("shop", SerializePolicy(other), 1, "", {"test"}).ok());
    }
    CorsdOptions back = store_->Options(dir_.path(), {}, "back");
    back.data_listen = "127.0.0.1:" + std::to_string(data_port);
    back.admin_listen = "127.0.0.1:" + std::to_string(admin_port);
    corsd_ = CorsdProcess::Start(back);
    ASSERT_NE(corsd_, nullptr);
    ASSERT_TRUE(restarted->WaitUntilSynced(absl::Seconds(15)));
    decision = restarted->Check(request);
    EXPECT_EQ(decision->source, Decision::Source::kLocal);
    EXPECT_EQ(decision->policy_revision, 2);
    EXPECT_EQ(decision->verdict, Verdict::kDeny);
    EXPECT_FALSE(restarted->local_status().from_snapshot);
  }

  // A damaged file is ignored, with a line in the gateway's log.
  std::filesystem::resize_file(options.snapshot_path, 20);
  std::vector<std::string> lines;
  absl::Mutex lines_mu;
  options.log = [&](absl::string_view line) {
    absl::MutexLock lock(&lines_mu);
    lines.emplace_back(line);
  };
  options.target = "127.0.0.1:1";  // nothing there
  options.admin_target = "127.0.0.1:1";
  auto damaged = MakeClient(options);
  EXPECT_FALSE(damaged->local_status().from_snapshot);
  EXPECT_TRUE(damaged->local_status().revisions.empty());
  absl::MutexLock lock(&lines_mu);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_THAT(lines[0], HasSubstr("ignoring the policy snapshot"));
}

TEST_F(ClientTest, CheckAsyncFromManyThreads) {
  ASSERT_TRUE(CreateTenant("shop").ok());
  ASSERT_TRUE(PutPolicy("shop", kAppPolicy).ok());
  auto client = MakeClient(RemoteOptions());
  std::atomic<int> allowed{0};
  constexpr int kCalls = 200;
  // Counted down from the start: early completions must not reach zero
  // while calls are still being issued.
  std::atomic<int> pending{kCalls};
  absl::Notification all_done;
  for (int i = 0; i < kCalls; ++i) {
    client->CheckAsync({.tenant = "shop", .origin = "https://app.example.com", .method = "GET"},
                       [&](absl::StatusOr<Decision> d) {
                         if (d.ok() && d->verdict == Verdict::kAllow) allowed.fetch_add(1);
                         if (pending.fetch_sub(1) == 1) all_done.Notify();
                       });
  }
  ASSERT_TRUE(all_done.WaitForNotificationWithTimeout(absl::Seconds(30)));
  EXPECT_EQ(allowed.load(), kCalls);
}

TEST_F(ClientTest, DestroyingTheClientWaitsForCallsInFlight) {
  ClientOptions options = RemoteOptions();
  options.deadline = absl::Milliseconds(200);
  admin_.reset();
  decision_.reset();
  ASSERT_EQ(corsd_->Stop(), 0);  // every call retries until its deadline
  auto client = MakeClient(options);
  constexpr int kCalls = 20;
  std::atomic<int> failed_closed{0};
  for (int i = 0; i < kCalls; ++i) {
    client->CheckAsync({.tenant = "shop", .origin = "https://app.example.com", .method = "GET"},
                       [&](absl::StatusOr<Decision> d) {
                         if (d.ok() && d->source == Decision::Source::kFailClosed) {
                           failed_closed.fetch_add(1);
                         }
                       });
  }
  client.reset();
  EXPECT_EQ(failed_closed.load(), kCalls);
}

TEST(ClientOptionsValidation, RejectsIncompleteOptions) {
  ClientOptions local;
  local.local_evaluation = true;
  EXPECT_EQ(Client::Create(local).status().code(), absl::StatusCode::kInvalidArgument);
  ClientOptions no_deadline;
  no_deadline.deadline = absl::ZeroDuration();
  EXPECT_EQ(Client::Create(no_deadline).status().code(), absl::StatusCode::kInvalidArgument);
  ClientOptions half_mtls;
  half_mtls.tls_ca_pem = "x";
  half_mtls.tls_cert_pem = "y";
  EXPECT_EQ(Client::Create(half_mtls).status().code(), absl::StatusCode::kInvalidArgument);
}

// The watch carries the gateway's token and every policy: with the admin
// port on mTLS, local evaluation syncs only over a verified connection that
// presents the client certificate.
TEST(ClientTls, WatchesPoliciesOverAnMtlsAdminPort) {
  TempDir dir;
  AdminMtlsCorsd server = StartCorsdWithAdminMtls(dir);
  ASSERT_NE(server.corsd, nullptr);
  auto admin = v1::CorsAdmin::NewStub(TlsChannel(server.corsd->admin_address(), server.pki, true));
  {
    grpc::ClientContext context;
    Authorize(&context, server.admin_token);
    v1::CreateTenantRequest request;
    request.set_name("shop");
    v1::Tenant tenant;
    ASSERT_TRUE(admin->CreateTenant(&context, request, &tenant).ok());
  }
  {
    grpc::ClientContext context;
    Authorize(&context, server.admin_token);
    v1::PutPolicyRequest request;
    request.set_tenant("shop");
    request.mutable_policy()->add_rules()->add_allowed_origins("https://a.example");
    v1::PolicyVersion version;
    ASSERT_TRUE(admin->PutPolicy(&context, request, &version).ok());
  }

  ClientOptions options;
  options.target = server.corsd->data_address();
  options.local_evaluation = true;
  options.admin_target = server.corsd->admin_address();
  options.admin_token = server.admin_token;
  options.admin_tls_ca_pem = ReadFileOrEmpty(server.pki.ca_cert);
  options.admin_tls_cert_pem = ReadFileOrEmpty(server.pki.client_cert);
  options.admin_tls_key_pem = ReadFileOrEmpty(server.pki.client_key);
  options.admin_tls_server_name = "localhost";
  auto client = Client::Create(options);
  ASSERT_TRUE(client.ok()) << client.status();
  ASSERT_TRUE((*client)->WaitUntilSynced(absl::Seconds(10))) << server.corsd->log();
  absl::StatusOr<Decision> decision =
      (*client)->Check({.tenant = "shop", .origin = "https://a.example", .method = "GET"});
  ASSERT_TRUE(decision.ok()) << decision.status();
  EXPECT_EQ(decision->source, Decision::Source::kLocal);
  EXPECT_EQ(decision->verdict, Verdict::kAllow);

  // No client certificate, or no TLS at all: the watch never connects.
  ClientOptions anonymous = options;
  anonymous.admin_tls_cert_pem.clear();
  anonymous.admin_tls_key_pem.clear();
  ClientOptions plaintext = options;
  plaintext.admin_tls_ca_pem.clear();
  plaintext.admin_tls_cert_pem.clear();
  plaintext.admin_tls_key_pem.clear();
  for (const ClientOptions& refused : {anonymous, plaintext}) {
    auto other = Client::Create(refused);
    ASSERT_TRUE(other.ok()) << other.status();
    EXPECT_FALSE((*other)->WaitUntilSynced(absl::Seconds(2)));
    EXPECT_FALSE((*other)->local_status().connected);
  }

  ClientOptions half = options;
  half.admin_tls_key_pem.clear();
  EXPECT_EQ(Client::Create(half).status().code(), absl::StatusCode::kInvalidArgument);
  client->reset();
  admin.reset();
  EXPECT_EQ(server.corsd->Stop(), 0);
}

TEST(ClientTls, TalksToATlsDataPortWithAClientCertificate) {
  TempDir dir;
  Pki pki = MakePki(dir);
  std::string db = dir.File("tls.db");
  std::string token = CreateToken(db, "admin");
  auto corsd =
      CorsdProcess::Start({.db = db,
                           .dir = dir.path(),
                           .extra_args = {"--tls-cert", pki.server_cert, "--tls-key",
                                          pki.server_key, "--tls-client-ca", pki.ca_cert}});
  ASSERT_NE(corsd, nullptr);
  ASSERT_TRUE(corsd->CreateTenant(token, "shop").ok());
  ClientOptions options;
  options.target = corsd->data_address();
  options.deadline = absl::Seconds(5);
  options.tls_ca_pem = ReadFileOrEmpty(pki.ca_cert);
  options.tls_cert_pem = ReadFileOrEmpty(pki.client_cert);
  options.tls_key_pem = ReadFileOrEmpty(pki.client_key);
  options.tls_server_name = "localhost";
  auto client = Client::Create(options);
  ASSERT_TRUE(client.ok());
  absl::StatusOr<Decision> decision =
      (*client)->Check({.tenant = "shop", .origin = "https://a.example", .method = "GET"});
  ASSERT_TRUE(decision.ok()) << decision.status();
  EXPECT_EQ(decision->source, Decision::Source::kRemote);
  EXPECT_EQ(decision->verdict, Verdict::kDeny) << "no policy yet";

  // Without the client certificate the handshake fails: fail closed.
  options.tls_cert_pem.clear();
  options.tls_key_pem.clear();
  auto anonymous = Client::Create(options);
  ASSERT_TRUE(anonymous.ok());
  decision =
      (*anonymous)->Check({.tenant = "shop", .origin = "https://a.example", .method = "GET"});
  ASSERT_TRUE(decision.ok());
  EXPECT_EQ(decision->source, Decision::Source::kFailClosed);
  client->reset();
  anonymous->reset();
  EXPECT_EQ(corsd->Stop(), 0);
}

}  // namespace
}  // namespace corsd::testing
