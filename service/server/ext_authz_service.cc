#include "service/server/ext_authz_service.h"

#include <grpcpp/support/byte_buffer.h>
#include <grpcpp/support/slice.h>

#include <array>

#include "absl/container/inlined_vector.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "google/protobuf/arena.h"
#include "service/engine/cors_request.h"
#include "service/engine/decision.h"

namespace corsd::server {
namespace {

namespace auth = envoy::service::auth::v3;
using envoy::config::core::v3::HeaderValueOption;

constexpr int kGrpcOk = 0;
constexpr int kGrpcInvalidArgument = 3;
constexpr int kGrpcPermissionDenied = 7;

// The headers the engine reads, as Envoy names them (lower case).
constexpr absl::string_view kOriginHeader = "origin";
constexpr std::array<absl::string_view, 3> kCorsRequestHeaders = {
    engine::kRequestMethodHeader, engine::kRequestHeadersHeader,
    engine::kRequestPrivateNetworkHeader};

// Origin and the Access-Control-Request-* headers of Envoy's request, as
// views into it.
struct CorsHeaders {
  absl::string_view origin;
  absl::InlinedVector<engine::HeaderView, 3> request_headers;
};

CorsHeaders ReadCorsHeaders(const auth::AttributeContext::HttpRequest& http) {
  CorsHeaders out;
  if (!http.headers().empty()) {
    // Envoy's map: lower-case names, repeated headers joined with ','.
    if (auto it = http.headers().find(std::string(kOriginHeader)); it != http.headers().end()) {
      out.origin = it->second;
    }
    for (absl::string_view name : kCorsRequestHeaders) {
      if (auto it = http.headers().find(std::string(name)); it != http.headers().end()) {
        out.request_headers.push_back(engine::HeaderView{name, it->second});
      }
    }
    return out;
  }
  // encode_raw_headers: every line of header_map, value or raw_value. A
  // second Origin line makes the origin malformed, as a joined map value
  // would.
  bool origin_seen = false;
  for (const auto& header : http.header_map().headers()) {
    const absl::string_view value =
        header.raw_value().empty() ? absl::string_view(header.value()) : header.raw_value();
    if (absl::EqualsIgnoreCase(header.key(), kOriginHeader)) {
      out.origin = origin_seen ? absl::string_view(",") : value;
      origin_seen = true;
      continue;
    }
    for (absl::string_view name : kCorsRequestHeaders) {
      if (absl::EqualsIgnoreCase(header.key(), name)) {
        out.request_headers.push_back(engine::HeaderView{name, value});
      }
    }
  }
  return out;
}

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

void ExtAuthzService::Answer(const auth::CheckRequest* request,
                             auth::CheckResponse* response) const {
  if (request == nullptr) {
    path_->RecordUnparsableRequest(Api::kExtAuthz);
    AnswerError(absl::InvalidArgumentError("the request is not a valid "
                                           "envoy.service.auth.v3.CheckRequest"),
                response);
    return;
  }
  const auth::AttributeContext& attributes = request->attributes();
  const auth::AttributeContext::HttpRequest& http = attributes.request().http();
  const CorsHeaders cors = ReadCorsHeaders(http);
  absl::string_view tenant_name;
  if (auto it = attributes.context_extensions().find(std::string(kExtAuthzTenantKey));
      it != attributes.context_extensions().end()) {
    tenant_name = it->second;
  }

  engine::Decision decision;
  const engine::TenantSnapshot* tenant = nullptr;
  const absl::Status status =
      path_->Decide(Api::kExtAuthz,
                    DecisionInput{.tenant = tenant_name,
                                  .host = http.host(),
                                  .request = engine::Request{.origin = cors.origin,
                                                             .method = http.method(),
                                                             .path = http.path(),
                                                             .headers = cors.request_headers}},
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
  // Envoy's requests carry the whole header map; most fit in 16 KiB.
  std::array<char, 16 * 1024> initial_block;
  google::protobuf::ArenaOptions arena_options;
  arena_options.initial_block = initial_block.data();
  arena_options.initial_block_size = initial_block.size();
  google::protobuf::Arena arena(arena_options);
  auto* request = google::protobuf::Arena::CreateMessage<auth::CheckRequest>(&arena);
  auto* response = google::protobuf::Arena::CreateMessage<auth::CheckResponse>(&arena);
  {
    grpc::Slice flat;
    if (!request_bytes->DumpToSingleSlice(&flat).ok() ||
        !request->ParseFromArray(flat.begin(), static_cast<int>(flat.size()))) {
      request = nullptr;
    }
  }
  Answer(request, response);
  grpc::Slice slice(response->ByteSizeLong());
  response->SerializeWithCachedSizesToArray(const_cast<uint8_t*>(slice.begin()));
  grpc::ByteBuffer serialized(&slice, 1);
  response_bytes->Swap(&serialized);
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

}  // namespace corsd::server
