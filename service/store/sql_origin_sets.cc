// SqlPolicyStore: shared origin sets.
#include <algorithm>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "service/common/status_macros.h"
#include "service/store/page_token.h"
#include "service/store/record_limits.h"
#include "service/store/sql_policy_store.h"

namespace corsd::store {
namespace {

constexpr char kOriginSetPages[] = "originsets";

// Origins are validated before they get here: none holds a newline.
std::string JoinOrigins(const std::vector<std::string>& origins) {
  return absl::StrJoin(origins, "\n");
}

std::vector<std::string> SplitOrigins(absl::string_view joined) {
  return absl::StrSplit(joined, '\n', absl::SkipEmpty());
}

absl::Status NoSuchSet(absl::string_view name) {
  return absl::NotFoundError(absl::StrCat("origin set \"", name,
                                          "\" does not exist (list them with `corsctl originset "
                                          "list`)"));
}

// "a, b, c and 7 more": an error message that stays short for any fleet.
std::string NameSome(const std::vector<std::string>& names) {
  constexpr size_t kNamed = 20;
  if (names.size() <= kNamed) return absl::StrJoin(names, ", ");
  return absl::StrCat(absl::StrJoin(names.begin(), names.begin() + kNamed, ", "), " and ",
                      names.size() - kNamed, " more");
}

}  // namespace

absl::StatusOr<OriginSetRecord> SqlPolicyStore::ReadOriginSet(absl::string_view name) {
  ASSIGN_OR_RETURN(SqlRows rows,
                   db_->Query("SELECT origins, description, revision, updated_at_us, updated_by "
                              "FROM origin_sets WHERE name = ?",
                              {std::string(name)}));
  if (rows.empty()) return NoSuchSet(name);
  SqlRow& row = rows[0];
  return OriginSetRecord{.name = std::string(name),
                         .origins = SplitOrigins(row.Text(0)),
                         .description = row.TakeText(1),
                         .revision = row.Int(2),
                         .updated_at = absl::FromUnixMicros(row.Int(3)),
                         .updated_by = row.TakeText(4)};
}

absl::StatusOr<OriginSetRecord> SqlPolicyStore::GetOriginSet(absl::string_view name) {
  absl::MutexLock lock(&mu_);
  return ReadOriginSet(name);
}

absl::StatusOr<Page<OriginSetRecord>> SqlPolicyStore::ListOriginSets(const PageRequest& page) {
  ASSIGN_OR_RETURN(int32_t size, EffectivePageSize(page.page_size));
  ASSIGN_OR_RETURN(std::string after, DecodePageToken(kOriginSetPages, page.page_token));
  absl::MutexLock lock(&mu_);
  // Sizes first: a page of large sets is cut to the byte budget before any
  // is read, as revision pages are.
  SqlTransaction tx(db_.get(), SqlTransaction::Kind::kRead);
  RETURN_IF_ERROR(tx.status());
  ASSIGN_OR_RETURN(SqlRows sizes, db_->Query("SELECT name, length(origins) FROM origin_sets "
                                             "WHERE name > ? ORDER BY name LIMIT ?",
                                             {after, int64_t{size} + 1}));
  Page<OriginSetRecord> result;
  size_t bytes = 0;
  size_t count = 0;
  for (const SqlRow& row : sizes) {
    const size_t set_bytes = static_cast<size_t>(row.Int(1));
    if (count == static_cast<size_t>(size) ||
        (count > 0 && bytes + set_bytes > kMaxRevisionPageBytes)) {
      break;
    }
    bytes += set_bytes;
    ++count;
    ASSIGN_OR_RETURN(OriginSetRecord set, ReadOriginSet(row.Text(0)));
    result.items.push_back(std::move(set));
  }
  if (count < sizes.size()) {
    result.next_page_token = EncodePageToken(kOriginSetPages, result.items.back().name);
  }
  RETURN_IF_ERROR(tx.Commit());
  return result;
}

absl::StatusOr<std::vector<OriginSetUser>> SqlPolicyStore::ListOriginSetUsers(
    absl::string_view name) {
  absl::MutexLock lock(&mu_);
  SqlTransaction tx(db_.get(), SqlTransaction::Kind::kRead);
  RETURN_IF_ERROR(tx.status());
  ASSIGN_OR_RETURN(SqlRows refs, db_->Query("SELECT tenant, kind FROM origin_set_refs "
                                            "WHERE set_name = ? ORDER BY tenant, kind",
                                            {std::string(name)}));
  std::vector<OriginSetUser> users;
  for (const SqlRow& ref : refs) {
    const std::string& tenant = ref.Text(0);
    if (users.empty() || users.back().tenant != tenant) users.push_back({.tenant = tenant});
    OriginSetUser& user = users.back();
    // The old resolved forms are not needed (they are replaced), and with
    // a large set and many users they would be most of the memory.
    if (ref.Text(1) == "policy") {
      ASSIGN_OR_RETURN(TenantRecord record, ReadTenant(tenant));
      ASSIGN_OR_RETURN(user.policy, ReadRevision(tenant, record.policy_revision));
      std::string().swap(user.policy->resolved_policy);
    } else {
      ASSIGN_OR_RETURN(user.shadow, ReadShadow(tenant));
      std::string().swap(user.shadow->resolved_policy);
    }
  }
  RETURN_IF_ERROR(tx.Commit());
  return users;
}

absl::StatusOr<OriginSetRecord> SqlPolicyStore::PutOriginSet(
    const OriginSetRecord& set, std::optional<int64_t> expected_revision, absl::string_view comment,
    const std::vector<ReresolvedUser>& users, const Actor& actor) {
  absl::MutexLock lock(&mu_);
  SqlTransaction tx(db_.get(), SqlTransaction::Kind::kWrite);
  RETURN_IF_ERROR(tx.status());
  int64_t current = 0;
  bool same_origins = false;
  if (absl::StatusOr<OriginSetRecord> old = ReadOriginSet(set.name); old.ok()) {
    current = old->revision;
    same_origins = old->origins == set.origins;
  } else if (old.status().code() != absl::StatusCode::kNotFound) {
    return old.status();
  }
  if (expected_revision.has_value() && *expected_revision != current) {
    return absl::AbortedError(absl::StrCat(
        "expected revision ", *expected_revision, " but origin set \"", set.name, "\" ",
        current == 0 ? "does not exist" : absl::StrCat("is at revision ", current),
        "; someone else changed it: fetch it again (corsctl originset get ", set.name,
        ") and re-apply your change"));
  }

  // The users resolved must be exactly the users now: the same (tenant,
  // kind) references, the same policies and shadows, the same other sets.
  const absl::Status moved =
      RetryableAborted(absl::StrCat("the policies referencing origin set \"", set.name,
                                    "\" changed while the change was being validated"));
  ASSIGN_OR_RETURN(SqlRows refs, db_->Query("SELECT tenant, kind FROM origin_set_refs "
                                            "WHERE set_name = ?",
                                            {set.name}));
  absl::flat_hash_set<std::pair<std::string, std::string>> now;
  // Only the description changes: every resolved form stays as it is.
  if (!same_origins) {
    for (SqlRow& ref : refs) now.emplace(ref.TakeText(0), ref.TakeText(1));
  }
  absl::flat_hash_set<std::pair<std::string, std::string>> claimed;
  for (const ReresolvedUser& user : users) {
    if (user.policy_revision > 0) {
      claimed.emplace(user.tenant, "policy");
      ASSIGN_OR_RETURN(TenantRecord record, ReadTenant(user.tenant));
      if (record.policy_revision != user.policy_revision) return moved;
      ASSIGN_OR_RETURN(PolicyRevisionRecord stored,
                       ReadRevision(user.tenant, user.policy_revision));
      if (stored.policy != user.policy_written) return moved;
    }
    if (user.shadow_updated_at.has_value()) {
      claimed.emplace(user.tenant, "shadow");
      absl::StatusOr<ShadowPolicyRecord> shadow = ReadShadow(user.tenant);
      if (!shadow.ok() || shadow->updated_at != *user.shadow_updated_at ||
          shadow->policy != user.shadow_written) {
        return moved;
      }
    }
    RETURN_IF_ERROR(CheckSetsCurrent(user.other_sets));
  }
  if (claimed != now) return moved;

  OriginSetRecord written = set;
  written.revision = current + 1;
  written.updated_at = absl::FromUnixMicros(absl::ToUnixMicros(absl::Now()));
  written.updated_by = actor.label;
  RETURN_IF_ERROR(db_->Execute("DELETE FROM origin_sets WHERE name = ?", {written.name}).status());
  RETURN_IF_ERROR(
      db_->Execute("INSERT INTO origin_sets (name, origins, description, revision, "
                   "updated_at_us, updated_by) VALUES (?, ?, ?, ?, ?, ?)",
                   {written.name, JoinOrigins(written.origins), written.description,
                    written.revision, absl::ToUnixMicros(written.updated_at), written.updated_by})
          .status());
  const std::string why = absl::StrCat("origin set ", written.name, " revision ", written.revision);
  RETURN_IF_ERROR(
      AppendAudit({.time = written.updated_at,
                   .actor = actor.label,
                   .action = "PutOriginSet",
                   .revision = written.revision,
                   .detail = comment.empty() ? why : absl::StrCat(why, ": ", comment)}));
  const std::string note = comment.empty() ? why : absl::StrCat(why, "; ", comment);
  for (const ReresolvedUser& user : users) {
    if (user.policy_revision > 0) {
      ASSIGN_OR_RETURN(PolicyRevisionRecord now, ReadRevision(user.tenant, user.policy_revision));
      RETURN_IF_ERROR(AppendRevision(user.tenant,
                                     PolicyContent(std::move(now.policy), user.policy_resolved, {}),
                                     user.policy_revision, note, "PutOriginSet", actor,
                                     SetRefs::kKeep)
                          .status());
    }
    if (user.shadow_updated_at.has_value()) {
      RETURN_IF_ERROR(db_->Execute("UPDATE shadow_policies SET resolved_policy = ? "
                                   "WHERE tenant = ? AND updated_at_us = ?",
                                   {SqlBytes{user.shadow_resolved}, user.tenant,
                                    absl::ToUnixMicros(*user.shadow_updated_at)})
                          .status());
      // Combined with the policy: both must still fit one watch event.
      RETURN_IF_ERROR(CheckCombinedSize(
          0,
          "SELECT (SELECT length(s.policy) + COALESCE(length(s.resolved_policy), 0) FROM "
          "shadow_policies s WHERE s.tenant = ?) + COALESCE((SELECT length(r.policy) + "
          "COALESCE(length(r.resolved_policy), 0) FROM policy_revisions r JOIN tenants t ON "
          "t.name = r.tenant AND t.current_revision = r.revision WHERE r.tenant = ?), 0)",
          {user.tenant, user.tenant}));
      RETURN_IF_ERROR(AppendChange(user.tenant, ChangeKind::kTenant, 0));
    }
  }
  RETURN_IF_ERROR(tx.Commit());
  return written;
}

absl::Status SqlPolicyStore::DeleteOriginSet(absl::string_view name, const Actor& actor) {
  absl::MutexLock lock(&mu_);
  SqlTransaction tx(db_.get(), SqlTransaction::Kind::kWrite);
  RETURN_IF_ERROR(tx.status());
  ASSIGN_OR_RETURN(OriginSetRecord set, ReadOriginSet(name));
  ASSIGN_OR_RETURN(SqlRows refs, db_->Query("SELECT DISTINCT tenant FROM origin_set_refs "
                                            "WHERE set_name = ? ORDER BY tenant",
                                            {std::string(name)}));
  if (!refs.empty()) {
    std::vector<std::string> tenants;
    tenants.reserve(refs.size());
    for (const SqlRow& row : refs) tenants.push_back(row.Text(0));
    return absl::FailedPreconditionError(absl::StrCat(
        "origin set \"", name, "\" is referenced by the policy or shadow of ", tenants.size(),
        tenants.size() == 1 ? " tenant: " : " tenants: ", NameSome(tenants), "; remove `@", name,
        "` from them first"));
  }
  RETURN_IF_ERROR(db_->Execute("DELETE FROM origin_sets WHERE name = ?", {set.name}).status());
  RETURN_IF_ERROR(AppendAudit({.time = absl::Now(),
                               .actor = actor.label,
                               .action = "DeleteOriginSet",
                               .revision = set.revision,
                               .detail = absl::StrCat("origin set ", set.name)}));
  return tx.Commit();
}

}  // namespace corsd::store
