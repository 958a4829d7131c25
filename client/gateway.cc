#include "corsd/gateway.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

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

void ApplyDecisionHeaders(const Decision& decision, std::vector<HttpHeader>* response_headers) {
  for (const HttpHeader& header : decision.response_headers) {
    if (absl::EqualsIgnoreCase(header.name, "vary")) {
      std::string existing;
      auto end = std::remove_if(response_headers->begin(), response_headers->end(),
                                [&](const HttpHeader& h) {
                                  if (!absl::EqualsIgnoreCase(h.name, "vary")) return false;
                                  existing = MergeVary(existing, h.value);
                                  return true;
                                });
      response_headers->erase(end, response_headers->end());
      response_headers->push_back({"Vary", MergeVary(existing, header.value)});
      continue;
    }
    auto end = std::remove_if(response_headers->begin(), response_headers->end(),
                              [&](const HttpHeader& h) {
                                return absl::EqualsIgnoreCase(h.name, header.name);
                              });
    response_headers->erase(end, response_headers->end());
    response_headers->push_back(header);
  }
}

}  // namespace corsd
