// Decide() answers one request against one compiled policy, following the
// WHATWG Fetch CORS protocol:
//
//   no Origin                       -> NOT_CORS, forward as usual
//   OPTIONS + Origin + ACRM         -> PREFLIGHT: answer now (204/2xx or 403)
//   any other request with Origin   -> ACTUAL: forward; the browser enforces
//
// together with the exact response headers to add. Only validated values are
// ever echoed (the origin after it matched, the method after it was checked as
// a token and allowed, header names after each was checked and allowed), and
// Vary is set whenever the answer depends on a request header.
//
//   Decision decision;
//   Decide(*policy, request, DecideOptions{}, &decision);
//   for (const HeaderView& h : decision.response_headers()) AddHeader(h.name, h.value);
//
// Decide never locks and, except to build an explanation or to rebuild a
// non-canonical Access-Control-Allow-Headers value, never allocates. Header
// values in a Decision point into the policy, the request or the Decision
// itself, so a Decision must not outlive either and is neither copied nor
// moved (reuse it; Decide resets it).
#ifndef CORSD_SERVICE_ENGINE_DECISION_H_
#define CORSD_SERVICE_ENGINE_DECISION_H_

#include <cstdint>
#include <new>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "service/engine/compiled_policy.h"
#include "service/engine/cors_request.h"
#include "service/engine/verdict.h"

namespace corsd::engine {

struct DecideOptions {
  bool explain = false;  // fill Decision::explanation
};

class Decision {
 public:
  // Enough for every header one answer can carry: ACAO, ACAC, ACAM, ACAH,
  // ACMA, ACAPN, ACEH, Vary.
  static constexpr size_t kMaxResponseHeaders = 8;

  Decision() = default;
  Decision(const Decision&) = delete;
  Decision& operator=(const Decision&) = delete;

  Verdict verdict = Verdict::kDeny;
  RequestKind kind = RequestKind::kActual;
  Reason reason = Reason::kMalformedRequest;
  bool respond_now = false;  // preflight: the gateway answers, does not forward
  int http_status = 0;       // when respond_now
  int64_t policy_revision = 0;
  std::string explanation;  // only with DecideOptions::explain

  absl::Span<const HeaderView> response_headers() const {
    return absl::MakeConstSpan(std::launder(reinterpret_cast<const HeaderView*>(headers_)),
                               header_count_);
  }

 private:
  friend class DecisionWriter;
  // HeaderViews [0, header_count_), constructed as they are added. Raw
  // storage rather than an array of HeaderView, whose constructors would
  // zero all eight entries every time a Decision is made (a measurable share
  // of a local decision when the gateway makes one per request).
  alignas(HeaderView) unsigned char headers_[kMaxResponseHeaders * sizeof(HeaderView)];
  size_t header_count_ = 0;
  std::string scratch_;  // rebuilt Access-Control-Allow-Headers value
};

void Decide(const CompiledPolicy& policy, const Request& request, const DecideOptions& options,
            Decision* decision);

// The same for a caller that scanned the request's CORS headers itself
// because it needs the scan too (ShadowRecorder::Record): `cors` must be
// ScanCorsRequestHeaders(request.headers), and Decide does not scan again
// (except, as always, a request with more Access-Control-Request-Headers
// lines than the scan keeps).
void Decide(const CompiledPolicy& policy, const Request& request, const CorsRequestHeaders& cors,
            const DecideOptions& options, Decision* decision);

// Response header names, spelled as corsd emits them.
inline constexpr absl::string_view kAllowOriginHeader = "Access-Control-Allow-Origin";
inline constexpr absl::string_view kAllowCredentialsHeader = "Access-Control-Allow-Credentials";
inline constexpr absl::string_view kAllowMethodsHeader = "Access-Control-Allow-Methods";
inline constexpr absl::string_view kAllowHeadersHeader = "Access-Control-Allow-Headers";
inline constexpr absl::string_view kMaxAgeHeader = "Access-Control-Max-Age";
inline constexpr absl::string_view kAllowPrivateNetworkHeader =
    "Access-Control-Allow-Private-Network";
inline constexpr absl::string_view kExposeHeadersHeader = "Access-Control-Expose-Headers";
inline constexpr absl::string_view kVaryHeader = "Vary";

}  // namespace corsd::engine

#endif  // CORSD_SERVICE_ENGINE_DECISION_H_
