// ExtAuthzService is Envoy's envoy.service.auth.v3.Authorization/Check on
// the data port: the ext_authz door to the one DecisionPath, so Envoy (and
// Istio, Emissary, Gloo, Contour on top of it) can put corsd in front of
// every route with the stock ext_authz filter.
//
// What it reads: attributes.request.http method, host, path and, from the
// header map, Origin and the Access-Control-Request-* headers (from
// header_map instead when Envoy sends raw headers); the tenant is
// attributes.context_extensions["corsd_tenant"], else the one owning host.
// What it answers (the same decision gRPC Check makes):
//   preflight, allowed or denied  status 7 + denied_response with Check's
//                                 status (2xx or 403) and headers: Envoy
//                                 answers the browser itself
//   actual request, allowed or    status 0 + ok_response whose
//   denied, or no Origin          response_headers_to_add carry Check's
//                                 headers: access-control-* replacing the
//                                 upstream's (append false), Vary merged
//                                 (append true); at most Vary when denied
//   unknown tenant or host        status 0, no headers: corsd does not block
//                                 what it does not own
//   input Check refuses           status 3 + denied_response 400
// plus dynamic_metadata {"corsd": {verdict, reason, tenant, revision}} (or
// {"corsd": {"error": ...}}) for access logs: allowed preflights count as
// ext_authz denials in Envoy's stats, and the metadata says why.
//
// Registered raw (callback API over ByteBuffer) like DecisionService: the
// request is read in place by ReadExtAuthzRequest (Envoy sends its whole
// header map; building it as a message would cost more than the decision)
// and the answer written by SerializeExtAuthzAnswer,
// and a request that does not parse still gets the status-3 answer above
// rather than a gRPC error Envoy would turn into its own 403.
//
// Thread safety: stateless beyond the DecisionPath it shares.
#ifndef CORSD_SERVICE_SERVER_EXT_AUTHZ_SERVICE_H_
#define CORSD_SERVICE_SERVER_EXT_AUTHZ_SERVICE_H_

#include <grpcpp/grpcpp.h>

#include "absl/strings/string_view.h"
#include "envoy/service/auth/v3/external_auth.grpc.pb.h"
#include "service/server/decision_path.h"
#include "service/server/ext_authz_answer.h"
#include "service/server/ext_authz_request.h"

namespace corsd::server {

class ExtAuthzService final
    : public envoy::service::auth::v3::Authorization::WithRawCallbackMethod_Check<
          envoy::service::auth::v3::Authorization::Service> {
 public:
  static constexpr char kServiceName[] = "envoy.service.auth.v3.Authorization";

  explicit ExtAuthzService(const DecisionPath* path) : path_(path) {}

  grpc::ServerUnaryReactor* Check(grpc::CallbackServerContext* context,
                                  const grpc::ByteBuffer* request,
                                  grpc::ByteBuffer* response) override;

  // The serialized CheckResponse answering the serialized CheckRequest
  // `request_bytes`, without gRPC framing.
  void Answer(absl::string_view request_bytes, std::string* response_bytes) const;

 private:
  const DecisionPath* const path_;
};

}  // namespace corsd::server

#endif  // CORSD_SERVICE_SERVER_EXT_AUTHZ_SERVICE_H_
