#include "service/server/grpc_status.h"

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "absl/types/optional.h"
#include "google/protobuf/any.pb.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"

namespace corsd::server {
namespace {

// gRPC's default limit for all metadata of a response is 8 KiB, and binary
// trailers are base64-encoded (4/3 larger); stay well inside it.
constexpr size_t kMaxDetailsBytes = 3000;
constexpr size_t kMaxMessageLines = 10;

}  // namespace

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  const auto code = static_cast<grpc::StatusCode>(status.code());
  const std::string message(status.message());
  absl::optional<absl::Cord> payload = status.GetPayload(kBadRequestTypeUrl);
  if (!payload.has_value()) return grpc::Status(code, message);

  google::rpc::Status details;
  details.set_code(static_cast<int>(code));
  details.set_message(message);
  google::protobuf::Any* any = details.add_details();
  any->set_type_url(kBadRequestTypeUrl);
  any->set_value(std::string(*payload));
  return grpc::Status(code, message, details.SerializeAsString());
}

absl::Status InvalidPolicyStatus(const engine::PolicyDiagnostics& diagnostics) {
  const size_t count = diagnostics.violation_count;
  absl::Status status = absl::InvalidArgumentError(
      absl::StrCat("the policy has ", count, count == 1 ? " violation" : " violations",
                   "; nothing was stored:\n", diagnostics.Summary(kMaxMessageLines)));
  google::rpc::BadRequest bad_request;
  size_t bytes = 0;
  size_t included = 0;
  for (const engine::FieldViolation& v : diagnostics.violations) {
    bytes += v.field.size() + v.description.size() + 8;
    if (bytes > kMaxDetailsBytes) break;
    auto* out = bad_request.add_field_violations();
    out->set_field(v.field);
    out->set_description(v.description);
    ++included;
  }
  if (included < count) {
    auto* more = bad_request.add_field_violations();
    more->set_field(engine::kLeftOutField);
    more->set_description(
        absl::StrCat(engine::LeftOutDescription(count - included, "violations"),
                     "; call ValidatePolicy (corsctl policy validate) to see them all"));
  }
  status.SetPayload(kBadRequestTypeUrl, absl::Cord(bad_request.SerializeAsString()));
  return status;
}

}  // namespace corsd::server
