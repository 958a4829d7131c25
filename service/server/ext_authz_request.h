// ReadExtAuthzRequest reads, straight from the wire bytes of an
// envoy.service.auth.v3.CheckRequest, the few fields corsd decides with, as
// views into those bytes: no message is built, no map is filled, nothing is
// allocated. Envoy sends every request header and attribute; corsd reads
// attributes.request.http method, path, host, the Origin and
// Access-Control-Request-* entries of `headers` (or of `header_map`, which
// Envoy fills instead when it sends raw headers), and
// attributes.context_extensions["corsd_tenant"]. Everything else is skipped
// as the wire format allows, so a header map of 10,000 entries costs one
// scan.
//
// Semantics follow protobuf's merge rules: a field or map key seen twice
// takes the last value. Returns false when the bytes are not a protobuf
// message, or when a field corsd reads is not UTF-8 (protobuf would refuse
// the message); the field names for these come from
// proto/envoy/service/auth/v3, the one home of their numbers.
//
//   ExtAuthzRequestView view;
//   if (!ReadExtAuthzRequest(bytes, &view)) -> answer 400
//   engine::Request request{.origin = view.origin, .method = view.method, ...};
//
// Thread-safe (a pure function).
#ifndef CORSD_SERVICE_SERVER_EXT_AUTHZ_REQUEST_H_
#define CORSD_SERVICE_SERVER_EXT_AUTHZ_REQUEST_H_

#include <cstddef>

#include "absl/container/inlined_vector.h"
#include "absl/strings/string_view.h"
#include "service/engine/cors_request.h"

namespace corsd::server {

// The context_extensions key naming the tenant (set per route or virtual
// host in Envoy's config).
inline constexpr absl::string_view kExtAuthzTenantKey = "corsd_tenant";

struct ExtAuthzRequestView {
  absl::string_view tenant;  // context_extensions["corsd_tenant"]
  absl::string_view method;
  absl::string_view path;
  absl::string_view host;
  absl::string_view origin;
  // Every Access-Control-Request-Method, -Headers and -Private-Network
  // line, in order (header_map may repeat a name; in the `headers` map a
  // repeated key replaces, as protobuf's map does). No allocation for up to
  // three.
  absl::InlinedVector<engine::HeaderView, 3> cors_headers;
  size_t origin_lines = 0;  // header_map: more than one makes it malformed
};

bool ReadExtAuthzRequest(absl::string_view bytes, ExtAuthzRequestView* view);

}  // namespace corsd::server

#endif  // CORSD_SERVICE_SERVER_EXT_AUTHZ_REQUEST_H_
