#include "service/server/ext_authz_service.h"

#include <array>

#include "service/engine/cors_request.h"
#include "service/engine/decision.h"
#include "service/server/ext_authz_request.h"
#include "service/server/raw_message_io.h"

namespace corsd::server {
namespace {

namespace auth = envoy::service::auth::v3;
using envoy::config::core::v3::HeaderValueOption;

constexpr int kGrpcOk = grpc::StatusCode::OK;
constexpr int kGrpcInvalidArgument = grpc::StatusCode::INVALID_ARGUMENT;
constexpr int kGrpcPermissionDenied = grpc::StatusCode::PERMISSION_DENIED;

void AddHeader(google::protobuf::RepeatedPtrField<HeaderValueOption>* headers,
               const engine::HeaderView& header, bool append) {
  HeaderValueOption* option = headers->Add();
  option->mutable_header()->set_key(header.name.data(), header.name.size());
  option->mutable_header()->set_value(header.value.data(), header.value.size());
  // Always explicit: Envoy releases disagree on what an unset append means.
  option->mutable_append()->set_value(append);
}

google::protobuf::Struct* MetadataOf(auth::CheckResponse* response) {
  return (*response->mutable_dynamic_metadata()
               ->mutable_fields())[std::string(kExtAuthzMetadataKey)]
      .mutable_struct_value();
}

void SetField(google::protobuf::Struct* s, const char* key, absl::string_view value) {
  (*s->mutable_fields())[key].set_string_value(value.data(), value.size());
}

void AnswerError(const absl::Status& status, auth::CheckResponse* response) {
  if (status.code() == absl::StatusCode::kNotFound) {
    // Not ours to decide: let the request through untouched.
    response->mutable_status()->set_code(kGrpcOk);
    response->mutable_ok_response();
    SetField(MetadataOf(response), "error", "unknown_tenant");
    return;
  }
  response->mutable_status()->set_code(kGrpcInvalidArgument);
  response->mutable_status()->set_message(std::string(status.message()));
  response->mutable_denied_response()->mutable_status()->set_code(
      envoy::type::v3::StatusCode::BadRequest);
  SetField(MetadataOf(response), "error", "invalid_request");
}

}  // namespace

void ExtAuthzService::Answer(absl::string_view request_bytes, auth::CheckResponse* response) const {
  ExtAuthzRequestView request;
  if (!ReadExtAuthzRequest(request_bytes, &request)) {
    path_->RecordUnparsableRequest(Api::kExtAuthz);
    AnswerError(absl::InvalidArgumentError("the request is not a valid "
                                           "envoy.service.auth.v3.CheckRequest (the fields corsd "
                                           "reads must be UTF-8)"),
                response);
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
    AnswerError(status, response);
    return;
  }

  if (decision.respond_now) {
    // Preflights are answered by Envoy itself, with corsd's status.
    response->mutable_status()->set_code(kGrpcPermissionDenied);
    auth::DeniedHttpResponse* denied = response->mutable_denied_response();
    denied->mutable_status()->set_code(
        static_cast<envoy::type::v3::StatusCode>(decision.http_status));
    for (const engine::HeaderView& header : decision.response_headers()) {
      AddHeader(denied->mutable_headers(), header, /*append=*/false);
    }
  } else {
    response->mutable_status()->set_code(kGrpcOk);
    auth::OkHttpResponse* ok = response->mutable_ok_response();
    for (const engine::HeaderView& header : decision.response_headers()) {
      // corsd is authoritative for access-control-*; Vary is a list the
      // upstream may have started.
      AddHeader(ok->mutable_response_headers_to_add(), header,
                /*append=*/header.name == engine::kVaryHeader);
    }
  }
  google::protobuf::Struct* metadata = MetadataOf(response);
  SetField(metadata, "verdict", engine::VerdictName(decision.verdict));
  SetField(metadata, "reason", engine::ReasonName(decision.reason));
  SetField(metadata, "tenant", tenant->name);
  (*metadata->mutable_fields())["revision"].set_number_value(
      static_cast<double>(decision.policy_revision));
}

grpc::ServerUnaryReactor* ExtAuthzService::Check(grpc::CallbackServerContext* context,
                                                 const grpc::ByteBuffer* request_bytes,
                                                 grpc::ByteBuffer* response_bytes) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  // The answer (headers and metadata) fits in the first block.
  StackArena<4096> arena;
  auto* response = arena.Create<auth::CheckResponse>();
  {
    // The answer views the request's bytes until it is built.
    grpc::Slice flat;
    absl::string_view bytes;
    if (!FlattenRequest(*request_bytes, &flat, &bytes)) bytes = "\xff";  // not a message: 400
    Answer(bytes, response);
  }
  SerializeToByteBuffer(*response, response_bytes);
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

}  // namespace corsd::server
