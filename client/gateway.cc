#include "corsd/gateway.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "client/decision_mapping.h"

namespace corsd {

CorsRequest CorsRequestFromHttp(absl::string_view method, absl::string_view target,
                                absl::string_view host, const std::vector<HttpHeader>& headers) {
  CorsRequest request;
  request.method = std::string(method);
  request.path = std::string(target.substr(0, target.find_first_of("?#")));
  request.host = std::string(host);
  std::vector<std::string> origins;
  for (const HttpHeader& header : headers) {
    if (absl::EqualsIgnoreCase(header.name, "origin")) {
      origins.push_back(header.value);
    } else if (absl::StartsWithIgnoreCase(header.name, "access-control-request-")) {
      request.headers.push_back(header);
    }
  }
  request.origin = absl::StrJoin(origins, ", ");
  return request;
}

CorsRequestView CorsRequestViewFromHttp(absl::string_view method, absl::string_view target,
                                        absl::string_view host, absl::Span<const HeaderRef> headers,
                                        std::string* origin_scratch) {
  CorsRequestView request{.host = host,
                          .method = method,
                          .path = target.substr(0, target.find_first_of("?#")),
                          .headers = headers};
  size_t origins = 0;
  for (const HeaderRef& header : headers) {
    if (!absl::EqualsIgnoreCase(header.name, "origin")) continue;
    if (++origins == 1) {
      request.origin = header.value;
      continue;
    }
    if (origins == 2) origin_scratch->assign(request.origin.data(), request.origin.size());
    absl::StrAppend(origin_scratch, ", ", header.value);
    request.origin = *origin_scratch;
  }
  return request;
}

std::string MergeVary(absl::string_view existing, absl::string_view added) {
  std::vector<std::string> tokens;
  auto add = [&](absl::string_view value) {
    for (absl::string_view token : absl::StrSplit(value, ',', absl::SkipWhitespace())) {
      token = absl::StripAsciiWhitespace(token);
      if (token.empty()) continue;
      bool seen = std::any_of(tokens.begin(), tokens.end(), [&](const std::string& t) {
        return absl::EqualsIgnoreCase(t, token);
      });
      if (!seen) tokens.emplace_back(token);
    }
  };
  add(existing);
  add(added);
  if (std::find(tokens.begin(), tokens.end(), "*") != tokens.end()) return "*";
  return absl::StrJoin(tokens, ", ");
}

bool IsCorsResponseHeader(absl::string_view name) {
  return absl::StartsWithIgnoreCase(name, "access-control-");
}

void ApplyCorsHeaders(absl::Span<const HeaderRef> cors_headers,
                      std::vector<HttpHeader>* response_headers) {
  // corsd's answer is the whole CORS answer: drop every upstream
  // Access-Control-* header, and fold the upstream's Vary lines into one.
  std::string upstream_vary;
  bool had_vary = false;
  auto end =
      std::remove_if(response_headers->begin(), response_headers->end(), [&](const HttpHeader& h) {
        if (IsCorsResponseHeader(h.name)) return true;
        if (!absl::EqualsIgnoreCase(h.name, "vary")) return false;
        upstream_vary = MergeVary(upstream_vary, h.value);
        had_vary = true;
        return true;
      });
  response_headers->erase(end, response_headers->end());
  std::string vary = std::move(upstream_vary);
  bool has_vary = had_vary;
  for (const HeaderRef& header : cors_headers) {
    if (absl::EqualsIgnoreCase(header.name, "vary")) {
      vary = MergeVary(vary, header.value);
      has_vary = true;
      continue;
    }
    response_headers->push_back({std::string(header.name), std::string(header.value)});
  }
  if (has_vary) response_headers->push_back({"Vary", std::move(vary)});
}

void ApplyDecisionHeaders(const Decision& decision, std::vector<HttpHeader>* response_headers) {
  ApplyCorsHeaders(client_internal::HeaderRefsOf(decision.response_headers), response_headers);
}

void ApplyDecisionHeaders(const DecisionView& decision, std::vector<HttpHeader>* response_headers) {
  ApplyCorsHeaders(decision.response_headers(), response_headers);
}

}  // namespace corsd
