#include "service/engine/verdict.h"

namespace corsd::engine {

absl::string_view VerdictName(Verdict verdict) {
  switch (verdict) {
    case Verdict::kAllow:
      return "ALLOW";
    case Verdict::kDeny:
      return "DENY";
    case Verdict::kNotCors:
      return "NOT_CORS";
  }
  return "VERDICT_UNSPECIFIED";
}

absl::string_view RequestKindName(RequestKind kind) {
  switch (kind) {
    case RequestKind::kPreflight:
      return "PREFLIGHT";
    case RequestKind::kActual:
      return "ACTUAL";
    case RequestKind::kNoOrigin:
      return "NO_ORIGIN";
  }
  return "REQUEST_KIND_UNSPECIFIED";
}

absl::string_view ReasonName(Reason reason) {
  switch (reason) {
    case Reason::kAllowed:
      return "ALLOWED";
    case Reason::kNoOriginHeader:
      return "NO_ORIGIN_HEADER";
    case Reason::kOriginNotAllowed:
      return "ORIGIN_NOT_ALLOWED";
    case Reason::kMethodNotAllowed:
      return "METHOD_NOT_ALLOWED";
    case Reason::kHeadersNotAllowed:
      return "HEADERS_NOT_ALLOWED";
    case Reason::kPrivateNetworkNotAllowed:
      return "PRIVATE_NETWORK_NOT_ALLOWED";
    case Reason::kMalformedRequest:
      return "MALFORMED_REQUEST";
  }
  return "REASON_UNSPECIFIED";
}

}  // namespace corsd::engine
