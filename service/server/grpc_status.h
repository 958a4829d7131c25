// The one place absl::Status becomes grpc::Status. A status carrying a
// google.rpc.BadRequest payload (see InvalidPolicyStatus) gets it as status
// details in the `grpc-status-details-bin` trailer, so clients can read each
// field violation programmatically as well as in the message.
#ifndef CORSD_SERVICE_SERVER_GRPC_STATUS_H_
#define CORSD_SERVICE_SERVER_GRPC_STATUS_H_

#include <grpcpp/support/status.h>

#include "absl/status/status.h"
#include "service/engine/diagnostics.h"

namespace corsd::server {

inline constexpr char kBadRequestTypeUrl[] = "type.googleapis.com/google.rpc.BadRequest";

grpc::Status ToGrpcStatus(const absl::Status& status);

// INVALID_ARGUMENT listing the violations: the message names the first few
// (one per line), the BadRequest details as many as fit in a trailer; the
// full list is always available from ValidatePolicy.
absl::Status InvalidPolicyStatus(const engine::PolicyDiagnostics& diagnostics);

}  // namespace corsd::server

#endif  // CORSD_SERVICE_SERVER_GRPC_STATUS_H_
