// SqlPolicyStore: policy revisions.
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "service/common/status_macros.h"
#include "service/store/page_token.h"
#include "service/store/record_limits.h"
#include "service/store/sql_policy_store.h"

namespace corsd::store {
absl::StatusOr<PolicyRevisionRecord> SqlPolicyStore::GetPolicy(absl::string_view tenant) {
  absl::MutexLock lock(&mu_);
  ASSIGN_OR_RETURN(TenantRecord record, ReadTenant(tenant));
  if (record.policy_revision == 0) {
    return absl::NotFoundError(absl::StrCat("tenant \"", tenant,
                                            "\" has no policy yet (it denies every cross-origin "
                                            "request); set one with `corsctl policy apply ",
                                            tenant, " -f policy.json`"));
  }
  return ReadRevision(tenant, record.policy_revision);
}

absl::StatusOr<PolicyRevisionRecord> SqlPolicyStore::GetPolicyRevision(absl::string_view tenant,
                                                                       int64_t revision) {
  absl::MutexLock lock(&mu_);
  RETURN_IF_ERROR(ReadTenant(tenant).status());
  return ReadRevision(tenant, revision);
}

absl::Status SqlPolicyStore::CheckSetsCurrent(const std::vector<OriginSetUse>& sets) {
  for (const OriginSetUse& use : sets) {
    ASSIGN_OR_RETURN(SqlRows rows,
                     db_->Query("SELECT revision FROM origin_sets WHERE name = ?", {use.name}));
    if (rows.empty() || rows[0].Int(0) != use.revision) {
      return RetryableAborted(absl::StrCat("origin set \"", use.name,
                                           "\" changed while the policy was being resolved"));
    }
  }
  return absl::OkStatus();
}

absl::Status SqlPolicyStore::WriteSetRefs(absl::string_view tenant, absl::string_view kind,
                                          const std::vector<OriginSetUse>& sets) {
  RETURN_IF_ERROR(db_->Execute("DELETE FROM origin_set_refs WHERE tenant = ? AND kind = ?",
                               {std::string(tenant), std::string(kind)})
                      .status());
  for (const OriginSetUse& use : sets) {
    RETURN_IF_ERROR(db_->Execute("INSERT INTO origin_set_refs (set_name, tenant, kind) "
                                 "VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                                 {use.name, std::string(tenant), std::string(kind)})
                        .status());
  }
  return absl::OkStatus();
}

absl::StatusOr<PolicyRevisionRecord> SqlPolicyStore::AppendRevision(
    absl::string_view tenant, const PolicyContent& content,
    std::optional<int64_t> expected_revision, absl::string_view comment, absl::string_view action,
    const Actor& actor, SetRefs refs) {
  if (content.stored_bytes() > kMaxStoredPolicyBytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the policy is ", content.stored_bytes(),
        " bytes serialized (as written plus resolved against its origin sets); at most ",
        kMaxStoredPolicyBytes,
        " are stored, so that every reply carrying it fits the admin port's message limit: "
        "use wildcards or fewer, shorter origins"));
  }
  ASSIGN_OR_RETURN(TenantRecord record, ReadTenant(tenant));
  RETURN_IF_ERROR(CheckCombinedSize(
      content.stored_bytes(),
      "SELECT length(policy) + COALESCE(length(resolved_policy), 0) FROM shadow_policies "
      "WHERE tenant = ?",
      {std::string(tenant)}));
  const int64_t current = record.policy_revision;
  if (expected_revision.has_value() && *expected_revision != current) {
    return absl::AbortedError(absl::StrCat(
        "expected revision ", *expected_revision, " but tenant \"", tenant, "\" is at revision ",
        current, "; someone else changed the policy: fetch it again and re-apply your change"));
  }
  if (refs == SetRefs::kCheckAndReplace) {
    RETURN_IF_ERROR(CheckSetsCurrent(content.sets));
    RETURN_IF_ERROR(WriteSetRefs(tenant, "policy", content.sets));
  }
  PolicyRevisionRecord written{.tenant = std::string(tenant),
                               .revision = current + 1,
                               .policy = content.policy,
                               .resolved_policy = content.resolved,
                               .updated_at = absl::Now(),
                               .updated_by = actor.label,
                               .comment = std::string(comment),
                               .tenant_created_at = record.created_at};
  RETURN_IF_ERROR(
      db_->Execute("INSERT INTO policy_revisions (tenant, revision, policy, resolved_policy, "
                   "updated_at_us, updated_by, comment) VALUES (?, ?, ?, ?, ?, ?, ?)",
                   {written.tenant, written.revision, SqlBytes{written.policy},
                    SqlBytes{written.resolved_policy}, absl::ToUnixMicros(written.updated_at),
                    written.updated_by, written.comment})
          .status());
  RETURN_IF_ERROR(db_->Execute("UPDATE tenants SET current_revision = ? WHERE name = ?",
                               {written.revision, written.tenant})
                      .status());
  RETURN_IF_ERROR(AppendChange(tenant, ChangeKind::kPolicy, written.revision));
  RETURN_IF_ERROR(AppendAudit({.time = written.updated_at,
                               .actor = actor.label,
                               .action = std::string(action),
                               .tenant = written.tenant,
                               .revision = written.revision,
                               .detail = written.comment}));
  return written;
}

absl::StatusOr<PolicyRevisionRecord> SqlPolicyStore::PutPolicy(
    absl::string_view tenant, const PolicyContent& policy, std::optional<int64_t> expected_revision,
    absl::string_view comment, const Actor& actor) {
  absl::MutexLock lock(&mu_);
  SqlTransaction tx(db_.get(), SqlTransaction::Kind::kWrite);
  RETURN_IF_ERROR(tx.status());
  ASSIGN_OR_RETURN(PolicyRevisionRecord written,
                   AppendRevision(tenant, policy, expected_revision, comment, "PutPolicy", actor));
  RETURN_IF_ERROR(tx.Commit());
  return written;
}

absl::StatusOr<PolicyRevisionRecord> SqlPolicyStore::RollbackPolicy(
    absl::string_view tenant, int64_t to_revision, const PolicyContent& resolved_now,
    std::optional<int64_t> expected_revision, absl::string_view comment, const Actor& actor) {
  if (to_revision < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("to_revision is ", to_revision, "; revisions start at 1"));
  }
  absl::MutexLock lock(&mu_);
  SqlTransaction tx(db_.get(), SqlTransaction::Kind::kWrite);
  RETURN_IF_ERROR(tx.status());
  RETURN_IF_ERROR(ReadTenant(tenant).status());
  ASSIGN_OR_RETURN(PolicyRevisionRecord old, ReadRevision(tenant, to_revision));
  if (old.policy != resolved_now.policy) {
    // The tenant was deleted and re-created since the caller read it.
    return RetryableAborted(absl::StrCat("revision ", to_revision, " of tenant \"", tenant,
                                         "\" is not the one that was resolved"));
  }
  std::string note =
      comment.empty() ? absl::StrCat("rollback to revision ", to_revision) : std::string(comment);
  ASSIGN_OR_RETURN(
      PolicyRevisionRecord written,
      AppendRevision(tenant, resolved_now, expected_revision, note, "RollbackPolicy", actor));
  RETURN_IF_ERROR(tx.Commit());
  return written;
}

absl::StatusOr<Page<PolicyRevisionRecord>> SqlPolicyStore::ListPolicyRevisions(
    absl::string_view tenant, const PageRequest& page) {
  ASSIGN_OR_RETURN(int32_t size, EffectivePageSize(page.page_size));
  const std::string list = absl::StrCat("revisions/", tenant);
  ASSIGN_OR_RETURN(std::string after, DecodePageToken(list, page.page_token));
  int64_t below = INT64_MAX;
  if (!after.empty() && !absl::SimpleAtoi(after, &below)) {
    return absl::InvalidArgumentError("page_token is corrupt; omit it to start again");
  }
  absl::MutexLock lock(&mu_);
  // Sizes first, policies second, from one snapshot: a page of a thousand
  // large revisions must not be read into memory only to be cut to the byte
  // budget, and a compaction committing in between must not empty the page.
  SqlTransaction tx(db_.get(), SqlTransaction::Kind::kRead);
  RETURN_IF_ERROR(tx.status());
  RETURN_IF_ERROR(ReadTenant(tenant).status());
  ASSIGN_OR_RETURN(SqlRows sizes,
                   db_->Query("SELECT revision, length(policy) + "
                              "COALESCE(length(resolved_policy), 0) FROM policy_revisions "
                              "WHERE tenant = ? AND revision < ? ORDER BY revision DESC LIMIT ?",
                              {std::string(tenant), below, int64_t{size} + 1}));
  size_t count = 0;
  size_t bytes = 0;
  for (const SqlRow& row : sizes) {
    const size_t policy_bytes = static_cast<size_t>(row.Int(1));
    if (count == static_cast<size_t>(size) ||
        (count > 0 && bytes + policy_bytes > kMaxRevisionPageBytes)) {
      break;
    }
    bytes += policy_bytes;
    ++count;
  }
  const bool more = count < sizes.size();
  Page<PolicyRevisionRecord> result;
  if (count > 0) {
    ASSIGN_OR_RETURN(
        SqlRows rows,
        db_->Query("SELECT revision, policy, updated_at_us, updated_by, comment, resolved_policy "
                   "FROM policy_revisions WHERE tenant = ? AND revision <= ? AND revision >= ? "
                   "ORDER BY revision DESC",
                   {std::string(tenant), sizes[0].Int(0), sizes[count - 1].Int(0)}));
    for (const SqlRow& row : rows) {
      result.items.push_back({.tenant = std::string(tenant),
                              .revision = row.Int(0),
                              .policy = row.Bytes(1),
                              .resolved_policy = row.Bytes(5),
                              .updated_at = absl::FromUnixMicros(row.Int(2)),
                              .updated_by = row.Text(3),
                              .comment = row.Text(4)});
    }
  }
  if (more) {
    // The last revision this page covers, whether or not it was read back.
    result.next_page_token = EncodePageToken(list, absl::StrCat(sizes[count - 1].Int(0)));
  }
  return result;
}

}  // namespace corsd::store
