// Resolving policies against the stored origin sets, for every write that
// stores a policy or a shadow and for an origin-set change (which resolves
// each referencing policy against the set as it is about to become).
//
//   OriginSetCache sets(store);
//   ASSIGN_OR_RETURN(ResolvedWrite w, ResolveForWrite(policy, SerializePolicy(policy), sets));
//   store->PutPolicy(tenant, w.content, ...);   // fails retryably if a set changed since
//
// Not thread-safe: one cache per write, on the writing thread.
#ifndef CORSD_SERVICE_SERVER_POLICY_RESOLVER_H_
#define CORSD_SERVICE_SERVER_POLICY_RESOLVER_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "corsd/v1/corsd.pb.h"
#include "service/convert/origin_set_resolution.h"
#include "service/engine/policy_compiler.h"
#include "service/store/policy_store.h"

namespace corsd::server {

// Origin sets by name, read from the store once each. `overrides` (not
// owned, may be null) take the place of stored sets of the same name: the
// set a change is being validated with, or a caller's own sets.
class OriginSetCache {
 public:
  explicit OriginSetCache(
      store::PolicyStore* store,
      const absl::flat_hash_map<std::string, store::OriginSetRecord>* overrides = nullptr)
      : store_(store), overrides_(overrides) {}

  // The set's origins; null when it does not exist or the store failed (see
  // status()).
  const std::vector<std::string>* Find(absl::string_view name);
  // The first store error other than NOT_FOUND.
  const absl::Status& status() const { return status_; }
  // Each named set with the revision it was read at (sets not found: none).
  std::vector<store::OriginSetUse> Uses(const std::vector<std::string>& names);

 private:
  const store::OriginSetRecord* Record(absl::string_view name);

  store::PolicyStore* const store_;
  const absl::flat_hash_map<std::string, store::OriginSetRecord>* const overrides_;
  // Null: no such set.
  absl::flat_hash_map<std::string, std::optional<store::OriginSetRecord>> read_;
  absl::Status status_;
};

struct ResolvedWrite {
  // The deciding policy, compiled as a new one (its tests passed).
  engine::PolicyCompilation compilation;
  // Set when the policy references origin sets.
  std::optional<v1::Policy> resolved;
  // What the store writes: the policy as written, resolved, and the sets used.
  store::PolicyContent content;
};

// `serialized` is the stored form of `policy` (SerializePolicy, or the bytes
// a rollback copies). INVALID_ARGUMENT listing every violation, fields named
// as written; the store's error when reading a set failed.
absl::StatusOr<ResolvedWrite> ResolveForWrite(const v1::Policy& policy, std::string serialized,
                                              OriginSetCache& sets);

// A violation of `field` when a policy as written plus resolved is more than
// kMaxStoredPolicyBytes serialized: ValidatePolicy reports what the write
// would refuse, and an origin-set change each user it would push over.
void CheckStoredSize(size_t written_bytes, size_t resolved_bytes, absl::string_view field,
                     engine::PolicyDiagnostics* diagnostics);

// How often a write is tried when what it was resolved against changed
// before it committed (store::IsRetryable).
inline constexpr int kResolveAttempts = 5;

}  // namespace corsd::server

#endif  // CORSD_SERVICE_SERVER_POLICY_RESOLVER_H_
