#include "service/server/ext_authz_service.h"

#include <string>

#include "service/engine/cors_request.h"
#include "service/engine/decision.h"
#include "service/server/ext_authz_answer.h"
#include "service/server/ext_authz_request.h"
#include "service/server/raw_message_io.h"

namespace corsd::server {
namespace {

constexpr int kGrpcOk = grpc::StatusCode::OK;
constexpr int kGrpcInvalidArgument = grpc::StatusCode::INVALID_ARGUMENT;
constexpr int kGrpcPermissionDenied = grpc::StatusCode::PERMISSION_DENIED;
constexpr int kHttpBadRequest = 400;
constexpr int kHttpServiceUnavailable = 503;

ExtAuthzAnswer ErrorAnswer(const absl::Status& status) {
  if (status.code() == absl::StatusCode::kNotFound) {
    // Not ours to decide: let the request through untouched.
    return ExtAuthzAnswer{.grpc_code = kGrpcOk, .error = "unknown_tenant"};
  }
  if (status.code() == absl::StatusCode::kUnavailable) {
    // No policies to decide with yet: refuse, as a failing authorizer does.
    return ExtAuthzAnswer{.grpc_code = grpc::StatusCode::UNAVAILABLE,
                          .grpc_message = status.message(),
                          .denied = true,
                          .http_status = kHttpServiceUnavailable,
                          .error = "unavailable"};
  }
  return ExtAuthzAnswer{.grpc_code = kGrpcInvalidArgument,
                        .grpc_message = status.message(),
                        .denied = true,
                        .http_status = kHttpBadRequest,
                        .error = "invalid_request"};
}

}  // namespace

void ExtAuthzService::Answer(absl::string_view request_bytes, std::string* response_bytes) const {
  ExtAuthzRequestView request;
  if (!ReadExtAuthzRequest(request_bytes, &request)) {
    path_->RecordUnparsableRequest(Api::kExtAuthz);
    SerializeExtAuthzAnswer(ErrorAnswer(absl::InvalidArgumentError(
                                "the request is not a valid envoy.service.auth.v3.CheckRequest "
                                "(the fields corsd reads must be UTF-8)")),
                            response_bytes);
    return;
  }
  engine::Decision decision;
  const engine::TenantSnapshot* tenant = nullptr;
  const absl::Status status = path_->Decide(
      Api::kExtAuthz,
      DecisionInput{.tenant = request.tenant,
                    .host = request.host,
                    .request =
                        engine::Request{// Two Origin lines of a raw header map never match:
                                        // joined they are not one serialized origin.
                                        .origin = request.origin_lines > 1 ? absl::string_view(",")
                                                                           : request.origin,
                                        .method = request.method,
                                        .path = request.path,
                                        .headers = request.cors_headers}},
      &decision, &tenant);
  if (!status.ok()) {
    SerializeExtAuthzAnswer(ErrorAnswer(status), response_bytes);
    return;
  }
  // A preflight is answered by Envoy itself, with corsd's status (a
  // "denied" check); anything else goes on with corsd's headers added.
  SerializeExtAuthzAnswer(
      ExtAuthzAnswer{.grpc_code = decision.respond_now ? kGrpcPermissionDenied : kGrpcOk,
                     .denied = decision.respond_now,
                     .http_status = decision.http_status,
                     .headers = decision.response_headers(),
                     .verdict = engine::VerdictName(decision.verdict),
                     .reason = engine::ReasonName(decision.reason),
                     .tenant = tenant->name,
                     .revision = decision.policy_revision},
      response_bytes);
}

grpc::ServerUnaryReactor* ExtAuthzService::Check(grpc::CallbackServerContext* context,
                                                 const grpc::ByteBuffer* request_bytes,
                                                 grpc::ByteBuffer* response_bytes) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  // The answer (headers and metadata) is a few hundred bytes.
  thread_local std::string answer;
  {
    // The answer views the request's bytes until it is written.
    grpc::Slice flat;
    absl::string_view bytes;
    if (!FlattenRequest(*request_bytes, &flat, &bytes)) bytes = "\xff";  // not a message: 400
    Answer(bytes, &answer);
  }
  grpc::Slice slice(answer.data(), answer.size());
  grpc::ByteBuffer serialized(&slice, 1);
  response_bytes->Swap(&serialized);
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

}  // namespace corsd::server
