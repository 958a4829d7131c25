// SqlitePolicyStore: policy revisions.
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "service/common/status_macros.h"
#include "service/store/page_token.h"
#include "service/store/sqlite_policy_store.h"

namespace corsd::store {

absl::StatusOr<PolicyRevisionRecord> SqlitePolicyStore::GetPolicy(absl::string_view tenant) {
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

absl::StatusOr<PolicyRevisionRecord> SqlitePolicyStore::GetPolicyRevision(absl::string_view tenant,
                                                                          int64_t revision) {
  absl::MutexLock lock(&mu_);
  RETURN_IF_ERROR(ReadTenant(tenant).status());
  return ReadRevision(tenant, revision);
}

absl::StatusOr<PolicyRevisionRecord> SqlitePolicyStore::AppendRevision(
    absl::string_view tenant, const std::string& policy, std::optional<int64_t> expected_revision,
    absl::string_view comment, absl::string_view action, const Actor& actor) {
  ASSIGN_OR_RETURN(TenantRecord record, ReadTenant(tenant));
  const int64_t current = record.policy_revision;
  if (expected_revision.has_value() && *expected_revision != current) {
    return absl::AbortedError(absl::StrCat(
        "expected revision ", *expected_revision, " but tenant \"", tenant,
        "\" is at revision ", current,
        "; someone else changed the policy: fetch it again and re-apply your change"));
  }
  PolicyRevisionRecord written;
  written.tenant = std::string(tenant);
  written.revision = current + 1;
  written.policy = policy;
  written.updated_at = absl::Now();
  written.updated_by = actor.label;
  written.comment = std::string(comment);
  {
    SqliteStatement s = db_->Prepare(
        "INSERT INTO policy_revisions (tenant, revision, policy, updated_at_us, updated_by, "
        "comment) VALUES (?, ?, ?, ?, ?, ?)");
    s.Bind(tenant)
        .Bind(written.revision)
        .BindBlob(policy)
        .Bind(absl::ToUnixMicros(written.updated_at))
        .Bind(written.updated_by)
        .Bind(written.comment);
    RETURN_IF_ERROR(s.Run());
  }
  {
    SqliteStatement s = db_->Prepare("UPDATE tenants SET current_revision = ? WHERE name = ?");
    s.Bind(written.revision).Bind(tenant);
    RETURN_IF_ERROR(s.Run());
  }
  RETURN_IF_ERROR(AppendChange(tenant, ChangeKind::kPolicy, written.revision));
  RETURN_IF_ERROR(AppendAudit({.time = written.updated_at,
                               .actor = actor.label,
                               .action = std::string(action),
                               .tenant = written.tenant,
                               .revision = written.revision,
                               .detail = written.comment}));
  return written;
}

absl::StatusOr<PolicyRevisionRecord> SqlitePolicyStore::PutPolicy(
    absl::string_view tenant, const std::string& policy, std::optional<int64_t> expected_revision,
    absl::string_view comment, const Actor& actor) {
  absl::MutexLock lock(&mu_);
  SqliteTransaction tx(db_.get());
  RETURN_IF_ERROR(tx.status());
  ASSIGN_OR_RETURN(PolicyRevisionRecord written,
                   AppendRevision(tenant, policy, expected_revision, comment, "PutPolicy", actor));
  RETURN_IF_ERROR(tx.Commit());
  return written;
}

absl::StatusOr<PolicyRevisionRecord> SqlitePolicyStore::RollbackPolicy(
    absl::string_view tenant, int64_t to_revision, std::optional<int64_t> expected_revision,
    absl::string_view comment, const Actor& actor) {
  if (to_revision < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("to_revision is ", to_revision, "; revisions start at 1"));
  }
  absl::MutexLock lock(&mu_);
  SqliteTransaction tx(db_.get());
  RETURN_IF_ERROR(tx.status());
  RETURN_IF_ERROR(ReadTenant(tenant).status());
  ASSIGN_OR_RETURN(PolicyRevisionRecord old, ReadRevision(tenant, to_revision));
  std::string note = comment.empty() ? absl::StrCat("rollback to revision ", to_revision)
                                     : std::string(comment);
  ASSIGN_OR_RETURN(PolicyRevisionRecord written,
                   AppendRevision(tenant, old.policy, expected_revision, note, "RollbackPolicy",
                                  actor));
  RETURN_IF_ERROR(tx.Commit());
  return written;
}

absl::StatusOr<Page<PolicyRevisionRecord>> SqlitePolicyStore::ListPolicyRevisions(
    absl::string_view tenant, const PageRequest& page) {
  ASSIGN_OR_RETURN(int32_t size, EffectivePageSize(page.page_size));
  ASSIGN_OR_RETURN(std::string after, DecodePageToken(absl::StrCat("revisions/", tenant),
                                                      page.page_token));
  int64_t below = INT64_MAX;
  if (!after.empty() && !absl::SimpleAtoi(after, &below)) {
    return absl::InvalidArgumentError("page_token is corrupt; omit it to start again");
  }
  absl::MutexLock lock(&mu_);
  RETURN_IF_ERROR(ReadTenant(tenant).status());
  SqliteStatement s = db_->Prepare(
      "SELECT revision, policy, updated_at_us, updated_by, comment FROM policy_revisions "
      "WHERE tenant = ? AND revision < ? ORDER BY revision DESC LIMIT ?");
  s.Bind(tenant).Bind(below).Bind(size + 1);
  Page<PolicyRevisionRecord> result;
  bool more = false;
  while (true) {
    ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    if (result.items.size() == static_cast<size_t>(size)) {
      more = true;
      break;
    }
    PolicyRevisionRecord& r = result.items.emplace_back();
    r.tenant = std::string(tenant);
    r.revision = s.Int(0);
    r.policy = s.Blob(1);
    r.updated_at = absl::FromUnixMicros(s.Int(2));
    r.updated_by = s.Text(3);
    r.comment = s.Text(4);
  }
  if (more) {
    result.next_page_token = EncodePageToken(absl::StrCat("revisions/", tenant),
                                             absl::StrCat(result.items.back().revision));
  }
  return result;
}

}  // namespace corsd::store
