// Helpers for the HTTP side of a gateway: turn an incoming request into a
// CorsRequest, and put a Decision on the response.
//
//   CorsRequest request = CorsRequestFromHttp(method, target, host, request_headers);
//   Decision decision = *client->Check(request);
//   if (decision.respond_now) {
//     // answer decision.http_status, no body, headers below; do not forward
//   }
//   ApplyDecisionHeaders(decision, &response_headers);  // after the upstream answered
#ifndef CORSD_CLIENT_INCLUDE_CORSD_GATEWAY_H_
#define CORSD_CLIENT_INCLUDE_CORSD_GATEWAY_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "corsd/client.h"

namespace corsd {

// `target` is the request target ("/path?query"); the query is dropped.
// Origin becomes CorsRequest::origin (a repeated Origin header is passed as
// the values joined, which corsd rejects as malformed, as a browser never
// sends two); the Access-Control-Request-* headers are copied, every other
// header is left out (corsd does not need them).
CorsRequest CorsRequestFromHttp(absl::string_view method, absl::string_view target,
                                absl::string_view host, const std::vector<HttpHeader>& headers);

// Adds the decision's headers to a response's: Access-Control-* headers
// replace any the upstream set (corsd's answer wins), Vary is merged.
void ApplyDecisionHeaders(const Decision& decision, std::vector<HttpHeader>* response_headers);

// Union of two Vary values, case-insensitively, keeping the first spelling;
// "*" absorbs everything.
std::string MergeVary(absl::string_view existing, absl::string_view added);

}  // namespace corsd

#endif  // CORSD_CLIENT_INCLUDE_CORSD_GATEWAY_H_
