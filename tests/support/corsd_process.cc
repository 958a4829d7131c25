#include "tests/support/corsd_process.h"

#include <httplib.h>
#include <signal.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace corsd::testing {
namespace {

// An idle gRPC client notices a server's GOAWAY only when its backup poller
// runs (every 5 s by default), and corsd's graceful shutdown waits for
// connected clients to leave. Tests stop servers while holding idle
// channels, so poll faster. Set before any channel exists (gRPC reads it at
// init); an explicit setting in the environment wins.
[[maybe_unused]] const bool kFastBackupPoll = [] {
  setenv("GRPC_CLIENT_CHANNEL_BACKUP_POLL_INTERVAL_MS", "100", /*overwrite=*/0);
  return true;
}();

std::shared_ptr<grpc::Channel> Channel(int port) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(64 << 20);
  args.SetMaxSendMessageSize(64 << 20);
  return grpc::CreateCustomChannel("127.0.0.1:" + std::to_string(port),
                                   grpc::InsecureChannelCredentials(), args);
}

}  // namespace

std::unique_ptr<CorsdProcess> CorsdProcess::Start(const CorsdOptions& options) {
  auto corsd = std::make_unique<CorsdProcess>();
  const std::string ready = absl::StrCat(options.dir, "/", options.name, ".ready.json");
  corsd->log_path_ = absl::StrCat(options.dir, "/", options.name, ".log");
  std::remove(ready.c_str());
  std::vector<std::string> argv = {BinaryDir() + "/corsd", "serve"};
  if (!options.store_url.empty()) {
    argv.insert(argv.end(), {"--store", options.store_url});
  } else {
    argv.insert(argv.end(), {"--db", options.db});
  }
  argv.insert(argv.end(), {"--listen", options.data_listen, "--admin-listen", options.admin_listen,
                           "--metrics-listen", "127.0.0.1:0", "--ready-file", ready,
                           "--shutdown-grace", "5s", "--poll-interval", "50ms"});
  if (options.http_endpoint) argv.insert(argv.end(), {"--http-listen", "127.0.0.1:0"});
  argv.insert(argv.end(), options.extra_args.begin(), options.extra_args.end());
  corsd->process_ = std::make_unique<Subprocess>(argv, corsd->log_path_, options.env);

  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (absl::Now() < deadline) {
    std::string contents = ReadFileOrEmpty(ready);
    if (!contents.empty()) {
      nlohmann::json j = nlohmann::json::parse(contents);
      corsd->data_port_ = j["data_port"];
      corsd->admin_port_ = j["admin_port"];
      corsd->metrics_port_ = j["metrics_port"];
      corsd->http_port_ = j.value("http_port", 0);
      return corsd;
    }
    if (!corsd->process_->running()) break;
    absl::SleepFor(absl::Milliseconds(20));
  }
  ADD_FAILURE() << "corsd did not start; log:\n" << corsd->log();
  return nullptr;
}

std::unique_ptr<v1::CorsDecision::Stub> CorsdProcess::DecisionStub() const {
  return v1::CorsDecision::NewStub(Channel(data_port_));
}

std::unique_ptr<v1::CorsAdmin::Stub> CorsdProcess::AdminStub() const {
  return v1::CorsAdmin::NewStub(Channel(admin_port_));
}

grpc::Status CorsdProcess::CreateTenant(const std::string& token, const std::string& name) const {
  grpc::ClientContext context;
  Authorize(&context, token);
  v1::CreateTenantRequest request;
  request.set_name(name);
  v1::Tenant tenant;
  return AdminStub()->CreateTenant(&context, request, &tenant);
}

std::unique_ptr<grpc::health::v1::Health::Stub> CorsdProcess::HealthStub(int port) const {
  return grpc::health::v1::Health::NewStub(Channel(port));
}

int CorsdProcess::Stop(absl::Duration timeout) {
  process_->Signal(SIGTERM);
  return process_->Wait(timeout);
}

void CorsdProcess::Kill() {
  process_->Signal(SIGKILL);
  process_->Wait(absl::Seconds(10));
}

std::string CreateToken(const std::string& db, const std::string& role, const std::string& tenant,
                        const std::string& label) {
  std::vector<std::string> argv = {
      BinaryDir() + "/corsd", "token", "create", "--db", db, "--role", role};
  if (!tenant.empty()) argv.insert(argv.end(), {"--tenant", tenant});
  if (!label.empty()) argv.insert(argv.end(), {"--name", label});
  ProgramResult result = RunProgram(argv);
  EXPECT_EQ(result.exit_code, 0) << result.err;
  return std::string(absl::StripTrailingAsciiWhitespace(result.out));
}

void Authorize(grpc::ClientContext* context, const std::string& token, absl::Duration deadline) {
  context->AddMetadata("authorization", "Bearer " + token);
  context->set_deadline(absl::ToChronoTime(absl::Now() + deadline));
}

ConditionalPut PutPolicyIfUnchanged(v1::CorsAdmin::Stub* admin, const std::string& token,
                                    const std::string& tenant, const std::string& origin) {
  ConditionalPut result;
  grpc::ClientContext get_context;
  Authorize(&get_context, token);
  v1::GetTenantRequest get;
  get.set_name(tenant);
  v1::Tenant current;
  result.status = admin->GetTenant(&get_context, get, &current);
  if (!result.status.ok()) return result;
  result.read_revision = current.policy_revision();

  grpc::ClientContext put_context;
  Authorize(&put_context, token);
  v1::PutPolicyRequest put;
  put.set_tenant(tenant);
  put.mutable_policy()->add_rules()->add_allowed_origins(origin);
  put.set_expected_revision(result.read_revision);
  v1::PolicyVersion version;
  result.status = admin->PutPolicy(&put_context, put, &version);
  result.written_revision = version.revision();
  return result;
}

v1::Policy PolicyFromJson(const std::string& json) {
  v1::Policy policy;
  auto status = google::protobuf::util::JsonStringToMessage(json, &policy);
  EXPECT_TRUE(status.ok()) << status.message() << "\n" << json;
  return policy;
}

std::string HttpGet(int port, const std::string& path) {
  httplib::Client client("127.0.0.1", port);
  client.set_connection_timeout(5);
  auto response = client.Get(path.c_str());
  return response ? response->body : std::string();
}

}  // namespace corsd::testing
