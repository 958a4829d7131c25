// Shadow policies through the real server: stored, validated, decided beside
// the active policy on every door without changing an answer, counted,
// reported, carried by the watch, promoted, and kept across a restart.
#include <httplib.h>
#include <signal.h>

#include "gmock/gmock.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "service/convert/policy_convert.h"
#include "tests/server/watcher.h"
#include "tests/support/server_fixture.h"

namespace corsd::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::SizeIs;

constexpr char kActive[] = R"({"rules":[{"allowedOrigins":
    ["https://app.example.com","https://old.example.com"],"allowedMethods":["PUT"]}]})";
// Drops old.example.com.
constexpr char kCandidate[] = R"({"rules":[{"allowedOrigins":["https://app.example.com"],
    "allowedMethods":["PUT"]}],
  "tests":[{"name":"old-denied","request":{"origin":"https://old.example.com","method":"GET"},
            "expect":"DENY"}]})";

class ShadowPolicyTest : public ServerTest {
 protected:
  std::vector<std::string> ExtraArgs() override {
    return {"--replica-name", "replica-a", "--http-listen", "127.0.0.1:0"};
  }

  grpc::Status SetShadow(const std::string& json, v1::ShadowPolicy* out = nullptr,
                         const std::string& token = "") {
    v1::PutShadowPolicyRequest request;
    request.set_tenant("shop");
    *request.mutable_policy() = PolicyFromJson(json);
    request.set_comment("try without old");
    v1::ShadowPolicy ignored;
    grpc::ClientContext context;
    Authorize(&context, token.empty() ? admin_token_ : token);
    return admin_->PutShadowPolicy(&context, request, out != nullptr ? out : &ignored);
  }

  absl::StatusOr<v1::ShadowReport> Report(const std::string& token = "") {
    v1::GetShadowReportRequest request;
    request.set_tenant("shop");
    grpc::ClientContext context;
    Authorize(&context, token.empty() ? admin_token_ : token);
    v1::ShadowReport report;
    grpc::Status status = admin_->GetShadowReport(&context, request, &report);
    if (!status.ok()) {
      return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                          status.error_message());
    }
    return report;
  }

  grpc::Status Promote(std::optional<int64_t> expected, v1::PolicyVersion* out) {
    v1::PromoteShadowPolicyRequest request;
    request.set_tenant("shop");
    if (expected.has_value()) request.set_expected_revision(*expected);
    grpc::ClientContext context;
    Authorize(&context, admin_token_);
    return admin_->PromoteShadowPolicy(&context, request, out);
  }

  v1::CheckResponse MustCheck(const v1::CheckRequest& request) {
    v1::CheckResponse response;
    grpc::Status status = Check(request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response;
  }

  // 5 requests both allow, 3 only the active policy allows, 2 without Origin.
  void SendKnownMix() {
    for (int i = 0; i < 5; ++i) MustCheck(Request("shop", "https://app.example.com", "GET"));
    for (int i = 0; i < 3; ++i) {
      v1::CheckResponse answer =
          MustCheck(Request("shop", "https://old.example.com", "GET", "/items?secret=1"));
      EXPECT_EQ(answer.verdict(), v1::ALLOW) << "the active policy still answers";
      EXPECT_EQ(HeaderValue(answer, "Access-Control-Allow-Origin"), "https://old.example.com");
    }
    for (int i = 0; i < 2; ++i) MustCheck(Request("shop", "", "GET"));
  }
};

v1::ShadowCount Count(v1::Verdict active, v1::Verdict shadow, v1::Reason reason, int64_t n) {
  v1::ShadowCount count;
  count.set_active_verdict(active);
  count.set_shadow_verdict(shadow);
  count.set_shadow_reason(reason);
  count.set_count(n);
  return count;
}

MATCHER_P4(IsCount, active, shadow, reason, n, "") {
  return arg.active_verdict() == active && arg.shadow_verdict() == shadow &&
         arg.shadow_reason() == reason && arg.count() == n;
}

TEST_F(ShadowPolicyTest, CountsAKnownMixWithoutChangingAnyAnswer) {
  ASSERT_TRUE(CreateTenant("shop").ok());
  ASSERT_TRUE(PutPolicy("shop", kActive).ok());
  v1::ShadowPolicy shadow;
  ASSERT_TRUE(SetShadow(kCandidate, &shadow).ok());
  EXPECT_EQ(shadow.tenant(), "shop");
  EXPECT_EQ(shadow.updated_by(), "test-admin");
  EXPECT_EQ(shadow.policy().tests_size(), 1);

  SendKnownMix();
  absl::StatusOr<v1::ShadowReport> report = Report();
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->replica(), "replica-a");
  EXPECT_EQ(report->since().seconds(), shadow.updated_at().seconds());
  EXPECT_THAT(report->counts(),
              ElementsAre(IsCount(v1::ALLOW, v1::ALLOW, v1::ALLOWED, 5),
                          IsCount(v1::ALLOW, v1::DENY, v1::ORIGIN_NOT_ALLOWED, 3),
                          IsCount(v1::NOT_CORS, v1::NOT_CORS, v1::NO_ORIGIN_HEADER, 2)));
  ASSERT_THAT(report->samples(), SizeIs(3));
  const v1::ShadowSample& sample = report->samples(0);
  EXPECT_EQ(sample.origin(), "https://old.example.com");
  EXPECT_EQ(sample.path(), "/items") << "no query";
  EXPECT_EQ(sample.active_verdict(), v1::ALLOW);
  EXPECT_EQ(sample.shadow_verdict(), v1::DENY);
  EXPECT_EQ(sample.shadow_reason(), v1::ORIGIN_NOT_ALLOWED);

  std::string metrics = HttpGet(corsd_->metrics_port(), "/metrics");
  EXPECT_THAT(metrics, HasSubstr("corsd_shadow_decisions_total{tenant=\"shop\",active=\"ALLOW\","
                                 "shadow=\"DENY\",reason=\"ORIGIN_NOT_ALLOWED\"} 3"));

  // A new shadow starts from zero.
  ASSERT_TRUE(SetShadow(kCandidate).ok());
  report = Report();
  ASSERT_TRUE(report.ok());
  EXPECT_THAT(report->counts(), SizeIs(0));
  EXPECT_THAT(report->samples(), SizeIs(0));
}

TEST_F(ShadowPolicyTest, AShadowIsValidatedWithItsTestsAndStoredOnlyWhenValid) {
  EXPECT_EQ(SetShadow(kCandidate).error_code(), grpc::StatusCode::NOT_FOUND) << "no such tenant";
  ASSERT_TRUE(CreateTenant("shop").ok());
  const std::string failing = R"({"rules":[{"allowedOrigins":["https://app.example.com"]}],
    "tests":[{"name":"old-allowed","request":{"origin":"https://old.example.com","method":"GET"},
              "expect":"ALLOW"},
             {"name":"app-denied","request":{"origin":"https://app.example.com","method":"GET"},
              "expect":"DENY"}]})";
  grpc::Status refused = SetShadow(failing);
  ASSERT_EQ(refused.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(refused.error_message(), HasSubstr("test \"old-allowed\": expected ALLOW"));
  EXPECT_THAT(refused.error_message(), HasSubstr("test \"app-denied\": expected DENY"));
  EXPECT_EQ(Report().status().code(), absl::StatusCode::kNotFound);
  v1::GetShadowPolicyRequest get;
  get.set_tenant("shop");
  v1::ShadowPolicy shadow;
  grpc::ClientContext context;
  Authorize(&context, admin_token_);
  EXPECT_EQ(admin_->GetShadowPolicy(&context, get, &shadow).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_F(ShadowPolicyTest, PromoteHonoursTheExpectedRevisionAndClearsTheShadow) {
  ASSERT_TRUE(CreateTenant("shop").ok());
  v1::PolicyVersion out;
  EXPECT_EQ(Promote(std::nullopt, &out).error_code(), grpc::StatusCode::NOT_FOUND);
  ASSERT_TRUE(PutPolicy("shop", kActive).ok());
  ASSERT_TRUE(SetShadow(kCandidate).ok());
  Watcher watcher(admin_.get(), admin_token_, {"shop"});
  ASSERT_THAT(watcher.WaitFor(1), SizeIs(1));

  grpc::Status stale = Promote(0, &out);
  EXPECT_EQ(stale.error_code(), grpc::StatusCode::ABORTED);
  EXPECT_TRUE(Report().ok()) << "the shadow is kept";
  EXPECT_EQ(MustCheck(Request("shop", "https://old.example.com", "GET")).verdict(), v1::ALLOW);

  ASSERT_TRUE(Promote(1, &out).ok());
  EXPECT_EQ(out.revision(), 2);
  EXPECT_EQ(out.policy().tests_size(), 1);
  v1::CheckResponse after = MustCheck(Request("shop", "https://old.example.com", "GET"));
  EXPECT_EQ(after.verdict(), v1::DENY) << "the promoted shadow answers now";
  EXPECT_EQ(after.policy_revision(), 2);
  EXPECT_EQ(Report().status().code(), absl::StatusCode::kNotFound);

  // Watchers got revision 2 without a shadow.
  std::vector<v1::PolicyEvent> events = watcher.WaitFor(2);
  ASSERT_GE(events.size(), 2u);
  EXPECT_EQ(events.back().version().revision(), 2);
  EXPECT_FALSE(events.back().has_shadow());

  v1::ListAuditEventsRequest audit;
  audit.set_tenant("shop");
  v1::ListAuditEventsResponse listed;
  grpc::ClientContext context;
  Authorize(&context, admin_token_);
  ASSERT_TRUE(admin_->ListAuditEvents(&context, audit, &listed).ok());
  EXPECT_EQ(listed.events(0).action(), "PromoteShadowPolicy");
  EXPECT_EQ(listed.events(1).action(), "PutShadowPolicy");
}

TEST_F(ShadowPolicyTest, TheWatchCarriesTheShadowAndItsClearing) {
  ASSERT_TRUE(CreateTenant("shop").ok());
  ASSERT_TRUE(PutPolicy("shop", kActive).ok());
  Watcher watcher(admin_.get(), admin_token_, {"shop"});
  ASSERT_THAT(watcher.WaitFor(1), SizeIs(1));
  EXPECT_FALSE(watcher.WaitFor(1)[0].has_shadow());

  ASSERT_TRUE(SetShadow(kCandidate).ok());
  std::vector<v1::PolicyEvent> events = watcher.WaitFor(2);
  ASSERT_THAT(events, SizeIs(2));
  EXPECT_EQ(events[1].version().revision(), 1) << "same version";
  ASSERT_TRUE(events[1].has_shadow());
  EXPECT_EQ(events[1].shadow().policy().rules(0).allowed_origins_size(), 1);

  v1::DeleteShadowPolicyRequest clear;
  clear.set_tenant("shop");
  google::protobuf::Empty empty;
  grpc::ClientContext context;
  Authorize(&context, admin_token_);
  ASSERT_TRUE(admin_->DeleteShadowPolicy(&context, clear, &empty).ok());
  events = watcher.WaitFor(3);
  ASSERT_THAT(events, SizeIs(3));
  EXPECT_FALSE(events[2].has_shadow());
  EXPECT_EQ(Report().status().code(), absl::StatusCode::kNotFound);
}

TEST_F(ShadowPolicyTest, GatewayCountsAreAddedForTheCurrentShadowOnly) {
  ASSERT_TRUE(CreateTenant("shop").ok());
  ASSERT_TRUE(PutPolicy("shop", kActive).ok());
  v1::ShadowPolicy shadow;
  ASSERT_TRUE(SetShadow(kCandidate, &shadow).ok());
  const std::string viewer = store_->CreateToken("viewer", "shop", "gateway");

  auto report_counts = [&](const google::protobuf::Timestamp& which) {
    v1::ReportShadowCountsRequest request;
    request.set_tenant("shop");
    *request.mutable_shadow_updated_at() = which;
    *request.add_counts() = Count(v1::ALLOW, v1::DENY, v1::ORIGIN_NOT_ALLOWED, 40);
    v1::ShadowSample* sample = request.add_samples();
    sample->set_origin("https://old.example.com");
    sample->mutable_time()->set_seconds(shadow.updated_at().seconds() + 1);
    sample->set_active_verdict(v1::ALLOW);
    sample->set_active_reason(v1::ALLOWED);
    sample->set_shadow_verdict(v1::DENY);
    sample->set_shadow_reason(v1::ORIGIN_NOT_ALLOWED);
    request.set_client("gateway-1");
    grpc::ClientContext context;
    Authorize(&context, viewer);
    google::protobuf::Empty empty;
    return admin_->ReportShadowCounts(&context, request, &empty);
  };
  ASSERT_TRUE(report_counts(shadow.updated_at()).ok());
  google::protobuf::Timestamp earlier = shadow.updated_at();
  earlier.set_seconds(earlier.seconds() - 60);
  ASSERT_TRUE(report_counts(earlier).ok()) << "counts for another shadow are dropped, not refused";
  MustCheck(Request("shop", "https://old.example.com", "GET"));

  absl::StatusOr<v1::ShadowReport> report = Report(viewer);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_THAT(report->counts(),
              ElementsAre(IsCount(v1::ALLOW, v1::DENY, v1::ORIGIN_NOT_ALLOWED, 41)));
  EXPECT_THAT(report->samples(), SizeIs(2));

  // Viewers read but do not write shadows.
  EXPECT_EQ(SetShadow(kCandidate, nullptr, viewer).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(ShadowPolicyTest, EveryDoorCounts) {
  signal(SIGPIPE, SIG_IGN);
  ASSERT_TRUE(CreateTenant("shop", {"shop.example.com"}).ok());
  ASSERT_TRUE(PutPolicy("shop", kActive).ok());
  ASSERT_TRUE(SetShadow(kCandidate).ok());
  httplib::Client http("127.0.0.1", corsd_->http_port());
  httplib::Result answer = http.Get("/v1/forward-auth", {{"Origin", "https://old.example.com"},
                                                         {"X-Forwarded-Host", "shop.example.com"}});
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->get_header_value("Access-Control-Allow-Origin"), "https://old.example.com");
  MustCheck(Request("shop", "https://old.example.com", "GET"));
  absl::StatusOr<v1::ShadowReport> report = Report();
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_THAT(report->counts(),
              ElementsAre(IsCount(v1::ALLOW, v1::DENY, v1::ORIGIN_NOT_ALLOWED, 2)));
}

TEST_F(ShadowPolicyTest, RollbackAndPromoteRunTheStoredPolicysTestsAgain) {
  ASSERT_TRUE(CreateTenant("shop").ok());
  ASSERT_TRUE(PutPolicy("shop", kActive).ok());
  // Written behind corsd's back (as an older build, or a hand edit, might
  // have): policies whose own tests fail.
  v1::Policy failing = PolicyFromJson(kCandidate);
  failing.mutable_tests(0)->set_expect(v1::ALLOW);
  std::unique_ptr<store::PolicyStore> direct = store_->OpenDirect();
  ASSERT_TRUE(direct->PutPolicy("shop", SerializePolicy(failing), std::nullopt, "", {"x"}).ok());
  ASSERT_TRUE(PutPolicy("shop", kActive).ok());  // revision 3
  ASSERT_TRUE(direct->PutShadowPolicy("shop", SerializePolicy(failing), "", {"x"}).ok());

  v1::RollbackPolicyRequest rollback;
  rollback.set_tenant("shop");
  rollback.set_to_revision(2);
  v1::PolicyVersion out;
  grpc::ClientContext context;
  Authorize(&context, admin_token_);
  grpc::Status refused = admin_->RollbackPolicy(&context, rollback, &out);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(refused.error_message(), HasSubstr("test \"old-denied\": expected ALLOW"));

  grpc::Status promote = Promote(3, &out);
  EXPECT_EQ(promote.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(promote.error_message(), HasSubstr("test \"old-denied\""));
  v1::PolicyVersion current;
  ASSERT_TRUE(GetPolicy("shop", &current).ok());
  EXPECT_EQ(current.revision(), 3) << "nothing written";
}

TEST_F(ShadowPolicyTest, HostileGatewayReportsAreBoundedOrRefused) {
  ASSERT_TRUE(CreateTenant("shop").ok());
  ASSERT_TRUE(PutPolicy("shop", kActive).ok());
  v1::ShadowPolicy shadow;
  ASSERT_TRUE(SetShadow(kCandidate, &shadow).ok());
  auto send = [&](const v1::ReportShadowCountsRequest& request) {
    grpc::ClientContext context;
    Authorize(&context, admin_token_);
    google::protobuf::Empty empty;
    return admin_->ReportShadowCounts(&context, request, &empty);
  };
  v1::ReportShadowCountsRequest request;
  request.set_tenant("shop");
  *request.mutable_shadow_updated_at() = shadow.updated_at();
  for (int i = 0; i < 65; ++i) *request.add_counts() = Count(v1::ALLOW, v1::ALLOW, v1::ALLOWED, 1);
  EXPECT_EQ(send(request).error_code(), grpc::StatusCode::INVALID_ARGUMENT);

  request.clear_counts();
  *request.add_counts() = Count(v1::ALLOW, v1::DENY, v1::ORIGIN_NOT_ALLOWED, INT64_MAX);
  *request.add_counts() = Count(v1::ALLOW, v1::DENY, static_cast<v1::Reason>(99), 5);
  *request.add_counts() = Count(v1::ALLOW, v1::ALLOW, v1::ALLOWED, 7);
  v1::ShadowSample* future = request.add_samples();
  future->mutable_time()->set_seconds(4'000'000'000);
  future->set_origin(std::string(5000, 'o'));
  future->set_active_verdict(v1::ALLOW);
  future->set_active_reason(v1::ALLOWED);
  future->set_shadow_verdict(v1::DENY);
  future->set_shadow_reason(v1::ORIGIN_NOT_ALLOWED);
  ASSERT_TRUE(send(request).ok());
  absl::StatusOr<v1::ShadowReport> report = Report();
  ASSERT_TRUE(report.ok());
  EXPECT_THAT(report->counts(), ElementsAre(IsCount(v1::ALLOW, v1::ALLOW, v1::ALLOWED, 7)))
      << "an overflowing count and an unknown reason are not counted";
  ASSERT_THAT(report->samples(), SizeIs(1));
  EXPECT_LT(report->samples(0).time().seconds(), absl::ToUnixSeconds(absl::Now()) + 60)
      << "a sample from the future is clamped to now";
  EXPECT_EQ(report->samples(0).origin().size(), 1024u);
}

TEST_F(ShadowPolicyTest, AShadowSurvivesARestart) {
  ASSERT_TRUE(CreateTenant("shop").ok());
  ASSERT_TRUE(PutPolicy("shop", kActive).ok());
  ASSERT_TRUE(SetShadow(kCandidate).ok());
  admin_.reset();
  decision_.reset();
  ASSERT_EQ(corsd_->Stop(), 0);
  corsd_ = CorsdProcess::Start(store_->Options(dir_.path(), ExtraArgs()));
  ASSERT_NE(corsd_, nullptr);
  admin_ = corsd_->AdminStub();
  decision_ = corsd_->DecisionStub();

  MustCheck(Request("shop", "https://old.example.com", "GET"));
  absl::StatusOr<v1::ShadowReport> report = Report();
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_THAT(report->counts(),
              ElementsAre(IsCount(v1::ALLOW, v1::DENY, v1::ORIGIN_NOT_ALLOWED, 1)));
}

}  // namespace
}  // namespace corsd::testing
