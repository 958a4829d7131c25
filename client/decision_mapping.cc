#include "client/decision_mapping.h"

#include "absl/strings/ascii.h"
#include "absl/container/inlined_vector.h"
#include "absl/strings/match.h"

namespace corsd::client_internal {

bool IsPreflight(const CorsRequest& request) {
  if (request.origin.empty() || request.method != "OPTIONS") return false;
  for (const HttpHeader& h : request.headers) {
    if (absl::EqualsIgnoreCase(h.name, "access-control-request-method")) return true;
  }
  return false;
}

v1::CheckRequest ToCheckRequest(const CorsRequest& request) {
  v1::CheckRequest out;
  out.set_tenant(request.tenant);
  out.set_host(request.host);
  out.set_origin(request.origin);
  out.set_method(request.method);
  out.set_path(request.path);
  out.set_explain(request.explain);
  for (const HttpHeader& h : request.headers) {
    v1::Header* header = out.add_headers();
    header->set_name(h.name);
    header->set_value(h.value);
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

Decision DecideLocally(const engine::CompiledPolicy& policy, const std::string& tenant,
                       const CorsRequest& request, Decision::Source source) {
  absl::InlinedVector<engine::HeaderView, 8> headers;
  for (const HttpHeader& h : request.headers) headers.push_back({h.name, h.value});
  engine::Request engine_request{.origin = request.origin,
                                 .method = request.method,
                                 .path = request.path,
                                 .headers = headers};
  engine::Decision decision;
  engine::Decide(policy, engine_request, {.explain = request.explain}, &decision);
  // Mapped directly (no protobuf on the local path); the client tests check
  // that this equals FromCheckResponse(FillCheckResponse(...)) for every row
  // of the engine's decision table.
  Decision out;
  out.verdict = static_cast<Verdict>(decision.verdict);
  out.kind = static_cast<RequestKind>(decision.kind);
  out.reason = static_cast<Reason>(decision.reason);
  out.respond_now = decision.respond_now;
  out.http_status = decision.http_status;
  out.policy_revision = decision.policy_revision;
  out.tenant = tenant;
  out.explanation = decision.explanation;
  out.response_headers.reserve(decision.response_headers().size());
  for (const engine::HeaderView& h : decision.response_headers()) {
    out.response_headers.push_back({std::string(h.name), std::string(h.value)});
  }
  out.source = source;
  return out;
}

Decision FailClosed(const CorsRequest& request, const std::string& error) {
  Decision decision;
  decision.source = Decision::Source::kFailClosed;
  decision.fallback_error = error;
  decision.tenant = request.tenant;
  if (request.origin.empty()) {
    decision.verdict = Verdict::kNotCors;
    decision.kind = RequestKind::kNoOrigin;
    decision.reason = Reason::kNoOriginHeader;
    decision.response_headers.push_back({"Vary", "Origin"});
    return decision;
  }
  decision.verdict = Verdict::kDeny;
  decision.reason = Reason::kUnspecified;
  if (IsPreflight(request)) {
    decision.kind = RequestKind::kPreflight;
    decision.respond_now = true;
    decision.http_status = 403;
    decision.response_headers.push_back(
        {"Vary", "Origin, Access-Control-Request-Method, Access-Control-Request-Headers"});
  } else {
    decision.kind = RequestKind::kActual;
    decision.response_headers.push_back({"Vary", "Origin"});
  }
  return decision;
}

}  // namespace corsd::client_internal
