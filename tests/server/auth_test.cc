// Bearer tokens and roles on the admin port: who may do what, what a denial
// looks like, and that denials are audited.
#include "gmock/gmock.h"
#include "tests/support/server_fixture.h"

namespace corsd::testing {
namespace {

using ::testing::HasSubstr;

class AuthTest : public ServerTest {
 protected:
  void SetUp() override {
    ServerTest::SetUp();
    ASSERT_TRUE(CreateTenant("shop").ok());
    ASSERT_TRUE(CreateTenant("blog").ok());
    editor_ = store_->CreateToken("editor", "shop", "shop-editor");
    viewer_ = store_->CreateToken("viewer", "", "all-viewer");
    shop_viewer_ = store_->CreateToken("viewer", "shop", "shop-viewer");
  }

  grpc::Status GetPolicyAs(const std::string& token, const std::string& tenant) {
    grpc::ClientContext context;
    if (!token.empty()) Authorize(&context, token);
    v1::GetPolicyRequest request;
    request.set_tenant(tenant);
    v1::PolicyVersion version;
    return admin_->GetPolicy(&context, request, &version);
  }

  std::vector<v1::AuditEvent> Audit() {
    grpc::ClientContext context;
    Authorize(&context, admin_token_);
    v1::ListAuditEventsRequest request;
    v1::ListAuditEventsResponse response;
    EXPECT_TRUE(admin_->ListAuditEvents(&context, request, &response).ok());
    return {response.events().begin(), response.events().end()};
  }

  std::string editor_;
  std::string viewer_;
  std::string shop_viewer_;
};

TEST_F(AuthTest, MissingOrBadTokenIsUnauthenticated) {
  grpc::Status missing = GetPolicyAs("", "shop");
  EXPECT_EQ(missing.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_THAT(missing.error_message(), HasSubstr("corsctl --token"));
  EXPECT_EQ(GetPolicyAs("corsd_not-a-real-token", "shop").error_code(),
            grpc::StatusCode::UNAUTHENTICATED);

  grpc::ClientContext context;
  context.AddMetadata("authorization", "Basic dXNlcjpwYXNz");
  v1::GetPolicyRequest request;
  request.set_tenant("shop");
  v1::PolicyVersion version;
  EXPECT_EQ(admin_->GetPolicy(&context, request, &version).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(AuthTest, EditorWritesOnlyItsTenant) {
  EXPECT_TRUE(PutPolicy("shop", kAppPolicy, std::nullopt, editor_).ok());
  grpc::Status other = PutPolicy("blog", kAppPolicy, std::nullopt, editor_);
  EXPECT_EQ(other.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(other.error_message(), HasSubstr("editor of tenant \"shop\""));
  EXPECT_EQ(GetPolicyAs(editor_, "blog").error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(GetPolicyAs(editor_, "shop").error_code(), grpc::StatusCode::OK);
  // Tenants themselves are admin business.
  EXPECT_EQ(CreateTenant("new", {}, editor_).error_code(), grpc::StatusCode::PERMISSION_DENIED);

  grpc::ClientContext context;
  Authorize(&context, editor_);
  v1::UpdateTenantRequest update;
  update.set_name("shop");
  update.add_hosts("shop.example.com");
  v1::Tenant tenant;
  EXPECT_TRUE(admin_->UpdateTenant(&context, update, &tenant).ok()) << "editors manage hosts";
}

TEST_F(AuthTest, ViewersCannotWrite) {
  ASSERT_TRUE(PutPolicy("shop", kAppPolicy).ok());
  EXPECT_TRUE(GetPolicyAs(viewer_, "shop").ok());
  EXPECT_EQ(PutPolicy("shop", kAppPolicy, std::nullopt, viewer_).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(CreateTenant("x", {}, viewer_).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  grpc::ClientContext context;
  Authorize(&context, viewer_);
  v1::RollbackPolicyRequest rollback;
  rollback.set_tenant("shop");
  rollback.set_to_revision(1);
  v1::PolicyVersion version;
  EXPECT_EQ(admin_->RollbackPolicy(&context, rollback, &version).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(AuthTest, TenantBoundViewerSeesOnlyItsTenant) {
  EXPECT_EQ(GetPolicyAs(shop_viewer_, "blog").error_code(), grpc::StatusCode::PERMISSION_DENIED);
  grpc::ClientContext context;
  Authorize(&context, shop_viewer_);
  v1::ListTenantsResponse tenants;
  ASSERT_TRUE(admin_->ListTenants(&context, v1::ListTenantsRequest(), &tenants).ok());
  ASSERT_EQ(tenants.tenants_size(), 1);
  EXPECT_EQ(tenants.tenants(0).name(), "shop");
}

TEST_F(AuthTest, DeniedCallsAreAuditedWithActor) {
  ASSERT_EQ(PutPolicy("blog", kAppPolicy, std::nullopt, editor_).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  ASSERT_EQ(GetPolicyAs("corsd_bogus", "shop").error_code(), grpc::StatusCode::UNAUTHENTICATED);
  std::vector<v1::AuditEvent> events = Audit();
  ASSERT_GE(events.size(), 2u);
  EXPECT_EQ(events[0].action(), "GetPolicy.denied");
  EXPECT_EQ(events[0].actor(), "");
  EXPECT_THAT(events[0].detail(), HasSubstr("UNAUTHENTICATED"));
  EXPECT_EQ(events[1].action(), "PutPolicy.denied");
  EXPECT_EQ(events[1].actor(), "shop-editor");
  EXPECT_EQ(events[1].tenant(), "blog");
  EXPECT_THAT(events[1].detail(), HasSubstr("PERMISSION_DENIED"));
  // The log names the token by label, never by secret.
  EXPECT_THAT(corsd_->log(), HasSubstr("admin_call_denied"));
  EXPECT_THAT(corsd_->log(), ::testing::Not(HasSubstr(editor_)));
}

TEST_F(AuthTest, RevokedTokenStopsWorkingPromptly) {
  ASSERT_NE(GetPolicyAs(viewer_, "shop").error_code(), grpc::StatusCode::UNAUTHENTICATED);
  std::vector<std::string> list_argv = {BinaryDir() + "/corsd", "token", "list", "--json"};
  for (const std::string& flag : store_->Flags()) list_argv.push_back(flag);
  ProgramResult list = RunProgram(list_argv);
  ASSERT_EQ(list.exit_code, 0) << list.err;
  ASSERT_THAT(list.out, HasSubstr("\"label\":\"all-viewer\""));
  std::vector<std::string> revoke_argv = {BinaryDir() + "/corsd", "token", "revoke", "--name",
                                          "all-viewer"};
  for (const std::string& flag : store_->Flags()) revoke_argv.push_back(flag);
  ProgramResult revoke = RunProgram(revoke_argv);
  ASSERT_EQ(revoke.exit_code, 0) << revoke.err;
  // The server cached the token; the revocation reaches it through the
  // change feed within a poll interval.
  grpc::StatusCode code = grpc::StatusCode::OK;
  for (int i = 0; i < 100 && code != grpc::StatusCode::UNAUTHENTICATED; ++i) {
    code = GetPolicyAs(viewer_, "shop").error_code();
    if (code != grpc::StatusCode::UNAUTHENTICATED) absl::SleepFor(absl::Milliseconds(20));
  }
  EXPECT_EQ(code, grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(AuthTest, CheckNeedsNoToken) {
  v1::CheckResponse response;
  EXPECT_TRUE(Check(Request("shop", "https://a.example", "GET"), &response).ok());
}

}  // namespace
}  // namespace corsd::testing
