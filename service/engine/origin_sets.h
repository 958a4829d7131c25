// Shared origin sets as the engine sees them: a rule's allowed_origins entry
// "@NAME" refers to the set NAME, and a set's own origins follow exactly the
// rules of allowed_origins. Resolving references is the callers' job
// (service/convert/origin_set_resolution.h): the engine only ever compiles
// policies whose references were replaced.
//
//   IsOriginSetReference("@first-party")        // true
//   ValidateOriginSetOrigins({"https://a.example", "ftp://x"}).violations
//       // [{"origins[1]", "\"ftp://x\" ..."}]
//
// Thread-safe: pure functions.
#ifndef CORSD_SERVICE_ENGINE_ORIGIN_SETS_H_
#define CORSD_SERVICE_ENGINE_ORIGIN_SETS_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "service/engine/diagnostics.h"

namespace corsd::engine {

inline constexpr char kOriginSetReferencePrefix = '@';

inline bool IsOriginSetReference(absl::string_view entry) {
  return !entry.empty() && entry.front() == kOriginSetReferencePrefix;
}

// The set's name in a reference ("@a" -> "a").
inline absl::string_view ReferencedSetName(absl::string_view entry) { return entry.substr(1); }

// Every violation and warning of a set's origins, named "origins[i]", as a
// rule's allowed_origins would have them in a new policy. More than
// kMaxOriginsPerSet (limits.h) is one violation and nothing is walked; a
// reference to another set is a violation (sets do not nest).
PolicyDiagnostics ValidateOriginSetOrigins(const std::vector<std::string>& origins);

}  // namespace corsd::engine

#endif  // CORSD_SERVICE_ENGINE_ORIGIN_SETS_H_
