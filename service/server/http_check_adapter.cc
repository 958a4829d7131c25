#include "service/server/http_check_adapter.h"

#include <google/protobuf/util/json_util.h>

#include <string>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "corsd/v1/corsd.pb.h"
#include "service/engine/decision.h"
#include "service/server/decision_service.h"

namespace corsd::server {
namespace {

using http::HttpRequest;
using http::HttpResponse;

// The HTTP status for a status DecisionPath (or JSON parsing) returned.
int HttpStatusOf(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kInvalidArgument:
      return 400;
    case absl::StatusCode::kNotFound:
      return 404;
    case absl::StatusCode::kUnavailable:
      return 503;
    default:
      return 500;
  }
}

HttpResponse ErrorResponse(const absl::Status& status) {
  return HttpResponse::JsonError(HttpStatusOf(status), status.code(), status.message());
}

HttpResponse MethodNotAllowed(absl::string_view path, absl::string_view allowed) {
  HttpResponse response =
      HttpResponse::JsonError(405, absl::StatusCode::kUnimplemented,
                              absl::StrCat(path, " takes ", allowed, " requests only"));
  response.headers.emplace_back("Allow", std::string(allowed));
  return response;
}

// The value of the first of `names` the request has, else `fallback`.
absl::string_view FirstOf(const HttpRequest& request,
                          std::initializer_list<absl::string_view> names,
                          absl::string_view fallback) {
  for (absl::string_view name : names) {
    if (const std::string* value = request.FindHeader(name)) return *value;
  }
  return fallback;
}

}  // namespace

HttpResponse HttpCheckAdapter::Handle(const HttpRequest& request) const {
  const absl::string_view path = request.path();
  if (path == "/v1/forward-auth") return ForwardAuth(request);
  if (path == "/v1/check") {
    return request.method == "POST" ? Check(request) : MethodNotAllowed(path, "POST");
  }
  if (path == "/healthz") {
    return request.method == "GET" || request.method == "HEAD"
               ? Healthz()
               : MethodNotAllowed(path, "GET, HEAD");
  }
  return HttpResponse::JsonError(
      404, absl::StatusCode::kNotFound,
      "no such path; corsd serves POST /v1/check, /v1/forward-auth and GET /healthz");
}

HttpResponse HttpCheckAdapter::Check(const HttpRequest& request) const {
  v1::CheckRequest check;
  // Unknown fields are refused: a misspelt field ("orign") would otherwise
  // silently turn a CORS request into one without an Origin.
  const auto parsed = google::protobuf::util::JsonStringToMessage(request.body, &check);
  if (!parsed.ok()) {
    path_->RecordUnparsableRequest(Api::kHttp);
    return HttpResponse::JsonError(
        400, absl::StatusCode::kInvalidArgument,
        absl::StrCat("the body is not a corsd.v1.CheckRequest in the protobuf JSON mapping: ",
                     std::string(parsed.message()).substr(0, 512)));
  }
  v1::CheckResponse answer;
  if (absl::Status status = DecideCheckRequest(*path_, Api::kHttp, check, &answer); !status.ok()) {
    return ErrorResponse(status);
  }
  google::protobuf::util::JsonPrintOptions print;
  print.always_print_primitive_fields = true;
  std::string json;
  if (!google::protobuf::util::MessageToJsonString(answer, &json, print).ok()) {
    return HttpResponse::JsonError(500, absl::StatusCode::kInternal,
                                   "could not print the answer as JSON");
  }
  json += '\n';
  return HttpResponse::Json(std::move(json));
}

HttpResponse HttpCheckAdapter::ForwardAuth(const HttpRequest& request) const {
  // Every request header goes to the engine, which reads only the
  // Access-Control-Request-* ones; the Origin is the request's own.
  absl::InlinedVector<engine::HeaderView, 32> headers;
  headers.reserve(request.headers.size());
  std::vector<absl::string_view> origins;
  for (const http::HttpHeader& header : request.headers) {
    headers.push_back(engine::HeaderView{header.name, header.value});
    if (absl::EqualsIgnoreCase(header.name, engine::kOriginHeader)) {
      origins.push_back(header.value);
    }
  }
  // Several Origin lines are not something a browser sends: joined, they
  // can never match a serialized origin and the engine denies them.
  const std::string joined_origins = origins.size() > 1 ? absl::StrJoin(origins, ", ") : "";
  const absl::string_view origin = origins.size() > 1 ? absl::string_view(joined_origins)
                                   : origins.empty()  ? absl::string_view()
                                                      : origins.front();
  const std::string* host = request.FindHeader("host");
  // X-Forwarded-Host may list every proxy's host; the first is the client's.
  absl::string_view forwarded_host = FirstOf(request, {kForwardedHostHeader}, "");
  forwarded_host = absl::StripAsciiWhitespace(forwarded_host.substr(0, forwarded_host.find(',')));
  const DecisionInput input{
      .tenant = FirstOf(request, {kTenantHeader}, ""),
      .host = !forwarded_host.empty() ? forwarded_host
              : host != nullptr       ? absl::string_view(*host)
                                      : absl::string_view(),
      .request = engine::Request{
          .origin = origin,
          .method =
              FirstOf(request, {kOriginalMethodHeader, kForwardedMethodHeader}, request.method),
          .path = FirstOf(request, {kOriginalUriHeader, kForwardedUriHeader, kReplacedPathHeader},
                          request.target),
          .headers = headers}};

  engine::Decision decision;
  const engine::TenantSnapshot* tenant = nullptr;
  if (absl::Status status = path_->Decide(Api::kHttp, input, &decision, &tenant); !status.ok()) {
    return ErrorResponse(status);
  }
  HttpResponse response;
  response.status = decision.kind == engine::RequestKind::kPreflight ? decision.http_status : 200;
  response.headers.reserve(decision.response_headers().size() + 3);
  for (const engine::HeaderView& header : decision.response_headers()) {
    response.headers.emplace_back(std::string(header.name), std::string(header.value));
  }
  response.headers.emplace_back(std::string(kVerdictHeader),
                                std::string(engine::VerdictName(decision.verdict)));
  response.headers.emplace_back(std::string(kReasonHeader),
                                std::string(engine::ReasonName(decision.reason)));
  response.headers.emplace_back(std::string(kRevisionHeader),
                                absl::StrCat(decision.policy_revision));
  return response;
}

HttpResponse HttpCheckAdapter::Healthz() const {
  if (!serving_->load(std::memory_order_acquire)) {
    return HttpResponse::JsonError(503, absl::StatusCode::kUnavailable,
                                   "the data port is not serving (starting or shutting down)");
  }
  HttpResponse response;
  response.body = "ok\n";
  response.headers.emplace_back("Content-Type", "text/plain");
  return response;
}

}  // namespace corsd::server
