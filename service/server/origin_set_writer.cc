#include "service/server/origin_set_writer.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "service/common/status_macros.h"
#include "service/convert/policy_convert.h"
#include "service/engine/origin_sets.h"
#include "service/engine/tenant_names.h"
#include "service/ops/log.h"
#include "service/server/grpc_status.h"
#include "service/server/policy_resolver.h"
#include "service/store/record_limits.h"

namespace corsd::server {
namespace {

// Adds the violations of one user's policy (or shadow) to `all`, each field
// prefixed with where it is: `tenants[shop].policy.rules[0]...`.
void AddUserViolations(absl::string_view tenant, absl::string_view which,
                       const absl::Status& invalid, const engine::PolicyDiagnostics& found,
                       engine::PolicyDiagnostics* all) {
  const std::string prefix = absl::StrCat("tenants[", tenant, "].", which);
  if (found.violations.empty()) {
    all->AddViolation(prefix, std::string(invalid.message()));
    return;
  }
  for (const engine::FieldViolation& v : found.violations) {
    all->AddViolation(absl::StrCat(prefix, ".", v.field), v.description);
  }
  all->violation_count += found.violation_count - found.violations.size();
}

}  // namespace

absl::StatusOr<std::vector<store::ReresolvedUser>> OriginSetWriter::ResolveUsers(
    const store::OriginSetRecord& set) {
  ASSIGN_OR_RETURN(std::vector<store::OriginSetUser> users, store_->ListOriginSetUsers(set.name));
  const absl::flat_hash_map<std::string, store::OriginSetRecord> changed = {{set.name, set}};
  OriginSetCache sets(store_, &changed);
  std::vector<store::ReresolvedUser> resolved;
  resolved.reserve(users.size());
  engine::PolicyDiagnostics violations;
  size_t total_bytes = 0;
  // One user's stored policy resolved against the change: its new resolved
  // bytes, or its violations added to `violations`; the other sets it used
  // go to `other_sets`.
  auto resolve = [&](absl::string_view tenant, absl::string_view which, const std::string& stored,
                     std::vector<store::OriginSetUse>* other_sets) -> absl::StatusOr<std::string> {
    ASSIGN_OR_RETURN(v1::Policy policy, ParseStoredPolicy(stored));
    ResolvedCompilation compiled =
        CompileWithOriginSets(policy, [&sets](absl::string_view name) { return sets.Find(name); });
    RETURN_IF_ERROR(sets.status());
    for (store::OriginSetUse& use : sets.Uses(compiled.resolution.set_names)) {
      if (use.name != set.name) other_sets->push_back(std::move(use));
    }
    if (!compiled.compilation.diagnostics.ok()) {
      AddUserViolations(tenant, which, absl::InvalidArgumentError("is invalid"),
                        compiled.compilation.diagnostics, &violations);
      return std::string();
    }
    std::string bytes = compiled.resolution.resolved.has_value()
                            ? SerializePolicy(*compiled.resolution.resolved)
                            : std::string();
    CheckStoredSize(stored.size(), bytes.size(), absl::StrCat("tenants[", tenant, "].", which),
                    &violations);
    total_bytes += bytes.size();
    return bytes;
  };
  for (const store::OriginSetUser& user : users) {
    store::ReresolvedUser& out = resolved.emplace_back();
    out.tenant = user.tenant;
    if (user.policy.has_value()) {
      out.policy_revision = user.policy->revision;
      out.policy_written = user.policy->policy;
      ASSIGN_OR_RETURN(out.policy_resolved,
                       resolve(user.tenant, "policy", user.policy->policy, &out.other_sets));
    }
    if (user.shadow.has_value()) {
      out.shadow_updated_at = user.shadow->updated_at;
      out.shadow_written = user.shadow->policy;
      ASSIGN_OR_RETURN(out.shadow_resolved,
                       resolve(user.tenant, "shadow", user.shadow->policy, &out.other_sets));
    }
    if (user.policy.has_value() && user.shadow.has_value() &&
        out.policy_written.size() + out.policy_resolved.size() + out.shadow_written.size() +
                out.shadow_resolved.size() >
            store::kMaxPolicyAndShadowBytes) {
      violations.AddViolation(
          absl::StrCat("tenants[", user.tenant, "]"),
          absl::StrCat("its policy and shadow would be more than ", store::kMaxPolicyAndShadowBytes,
                       " bytes together; clear the shadow first"));
    }
    // One transaction holds every new form: bounded, so a large set
    // referenced by many tenants cannot take the store's memory and lock.
    if (total_bytes > kMaxReresolvedBytes) {
      return absl::InvalidArgumentError(absl::StrCat(
          "origin set \"", set.name, "\" with ", set.origins.size(), " origins is referenced by ",
          users.size(), " policies and shadows; resolving them all again takes more than ",
          kMaxReresolvedBytes >> 20,
          " MiB in one transaction. Split the set, or reference it from fewer tenants"));
    }
  }
  if (!violations.ok()) {
    // The details (BadRequest) as for any invalid policy; the message says
    // what was refused.
    const absl::Status invalid = InvalidPolicyStatus(violations);
    absl::Status refused(
        invalid.code(),
        absl::StrCat("origin set \"", set.name,
                     "\": the change would make policies that reference it invalid; nothing was "
                     "stored (change those policies first, or the set): ",
                     invalid.message()));
    invalid.ForEachPayload([&refused](absl::string_view url, const absl::Cord& payload) {
      refused.SetPayload(url, payload);
    });
    return refused;
  }
  return resolved;
}

absl::StatusOr<store::OriginSetRecord> OriginSetWriter::Put(
    const store::OriginSetRecord& set, std::optional<int64_t> expected_revision,
    absl::string_view comment, const store::Actor& actor) {
  RETURN_IF_ERROR(engine::ValidateOriginSetName(set.name));
  if (set.description.size() > store::kMaxDescriptionBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("description is longer than ", store::kMaxDescriptionBytes, " bytes"));
  }
  if (comment.size() > store::kMaxCommentBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("comment is longer than ", store::kMaxCommentBytes, " bytes"));
  }
  if (engine::PolicyDiagnostics found = engine::ValidateOriginSetOrigins(set.origins);
      !found.ok()) {
    return InvalidPolicyStatus(found);
  }
  size_t bytes = 0;
  for (const std::string& origin : set.origins) bytes += origin.size() + 1;
  if (bytes > store::kMaxStoredPolicyBytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "origin set \"", set.name, "\" is ", bytes, " bytes; at most ",
        store::kMaxStoredPolicyBytes, " are stored (no policy could reference more): split it"));
  }
  const absl::Time start = absl::Now();
  size_t users = 0;
  absl::Duration store_write;  // the transaction alone, as for every other write
  absl::StatusOr<store::OriginSetRecord> written;
  for (int attempt = 1; attempt <= kResolveAttempts; ++attempt) {
    // Stale before any work; a new description alone resolves nothing again.
    absl::StatusOr<store::OriginSetRecord> now = store_->GetOriginSet(set.name);
    if (!now.ok() && now.status().code() != absl::StatusCode::kNotFound) return now.status();
    const int64_t current = now.ok() ? now->revision : 0;
    if (expected_revision.has_value() && *expected_revision != current) {
      return absl::AbortedError(absl::StrCat("expected revision ", *expected_revision,
                                             " but origin set \"", set.name, "\" is at revision ",
                                             current, "; fetch it again and re-apply your change"));
    }
    std::vector<store::ReresolvedUser> resolved;
    if (!now.ok() || now->origins != set.origins) {
      ASSIGN_OR_RETURN(resolved, ResolveUsers(set));
    }
    users = resolved.size();
    const absl::Time write_start = absl::Now();
    written = store_->PutOriginSet(set, expected_revision, comment, resolved, actor);
    store_write = absl::Now() - write_start;
    if (written.ok() || !store::IsRetryable(written.status())) break;
  }
  RETURN_IF_ERROR(written.status());
  metrics_->store_write_duration.ObserveDuration(store_write);
  // Every re-resolved tenant, from the feed, before the caller hears back.
  if (absl::Status s = sync_->CatchUp(); !s.ok()) {
    ops::LogWarning("publish_after_write_failed").Field("error", s.message());
  }
  ops::LogInfo("origin_set_written")
      .Field("origin_set", written->name)
      .Field("revision", written->revision)
      .Field("origins", static_cast<int64_t>(written->origins.size()))
      .Field("tenants_resolved", static_cast<int64_t>(users))
      .Field("actor", actor.label)
      .Field("store_write", store_write)
      .Field("took", absl::Now() - start);
  return written;
}

absl::Status OriginSetWriter::Delete(absl::string_view name, const store::Actor& actor) {
  RETURN_IF_ERROR(engine::ValidateOriginSetName(name));
  RETURN_IF_ERROR(store_->DeleteOriginSet(name, actor));
  ops::LogInfo("origin_set_deleted").Field("origin_set", name).Field("actor", actor.label);
  return absl::OkStatus();
}

}  // namespace corsd::server
