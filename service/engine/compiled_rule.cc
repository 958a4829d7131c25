#include "service/engine/compiled_rule.h"

#include "absl/strings/match.h"
#include "service/engine/http_syntax.h"

namespace corsd::engine {

bool CompiledRule::MatchesPath(absl::string_view path) const {
  if (!absl::StartsWith(path, path_prefix)) return false;
  if (path.size() == path_prefix.size() || path_prefix.empty()) return true;
  return path_prefix.back() == '/' || path[path_prefix.size()] == '/';
}

bool CompiledRule::AllowsMethod(absl::string_view method) const {
  if (IsCorsSafelistedMethod(method)) return true;
  if (IsForbiddenMethod(method)) return false;
  return any_method || methods.contains(method);
}

bool CompiledRule::AllowsHeader(absl::string_view lowercase_name) const {
  if (headers.contains(lowercase_name)) return true;
  return any_header && lowercase_name != "authorization";
}

}  // namespace corsd::engine
