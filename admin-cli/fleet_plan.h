// What `corsctl apply` would change: the documents of a fleet directory
// compared with what the server holds, as an ordered list of writes (sets,
// tenants, policies, then with --prune the deletions: tenants before sets),
// each carrying the revision it was compared against, and a diff a person
// reads. Pure: no RPCs (fleet_commands.cc fetches and writes).
//
//   FleetPlan plan = PlanFleet(documents, server, /*prune=*/false);
//   RenderDiff(plan.diff, color);        // or "no changes" when plan.steps is empty
#ifndef CORSD_ADMIN_CLI_FLEET_PLAN_H_
#define CORSD_ADMIN_CLI_FLEET_PLAN_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "admin-cli/fleet_documents.h"
#include "admin-cli/policy_diff.h"
#include "corsd/v1/corsd.pb.h"

namespace corsd::cli {

// The server's side of the comparison.
struct ServerFleet {
  std::map<std::string, v1::OriginSet> sets;
  std::map<std::string, v1::Tenant> tenants;
  // Current policies of the tenants the comparison needs (absent: none).
  std::map<std::string, v1::PolicyVersion> policies;
};

struct FleetStep {
  enum class Kind { kPutSet, kCreateTenant, kUpdateTenant, kPutPolicy, kDeleteTenant, kDeleteSet };
  Kind kind = Kind::kPutSet;
  std::string name;                         // set or tenant
  const FleetDocument* document = nullptr;  // the desired state (not for deletions)
  // What the write is guarded by: the set's or policy's revision compared
  // against (0 = none yet), or for a tenant update the tenant as compared.
  int64_t expected_revision = 0;
  std::optional<v1::Tenant> tenant_before;
  // For a policy: the written policy compared against (null = none yet).
  const v1::Policy* policy_before = nullptr;
  std::string Describe() const;  // "origin set first-party", "policy of shop", ...
};

struct FleetPlan {
  std::vector<FleetStep> steps;
  std::vector<DiffLine> diff;
};

// `documents` must be checked already (one per name, names valid).
FleetPlan PlanFleet(const std::vector<FleetDocument>& documents, const ServerFleet& server,
                    bool prune);

}  // namespace corsd::cli

#endif  // CORSD_ADMIN_CLI_FLEET_PLAN_H_
