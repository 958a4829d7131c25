// HttpCheckAdapter is the HTTP door to the one DecisionPath, for gateways
// that speak plain HTTP (nginx auth_request, Traefik forwardAuth, Caddy
// forward_auth) or programs that would rather not link gRPC:
//
//   POST /v1/check         a corsd.v1.CheckRequest in the protobuf JSON
//                          mapping -> 200 with the CheckResponse as JSON
//   ANY  /v1/forward-auth  the request described by the X-Original-* /
//                          X-Forwarded-* headers (path: X-Original-URI,
//                          X-Forwarded-Uri, X-Replaced-Path, else the
//                          request's own) -> Check's status and
//                          response headers, plus X-Corsd-Verdict/-Reason/
//                          -Revision, empty body
//   GET  /healthz          200 "ok" while the data port is SERVING, else 503
//
// Errors are the JSON body of HttpResponse::JsonError: 400 for malformed
// JSON or what Check refuses with INVALID_ARGUMENT, 404 for an unknown
// tenant or host (or path), 405 for a wrong method. It holds no CORS logic:
// the verdict, headers and status all come from DecisionPath.
//
// Thread safety: Handle is called concurrently by HttpServer's workers.
#ifndef CORSD_SERVICE_SERVER_HTTP_CHECK_ADAPTER_H_
#define CORSD_SERVICE_SERVER_HTTP_CHECK_ADAPTER_H_

#include <atomic>

#include "absl/strings/string_view.h"
#include "service/http/http_message.h"
#include "service/server/decision_path.h"

namespace corsd::server {

// Request headers /v1/forward-auth reads (case-insensitive), first found
// wins, and the headers it adds to its answer.
inline constexpr absl::string_view kOriginalMethodHeader = "X-Original-Method";
inline constexpr absl::string_view kForwardedMethodHeader = "X-Forwarded-Method";
inline constexpr absl::string_view kOriginalUriHeader = "X-Original-URI";
inline constexpr absl::string_view kForwardedUriHeader = "X-Forwarded-Uri";
// Set by Traefik's replacePath middleware to the path before it was
// replaced: how a Traefik preflight routed to corsd names its path.
inline constexpr absl::string_view kReplacedPathHeader = "X-Replaced-Path";
inline constexpr absl::string_view kForwardedHostHeader = "X-Forwarded-Host";
inline constexpr absl::string_view kTenantHeader = "X-Corsd-Tenant";
inline constexpr absl::string_view kVerdictHeader = "X-Corsd-Verdict";
inline constexpr absl::string_view kReasonHeader = "X-Corsd-Reason";
inline constexpr absl::string_view kRevisionHeader = "X-Corsd-Revision";

class HttpCheckAdapter {
 public:
  // `serving` is the data port's health (true while SERVING); it must
  // outlive the adapter.
  HttpCheckAdapter(const DecisionPath* path, const std::atomic<bool>* serving)
      : path_(path), serving_(serving) {}

  http::HttpResponse Handle(const http::HttpRequest& request) const;

 private:
  http::HttpResponse Check(const http::HttpRequest& request) const;
  http::HttpResponse ForwardAuth(const http::HttpRequest& request) const;
  http::HttpResponse Healthz() const;

  const DecisionPath* const path_;
  const std::atomic<bool>* const serving_;
};

}  // namespace corsd::server

#endif  // CORSD_SERVICE_SERVER_HTTP_CHECK_ADAPTER_H_
