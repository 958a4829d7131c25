// A real corsd server for tests: `corsd serve` as a child process on
// 127.0.0.1 ports chosen by the kernel (read back from --ready-file), with a
// SQLite file in the caller's temp directory, plus gRPC stubs for both ports.
//
//   TempDir dir;
//   std::string token = CreateToken(dir.File("corsd.db"), "admin");
//   auto corsd = CorsdProcess::Start({.db = dir.File("corsd.db"), .dir = dir.path()});
//   auto admin = corsd->AdminStub();
//   grpc::ClientContext ctx; Authorize(&ctx, token);
//   admin->CreateTenant(&ctx, request, &tenant);
//   EXPECT_EQ(corsd->Stop(), 0);
#ifndef CORSD_TESTS_SUPPORT_CORSD_PROCESS_H_
#define CORSD_TESTS_SUPPORT_CORSD_PROCESS_H_

#include <grpcpp/grpcpp.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "corsd/v1/corsd.grpc.pb.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "tests/support/subprocess.h"

namespace corsd::testing {

struct CorsdOptions {
  std::string db;         // --db (SQLite); ignored when store_url is set
  std::string store_url;  // --store postgres://...
  std::string dir;        // where the ready file and log go
  std::vector<std::string> extra_args;
  std::map<std::string, std::string> env;
  std::string name = "corsd";               // distinguishes logs of several servers in one dir
  std::string data_listen = "127.0.0.1:0";  // fixed ports let clients reconnect
  std::string admin_listen = "127.0.0.1:0";
  bool http_endpoint = false;  // --http-listen 127.0.0.1:0
};

class CorsdProcess {
 public:
  // Starts corsd and waits until it serves (fails the test on timeout).
  static std::unique_ptr<CorsdProcess> Start(const CorsdOptions& options);

  int data_port() const { return data_port_; }
  int admin_port() const { return admin_port_; }
  int metrics_port() const { return metrics_port_; }
  int http_port() const { return http_port_; }  // 0 without CorsdOptions::http_endpoint
  std::string data_address() const { return "127.0.0.1:" + std::to_string(data_port_); }
  std::string admin_address() const { return "127.0.0.1:" + std::to_string(admin_port_); }

  std::unique_ptr<v1::CorsDecision::Stub> DecisionStub() const;
  std::unique_ptr<v1::CorsAdmin::Stub> AdminStub() const;
  std::unique_ptr<grpc::health::v1::Health::Stub> HealthStub(int port) const;
  // CreateTenant on the admin port with `token` (admin role).
  grpc::Status CreateTenant(const std::string& token, const std::string& name) const;

  // SIGTERM and wait; returns the exit code.
  int Stop(absl::Duration timeout = absl::Seconds(30));
  // SIGKILL: no chance to clean up.
  void Kill();
  bool running() { return process_->running(); }
  std::string log() const { return ReadFileOrEmpty(log_path_); }
  pid_t pid() const { return process_->pid(); }

 private:
  std::unique_ptr<Subprocess> process_;
  std::string log_path_;
  int data_port_ = 0;
  int admin_port_ = 0;
  int metrics_port_ = 0;
  int http_port_ = 0;
};

// `corsd token create`; returns the secret (fails the test on error).
std::string CreateToken(const std::string& db, const std::string& role,
                        const std::string& tenant = "", const std::string& label = "");

// Adds `authorization: Bearer <token>` and a deadline.
void Authorize(grpc::ClientContext* context, const std::string& token,
               absl::Duration deadline = absl::Seconds(10));

// One optimistic read-modify-write, as a careful operator does it: read the
// tenant's current policy revision, then PutPolicy (a policy allowing
// `origin`) with that revision as expected_revision. `status` is the first
// failing call's (ABORTED when another writer got in between) or OK.
struct ConditionalPut {
  grpc::Status status;
  int64_t read_revision = 0;     // the revision the write expected
  int64_t written_revision = 0;  // the new revision, when status is OK
};
ConditionalPut PutPolicyIfUnchanged(v1::CorsAdmin::Stub* admin, const std::string& token,
                                    const std::string& tenant, const std::string& origin);

// corsd.v1.Policy from its JSON form (fails the test when it does not parse).
v1::Policy PolicyFromJson(const std::string& json);

// GET http://127.0.0.1:port/path; returns the body ("" on error).
std::string HttpGet(int port, const std::string& path);

}  // namespace corsd::testing

#endif  // CORSD_TESTS_SUPPORT_CORSD_PROCESS_H_
