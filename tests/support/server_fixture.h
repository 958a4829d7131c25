// A running corsd with a fresh store (SQLite, or PostgreSQL in the
// suite's PostgreSQL pass) and an admin token, plus helpers for the calls
// most tests make.
#ifndef CORSD_TESTS_SUPPORT_SERVER_FIXTURE_H_
#define CORSD_TESTS_SUPPORT_SERVER_FIXTURE_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/support/corsd_process.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_store.h"

namespace corsd::testing {

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = std::make_unique<TestStore>(dir_);
    admin_token_ = store_->CreateToken("admin", "", "test-admin");
    corsd_ = CorsdProcess::Start(store_->Options(dir_.path(), ExtraArgs()));
    ASSERT_NE(corsd_, nullptr);
    admin_ = corsd_->AdminStub();
    decision_ = corsd_->DecisionStub();
  }

  void TearDown() override {
    // Close our channels first: an idle gRPC client notices the server's
    // GOAWAY only when its backup poller runs (every 5 s), and corsd's
    // graceful shutdown waits for connected clients to go away.
    admin_.reset();
    decision_.reset();
    if (corsd_ != nullptr && corsd_->running()) {
      EXPECT_EQ(corsd_->Stop(), 0) << corsd_->log();
    }
    if ((HasFailure() || getenv("CORSD_TEST_SHOW_LOGS") != nullptr) && corsd_ != nullptr) {
      std::cerr << "---- corsd log ----\n" << corsd_->log() << "-------------------\n";
    }
  }

  virtual std::vector<std::string> ExtraArgs() { return {}; }

  grpc::Status CreateTenant(const std::string& name, const std::vector<std::string>& hosts = {},
                            const std::string& token = "", v1::Tenant* out = nullptr) {
    v1::CreateTenantRequest request;
    request.set_name(name);
    for (const std::string& h : hosts) request.add_hosts(h);
    v1::Tenant ignored;
    grpc::ClientContext context;
    Authorize(&context, token.empty() ? admin_token_ : token);
    return admin_->CreateTenant(&context, request, out != nullptr ? out : &ignored);
  }

  grpc::Status UpdateTenant(const std::string& name, const std::vector<std::string>& hosts) {
    v1::UpdateTenantRequest request;
    request.set_name(name);
    for (const std::string& h : hosts) request.add_hosts(h);
    v1::Tenant ignored;
    grpc::ClientContext context;
    Authorize(&context, admin_token_);
    return admin_->UpdateTenant(&context, request, &ignored);
  }

  grpc::Status PutPolicy(const std::string& tenant, const std::string& json,
                         std::optional<int64_t> expected = std::nullopt,
                         const std::string& token = "", v1::PolicyVersion* out = nullptr) {
    v1::PutPolicyRequest request;
    request.set_tenant(tenant);
    *request.mutable_policy() = PolicyFromJson(json);
    if (expected.has_value()) request.set_expected_revision(*expected);
    request.set_comment("test");
    v1::PolicyVersion ignored;
    grpc::ClientContext context;
    Authorize(&context, token.empty() ? admin_token_ : token);
    return admin_->PutPolicy(&context, request, out != nullptr ? out : &ignored);
  }

  // `deadline`: longer for the largest policies, which a sanitizer build on
  // a loaded machine validates, compiles and stores in seconds.
  grpc::Status PutPolicyProto(const std::string& tenant, const v1::Policy& policy,
                              v1::PolicyVersion* out = nullptr,
                              absl::Duration deadline = absl::Seconds(10)) {
    v1::PutPolicyRequest request;
    request.set_tenant(tenant);
    *request.mutable_policy() = policy;
    v1::PolicyVersion ignored;
    grpc::ClientContext context;
    Authorize(&context, admin_token_, deadline);
    return admin_->PutPolicy(&context, request, out != nullptr ? out : &ignored);
  }

  grpc::Status GetPolicy(const std::string& tenant, v1::PolicyVersion* out) {
    v1::GetPolicyRequest request;
    request.set_tenant(tenant);
    grpc::ClientContext context;
    Authorize(&context, admin_token_);
    return admin_->GetPolicy(&context, request, out);
  }

  // One page of a tenant's history, newest first.
  grpc::Status ListPolicyRevisions(const std::string& tenant, const std::string& page_token,
                                   v1::ListPolicyRevisionsResponse* out) {
    v1::ListPolicyRevisionsRequest request;
    request.set_tenant(tenant);
    request.set_page_token(page_token);
    grpc::ClientContext context;
    Authorize(&context, admin_token_);
    return admin_->ListPolicyRevisions(&context, request, out);
  }

  grpc::Status DeleteTenant(const std::string& name) {
    v1::DeleteTenantRequest request;
    request.set_name(name);
    google::protobuf::Empty empty;
    grpc::ClientContext context;
    Authorize(&context, admin_token_);
    return admin_->DeleteTenant(&context, request, &empty);
  }

  grpc::Status Check(const v1::CheckRequest& request, v1::CheckResponse* response) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    return decision_->Check(&context, request, response);
  }

  static v1::CheckRequest Request(const std::string& tenant, const std::string& origin,
                                  const std::string& method, const std::string& path = "/") {
    v1::CheckRequest request;
    request.set_tenant(tenant);
    request.set_origin(origin);
    request.set_method(method);
    request.set_path(path);
    return request;
  }

  static void AddHeader(v1::CheckRequest* request, const std::string& name,
                        const std::string& value) {
    v1::Header* h = request->add_headers();
    h->set_name(name);
    h->set_value(value);
  }

  static std::string HeaderValue(const v1::CheckResponse& response, const std::string& name) {
    for (const v1::Header& h : response.response_headers()) {
      if (h.name() == name) return h.value();
    }
    return "<absent>";
  }

  TempDir dir_;
  std::unique_ptr<TestStore> store_;
  std::string admin_token_;
  std::unique_ptr<CorsdProcess> corsd_;
  std::unique_ptr<v1::CorsAdmin::Stub> admin_;
  std::unique_ptr<v1::CorsDecision::Stub> decision_;
};

inline constexpr char kAppPolicy[] = R"({"rules":[{
  "allowedOrigins":["https://app.example.com","https://*.partner.example"],
  "allowedMethods":["PUT","DELETE"],
  "allowedHeaders":["content-type","x-trace-id"],
  "exposedHeaders":["x-request-id"],
  "allowCredentials":true,
  "maxAgeSeconds":600}]})";

}  // namespace corsd::testing

#endif  // CORSD_TESTS_SUPPORT_SERVER_FIXTURE_H_
