// SerializeExtAuthzAnswer writes an envoy.service.auth.v3.CheckResponse
// straight to wire bytes: corsd's answer to one ext_authz check, without
// building the message (its dynamic_metadata is a protobuf Struct of maps,
// which cost more to build than the decision itself). Field numbers come from
// proto/envoy (the one home of Envoy's numbers); tests decode every answer
// with the generated classes.
//
//   std::string bytes;
//   SerializeExtAuthzAnswer(ExtAuthzAnswer{.grpc_code = 7, .denied = true,
//                                          .http_status = 204, .headers = headers,
//                                          .verdict = "ALLOW", ...}, &bytes);
//
// Thread-safe (a pure function).
#ifndef CORSD_SERVICE_SERVER_EXT_AUTHZ_ANSWER_H_
#define CORSD_SERVICE_SERVER_EXT_AUTHZ_ANSWER_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "service/engine/cors_request.h"

namespace corsd::server {

struct ExtAuthzAnswer {
  int grpc_code = 0;  // CheckResponse.status.code: 0 lets the request through
  absl::string_view grpc_message;
  // denied_response (Envoy answers with http_status and headers) or
  // ok_response (headers go on the upstream's response).
  bool denied = false;
  int http_status = 0;
  absl::Span<const engine::HeaderView> headers;
  // ok_response only: Vary is appended to the upstream's; every other header
  // replaces the upstream's (append false). Denied answers replace all.
  // dynamic_metadata {"corsd": {...}}: empty strings are left out.
  absl::string_view verdict;
  absl::string_view reason;
  absl::string_view tenant;
  std::optional<int64_t> revision;
  absl::string_view error;
};

void SerializeExtAuthzAnswer(const ExtAuthzAnswer& answer, std::string* out);

// The dynamic metadata struct corsd fills under Envoy's ext_authz namespace.
inline constexpr absl::string_view kExtAuthzMetadataKey = "corsd";

}  // namespace corsd::server

#endif  // CORSD_SERVICE_SERVER_EXT_AUTHZ_ANSWER_H_
