// Plain records the PolicyStore reads and writes. Policies travel as opaque
// bytes (the deterministic serialization of corsd.v1.Policy) so the store
// needs neither protobuf semantics nor gRPC.
#ifndef CORSD_SERVICE_STORE_STORE_TYPES_H_
#define CORSD_SERVICE_STORE_STORE_TYPES_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "service/store/record_limits.h"

namespace corsd::store {

// Who made a change, as recorded in revisions and audit events: the label of
// the token that authorized the call.
struct Actor {
  std::string label;
};

struct TenantRecord {
  std::string name;
  std::vector<std::string> hosts;  // lowercase, sorted
  std::string description;
  absl::Time created_at;
  int64_t policy_revision = 0;  // 0 = no policy yet
};

// One origin set a resolved policy was made with, at the revision it had.
struct OriginSetUse {
  std::string name;
  int64_t revision = 0;
};

// A policy as a write stores it: as written and, when it references origin
// sets (`@NAME`), resolved against them. Converts implicitly from the
// serialized policy alone: a policy that references no set.
struct PolicyContent {
  PolicyContent() = default;
  PolicyContent(std::string written) : policy(std::move(written)) {}  // NOLINT: implicit
  PolicyContent(const char* written) : policy(written) {}             // NOLINT: implicit
  PolicyContent(std::string written, std::string resolved_form, std::vector<OriginSetUse> used)
      : policy(std::move(written)), resolved(std::move(resolved_form)), sets(std::move(used)) {}

  std::string policy;              // serialized corsd.v1.Policy, as written
  std::string resolved;            // the same with references replaced; "" = none
  std::vector<OriginSetUse> sets;  // every set `resolved` used; the write fails
                                   // (retryably) when one changed since
  // What counts toward kMaxStoredPolicyBytes.
  size_t stored_bytes() const { return policy.size() + resolved.size(); }
};

struct PolicyRevisionRecord {
  std::string tenant;
  int64_t revision = 0;
  std::string policy;           // serialized corsd.v1.Policy
  std::string resolved_policy;  // "" when it references no origin set
  absl::Time updated_at;
  std::string updated_by;
  std::string comment;
  // Set by PutPolicy and RollbackPolicy only: the creation time of the tenant
  // the revision was written to, which tells apart two tenants that had the
  // same name at different times (a tenant deleted and re-created).
  absl::Time tenant_created_at = absl::InfinitePast();
};

// A tenant's shadow policy: a candidate decided beside the active policy,
// never answering. At most one per tenant; `updated_at` tells one shadow
// from the next (its counts start at that time).
struct ShadowPolicyRecord {
  std::string tenant;
  std::string policy;           // serialized corsd.v1.Policy
  std::string resolved_policy;  // "" when it references no origin set
  std::string comment;
  absl::Time updated_at;
  std::string updated_by;
};

// A named list of origins that policies reference as `@NAME`.
struct OriginSetRecord {
  std::string name;
  std::vector<std::string> origins;  // as written, in order
  std::string description;
  int64_t revision = 0;
  absl::Time updated_at;
  std::string updated_by;
};

// A tenant whose current policy, shadow or both reference an origin set:
// what a change of the set must re-resolve.
struct OriginSetUser {
  std::string tenant;
  std::optional<PolicyRevisionRecord> policy;  // when the current policy references it
  std::optional<ShadowPolicyRecord> shadow;    // when the shadow references it
};

// One user of a changed set, resolved again: the store checks that the
// policy and shadow are still exactly those that were resolved (revision or
// time and the written bytes: a tenant deleted and re-created under the same
// name has other ones) and that the other sets they use are unchanged.
struct ReresolvedUser {
  std::string tenant;
  int64_t policy_revision = 0;  // 0 = the policy does not reference the set
  std::string policy_written;   // the stored policy that was resolved
  std::string policy_resolved;
  std::optional<absl::Time> shadow_updated_at;  // unset = the shadow does not
  std::string shadow_written;
  std::string shadow_resolved;
  // Every other set the policy and shadow use, at the revisions resolved with.
  std::vector<OriginSetUse> other_sets;
};

// Marks an ABORTED status that no caller input caused: something the write
// depended on (an origin set, the users of a set) changed between reading and
// writing. Doing the whole write again, reading afresh, succeeds.
absl::Status RetryableAborted(absl::string_view message);
bool IsRetryable(const absl::Status& status);

// `value` cut to kMaxAuditFieldBytes (record_limits.h) at a UTF-8 boundary,
// with a note of the original size.
std::string BoundedAuditValue(absl::string_view value);

struct AuditRecord {
  int64_t id = 0;
  absl::Time time;
  std::string actor;
  std::string action;
  std::string tenant;
  int64_t revision = 0;
  std::string detail;
};

enum class Role { kAdmin, kEditor, kViewer };
absl::string_view RoleName(Role role);
std::optional<Role> ParseRole(absl::string_view name);

struct TokenRecord {
  int64_t id = 0;
  Role role = Role::kViewer;
  std::string tenant;  // "" = every tenant
  std::string label;
  absl::Time created_at;
  absl::Time last_used_at = absl::InfinitePast();
  absl::Time revoked_at = absl::InfinitePast();
  bool revoked() const { return revoked_at != absl::InfinitePast(); }
};

enum class ChangeKind { kTenant, kPolicy, kDeleted, kTokens };
absl::string_view ChangeKindName(ChangeKind kind);
std::optional<ChangeKind> ParseChangeKind(absl::string_view name);

// One committed change, in commit order across every process.
struct ChangeRecord {
  int64_t seq = 0;
  std::string tenant;
  ChangeKind kind = ChangeKind::kTenant;
  int64_t revision = 0;
};

// What compaction keeps; everything older goes. Zero keeps everything of
// that kind.
struct Retention {
  // Per tenant, the newest policy revisions (the current one is always kept).
  int64_t policy_revisions = 0;
  // Audit events, and change-feed rows, younger than this.
  absl::Duration audit_events = absl::ZeroDuration();
  absl::Duration changes = absl::ZeroDuration();
};

// What one compaction deleted.
struct CompactionReport {
  int64_t policy_revisions = 0;
  int64_t audit_events = 0;
  int64_t changes = 0;
};

// Everything a process needs to serve one tenant.
struct TenantState {
  TenantRecord tenant;
  std::optional<PolicyRevisionRecord> policy;  // absent while revision is 0
  std::optional<ShadowPolicyRecord> shadow;    // absent when there is none
};

template <typename T>
struct Page {
  std::vector<T> items;
  std::string next_page_token;  // "" = last page
};

struct PageRequest {
  int32_t page_size = 0;  // 0 = default
  std::string page_token;
};

}  // namespace corsd::store

#endif  // CORSD_SERVICE_STORE_STORE_TYPES_H_
