// What a decision concluded, in the engine's terms: the verdict, what kind
// of request it was and why. Numbering matches corsd.v1 so conversions are a
// cast. Shared by decisions (decision.h) and the expectations a policy's own
// tests state (policy_spec.h).
#ifndef CORSD_SERVICE_ENGINE_VERDICT_H_
#define CORSD_SERVICE_ENGINE_VERDICT_H_

#include "absl/strings/string_view.h"

namespace corsd::engine {

enum class Verdict { kAllow = 1, kDeny = 2, kNotCors = 3 };
enum class RequestKind { kPreflight = 1, kActual = 2, kNoOrigin = 3 };
enum class Reason {
  kAllowed = 1,
  kNoOriginHeader = 2,
  kOriginNotAllowed = 3,
  kMethodNotAllowed = 4,
  kHeadersNotAllowed = 5,
  kPrivateNetworkNotAllowed = 6,
  kMalformedRequest = 7,
};

// Proto enum names ("ALLOW", "HEADERS_NOT_ALLOWED", ...) for logs and traces.
absl::string_view VerdictName(Verdict verdict);
absl::string_view RequestKindName(RequestKind kind);
absl::string_view ReasonName(Reason reason);

}  // namespace corsd::engine

#endif  // CORSD_SERVICE_ENGINE_VERDICT_H_
