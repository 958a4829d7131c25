// Resolving a policy's origin-set references: each allowed_origins entry
// "@NAME" is replaced by the origins of the set NAME (duplicates within the
// rule dropped). corsd decides with the resolved policy; the policy as
// written is what operators edit and what the store keeps beside it.
//
// One home for this, used by corsd (every write, origin-set changes,
// ValidatePolicy) and by corsctl (local validation of a directory with its
// own sets):
//
//   absl::flat_hash_map<std::string, std::vector<std::string>> sets = ...;
//   ResolvedCompilation c = CompileWithOriginSets(policy, MapLookup(sets));
//   if (!c.compilation.diagnostics.ok()) ...;   // fields as in the written policy
//   c.resolution.resolved                      // what to store and decide with
//
// Thread-safe: pure functions (the lookup is the caller's).
#ifndef CORSD_SERVICE_CONVERT_ORIGIN_SET_RESOLUTION_H_
#define CORSD_SERVICE_CONVERT_ORIGIN_SET_RESOLUTION_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/functional/function_ref.h"
#include "absl/strings/string_view.h"
#include "corsd/v1/corsd.pb.h"
#include "service/engine/diagnostics.h"
#include "service/engine/policy_compiler.h"

namespace corsd {

// The origins of the set `name`, or null when there is no such set.
using OriginSetLookup = absl::FunctionRef<const std::vector<std::string>*(absl::string_view name)>;

struct PolicyResolution {
  // Every set the policy references, sorted, each once (known or not).
  std::vector<std::string> set_names;
  // Set only when the policy references a set: the policy with every
  // reference replaced (unknown ones dropped).
  std::optional<v1::Policy> resolved;
  // References to sets that do not exist or cannot be named so.
  engine::PolicyDiagnostics reference_violations;
  // Per rule of `resolved`, for each origin: its index in the written rule
  // and the set it came from ("" = written directly). Names violations of
  // the resolved policy as operators wrote it.
  struct Source {
    size_t written_index = 0;
    std::string set;
  };
  std::vector<std::vector<Source>> sources;
};

PolicyResolution ResolveOriginSets(const v1::Policy& policy, OriginSetLookup lookup);

// The policy decisions use: the resolved one when there is one.
inline const v1::Policy& DecidingPolicy(const v1::Policy& written,
                                        const PolicyResolution& resolution) {
  return resolution.resolved.has_value() ? *resolution.resolved : written;
}
inline const v1::Policy& DecidingPolicy(const v1::PolicyVersion& version) {
  return version.has_resolved_policy() ? version.resolved_policy() : version.policy();
}
inline const v1::Policy& DecidingPolicy(const v1::ShadowPolicy& shadow) {
  return shadow.has_resolved_policy() ? shadow.resolved_policy() : shadow.policy();
}

struct ResolvedCompilation {
  PolicyResolution resolution;
  // The deciding policy compiled as a new one (kNew: its tests run), with
  // the reference violations added and every field named as in the
  // written policy ("rules[0].allowed_origins[2] (origin set \"a\" ...)").
  engine::PolicyCompilation compilation;
};
ResolvedCompilation CompileWithOriginSets(const v1::Policy& policy, OriginSetLookup lookup);

// Origin sets by name, as a caller holds them.
using OriginSetMap = absl::flat_hash_map<std::string, std::vector<std::string>>;

// A lookup over a map the caller owns.
inline auto MapLookup(const OriginSetMap& sets) {
  return [&sets](absl::string_view name) -> const std::vector<std::string>* {
    auto it = sets.find(name);
    return it == sets.end() ? nullptr : &it->second;
  };
}

}  // namespace corsd

#endif  // CORSD_SERVICE_CONVERT_ORIGIN_SET_RESOLUTION_H_
