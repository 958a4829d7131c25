#include "tests/support/browser_model.h"

#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace corsd::testing {
namespace {

// All values of `name` (case-insensitive), in order.
std::vector<std::string> Values(const HeaderList& headers, const std::string& name) {
  std::vector<std::string> values;
  for (const auto& [n, v] : headers) {
    if (absl::EqualsIgnoreCase(n, name)) values.push_back(v);
  }
  return values;
}

// Fetch "extract header list values": combine the lines, split on commas,
// trim. nullopt = parse failure (Fetch then fails the preflight); an absent
// header is an empty list.
std::optional<std::vector<std::string>> ExtractList(const HeaderList& headers,
                                                    const std::string& name) {
  std::vector<std::string> items;
  for (const std::string& value : Values(headers, name)) {
    for (absl::string_view item : absl::StrSplit(value, ',')) {
      item = absl::StripAsciiWhitespace(item);
      if (item.empty()) return std::nullopt;
      for (char c : item) {
        if (c <= ' ' || c >= 0x7f ||
            absl::string_view("\"(),/:;<=>?@[\\]{}").find(c) != absl::string_view::npos) {
          return std::nullopt;
        }
      }
      items.emplace_back(item);
    }
  }
  return items;
}

bool ContainsExact(const std::vector<std::string>& list, const std::string& item) {
  for (const std::string& s : list) {
    if (s == item) return true;
  }
  return false;
}

bool ContainsIgnoreCase(const std::vector<std::string>& list, const std::string& item) {
  for (const std::string& s : list) {
    if (absl::EqualsIgnoreCase(s, item)) return true;
  }
  return false;
}

}  // namespace

bool PassesCorsCheck(const BrowserRequest& request, const HeaderList& headers) {
  std::vector<std::string> allow_origin = Values(headers, "Access-Control-Allow-Origin");
  // Several values combine into "a, b", which never equals an origin.
  if (allow_origin.size() != 1) return false;
  const std::string& origin = allow_origin[0];
  if (!request.include_credentials && origin == "*") return true;
  if (origin != request.origin) return false;
  if (!request.include_credentials) return true;
  std::vector<std::string> credentials = Values(headers, "Access-Control-Allow-Credentials");
  return credentials.size() == 1 && credentials[0] == "true";
}

bool PassesPreflight(const BrowserRequest& request, int status, const HeaderList& headers) {
  if (status < 200 || status > 299) return false;
  if (!PassesCorsCheck(request, headers)) return false;
  if (request.private_network) {
    std::vector<std::string> pna = Values(headers, "Access-Control-Allow-Private-Network");
    if (pna.size() != 1 || pna[0] != "true") return false;
  }
  std::optional<std::vector<std::string>> methods =
      ExtractList(headers, "Access-Control-Allow-Methods");
  std::optional<std::vector<std::string>> names =
      ExtractList(headers, "Access-Control-Allow-Headers");
  if (!methods || !names) return false;
  // "If methods is empty and request's use-CORS-preflight flag is set, then
  // set methods to a new list containing request's method." We model the
  // flag as always set for preflights.
  if (methods->empty()) methods->push_back(request.method);

  const bool safelisted_method =
      request.method == "GET" || request.method == "HEAD" || request.method == "POST";
  if (!ContainsExact(*methods, request.method) && !safelisted_method &&
      (request.include_credentials || !ContainsExact(*methods, "*"))) {
    return false;
  }
  for (const std::string& name : request.unsafe_headers) {
    // "authorization" is a CORS non-wildcard request-header name.
    if (absl::EqualsIgnoreCase(name, "authorization") && !ContainsIgnoreCase(*names, name)) {
      return false;
    }
    if (!ContainsIgnoreCase(*names, name) &&
        (request.include_credentials || !ContainsExact(*names, "*"))) {
      return false;
    }
  }
  return true;
}

}  // namespace corsd::testing
