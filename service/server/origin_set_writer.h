// OriginSetWriter is the one home of origin-set writes. A change is checked
// (name, origins with the allowed_origins rules), then every tenant whose
// policy or shadow references the set is resolved again against the new
// origins and validated as a new policy (rules, tests, size). If any would
// become invalid, nothing is stored and INVALID_ARGUMENT names each tenant
// and violation; otherwise one store transaction writes the set and a new
// revision for each referencing tenant, and the change is published before
// the call returns (every Check and watcher decides with it).
//
//   OriginSetWriter writer(store, &sync, &metrics);
//   writer.Put({.name = "first-party", .origins = {...}}, std::nullopt, "why", {"alice"});
//
// Thread-safe: concurrent writes are serialized by the store; a write whose
// users changed meanwhile is resolved again (kResolveAttempts).
#ifndef CORSD_SERVICE_SERVER_ORIGIN_SET_WRITER_H_
#define CORSD_SERVICE_SERVER_ORIGIN_SET_WRITER_H_

#include <cstdint>
#include <optional>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "service/server/policy_sync.h"
#include "service/server/server_metrics.h"
#include "service/store/policy_store.h"

namespace corsd::server {

// What one set change may resolve again, all its users' new resolved
// policies together: they are written in one transaction.
inline constexpr size_t kMaxReresolvedBytes = size_t{512} << 20;

class OriginSetWriter {
 public:
  OriginSetWriter(store::PolicyStore* store, PolicySync* sync, ServerMetrics* metrics)
      : store_(store), sync_(sync), metrics_(metrics) {}

  // `set`: name, origins and description; the rest is the store's.
  absl::StatusOr<store::OriginSetRecord> Put(const store::OriginSetRecord& set,
                                             std::optional<int64_t> expected_revision,
                                             absl::string_view comment, const store::Actor& actor);
  absl::Status Delete(absl::string_view name, const store::Actor& actor);

 private:
  // The set's users resolved against `set`; INVALID_ARGUMENT naming every
  // tenant that would become invalid.
  absl::StatusOr<std::vector<store::ReresolvedUser>> ResolveUsers(
      const store::OriginSetRecord& set);

  store::PolicyStore* const store_;
  PolicySync* const sync_;
  ServerMetrics* const metrics_;
};

}  // namespace corsd::server

#endif  // CORSD_SERVICE_SERVER_ORIGIN_SET_WRITER_H_
