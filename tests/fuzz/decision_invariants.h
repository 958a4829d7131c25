// The safety properties every fuzz target checks on a decision, whatever the
// input: no raw CR, LF or NUL in a header value; no Access-Control-* header
// on a denial; an allowed origin is "*" or exactly the request's own origin,
// which must then be well formed; a denied preflight answers 403.
// Aborts (so libFuzzer reports the input) when one does not hold.
//
//   Decide(*policy, request, options, &decision);
//   AbortUnlessDecisionIsSafe(decision, request.origin);
#ifndef CORSD_TESTS_FUZZ_DECISION_INVARIANTS_H_
#define CORSD_TESTS_FUZZ_DECISION_INVARIANTS_H_

#include <cstdlib>

#include "absl/strings/match.h"
#include "absl/strings/string_view.h"
#include "service/engine/decision.h"
#include "service/engine/serialized_origin.h"

namespace corsd::fuzz {

inline void AbortUnlessDecisionIsSafe(const engine::Decision& decision,
                                      absl::string_view request_origin) {
  for (const engine::HeaderView& h : decision.response_headers()) {
    for (char c : h.value) {
      if (c == '\r' || c == '\n' || c == '\0') abort();
    }
    if (decision.verdict == engine::Verdict::kDeny &&
        absl::StartsWithIgnoreCase(h.name, "Access-Control-")) {
      abort();
    }
    if (h.name == engine::kAllowOriginHeader && h.value != "*") {
      if (h.value != request_origin) abort();
      engine::SerializedOrigin parsed;
      if (request_origin != "null" &&
          engine::ParseSerializedOrigin(request_origin, &parsed) != engine::OriginProblem::kNone) {
        abort();
      }
    }
  }
  if (decision.kind == engine::RequestKind::kPreflight &&
      decision.verdict == engine::Verdict::kDeny && decision.http_status != 403) {
    abort();
  }
}

}  // namespace corsd::fuzz

#endif  // CORSD_TESTS_FUZZ_DECISION_INVARIANTS_H_
