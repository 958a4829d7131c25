// Every CorsAdmin RPC through the real server: what succeeds, and the status
// each documented failure gets.
#include "gmock/gmock.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "tests/support/server_fixture.h"

namespace corsd::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

class AdminApiTest : public ServerTest {};

TEST_F(AdminApiTest, TenantLifecycle) {
  v1::Tenant created;
  ASSERT_TRUE(
      CreateTenant("shop", {"Shop.Example.com", "shop.example.com:8443"}, "", &created).ok());
  EXPECT_EQ(created.name(), "shop");
  EXPECT_THAT(created.hosts(), ElementsAre("shop.example.com", "shop.example.com:8443"));
  EXPECT_GT(created.created_at().seconds(), 0);
  EXPECT_EQ(created.policy_revision(), 0);

  EXPECT_EQ(CreateTenant("shop").error_code(), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_EQ(CreateTenant("blog", {"shop.example.com"}).error_code(),
            grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_EQ(CreateTenant("Bad_Name").error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  grpc::Status bad_host = CreateTenant("blog", {"not a host"});
  EXPECT_EQ(bad_host.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(bad_host.error_message(), HasSubstr("hosts[0]"));

  {
    grpc::ClientContext context;
    Authorize(&context, admin_token_);
    v1::GetTenantRequest request;
    request.set_name("shop");
    v1::Tenant got;
    ASSERT_TRUE(admin_->GetTenant(&context, request, &got).ok());
    EXPECT_EQ(got.hosts_size(), 2);
  }
  {
    grpc::ClientContext context;
    Authorize(&context, admin_token_);
    v1::GetTenantRequest request;
    request.set_name("nope");
    v1::Tenant got;
    EXPECT_EQ(admin_->GetTenant(&context, request, &got).error_code(), grpc::StatusCode::NOT_FOUND);
  }
  {
    grpc::ClientContext context;
    Authorize(&context, admin_token_);
    v1::UpdateTenantRequest request;
    request.set_name("shop");
    request.add_hosts("new.example.com");
    request.set_description("the shop");
    v1::Tenant updated;
    ASSERT_TRUE(admin_->UpdateTenant(&context, request, &updated).ok());
    EXPECT_THAT(updated.hosts(), ElementsAre("new.example.com"));
    EXPECT_EQ(updated.description(), "the shop");
  }
  {
    grpc::ClientContext context;
    Authorize(&context, admin_token_);
    v1::UpdateTenantRequest request;
    request.set_name("nope");
    v1::Tenant updated;
    EXPECT_EQ(admin_->UpdateTenant(&context, request, &updated).error_code(),
              grpc::StatusCode::NOT_FOUND);
  }
  {
    grpc::ClientContext context;
    Authorize(&context, admin_token_);
    v1::DeleteTenantRequest request;
    request.set_name("shop");
    google::protobuf::Empty empty;
    ASSERT_TRUE(admin_->DeleteTenant(&context, request, &empty).ok());
  }
  {
    grpc::ClientContext context;
    Authorize(&context, admin_token_);
    v1::DeleteTenantRequest request;
    request.set_name("shop");
    google::protobuf::Empty empty;
    EXPECT_EQ(admin_->DeleteTenant(&context, request, &empty).error_code(),
              grpc::StatusCode::NOT_FOUND);
  }
}

TEST_F(AdminApiTest, ListTenantsPaginates) {
  for (int i = 0; i < 7; ++i) ASSERT_TRUE(CreateTenant("t" + std::to_string(i)).ok());
  std::vector<std::string> names;
  std::string token;
  int pages = 0;
  do {
    grpc::ClientContext context;
    Authorize(&context, admin_token_);
    v1::ListTenantsRequest request;
    request.set_page_size(3);
    request.set_page_token(token);
    v1::ListTenantsResponse response;
    ASSERT_TRUE(admin_->ListTenants(&context, request, &response).ok());
    for (const auto& t : response.tenants()) names.push_back(t.name());
    token = response.next_page_token();
    ++pages;
  } while (!token.empty());
  EXPECT_EQ(pages, 3);
  EXPECT_THAT(names, ElementsAre("t0", "t1", "t2", "t3", "t4", "t5", "t6"));

  grpc::ClientContext context;
  Authorize(&context, admin_token_);
  v1::ListTenantsRequest request;
  request.set_page_token("bogus");
  v1::ListTenantsResponse response;
  EXPECT_EQ(admin_->ListTenants(&context, request, &response).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(AdminApiTest, PutGetAndRevisions) {
  ASSERT_TRUE(CreateTenant("shop").ok());
  {
    grpc::ClientContext context;
    Authorize(&context, admin_token_);
    v1::GetPolicyRequest request;
    request.set_tenant("shop");
    v1::PolicyVersion version;
    grpc::Status none = admin_->GetPolicy(&context, request, &version);
    EXPECT_EQ(none.error_code(), grpc::StatusCode::NOT_FOUND);
    EXPECT_THAT(none.error_message(), HasSubstr("no policy yet"));
  }
  v1::PolicyVersion first;
  ASSERT_TRUE(PutPolicy("shop", kAppPolicy, 0, "", &first).ok());
  EXPECT_EQ(first.revision(), 1);
  EXPECT_EQ(first.updated_by(), "test-admin");
  EXPECT_EQ(first.comment(), "test");
  EXPECT_EQ(first.tenant(), "shop");
  v1::PolicyVersion second;
  ASSERT_TRUE(PutPolicy("shop", R"({"rules":[{"allowedOrigins":["*"]}]})", 1, "", &second).ok());
  EXPECT_EQ(second.revision(), 2);

  grpc::ClientContext context;
  Authorize(&context, admin_token_);
  v1::GetPolicyRequest request;
  request.set_tenant("shop");
  v1::PolicyVersion current;
  ASSERT_TRUE(admin_->GetPolicy(&context, request, &current).ok());
  EXPECT_EQ(current.revision(), 2);
  EXPECT_EQ(current.policy().rules(0).allowed_origins(0), "*");

  EXPECT_EQ(PutPolicy("nope", kAppPolicy).error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(AdminApiTest, StaleExpectedRevisionIsAbortedAndStoresNothing) {
  ASSERT_TRUE(CreateTenant("shop").ok());
  ASSERT_TRUE(PutPolicy("shop", kAppPolicy, 0).ok());
  grpc::Status stale = PutPolicy("shop", R"({"rules":[{"allowedOrigins":["*"]}]})", 0);
  EXPECT_EQ(stale.error_code(), grpc::StatusCode::ABORTED);
  EXPECT_THAT(stale.error_message(), HasSubstr("at revision 1"));

  grpc::ClientContext context;
  Authorize(&context, admin_token_);
  v1::ListPolicyRevisionsRequest request;
  request.set_tenant("shop");
  v1::ListPolicyRevisionsResponse response;
  ASSERT_TRUE(admin_->ListPolicyRevisions(&context, request, &response).ok());
  EXPECT_EQ(response.revisions_size(), 1);
}

TEST_F(AdminApiTest, InvalidPolicyListsEveryViolationAndStoresNothing) {
  ASSERT_TRUE(CreateTenant("shop").ok());
  grpc::Status status = PutPolicy("shop", R"({"rules":[
      {"allowedOrigins":["https://*.com","HTTPS://A.COM"],"allowedMethods":["TRACE"],
       "allowCredentials":true},
      {"pathPrefix":"api","allowedOrigins":["*"],"allowCredentials":true,
       "exposedHeaders":["set-cookie"],"preflightStatus":404}]})");
  ASSERT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("7 violations; nothing was stored"));
  EXPECT_THAT(status.error_message(), HasSubstr("rules[0].allowed_origins[0]"));

  google::rpc::Status details;
  ASSERT_TRUE(details.ParseFromString(status.error_details()));
  ASSERT_EQ(details.details_size(), 1);
  google::rpc::BadRequest bad_request;
  ASSERT_TRUE(details.details(0).UnpackTo(&bad_request));
  std::vector<std::string> fields;
  for (const auto& v : bad_request.field_violations()) fields.push_back(v.field());
  EXPECT_THAT(fields, ::testing::UnorderedElementsAre(
                          "rules[0].allowed_origins[0]", "rules[0].allowed_origins[1]",
                          "rules[0].allowed_methods[0]", "rules[1].path_prefix",
                          "rules[1].allowed_origins[0]", "rules[1].exposed_headers[0]",
                          "rules[1].preflight_status"));

  grpc::ClientContext context;
  Authorize(&context, admin_token_);
  v1::GetPolicyRequest request;
  request.set_tenant("shop");
  v1::PolicyVersion version;
  EXPECT_EQ(admin_->GetPolicy(&context, request, &version).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

// The policy's own tests: one passes, two fail (a verdict and a header).
constexpr char kTestedPolicy[] = R"({"rules":[{"allowedOrigins":["https://app.example.com"],
    "allowedMethods":["PUT"]}],
  "tests":[
    {"name":"evil-denied","request":{"origin":"https://evil.example","method":"GET"},
     "expect":"ALLOW"},
    {"name":"app-allowed","request":{"origin":"https://app.example.com","method":"GET"},
     "expect":"ALLOW"},
    {"name":"app-put","request":{"origin":"https://app.example.com","method":"OPTIONS",
       "headers":[{"name":"Access-Control-Request-Method","value":"PUT"}]},
     "expect":"ALLOW","expectHeaders":[{"name":"Access-Control-Max-Age","value":"600"}]}]})";

TEST_F(AdminApiTest, APolicyWhoseTestsFailIsRefusedWithEveryFailingTest) {
  ASSERT_TRUE(CreateTenant("shop").ok());
  grpc::Status status = PutPolicy("shop", kTestedPolicy);
  ASSERT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("2 violations; nothing was stored"));
  EXPECT_THAT(status.error_message(),
              HasSubstr("test \"evil-denied\": expected ALLOW, decided DENY (ORIGIN_NOT_ALLOWED)"));
  google::rpc::Status details;
  ASSERT_TRUE(details.ParseFromString(status.error_details()));
  google::rpc::BadRequest bad_request;
  ASSERT_TRUE(details.details(0).UnpackTo(&bad_request));
  ASSERT_EQ(bad_request.field_violations_size(), 2);
  EXPECT_EQ(bad_request.field_violations(0).field(), "tests[0]");
  EXPECT_EQ(bad_request.field_violations(1).field(), "tests[2]");
  EXPECT_THAT(bad_request.field_violations(1).description(),
              HasSubstr("expected Access-Control-Max-Age: \"600\", decided ALLOW (ALLOWED) "
                        "without that header; trace: "));

  grpc::ClientContext context;
  Authorize(&context, admin_token_);
  v1::ValidatePolicyRequest validate;
  *validate.mutable_policy() = PolicyFromJson(kTestedPolicy);
  v1::ValidatePolicyResponse response;
  ASSERT_TRUE(admin_->ValidatePolicy(&context, validate, &response).ok());
  ASSERT_EQ(response.violations_size(), 2);
  EXPECT_EQ(response.violations(0).field(), "tests[0]");

  // Fixed, the policy is stored with its tests and read back with them.
  v1::Policy fixed = PolicyFromJson(kTestedPolicy);
  fixed.mutable_tests(0)->set_expect(v1::DENY);
  fixed.mutable_rules(0)->set_max_age_seconds(600);
  grpc::ClientContext put_context;
  Authorize(&put_context, admin_token_);
  v1::PutPolicyRequest put;
  put.set_tenant("shop");
  *put.mutable_policy() = fixed;
  v1::PolicyVersion written;
  ASSERT_TRUE(admin_->PutPolicy(&put_context, put, &written).ok());
  EXPECT_EQ(written.policy().tests_size(), 3);
  grpc::ClientContext get_context;
  Authorize(&get_context, admin_token_);
  v1::GetPolicyRequest get;
  get.set_tenant("shop");
  v1::PolicyVersion read;
  ASSERT_TRUE(admin_->GetPolicy(&get_context, get, &read).ok());
  EXPECT_EQ(read.policy().tests(0).name(), "evil-denied");
  EXPECT_EQ(read.policy().tests(2).expect_headers(0).value(), "600");
}

TEST_F(AdminApiTest, HugeInvalidPolicyStillGetsACleanStatus) {
  ASSERT_TRUE(CreateTenant("shop").ok());
  std::string origins;
  for (int i = 0; i < 5000; ++i)
    origins += (i ? "," : "") + std::string("\"HTTPS://BAD") + std::to_string(i) + ".COM\"";
  grpc::Status status = PutPolicy("shop", R"({"rules":[{"allowedOrigins":[)" + origins + "]}]}");
  ASSERT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("5000 violations"));
  EXPECT_THAT(status.error_message(), HasSubstr("more violations"));
  // The details fit a stock client's 8 KiB metadata limit and end with the
  // contract's entry counting what was left out: field "".
  EXPECT_LT(status.error_details().size(), 8u * 1024);
  google::rpc::Status details;
  ASSERT_TRUE(details.ParseFromString(status.error_details()));
  google::rpc::BadRequest bad_request;
  ASSERT_TRUE(details.details(0).UnpackTo(&bad_request));
  ASSERT_GT(bad_request.field_violations_size(), 1);
  const auto& last = *bad_request.field_violations().rbegin();
  EXPECT_EQ(last.field(), "");
  EXPECT_THAT(last.description(),
              ::testing::MatchesRegex("[0-9],[0-9]{3} more violations not listed; call .*"));
}

TEST_F(AdminApiTest, ValidatePolicyReturnsViolationsAndWarnings) {
  grpc::ClientContext context;
  Authorize(&context, admin_token_);
  v1::ValidatePolicyRequest request;
  *request.mutable_policy() = PolicyFromJson(R"({"rules":[{
      "allowedOrigins":["https://*.com","null"],"allowCredentials":true,
      "allowPrivateNetwork":true}]})");
  v1::ValidatePolicyResponse response;
  ASSERT_TRUE(admin_->ValidatePolicy(&context, request, &response).ok());
  ASSERT_EQ(response.violations_size(), 1);
  EXPECT_EQ(response.violations(0).field(), "rules[0].allowed_origins[0]");
  EXPECT_THAT(response.violations(0).description(), HasSubstr("public suffix"));
  std::vector<std::string> warnings;
  for (const auto& w : response.warnings()) warnings.push_back(w.field());
  EXPECT_THAT(warnings, ::testing::UnorderedElementsAre("rules[0].allowed_origins[1]",
                                                        "rules[0].allow_private_network"));
}

TEST_F(AdminApiTest, RollbackCreatesANewRevisionWithOldContent) {
  ASSERT_TRUE(CreateTenant("shop").ok());
  ASSERT_TRUE(PutPolicy("shop", kAppPolicy).ok());
  ASSERT_TRUE(PutPolicy("shop", R"({"rules":[{"allowedOrigins":["*"]}]})").ok());
  {
    grpc::ClientContext context;
    Authorize(&context, admin_token_);
    v1::RollbackPolicyRequest request;
    request.set_tenant("shop");
    request.set_to_revision(1);
    request.set_expected_revision(2);
    v1::PolicyVersion version;
    ASSERT_TRUE(admin_->RollbackPolicy(&context, request, &version).ok());
    EXPECT_EQ(version.revision(), 3);
    EXPECT_EQ(version.policy().rules(0).allowed_origins(0), "https://app.example.com");
    EXPECT_EQ(version.comment(), "rollback to revision 1");
  }
  for (auto [to, expected, code] : std::vector<std::tuple<int64_t, int64_t, grpc::StatusCode>>{
           {9, 3, grpc::StatusCode::NOT_FOUND},
           {1, 2, grpc::StatusCode::ABORTED},
           {0, 3, grpc::StatusCode::INVALID_ARGUMENT}}) {
    grpc::ClientContext context;
    Authorize(&context, admin_token_);
    v1::RollbackPolicyRequest request;
    request.set_tenant("shop");
    request.set_to_revision(to);
    request.set_expected_revision(expected);
    v1::PolicyVersion version;
    EXPECT_EQ(admin_->RollbackPolicy(&context, request, &version).error_code(), code) << to;
  }
  grpc::ClientContext context;
  Authorize(&context, admin_token_);
  v1::ListPolicyRevisionsRequest request;
  request.set_tenant("shop");
  request.set_page_size(2);
  v1::ListPolicyRevisionsResponse page;
  ASSERT_TRUE(admin_->ListPolicyRevisions(&context, request, &page).ok());
  ASSERT_EQ(page.revisions_size(), 2);
  EXPECT_EQ(page.revisions(0).revision(), 3);
  EXPECT_EQ(page.revisions(1).revision(), 2);
  EXPECT_FALSE(page.next_page_token().empty());
}

TEST_F(AdminApiTest, AuditRecordsWritesWithActor) {
  ASSERT_TRUE(CreateTenant("shop").ok());
  ASSERT_TRUE(PutPolicy("shop", kAppPolicy).ok());
  grpc::ClientContext context;
  Authorize(&context, admin_token_);
  v1::ListAuditEventsRequest request;
  request.set_tenant("shop");
  v1::ListAuditEventsResponse response;
  ASSERT_TRUE(admin_->ListAuditEvents(&context, request, &response).ok());
  ASSERT_EQ(response.events_size(), 2);
  EXPECT_EQ(response.events(0).action(), "PutPolicy");
  EXPECT_EQ(response.events(0).actor(), "test-admin");
  EXPECT_EQ(response.events(0).revision(), 1);
  EXPECT_EQ(response.events(1).action(), "CreateTenant");
}

TEST_F(AdminApiTest, ConcurrentReadModifyWriteLosesNothing) {
  ASSERT_TRUE(CreateTenant("shop").ok());
  constexpr int kThreads = 8;
  constexpr int kWritesEach = 5;
  std::atomic<int> successes{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      auto admin = corsd_->AdminStub();
      for (int i = 0; i < kWritesEach;) {
        ConditionalPut put = PutPolicyIfUnchanged(
            admin.get(), admin_token_, "shop",
            "https://w" + std::to_string(t) + "-" + std::to_string(i) + ".example.com");
        if (put.status.ok()) {
          EXPECT_EQ(put.written_revision, put.read_revision + 1);
          successes.fetch_add(1);
          ++i;
        } else {
          EXPECT_EQ(put.status.error_code(), grpc::StatusCode::ABORTED)
              << put.status.error_message();
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(successes.load(), kThreads * kWritesEach);

  grpc::ClientContext context;
  Authorize(&context, admin_token_);
  v1::ListPolicyRevisionsRequest request;
  request.set_tenant("shop");
  request.set_page_size(1000);
  v1::ListPolicyRevisionsResponse history;
  ASSERT_TRUE(admin_->ListPolicyRevisions(&context, request, &history).ok());
  ASSERT_EQ(history.revisions_size(), successes.load());
  for (int i = 0; i < history.revisions_size(); ++i) {
    EXPECT_EQ(history.revisions(i).revision(), successes.load() - i) << "gap in history";
  }
}

TEST_F(AdminApiTest, AdminServiceIsNotOnTheDataPort) {
  auto channel = grpc::CreateChannel(corsd_->data_address(), grpc::InsecureChannelCredentials());
  auto admin_on_data = v1::CorsAdmin::NewStub(channel);
  grpc::ClientContext context;
  Authorize(&context, admin_token_);
  v1::ListTenantsRequest request;
  v1::ListTenantsResponse response;
  EXPECT_EQ(admin_on_data->ListTenants(&context, request, &response).error_code(),
            grpc::StatusCode::UNIMPLEMENTED);
}

}  // namespace
}  // namespace corsd::testing
