// Helpers for the HTTP side of a gateway: turn an incoming request into a
// CorsRequest, and put a Decision on the response.
//
//   CorsRequest request = CorsRequestFromHttp(method, target, host, request_headers);
//   Decision decision = *client->Check(request);
//   if (decision.respond_now) {
//     // answer decision.http_status, no body, headers below; do not forward
//   }
//   ApplyDecisionHeaders(decision, &response_headers);  // after the upstream answered
//
// Both work with the zero-copy DecisionView from Client::CheckLocal too.
#ifndef CORSD_CLIENT_INCLUDE_CORSD_GATEWAY_H_
#define CORSD_CLIENT_INCLUDE_CORSD_GATEWAY_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "corsd/client.h"

namespace corsd {

// `target` is the request target ("/path?query"); the query is dropped.
// Origin becomes CorsRequest::origin (a repeated Origin header is passed as
// the values joined, which corsd rejects as malformed, as a browser never
// sends two); the Access-Control-Request-* headers are copied, every other
// header is left out (corsd does not need them).
CorsRequest CorsRequestFromHttp(absl::string_view method, absl::string_view target,
                                absl::string_view host, const std::vector<HttpHeader>& headers);

// The CorsRequestView of an HTTP request whose header lines the caller holds
// (as views into its own request object), for Client::CheckLocal. Nothing is
// copied: every header line is passed on (corsd reads only Origin and the
// Access-Control-Request-* ones), and the Origin is a view of its value, or
// of `origin_scratch` holding the values joined when a non-browser sent
// several (corsd then rejects it as malformed, like Check does).
CorsRequestView CorsRequestViewFromHttp(absl::string_view method, absl::string_view target,
                                        absl::string_view host, absl::Span<const HeaderRef> headers,
                                        std::string* origin_scratch);

// Puts the decision's headers on a response: corsd is authoritative, so every
// Access-Control-* header the upstream set is removed first, whatever the
// verdict (on a DENY none comes back, so a stray "Access-Control-Allow-Origin:
// *" cannot undo it); Vary is merged with the upstream's. The DecisionView
// form copies each header once, into the response.
void ApplyDecisionHeaders(const Decision& decision, std::vector<HttpHeader>* response_headers);
void ApplyDecisionHeaders(const DecisionView& decision, std::vector<HttpHeader>* response_headers);
// The same for any list of headers to add (what both forms call).
void ApplyCorsHeaders(absl::Span<const HeaderRef> cors_headers,
                      std::vector<HttpHeader>* response_headers);

// True for the headers corsd is authoritative for (Access-Control-*, any
// case): ApplyCorsHeaders removes the upstream's.
bool IsCorsResponseHeader(absl::string_view name);

// Union of two Vary values, case-insensitively, keeping the first spelling;
// "*" absorbs everything.
std::string MergeVary(absl::string_view existing, absl::string_view added);

}  // namespace corsd

#endif  // CORSD_CLIENT_INCLUDE_CORSD_GATEWAY_H_
