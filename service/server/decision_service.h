// DecisionService is corsd.v1.CorsDecision on the data port: the gRPC door
// to the one DecisionPath (the hot path).
//
// Check translates the CheckRequest for DecisionPath (which reads the current
// TenantDirectory with one atomic load, no lock shared with writers, and
// decides with the engine) and the decision into a CheckResponse. It never
// touches the store. The method is registered "raw" (gRPC callback API over ByteBuffer)
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
#include "service/server/decision_path.h"

namespace corsd::server {

class DecisionService final
    : public v1::CorsDecision::WithRawCallbackMethod_Check<v1::CorsDecision::Service> {
 public:
  explicit DecisionService(const DecisionPath* path) : path_(path) {}

  grpc::ServerUnaryReactor* Check(grpc::CallbackServerContext* context,
                                  const grpc::ByteBuffer* request,
                                  grpc::ByteBuffer* response) override;

 private:
  const DecisionPath* const path_;
};

// The decision for a corsd.v1 CheckRequest as a CheckResponse, without gRPC
// framing: gRPC Check and the HTTP endpoint's POST /v1/check both answer
// with it.
absl::Status DecideCheckRequest(const DecisionPath& path, Api api, const v1::CheckRequest& request,
                                v1::CheckResponse* response);

}  // namespace corsd::server

#endif  // CORSD_SERVICE_SERVER_DECISION_SERVICE_H_
