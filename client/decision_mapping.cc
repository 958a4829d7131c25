#include "client/decision_mapping.h"

#include "absl/strings/match.h"
#include "service/common/utf8.h"
#include "service/engine/decision.h"

namespace corsd::client_internal {

// corsd::Verdict/RequestKind/Reason, corsd.v1's enums and the engine's share
// their numbers: the client maps between them with casts, checked here.
#define CORSD_SAME_NUMBER(client_value, proto_value, engine_value)                 \
  static_assert(static_cast<int>(client_value) == static_cast<int>(proto_value) && \
                static_cast<int>(client_value) == static_cast<int>(engine_value))
CORSD_SAME_NUMBER(Verdict::kAllow, v1::ALLOW, engine::Verdict::kAllow);
CORSD_SAME_NUMBER(Verdict::kDeny, v1::DENY, engine::Verdict::kDeny);
CORSD_SAME_NUMBER(Verdict::kNotCors, v1::NOT_CORS, engine::Verdict::kNotCors);
CORSD_SAME_NUMBER(RequestKind::kPreflight, v1::PREFLIGHT, engine::RequestKind::kPreflight);
CORSD_SAME_NUMBER(RequestKind::kActual, v1::ACTUAL, engine::RequestKind::kActual);
CORSD_SAME_NUMBER(RequestKind::kNoOrigin, v1::NO_ORIGIN, engine::RequestKind::kNoOrigin);
CORSD_SAME_NUMBER(Reason::kAllowed, v1::ALLOWED, engine::Reason::kAllowed);
CORSD_SAME_NUMBER(Reason::kNoOriginHeader, v1::NO_ORIGIN_HEADER, engine::Reason::kNoOriginHeader);
CORSD_SAME_NUMBER(Reason::kOriginNotAllowed, v1::ORIGIN_NOT_ALLOWED,
                  engine::Reason::kOriginNotAllowed);
CORSD_SAME_NUMBER(Reason::kMethodNotAllowed, v1::METHOD_NOT_ALLOWED,
                  engine::Reason::kMethodNotAllowed);
CORSD_SAME_NUMBER(Reason::kHeadersNotAllowed, v1::HEADERS_NOT_ALLOWED,
                  engine::Reason::kHeadersNotAllowed);
CORSD_SAME_NUMBER(Reason::kPrivateNetworkNotAllowed, v1::PRIVATE_NETWORK_NOT_ALLOWED,
                  engine::Reason::kPrivateNetworkNotAllowed);
CORSD_SAME_NUMBER(Reason::kMalformedRequest, v1::MALFORMED_REQUEST,
                  engine::Reason::kMalformedRequest);
#undef CORSD_SAME_NUMBER

namespace {

bool IsPreflight(absl::string_view origin, absl::string_view method,
                 absl::Span<const HeaderRef> headers) {
  if (origin.empty() || method != "OPTIONS") return false;
  for (const HeaderRef& h : headers) {
    if (absl::EqualsIgnoreCase(h.name, "access-control-request-method")) return true;
  }
  return false;
}

// Protobuf string fields carry UTF-8 only, but a gateway passes on whatever
// bytes a client sent. Malformed bytes become SUB (0x1A), a control byte that
// no origin, method token, header name, tenant name, host or policy path may
// contain, so the engine decides the request exactly as CheckLocal decides
// the original (a malformed origin is DENY, MALFORMED_REQUEST on both paths)
// and lengths, which limits compare, stay the same.
std::string WireString(const std::string& s) {
  return IsValidUtf8(s) ? s : ReplaceMalformedUtf8(s, '\x1a');
}

}  // namespace

v1::CheckRequest ToCheckRequest(const CorsRequest& request) {
  v1::CheckRequest out;
  out.set_tenant(WireString(request.tenant));
  out.set_host(WireString(request.host));
  out.set_origin(WireString(request.origin));
  out.set_method(WireString(request.method));
  out.set_path(WireString(request.path));
  out.set_explain(request.explain);
  for (const HttpHeader& h : request.headers) {
    v1::Header* header = out.add_headers();
    header->set_name(WireString(h.name));
    header->set_value(WireString(h.value));
  }
  return out;
}

Decision FromCheckResponse(const v1::CheckResponse& response, Decision::Source source) {
  Decision decision;
  decision.verdict = static_cast<Verdict>(response.verdict());
  decision.kind = static_cast<RequestKind>(response.kind());
  decision.reason = static_cast<Reason>(response.reason());
  decision.respond_now = response.respond_now();
  decision.http_status = response.http_status();
  decision.policy_revision = response.policy_revision();
  decision.tenant = response.tenant();
  decision.explanation = response.explanation();
  decision.response_headers.reserve(response.response_headers_size());
  for (const v1::Header& h : response.response_headers()) {
    decision.response_headers.push_back({h.name(), h.value()});
  }
  decision.source = source;
  return decision;
}

FailClosedAnswer FailClosedFor(absl::string_view origin, absl::string_view method,
                               absl::Span<const HeaderRef> headers) {
  if (origin.empty()) {
    return {Verdict::kNotCors, RequestKind::kNoOrigin, Reason::kNoOriginHeader, false, 0, "Origin"};
  }
  if (IsPreflight(origin, method, headers)) {
    return {Verdict::kDeny,
            RequestKind::kPreflight,
            Reason::kUnspecified,
            true,
            403,
            "Origin, Access-Control-Request-Method, Access-Control-Request-Headers"};
  }
  return {Verdict::kDeny, RequestKind::kActual, Reason::kUnspecified, false, 0, "Origin"};
}

absl::InlinedVector<HeaderRef, 8> HeaderRefsOf(absl::Span<const HttpHeader> headers) {
  absl::InlinedVector<HeaderRef, 8> refs;
  refs.reserve(headers.size());
  for (const HttpHeader& h : headers) refs.push_back({h.name, h.value});
  return refs;
}

Decision FailClosed(const CorsRequest& request, const std::string& error) {
  const FailClosedAnswer answer =
      FailClosedFor(request.origin, request.method, HeaderRefsOf(request.headers));
  Decision decision;
  decision.source = Decision::Source::kFailClosed;
  decision.fallback_error = error;
  decision.tenant = request.tenant;
  decision.verdict = answer.verdict;
  decision.kind = answer.kind;
  decision.reason = answer.reason;
  decision.respond_now = answer.respond_now;
  decision.http_status = answer.http_status;
  decision.response_headers.push_back({"Vary", std::string(answer.vary)});
  return decision;
}

}  // namespace corsd::client_internal
