// Shared origin sets through the real server: stored with revisions and
// audit, referenced as @NAME, resolved into every referencing policy and
// shadow, a change reaching Check and watchers before the call returns,
// refused when it would make a referencing policy invalid, and never deleted
// while referenced.
#include "gmock/gmock.h"
#include "service/convert/policy_convert.h"
#include "tests/server/watcher.h"
#include "tests/support/server_fixture.h"

namespace corsd::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr char kReferencing[] = R"({"rules":[{"allowedOrigins":["@first-party",
    "https://partner.example"],"allowedMethods":["PUT"]}]})";

class OriginSetTest : public ServerTest {
 protected:
  grpc::Status PutSet(const std::string& name, const std::vector<std::string>& origins,
                      std::optional<int64_t> expected = std::nullopt, v1::OriginSet* out = nullptr,
                      const std::string& token = "") {
    v1::PutOriginSetRequest request;
    request.mutable_set()->set_name(name);
    for (const std::string& origin : origins) request.mutable_set()->add_origins(origin);
    if (expected.has_value()) request.set_expected_revision(*expected);
    request.set_comment("web v2");
    v1::OriginSet ignored;
    grpc::ClientContext context;
    Authorize(&context, token.empty() ? admin_token_ : token);
    return admin_->PutOriginSet(&context, request, out != nullptr ? out : &ignored);
  }

  grpc::Status GetSet(const std::string& name, v1::OriginSet* out, const std::string& token = "") {
    v1::GetOriginSetRequest request;
    request.set_name(name);
    grpc::ClientContext context;
    Authorize(&context, token.empty() ? admin_token_ : token);
    return admin_->GetOriginSet(&context, request, out);
  }

  grpc::Status DeleteSet(const std::string& name) {
    v1::DeleteOriginSetRequest request;
    request.set_name(name);
    google::protobuf::Empty empty;
    grpc::ClientContext context;
    Authorize(&context, admin_token_);
    return admin_->DeleteOriginSet(&context, request, &empty);
  }

  v1::Verdict Decide(const std::string& tenant, const std::string& origin) {
    v1::CheckResponse response;
    grpc::Status status = Check(Request(tenant, origin, "GET"), &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response.verdict();
  }

  int64_t Revision(const std::string& tenant) {
    v1::PolicyVersion version;
    grpc::Status status = GetPolicy(tenant, &version);
    return status.ok() ? version.revision() : 0;
  }
};

TEST_F(OriginSetTest, SetsHaveRevisionsAuditAndRoles) {
  v1::OriginSet written;
  ASSERT_TRUE(PutSet("first-party", {"https://app.example.com"}, 0, &written).ok());
  EXPECT_EQ(written.revision(), 1);
  EXPECT_EQ(written.updated_by(), "test-admin");
  EXPECT_EQ(PutSet("first-party", {"https://x.example"}, 0).error_code(), grpc::ABORTED)
      << "expected_revision 0 = must not exist yet";
  ASSERT_TRUE(
      PutSet("first-party", {"https://app.example.com", "https://admin.example.com"}, 1, &written)
          .ok());
  EXPECT_EQ(written.revision(), 2);
  EXPECT_EQ(PutSet("first-party", {"https://x.example"}, 1).error_code(), grpc::ABORTED);

  // Every token reads; only admins write.
  const std::string viewer = store_->CreateToken("viewer", "", "viewer");
  v1::OriginSet read;
  ASSERT_TRUE(GetSet("first-party", &read, viewer).ok());
  EXPECT_THAT(read.origins(), ElementsAre("https://app.example.com", "https://admin.example.com"));
  EXPECT_EQ(PutSet("other", {"https://x.example"}, std::nullopt, nullptr, viewer).error_code(),
            grpc::PERMISSION_DENIED);
  v1::ListOriginSetsRequest list_request;
  v1::ListOriginSetsResponse listed;
  grpc::ClientContext list_context;
  Authorize(&list_context, viewer);
  ASSERT_TRUE(admin_->ListOriginSets(&list_context, list_request, &listed).ok());
  ASSERT_EQ(listed.sets_size(), 1);
  EXPECT_EQ(listed.sets(0).name(), "first-party");

  // Origins follow the allowed_origins rules, and every violation is listed.
  grpc::Status invalid = PutSet("bad", {"https://ok.example", "https://UPPER.example", "@other"});
  EXPECT_EQ(invalid.error_code(), grpc::INVALID_ARGUMENT);
  EXPECT_THAT(invalid.error_message(), HasSubstr("origins[1]"));
  EXPECT_THAT(invalid.error_message(), HasSubstr("origins[2]"));
  EXPECT_EQ(PutSet("Bad Name", {}).error_code(), grpc::INVALID_ARGUMENT);
  EXPECT_EQ(GetSet("bad", &read).error_code(), grpc::NOT_FOUND) << "nothing stored";

  ASSERT_TRUE(DeleteSet("first-party").ok());
  EXPECT_EQ(GetSet("first-party", &read).error_code(), grpc::NOT_FOUND);
  EXPECT_EQ(DeleteSet("first-party").error_code(), grpc::NOT_FOUND);

  v1::ListAuditEventsRequest audit_request;
  v1::ListAuditEventsResponse audit;
  grpc::ClientContext audit_context;
  Authorize(&audit_context, admin_token_);
  ASSERT_TRUE(admin_->ListAuditEvents(&audit_context, audit_request, &audit).ok());
  std::vector<std::string> actions;
  for (const v1::AuditEvent& event : audit.events()) actions.push_back(event.action());
  EXPECT_THAT(actions, ::testing::IsSupersetOf({"PutOriginSet", "DeleteOriginSet"}));
}

TEST_F(OriginSetTest, AChangeReachesCheckAndWatchersBeforeItReturns) {
  ASSERT_TRUE(PutSet("first-party", {"https://app.example.com"}).ok());
  ASSERT_TRUE(CreateTenant("shop").ok());
  ASSERT_TRUE(CreateTenant("blog").ok());
  ASSERT_TRUE(PutPolicy("shop", kReferencing).ok());
  ASSERT_TRUE(PutPolicy("blog", kReferencing).ok());

  v1::PolicyVersion version;
  ASSERT_TRUE(GetPolicy("shop", &version).ok());
  EXPECT_THAT(version.policy().rules(0).allowed_origins(),
              ElementsAre("@first-party", "https://partner.example"))
      << "stored as written";
  EXPECT_THAT(version.resolved_policy().rules(0).allowed_origins(),
              ElementsAre("https://app.example.com", "https://partner.example"));
  EXPECT_EQ(Decide("shop", "https://app.example.com"), v1::ALLOW);
  EXPECT_EQ(Decide("shop", "https://web.example.com"), v1::DENY);

  Watcher watcher(admin_.get(), admin_token_, {"shop"});
  ASSERT_EQ(watcher.WaitFor(1).size(), 1u);

  v1::OriginSet changed;
  ASSERT_TRUE(PutSet("first-party", {"https://web.example.com"}, 1, &changed).ok());
  EXPECT_EQ(changed.revision(), 2);
  // Decided with the change as soon as the write returned, on every tenant.
  for (const std::string tenant : {"shop", "blog"}) {
    EXPECT_EQ(Decide(tenant, "https://web.example.com"), v1::ALLOW) << tenant;
    EXPECT_EQ(Decide(tenant, "https://app.example.com"), v1::DENY) << tenant;
    EXPECT_EQ(Decide(tenant, "https://partner.example"), v1::ALLOW) << tenant;
  }
  ASSERT_TRUE(GetPolicy("shop", &version).ok());
  EXPECT_EQ(version.revision(), 2);
  EXPECT_EQ(version.comment(), "origin set first-party revision 2; web v2");
  EXPECT_THAT(version.policy().rules(0).allowed_origins(),
              ElementsAre("@first-party", "https://partner.example"));

  std::vector<v1::PolicyEvent> events = watcher.WaitFor(2);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[1].version().revision(), 2);
  EXPECT_THAT(events[1].version().resolved_policy().rules(0).allowed_origins(),
              ElementsAre("https://web.example.com", "https://partner.example"));

  // The resolved policy is what a restarted corsd decides with.
  ASSERT_EQ(corsd_->Stop(), 0);
  admin_.reset();
  decision_.reset();
  corsd_ = CorsdProcess::Start(store_->Options(dir_.path(), ExtraArgs()));
  ASSERT_NE(corsd_, nullptr);
  admin_ = corsd_->AdminStub();
  decision_ = corsd_->DecisionStub();
  EXPECT_EQ(Decide("blog", "https://web.example.com"), v1::ALLOW);
  EXPECT_EQ(Decide("blog", "https://app.example.com"), v1::DENY);
}

TEST_F(OriginSetTest, AChangeThatWouldInvalidateAReferencingPolicyIsRefused) {
  ASSERT_TRUE(PutSet("first-party", {"https://app.example.com"}).ok());
  ASSERT_TRUE(CreateTenant("shop").ok());
  ASSERT_TRUE(CreateTenant("bank").ok());
  // shop's own test denies evil.example; bank allows credentials.
  ASSERT_TRUE(PutPolicy("shop", R"({"rules":[{"allowedOrigins":["@first-party"]}],
      "tests":[{"name":"evil-denied","request":{"origin":"https://evil.example",
      "method":"GET"},"expect":"DENY"}]})")
                  .ok());
  ASSERT_TRUE(PutPolicy("bank", R"({"rules":[{"allowedOrigins":["@first-party"],
      "allowCredentials":true}]})")
                  .ok());

  // "*" fails shop's test and cannot go with bank's credentials. Both are
  // named, and nothing is stored.
  grpc::Status refused = PutSet("first-party", {"*"});
  EXPECT_EQ(refused.error_code(), grpc::INVALID_ARGUMENT);
  EXPECT_THAT(refused.error_message(), HasSubstr("origin set \"first-party\""));
  EXPECT_THAT(refused.error_message(), HasSubstr("tenants[shop].policy.tests[0]"));
  EXPECT_THAT(refused.error_message(), HasSubstr("tenants[bank].policy.rules[0].allowed_origins"));
  v1::OriginSet set;
  ASSERT_TRUE(GetSet("first-party", &set).ok());
  EXPECT_EQ(set.revision(), 1);
  EXPECT_EQ(Revision("shop"), 1);
  EXPECT_EQ(Revision("bank"), 1);
  EXPECT_EQ(Decide("shop", "https://app.example.com"), v1::ALLOW);
}

TEST_F(OriginSetTest, UnknownSetsAreViolationsAndValidateCanUseTheCallersSets) {
  ASSERT_TRUE(CreateTenant("shop").ok());
  grpc::Status unknown = PutPolicy("shop", kReferencing);
  EXPECT_EQ(unknown.error_code(), grpc::INVALID_ARGUMENT);
  EXPECT_THAT(unknown.error_message(), HasSubstr("rules[0].allowed_origins[0]"));
  EXPECT_THAT(unknown.error_message(), HasSubstr("origin set \"first-party\" does not exist"));
  EXPECT_EQ(Revision("shop"), 0);

  v1::ValidatePolicyRequest request;
  *request.mutable_policy() = PolicyFromJson(kReferencing);
  v1::ValidatePolicyResponse response;
  {
    grpc::ClientContext context;
    Authorize(&context, admin_token_);
    ASSERT_TRUE(admin_->ValidatePolicy(&context, request, &response).ok());
    ASSERT_EQ(response.violations_size(), 1);
    EXPECT_EQ(response.violations(0).field(), "rules[0].allowed_origins[0]");
  }
  // With the caller's own set (corsctl apply validates a directory so).
  v1::OriginSet* given = request.add_origin_sets();
  given->set_name("first-party");
  given->add_origins("http://insecure.example");
  response.Clear();
  grpc::ClientContext context;
  Authorize(&context, admin_token_);
  ASSERT_TRUE(admin_->ValidatePolicy(&context, request, &response).ok());
  EXPECT_EQ(response.violations_size(), 0);
}

TEST_F(OriginSetTest, AReferencedSetIsNotDeletedAndShadowsCountAsReferences) {
  ASSERT_TRUE(PutSet("first-party", {"https://app.example.com"}).ok());
  ASSERT_TRUE(CreateTenant("shop").ok());
  ASSERT_TRUE(PutPolicy("shop", kReferencing).ok());
  grpc::Status refused = DeleteSet("first-party");
  EXPECT_EQ(refused.error_code(), grpc::FAILED_PRECONDITION);
  EXPECT_THAT(refused.error_message(), HasSubstr("shop"));

  // The policy stops referencing it; a shadow still does.
  ASSERT_TRUE(PutPolicy("shop", R"({"rules":[{"allowedOrigins":["https://a.example"]}]})").ok());
  v1::PutShadowPolicyRequest shadow;
  shadow.set_tenant("shop");
  *shadow.mutable_policy() = PolicyFromJson(kReferencing);
  v1::ShadowPolicy stored;
  {
    grpc::ClientContext context;
    Authorize(&context, admin_token_);
    ASSERT_TRUE(admin_->PutShadowPolicy(&context, shadow, &stored).ok());
  }
  EXPECT_THAT(stored.resolved_policy().rules(0).allowed_origins(),
              ElementsAre("https://app.example.com", "https://partner.example"));
  EXPECT_EQ(DeleteSet("first-party").error_code(), grpc::FAILED_PRECONDITION);

  // A set change re-resolves the shadow too, without a new revision.
  ASSERT_TRUE(PutSet("first-party", {"https://web.example.com"}).ok());
  v1::GetShadowPolicyRequest get;
  get.set_tenant("shop");
  {
    grpc::ClientContext context;
    Authorize(&context, admin_token_);
    ASSERT_TRUE(admin_->GetShadowPolicy(&context, get, &stored).ok());
  }
  EXPECT_THAT(stored.resolved_policy().rules(0).allowed_origins(),
              ElementsAre("https://web.example.com", "https://partner.example"));
  EXPECT_EQ(Revision("shop"), 2);

  v1::DeleteShadowPolicyRequest clear;
  clear.set_tenant("shop");
  google::protobuf::Empty empty;
  grpc::ClientContext context;
  Authorize(&context, admin_token_);
  ASSERT_TRUE(admin_->DeleteShadowPolicy(&context, clear, &empty).ok());
  EXPECT_TRUE(DeleteSet("first-party").ok());
}

TEST_F(OriginSetTest, RollbackResolvesTheOldPolicyAgainstTodaysSets) {
  ASSERT_TRUE(PutSet("first-party", {"https://app.example.com"}).ok());
  ASSERT_TRUE(CreateTenant("shop").ok());
  ASSERT_TRUE(PutPolicy("shop", kReferencing).ok());
  ASSERT_TRUE(PutPolicy("shop", R"({"rules":[{"allowedOrigins":["https://a.example"]}]})").ok());
  ASSERT_TRUE(PutSet("first-party", {"https://web.example.com"}).ok());

  v1::RollbackPolicyRequest request;
  request.set_tenant("shop");
  request.set_to_revision(1);
  v1::PolicyVersion rolled;
  grpc::ClientContext context;
  Authorize(&context, admin_token_);
  ASSERT_TRUE(admin_->RollbackPolicy(&context, request, &rolled).ok());
  EXPECT_EQ(rolled.revision(), 3);
  EXPECT_THAT(rolled.resolved_policy().rules(0).allowed_origins(),
              ElementsAre("https://web.example.com", "https://partner.example"));
  EXPECT_EQ(Decide("shop", "https://web.example.com"), v1::ALLOW);
  EXPECT_EQ(Decide("shop", "https://app.example.com"), v1::DENY);
}

}  // namespace
}  // namespace corsd::testing
