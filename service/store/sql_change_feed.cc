// SqlPolicyStore: the change feed other processes follow, and full loads.
#include <algorithm>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "service/common/status_macros.h"
#include "service/store/sql_policy_store.h"

namespace corsd::store {

absl::StatusOr<int64_t> SqlPolicyStore::ReadFeedFloor() {
  ASSIGN_OR_RETURN(SqlRows rows, db_->Query("SELECT pruned_through FROM change_feed_floor", {}));
  return rows.empty() ? 0 : rows[0].Int(0);
}

absl::StatusOr<std::vector<ChangeRecord>> SqlPolicyStore::ListChanges(int64_t after, int limit) {
  absl::MutexLock lock(&mu_);
  ASSIGN_OR_RETURN(SqlRows rows,
                   db_->Query("SELECT seq, tenant, kind, revision FROM changes WHERE seq > ? "
                              "ORDER BY seq LIMIT ?",
                              {after, int64_t{limit}}));
  // The floor is read after the rows (no transaction needed): compaction
  // raises it in the same commit that deletes, so rows missing from the read
  // above always show here. A compaction in between may only make this
  // report a gap the rows above did not have, which costs a reload.
  ASSIGN_OR_RETURN(int64_t floor, ReadFeedFloor());
  if (after < floor) {
    return absl::OutOfRangeError(absl::StrCat("the change feed was compacted through change ",
                                              floor, " and this process read only to ", after,
                                              ": reload every tenant"));
  }
  std::vector<ChangeRecord> changes;
  changes.reserve(rows.size());
  for (const SqlRow& row : rows) {
    std::optional<ChangeKind> kind = ParseChangeKind(row.Text(2));
    if (!kind) return absl::DataLossError(absl::StrCat("unknown change kind ", row.Text(2)));
    changes.push_back(
        {.seq = row.Int(0), .tenant = row.Text(1), .kind = *kind, .revision = row.Int(3)});
  }
  return changes;
}

absl::StatusOr<int64_t> SqlPolicyStore::LatestChangeSeq() {
  absl::MutexLock lock(&mu_);
  ASSIGN_OR_RETURN(SqlRows rows, db_->Query("SELECT COALESCE(MAX(seq), 0) FROM changes", {}));
  // Compaction may have emptied the feed: the position is then its floor.
  ASSIGN_OR_RETURN(int64_t floor, ReadFeedFloor());
  return std::max(rows.empty() ? 0 : rows[0].Int(0), floor);
}

absl::StatusOr<TenantState> SqlPolicyStore::LoadTenantState(absl::string_view tenant) {
  absl::MutexLock lock(&mu_);
  return ReadTenantState(tenant);
}

absl::StatusOr<std::vector<TenantState>> SqlPolicyStore::LoadAllTenantStates() {
  absl::MutexLock lock(&mu_);
  // One read transaction, so every tenant comes from the same commit.
  SqlTransaction tx(db_.get(), SqlTransaction::Kind::kRead);
  RETURN_IF_ERROR(tx.status());
  ASSIGN_OR_RETURN(SqlRows tenants,
                   db_->Query("SELECT name, description, created_at_us, current_revision "
                              "FROM tenants",
                              {}));
  ASSIGN_OR_RETURN(SqlRows hosts,
                   db_->Query("SELECT tenant, host FROM tenant_hosts ORDER BY host", {}));
  ASSIGN_OR_RETURN(SqlRows policies,
                   db_->Query("SELECT r.tenant, r.revision, r.policy, r.updated_at_us, "
                              "r.updated_by, r.comment FROM policy_revisions r JOIN tenants t "
                              "ON r.tenant = t.name AND r.revision = t.current_revision",
                              {}));
  std::vector<TenantState> states;
  states.reserve(tenants.size());
  absl::flat_hash_map<std::string, size_t> index;
  index.reserve(tenants.size());
  for (SqlRow& row : tenants) {
    index[row.Text(0)] = states.size();
    TenantState& state = states.emplace_back();
    state.tenant = {.name = row.TakeText(0),
                    .description = row.TakeText(1),
                    .created_at = absl::FromUnixMicros(row.Int(2)),
                    .policy_revision = row.Int(3)};
  }
  for (SqlRow& row : hosts) {
    if (auto it = index.find(row.Text(0)); it != index.end()) {
      states[it->second].tenant.hosts.push_back(row.TakeText(1));
    }
  }
  hosts.clear();
  for (SqlRow& row : policies) {
    if (auto it = index.find(row.Text(0)); it != index.end()) {
      states[it->second].policy =
          PolicyRevisionRecord{.tenant = row.TakeText(0),
                               .revision = row.Int(1),
                               .policy = row.TakeBytes(2),
                               .updated_at = absl::FromUnixMicros(row.Int(3)),
                               .updated_by = row.TakeText(4),
                               .comment = row.TakeText(5)};
    }
  }
  RETURN_IF_ERROR(tx.Commit());
  return states;
}

absl::StatusOr<bool> SqlPolicyStore::HasExternalChanges() {
  absl::MutexLock lock(&mu_);
  return db_->HasExternalChanges();
}

}  // namespace corsd::store
