#include "admin-cli/fleet_plan.h"

#include <algorithm>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "service/convert/policy_convert.h"
#include "service/engine/tenant_names.h"

namespace corsd::cli {
namespace {

// Hosts as the server stores them (lowercase, sorted, unique); unchanged
// when they do not normalize (validation has reported that already).
std::vector<std::string> NormalizedHosts(const v1::Tenant& tenant) {
  std::vector<std::string> hosts(tenant.hosts().begin(), tenant.hosts().end());
  absl::StatusOr<std::vector<std::string>> normalized = engine::NormalizeHosts(hosts);
  return normalized.ok() ? *normalized : hosts;
}

// "+ x" for each entry only in `after`, "- x" for each only in `before`.
void ListChanges(absl::string_view what, const std::vector<std::string>& before,
                 const std::vector<std::string>& after, std::vector<DiffLine>* diff) {
  const std::set<std::string> old(before.begin(), before.end());
  const std::set<std::string> now(after.begin(), after.end());
  for (const std::string& entry : now) {
    if (!old.contains(entry)) diff->push_back({'+', 1, absl::StrCat(what, ": ", entry)});
  }
  for (const std::string& entry : old) {
    if (!now.contains(entry)) diff->push_back({'-', 1, absl::StrCat(what, ": ", entry)});
  }
}

template <typename Repeated>
std::vector<std::string> Strings(const Repeated& repeated) {
  return {repeated.begin(), repeated.end()};
}

void PlanSet(const FleetDocument& document, const ServerFleet& server, FleetPlan* plan) {
  const v1::OriginSet& want = document.set;
  auto have = server.sets.find(want.name());
  FleetStep step{.kind = FleetStep::Kind::kPutSet, .name = want.name(), .document = &document};
  if (have == server.sets.end()) {
    plan->diff.push_back({'+', 0,
                          absl::StrCat("origin set ", want.name(), " (", want.origins_size(),
                                       want.origins_size() == 1 ? " origin)" : " origins)")});
    ListChanges("origin", {}, Strings(want.origins()), &plan->diff);
    plan->steps.push_back(std::move(step));
    return;
  }
  const std::vector<std::string> before = Strings(have->second.origins());
  const std::vector<std::string> after = Strings(want.origins());
  if (before == after && have->second.description() == want.description()) return;
  plan->diff.push_back(
      {'~', 0,
       absl::StrCat("origin set ", want.name(), " (revision ", have->second.revision(), ")")});
  ListChanges("origin", before, after, &plan->diff);
  if (before != after &&
      std::set(before.begin(), before.end()) == std::set(after.begin(), after.end())) {
    plan->diff.push_back({'~', 1, "order of the origins"});
  }
  if (have->second.description() != want.description()) {
    plan->diff.push_back({'~', 1,
                          absl::StrCat("description: \"", have->second.description(), "\" -> \"",
                                       want.description(), "\"")});
  }
  step.expected_revision = have->second.revision();
  plan->steps.push_back(std::move(step));
}

void PlanTenant(const FleetDocument& document, const ServerFleet& server, FleetPlan* plan) {
  const v1::Tenant& want = document.tenant;
  const std::vector<std::string> hosts = NormalizedHosts(want);
  auto have = server.tenants.find(want.name());
  if (have == server.tenants.end()) {
    plan->diff.push_back({'+', 0, absl::StrCat("tenant ", want.name())});
    ListChanges("host", {}, hosts, &plan->diff);
    plan->steps.push_back(
        {.kind = FleetStep::Kind::kCreateTenant, .name = want.name(), .document = &document});
    return;
  }
  const std::vector<std::string> before = Strings(have->second.hosts());
  if (before == hosts && have->second.description() == want.description()) return;
  plan->diff.push_back({'~', 0, absl::StrCat("tenant ", want.name())});
  ListChanges("host", before, hosts, &plan->diff);
  if (have->second.description() != want.description()) {
    plan->diff.push_back({'~', 1,
                          absl::StrCat("description: \"", have->second.description(), "\" -> \"",
                                       want.description(), "\"")});
  }
  plan->steps.push_back({.kind = FleetStep::Kind::kUpdateTenant,
                         .name = want.name(),
                         .document = &document,
                         .tenant_before = have->second});
}

void PlanPolicy(const FleetDocument& document, const ServerFleet& server, FleetPlan* plan) {
  auto have = server.policies.find(document.policy_tenant);
  FleetStep step{
      .kind = FleetStep::Kind::kPutPolicy, .name = document.policy_tenant, .document = &document};
  const v1::Policy none;
  const v1::Policy& before = have == server.policies.end() ? none : have->second.policy();
  if (have != server.policies.end()) {
    if (SerializePolicy(before) == SerializePolicy(document.policy)) return;
    step.expected_revision = have->second.revision();
    step.policy_before = &have->second.policy();
    plan->diff.push_back({'~', 0,
                          absl::StrCat("policy of ", document.policy_tenant, " (revision ",
                                       step.expected_revision, ")")});
  } else {
    plan->diff.push_back({'+', 0, absl::StrCat("policy of ", document.policy_tenant)});
  }
  std::vector<DiffLine> lines = DiffPolicies(before, document.policy);
  if (lines.empty()) lines.push_back({'~', 0, "order of entries only"});
  for (DiffLine& line : lines) {
    line.depth += 1;
    plan->diff.push_back(std::move(line));
  }
  plan->steps.push_back(std::move(step));
}

}  // namespace

std::string FleetStep::Describe() const {
  switch (kind) {
    case Kind::kPutSet:
      return absl::StrCat("origin set ", name);
    case Kind::kCreateTenant:
      return absl::StrCat("new tenant ", name);
    case Kind::kUpdateTenant:
      return absl::StrCat("tenant ", name);
    case Kind::kPutPolicy:
      return absl::StrCat("policy of ", name);
    case Kind::kDeleteTenant:
      return absl::StrCat("deletion of tenant ", name);
    case Kind::kDeleteSet:
      return absl::StrCat("deletion of origin set ", name);
  }
  return name;
}

FleetPlan PlanFleet(const std::vector<FleetDocument>& documents, const ServerFleet& server,
                    bool prune) {
  FleetPlan plan;
  std::set<std::string> set_names;
  std::set<std::string> tenant_names;
  // Sets, tenants, policies: each kind in document order.
  for (const FleetDocument& document : documents) {
    if (document.kind != FleetDocument::Kind::kOriginSet) continue;
    set_names.insert(document.set.name());
    PlanSet(document, server, &plan);
  }
  for (const FleetDocument& document : documents) {
    if (document.kind != FleetDocument::Kind::kTenant) continue;
    tenant_names.insert(document.tenant.name());
    PlanTenant(document, server, &plan);
  }
  for (const FleetDocument& document : documents) {
    if (document.kind == FleetDocument::Kind::kPolicy) PlanPolicy(document, server, &plan);
  }
  if (!prune) return plan;
  // Tenants first: their policies may be what references the sets.
  for (const auto& [name, tenant] : server.tenants) {
    if (tenant_names.contains(name)) continue;
    plan.diff.push_back({'-', 0, absl::StrCat("tenant ", name, " (with its policy history)")});
    plan.steps.push_back({.kind = FleetStep::Kind::kDeleteTenant, .name = name});
  }
  for (const auto& [name, set] : server.sets) {
    if (set_names.contains(name)) continue;
    plan.diff.push_back({'-', 0, absl::StrCat("origin set ", name)});
    plan.steps.push_back(
        {.kind = FleetStep::Kind::kDeleteSet, .name = name, .expected_revision = set.revision()});
  }
  return plan;
}

}  // namespace corsd::cli
