// OwnedPostgresTest: a fixture for tests that stop and start PostgreSQL
// under running corsd processes (replicas, fail static, soak). It starts a
// PostgreSQL server of its own (not the suite's shared one), creates one
// database and an admin token for it, and offers the calls such tests make
// against a replica: a policy write, a Check, a health query.
#ifndef CORSD_TESTS_SERVER_OWNED_POSTGRES_H_
#define CORSD_TESTS_SERVER_OWNED_POSTGRES_H_

#include <memory>
#include <string>

#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "tests/support/corsd_process.h"
#include "tests/support/postgres_server.h"
#include "tests/support/temp_dir.h"

namespace corsd::testing {

class OwnedPostgresTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string error;
    postgres_ = PostgresServer::Start(&error);
    ASSERT_NE(postgres_, nullptr) << error;
    url_ = postgres_->CreateDatabase();
    ASSERT_FALSE(url_.empty());
    ProgramResult token = RunProgram({BinaryDir() + "/corsd", "token", "create", "--store", url_,
                                      "--role", "admin", "--name", "ops"});
    ASSERT_EQ(token.exit_code, 0) << token.err;
    token_ = std::string(absl::StripTrailingAsciiWhitespace(token.out));
  }

  // PutPolicy through `admin`: `tenant` allows `origin`.
  grpc::Status PutOrigin(v1::CorsAdmin::Stub* admin, const std::string& tenant,
                         const std::string& origin, v1::PolicyVersion* out = nullptr) {
    grpc::ClientContext context;
    Authorize(&context, token_, absl::Seconds(5));
    v1::PutPolicyRequest put;
    put.set_tenant(tenant);
    put.mutable_policy()->add_rules()->add_allowed_origins(origin);
    v1::PolicyVersion ignored;
    return admin->PutPolicy(&context, put, out != nullptr ? out : &ignored);
  }

  // A GET from `origin` to `tenant`, checked through `decision` within
  // `deadline`.
  grpc::Status CheckOrigin(v1::CorsDecision::Stub* decision, const std::string& tenant,
                           const std::string& origin, v1::CheckResponse* response,
                           absl::Duration deadline = absl::Seconds(2)) {
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + deadline));
    v1::CheckRequest request;
    request.set_tenant(tenant);
    request.set_origin(origin);
    request.set_method("GET");
    return decision->Check(&context, request, response);
  }

  // grpc.health.v1 for `service` on one of `replica`'s ports.
  grpc::health::v1::HealthCheckResponse::ServingStatus Health(CorsdProcess* replica, int port,
                                                              const std::string& service) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
    grpc::health::v1::HealthCheckRequest request;
    request.set_service(service);
    grpc::health::v1::HealthCheckResponse response;
    replica->HealthStub(port)->Check(&context, request, &response);
    return response.status();
  }

  TempDir dir_;
  std::unique_ptr<PostgresServer> postgres_;
  std::string url_;
  std::string token_;
};

}  // namespace corsd::testing

#endif  // CORSD_TESTS_SERVER_OWNED_POSTGRES_H_
