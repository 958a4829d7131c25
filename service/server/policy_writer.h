// PolicyWriter is the one home of every admin write: tenants, policies and
// shadow policies.
// Each method checks its input, commits one store transaction and publishes
// the result before returning, so the caller's next Check and every watcher
// already see it. No gRPC here: AdminService parses the call, authorizes the
// token and maps the status; this class does the work.
//
// A policy write is validated and compiled once; the compiled policy and the
// PolicyVersion built from the caller's message go straight to
// PolicySync::PublishCommitted (nothing is read back from the store). Tenant
// writes are rare and change the host map, which is built from the store's
// whole state, so they are published by PolicySync::CatchUp.
//
//   PolicyWriter writer(store, &sync, &metrics);
//   absl::StatusOr<v1::PolicyVersion> written =
//       writer.PutPolicy({.tenant = "shop", .policy = &policy, .comment = "why"}, {"alice"});
//
// Thread-safe: concurrent writers are serialized by the store (and by
// expected revisions); publication keeps each tenant's revisions in order.
#ifndef CORSD_SERVICE_SERVER_POLICY_WRITER_H_
#define CORSD_SERVICE_SERVER_POLICY_WRITER_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "corsd/v1/corsd.pb.h"
#include "service/server/policy_sync.h"
#include "service/server/server_metrics.h"
#include "service/store/policy_store.h"

namespace corsd::server {

// A tenant as a caller asks for it; the writer checks and normalizes it.
struct TenantWrite {
  std::string name;
  std::vector<std::string> hosts;
  std::string description;
};

struct PolicyWrite {
  std::string tenant;
  const v1::Policy* policy = nullptr;  // not owned; must outlive the call
  std::optional<int64_t> expected_revision;
  std::string comment;
};

struct RollbackWrite {
  std::string tenant;
  int64_t to_revision = 0;
  std::optional<int64_t> expected_revision;
  std::string comment;
};

struct ShadowWrite {
  std::string tenant;
  const v1::Policy* policy = nullptr;  // not owned; must outlive the call
  std::string comment;
};

struct PromoteWrite {
  std::string tenant;
  std::optional<int64_t> expected_revision;
  std::string comment;
};

class PolicyWriter {
 public:
  PolicyWriter(store::PolicyStore* store, PolicySync* sync, ServerMetrics* metrics)
      : store_(store), sync_(sync), metrics_(metrics) {}

  absl::StatusOr<store::TenantRecord> CreateTenant(const TenantWrite& tenant,
                                                   const store::Actor& actor);
  absl::StatusOr<store::TenantRecord> UpdateTenant(const TenantWrite& tenant,
                                                   const store::Actor& actor);
  absl::Status DeleteTenant(absl::string_view name, const store::Actor& actor);

  // INVALID_ARGUMENT (listing every violation) and nothing stored when the
  // policy is invalid; ABORTED when expected_revision is stale.
  absl::StatusOr<v1::PolicyVersion> PutPolicy(const PolicyWrite& write, const store::Actor& actor);
  // Stores the content of an earlier revision as a new one, provided it
  // still passes today's validation.
  absl::StatusOr<v1::PolicyVersion> RollbackPolicy(const RollbackWrite& write,
                                                   const store::Actor& actor);

  // Shadow policies: validated (tests included) like a policy; each write
  // starts the shadow's counts from zero. Published through the feed.
  absl::StatusOr<v1::ShadowPolicy> PutShadowPolicy(const ShadowWrite& write,
                                                   const store::Actor& actor);
  absl::Status DeleteShadowPolicy(absl::string_view tenant, const store::Actor& actor);
  // The shadow, validated again with today's rules, becomes the next
  // revision; ABORTED (the shadow kept) when expected_revision is stale.
  absl::StatusOr<v1::PolicyVersion> PromoteShadowPolicy(const PromoteWrite& write,
                                                        const store::Actor& actor);

 private:
  // Publishes what this process just committed by reading the change feed.
  void PublishFromFeed();
  // Create and update: check `tenant`, store it with `store`, publish, log
  // `event`.
  absl::StatusOr<store::TenantRecord> WriteTenant(
      const TenantWrite& tenant, const store::Actor& actor, absl::string_view event,
      absl::FunctionRef<absl::StatusOr<store::TenantRecord>(const store::TenantRecord&)> store);
  // The committed revision as watchers and the caller see it, published with
  // its compiled policy.
  v1::PolicyVersion PublishPolicyWrite(const store::PolicyRevisionRecord& written,
                                       const v1::Policy& policy, const v1::Policy* resolved,
                                       std::shared_ptr<const engine::CompiledPolicy> compiled);

  store::PolicyStore* const store_;
  PolicySync* const sync_;
  ServerMetrics* const metrics_;
};

}  // namespace corsd::server

#endif  // CORSD_SERVICE_SERVER_POLICY_WRITER_H_
