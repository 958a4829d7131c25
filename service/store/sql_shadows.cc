// SqlPolicyStore: shadow policies.
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "service/common/status_macros.h"
#include "service/store/record_limits.h"
#include "service/store/sql_policy_store.h"

namespace corsd::store {
namespace {

absl::Status NoShadow(absl::string_view tenant) {
  return absl::NotFoundError(absl::StrCat("tenant \"", tenant,
                                          "\" has no shadow policy; set one with `corsctl policy "
                                          "shadow set ",
                                          tenant, " -f candidate.yaml`"));
}

}  // namespace

absl::Status SqlPolicyStore::CheckCombinedSize(size_t policy_bytes, absl::string_view other_sql,
                                               std::initializer_list<SqlValue> params) {
  ASSIGN_OR_RETURN(SqlRows rows, db_->Query(other_sql, params));
  const size_t other = rows.empty() ? 0 : static_cast<size_t>(rows[0].Int(0));
  if (policy_bytes + other <= kMaxPolicyAndShadowBytes) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      "the policy and the shadow policy of a tenant are ", policy_bytes + other,
      " bytes serialized together; at most ", kMaxPolicyAndShadowBytes,
      " are stored, so that a watch event carrying both fits the admin port's message limit: "
      "clear the shadow (corsctl policy shadow clear) or make either smaller"));
}

absl::StatusOr<ShadowPolicyRecord> SqlPolicyStore::ReadShadow(absl::string_view tenant) {
  ASSIGN_OR_RETURN(SqlRows rows,
                   db_->Query("SELECT policy, comment, updated_at_us, updated_by, resolved_policy "
                              "FROM shadow_policies WHERE tenant = ?",
                              {std::string(tenant)}));
  if (rows.empty()) return NoShadow(tenant);
  SqlRow& row = rows[0];
  return ShadowPolicyRecord{.tenant = std::string(tenant),
                            .policy = row.TakeBytes(0),
                            .resolved_policy = row.TakeBytes(4),
                            .comment = row.TakeText(1),
                            .updated_at = absl::FromUnixMicros(row.Int(2)),
                            .updated_by = row.TakeText(3)};
}

absl::StatusOr<ShadowPolicyRecord> SqlPolicyStore::PutShadowPolicy(absl::string_view tenant,
                                                                   const PolicyContent& policy,
                                                                   absl::string_view comment,
                                                                   const Actor& actor) {
  if (policy.stored_bytes() > kMaxStoredPolicyBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("the shadow policy is ", policy.stored_bytes(),
                     " bytes serialized (as written plus resolved against its origin sets); at "
                     "most ",
                     kMaxStoredPolicyBytes, " are stored"));
  }
  absl::MutexLock lock(&mu_);
  SqlTransaction tx(db_.get(), SqlTransaction::Kind::kWrite);
  RETURN_IF_ERROR(tx.status());
  ASSIGN_OR_RETURN(TenantRecord record, ReadTenant(tenant));
  RETURN_IF_ERROR(CheckCombinedSize(policy.stored_bytes(),
                                    "SELECT length(policy) + COALESCE(length(resolved_policy), 0) "
                                    "FROM policy_revisions WHERE tenant = ? AND revision = ?",
                                    {std::string(tenant), record.policy_revision}));
  RETURN_IF_ERROR(CheckSetsCurrent(policy.sets));
  RETURN_IF_ERROR(WriteSetRefs(tenant, "shadow", policy.sets));
  ShadowPolicyRecord written{.tenant = std::string(tenant),
                             .policy = policy.policy,
                             .resolved_policy = policy.resolved,
                             .comment = std::string(comment),
                             // As stored: whole microseconds.
                             .updated_at = absl::FromUnixMicros(absl::ToUnixMicros(absl::Now())),
                             .updated_by = actor.label};
  // A replaced shadow must get a later time even within one microsecond:
  // the time is what tells its counts from the previous shadow's.
  if (absl::StatusOr<ShadowPolicyRecord> old = ReadShadow(tenant); old.ok()) {
    written.updated_at = std::max(written.updated_at, old->updated_at + absl::Microseconds(1));
  } else if (old.status().code() != absl::StatusCode::kNotFound) {
    return old.status();
  }
  RETURN_IF_ERROR(
      db_->Execute("DELETE FROM shadow_policies WHERE tenant = ?", {written.tenant}).status());
  RETURN_IF_ERROR(
      db_->Execute("INSERT INTO shadow_policies (tenant, policy, resolved_policy, comment, "
                   "updated_at_us, updated_by) VALUES (?, ?, ?, ?, ?, ?)",
                   {written.tenant, SqlBytes{written.policy}, SqlBytes{written.resolved_policy},
                    written.comment, absl::ToUnixMicros(written.updated_at), written.updated_by})
          .status());
  RETURN_IF_ERROR(AppendChange(tenant, ChangeKind::kTenant, 0));
  RETURN_IF_ERROR(AppendAudit({.time = written.updated_at,
                               .actor = actor.label,
                               .action = "PutShadowPolicy",
                               .tenant = written.tenant,
                               .detail = written.comment}));
  RETURN_IF_ERROR(tx.Commit());
  return written;
}

absl::StatusOr<ShadowPolicyRecord> SqlPolicyStore::GetShadowPolicy(absl::string_view tenant) {
  absl::MutexLock lock(&mu_);
  SqlTransaction tx(db_.get(), SqlTransaction::Kind::kRead);
  RETURN_IF_ERROR(tx.status());
  RETURN_IF_ERROR(ReadTenant(tenant).status());
  ASSIGN_OR_RETURN(ShadowPolicyRecord shadow, ReadShadow(tenant));
  RETURN_IF_ERROR(tx.Commit());
  return shadow;
}

absl::Status SqlPolicyStore::DeleteShadowPolicy(absl::string_view tenant, const Actor& actor) {
  absl::MutexLock lock(&mu_);
  SqlTransaction tx(db_.get(), SqlTransaction::Kind::kWrite);
  RETURN_IF_ERROR(tx.status());
  RETURN_IF_ERROR(ReadTenant(tenant).status());
  ASSIGN_OR_RETURN(int64_t deleted, db_->Execute("DELETE FROM shadow_policies WHERE tenant = ?",
                                                 {std::string(tenant)}));
  if (deleted == 0) return NoShadow(tenant);
  RETURN_IF_ERROR(WriteSetRefs(tenant, "shadow", {}));
  RETURN_IF_ERROR(AppendChange(tenant, ChangeKind::kTenant, 0));
  RETURN_IF_ERROR(AppendAudit({.time = absl::Now(),
                               .actor = actor.label,
                               .action = "DeleteShadowPolicy",
                               .tenant = std::string(tenant)}));
  return tx.Commit();
}

absl::StatusOr<PolicyRevisionRecord> SqlPolicyStore::PromoteShadowPolicy(
    absl::string_view tenant, std::optional<int64_t> expected_revision,
    std::optional<absl::Time> shadow_updated_at, absl::string_view comment, const Actor& actor) {
  absl::MutexLock lock(&mu_);
  SqlTransaction tx(db_.get(), SqlTransaction::Kind::kWrite);
  RETURN_IF_ERROR(tx.status());
  RETURN_IF_ERROR(ReadTenant(tenant).status());
  ASSIGN_OR_RETURN(ShadowPolicyRecord shadow, ReadShadow(tenant));
  if (shadow_updated_at.has_value() && *shadow_updated_at != shadow.updated_at) {
    return absl::AbortedError(absl::StrCat(
        "the shadow policy of tenant \"", tenant,
        "\" was replaced while it was being promoted; review the new one (corsctl policy shadow "
        "get ",
        tenant, ") and promote again"));
  }
  const std::string note = comment.empty()
                               ? absl::StrCat("promoted shadow policy set by ", shadow.updated_by)
                               : std::string(comment);
  // The shadow's resolved form is current: an origin-set change re-resolves
  // shadows too. Its references become the policy's. The row goes first, so
  // the policy-plus-shadow cap does not count it beside itself (a stale
  // expected revision rolls the whole transaction back, the shadow kept).
  RETURN_IF_ERROR(
      db_->Execute("DELETE FROM shadow_policies WHERE tenant = ?", {std::string(tenant)}).status());
  ASSIGN_OR_RETURN(
      PolicyRevisionRecord written,
      AppendRevision(tenant, PolicyContent(shadow.policy, shadow.resolved_policy, {}),
                     expected_revision, note, "PromoteShadowPolicy", actor, SetRefs::kKeep));
  RETURN_IF_ERROR(db_->Execute("DELETE FROM origin_set_refs WHERE tenant = ? AND kind = 'policy'",
                               {std::string(tenant)})
                      .status());
  RETURN_IF_ERROR(db_->Execute("UPDATE origin_set_refs SET kind = 'policy' WHERE tenant = ? AND "
                               "kind = 'shadow'",
                               {std::string(tenant)})
                      .status());
  // After the revision's own change: a process that reads the feed sees the
  // shadow gone together with the new revision.
  RETURN_IF_ERROR(AppendChange(tenant, ChangeKind::kTenant, 0));
  RETURN_IF_ERROR(tx.Commit());
  return written;
}

}  // namespace corsd::store
