// DecisionService is corsd.v1.CorsDecision on the data port: the hot path.
//
// Check reads the current TenantDirectory (one atomic load, no lock shared
// with writers), decides with the engine, and answers. It never touches the
// store. The method is registered "raw" (gRPC callback API over ByteBuffer)
// so corsd parses the request itself, into an arena: a request protobuf
// rejects (invalid UTF-8 in a string field, truncated bytes) gets a clear
// INVALID_ARGUMENT instead of gRPC's generic parse failure.
//
// Errors: INVALID_ARGUMENT when neither tenant nor host is set or the tenant
// name is malformed; NOT_FOUND when no tenant matches. Everything else about
// the request is the engine's business and comes back as a verdict (DENY
// MALFORMED_REQUEST for malformed CORS input).
#ifndef CORSD_SERVICE_SERVER_DECISION_SERVICE_H_
#define CORSD_SERVICE_SERVER_DECISION_SERVICE_H_

#include <grpcpp/grpcpp.h>

#include "absl/status/status.h"
#include "corsd/v1/corsd.grpc.pb.h"
#include "service/engine/tenant_directory.h"
#include "service/server/server_metrics.h"

namespace corsd::server {

struct DecisionLogOptions {
  int sample_every = 0;  // log one decision in N; 0 = off
};

class DecisionService final
    : public v1::CorsDecision::WithRawCallbackMethod_Check<v1::CorsDecision::Service> {
 public:
  DecisionService(const engine::TenantRegistry* registry, ServerMetrics* metrics,
                  DecisionLogOptions log_options)
      : registry_(registry), metrics_(metrics), log_options_(log_options) {}

  grpc::ServerUnaryReactor* Check(grpc::CallbackServerContext* context,
                                  const grpc::ByteBuffer* request,
                                  grpc::ByteBuffer* response) override;

  // The decision itself, without gRPC framing.
  // Fills `response`; `verdict` and `reason` are the engine's, for metrics.
  absl::Status Decide(const v1::CheckRequest& request, v1::CheckResponse* response,
                      engine::Verdict* verdict, engine::Reason* reason);

 private:
  void MaybeLogDecision(const v1::CheckRequest& request, const v1::CheckResponse& response);

  const engine::TenantRegistry* const registry_;
  ServerMetrics* const metrics_;
  const DecisionLogOptions log_options_;
};

}  // namespace corsd::server

#endif  // CORSD_SERVICE_SERVER_DECISION_SERVICE_H_
