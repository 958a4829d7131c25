#include <grpcpp/grpcpp.h>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "bench/client_bench/modes.h"

namespace corsd::bench {

std::unique_ptr<v1::CorsAdmin::Stub> AdminStub(const std::string& target) {
  return v1::CorsAdmin::NewStub(grpc::CreateChannel(target, grpc::InsecureChannelCredentials()));
}

void Authorize(grpc::ClientContext& context, const std::string& token, absl::Duration deadline) {
  context.AddMetadata("authorization", "Bearer " + token);
  context.set_deadline(absl::ToChronoTime(absl::Now() + deadline));
}

absl::StatusOr<v1::Policy> CurrentPolicy(v1::CorsAdmin::Stub& admin,
                                         const ClientBenchTargets& targets) {
  grpc::ClientContext context;
  Authorize(context, targets.token);
  v1::GetPolicyRequest request;
  request.set_tenant(targets.tenant);
  v1::PolicyVersion version;
  grpc::Status status = admin.GetPolicy(&context, request, &version);
  if (!status.ok()) {
    return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                        absl::StrCat("GetPolicy ", targets.tenant, ": ", status.error_message()));
  }
  return version.policy();
}

std::vector<BenchRequest> BenchRequests(const std::string& tenant) {
  CorsRequest actual{
      .tenant = tenant, .origin = "https://app.example.com", .method = "GET", .path = "/api/items"};
  CorsRequest preflight = actual;
  preflight.method = "OPTIONS";
  preflight.headers = {{"Access-Control-Request-Method", "PUT"},
                       {"Access-Control-Request-Headers", "content-type,x-request-id"}};
  CorsRequest denied = actual;
  denied.origin = "https://not-listed.example";
  return {{"actual", actual, Verdict::kAllow},
          {"preflight", preflight, Verdict::kAllow},
          {"denied", denied, Verdict::kDeny}};
}

ViewRequest::ViewRequest(const CorsRequest& r) {
  for (const HttpHeader& h : r.headers) headers.push_back({h.name, h.value});
  view = {.tenant = r.tenant,
          .host = r.host,
          .origin = r.origin,
          .method = r.method,
          .path = r.path,
          .headers = headers};
}

absl::StatusOr<std::unique_ptr<Client>> SyncedLocalClient(const ClientBenchTargets& targets,
                                                          bool watch_all,
                                                          absl::Duration sync_within) {
  ClientOptions options;
  options.target = targets.data;
  options.deadline = absl::Seconds(2);
  options.local_evaluation = true;
  options.admin_target = targets.admin;
  options.admin_token = targets.token;
  if (!watch_all) options.tenants = {targets.tenant};
  absl::StatusOr<std::unique_ptr<Client>> client = Client::Create(options);
  if (!client.ok()) return client.status();
  if (!(*client)->WaitUntilSynced(sync_within)) {
    return absl::UnavailableError(absl::StrCat("the watch stream did not sync within ",
                                               absl::FormatDuration(sync_within),
                                               " (admin port/token?)"));
  }
  return client;
}

}  // namespace corsd::bench
