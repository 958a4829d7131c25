// Conversions inside the client between corsd::CorsRequest / Decision and
// corsd.v1.CheckRequest / CheckResponse, plus the fail-closed answer. Local
// answers are mapped from the engine in decision_view.cc; the client tests
// check that they equal remote ones for every row of the engine's decision
// table. The public enums share corsd.v1's and the engine's numbering, which
// decision_mapping.cc asserts at compile time, so every mapping is a cast.
#ifndef CORSD_CLIENT_DECISION_MAPPING_H_
#define CORSD_CLIENT_DECISION_MAPPING_H_

#include "absl/container/inlined_vector.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "corsd/client.h"
#include "corsd/v1/corsd.pb.h"

namespace corsd::client_internal {

v1::CheckRequest ToCheckRequest(const CorsRequest& request);
Decision FromCheckResponse(const v1::CheckResponse& response, Decision::Source source);

// corsd could not be asked, or no policy covers the request: DENY without
// CORS headers (a preflight is answered 403 now; an actual request is
// forwarded and the browser blocks it); a request without Origin is simply
// not CORS. Only Vary is set, naming what the answer depended on.
struct FailClosedAnswer {
  Verdict verdict;
  RequestKind kind;
  Reason reason;
  bool respond_now;
  int http_status;
  absl::string_view vary;  // a literal
};
FailClosedAnswer FailClosedFor(absl::string_view origin, absl::string_view method,
                               absl::Span<const HeaderRef> headers);
// Views of owned headers, for the view-based paths.
absl::InlinedVector<HeaderRef, 8> HeaderRefsOf(absl::Span<const HttpHeader> headers);

// The owning form, with Source::kFailClosed and `error`.
Decision FailClosed(const CorsRequest& request, const std::string& error);

}  // namespace corsd::client_internal

#endif  // CORSD_CLIENT_DECISION_MAPPING_H_
