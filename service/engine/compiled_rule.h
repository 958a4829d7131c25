// CompiledRule is one CorsRule after validation: lookup structures for the
// allow lists and every response-header value that does not depend on the
// request already built (Access-Control-Max-Age, -Expose-Headers, Vary).
// Created only by the policy compiler; immutable once its CompiledPolicy is
// published, so any number of threads may read it.
#ifndef CORSD_SERVICE_ENGINE_COMPILED_RULE_H_
#define CORSD_SERVICE_ENGINE_COMPILED_RULE_H_

#include <string>

#include "absl/strings/string_view.h"
#include "service/engine/name_set.h"
#include "service/engine/origin_matcher.h"

namespace corsd::engine {

struct CompiledRule {
  // True when `path` (already cut at '?' or '#') is covered by this rule:
  // equal to the prefix, or continuing it at a '/' segment boundary ("/api"
  // covers "/api" and "/api/x", not "/apix"). The "" prefix covers every path.
  bool MatchesPath(absl::string_view path) const;

  // Fetch semantics: GET, HEAD and POST are always allowed (browsers never ask
  // for them); "*" covers every other method except CONNECT, TRACE, TRACK;
  // otherwise the exact, case-sensitive name must be listed.
  bool AllowsMethod(absl::string_view method) const;

  // `lowercase_name` must already be lowercase. "*" covers every name except
  // "authorization", which must be listed explicitly.
  bool AllowsHeader(absl::string_view lowercase_name) const;

  std::string path_prefix;
  OriginMatcher origins;
  bool any_method = false;
  NameSet methods;
  bool any_header = false;
  NameSet headers;  // lowercase
  bool allow_credentials = false;
  bool allow_private_network = false;
  int preflight_status = 204;
  std::string max_age_value;          // "" = omit Access-Control-Max-Age
  std::string exposed_headers_value;  // "" = omit Access-Control-Expose-Headers
  // "*" without credentials: every well-formed origin gets the same answer
  // (Access-Control-Allow-Origin: *), so responses need no Vary: Origin.
  bool origin_independent = false;
};

}  // namespace corsd::engine

#endif  // CORSD_SERVICE_ENGINE_COMPILED_RULE_H_
