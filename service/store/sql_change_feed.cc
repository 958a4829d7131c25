// SqlPolicyStore: the change feed other processes follow, and full loads.
#include <algorithm>
#include <utility>

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

absl::Status SqlPolicyStore::ScanAllTenantStates(
    size_t batch_size, const std::function<absl::Status(TenantStateBatch)>& consume) {
  batch_size = std::max<size_t>(1, batch_size);
  absl::MutexLock lock(&mu_);
  // One read transaction, so every tenant comes from the same commit.
  SqlTransaction tx(db_.get(), SqlTransaction::Kind::kRead);
  RETURN_IF_ERROR(tx.status());
  // Hosts first: few and short. Each tenant's are moved into its state below.
  absl::flat_hash_map<std::string, std::vector<std::string>> hosts;
  RETURN_IF_ERROR(
      db_->QueryEach("SELECT tenant, host FROM tenant_hosts ORDER BY host", {}, [&](SqlRow& row) {
        hosts[row.Text(0)].push_back(row.TakeText(1));
        return absl::OkStatus();
      }));
  // Shadows too: at most one per tenant, and rare.
  absl::flat_hash_map<std::string, ShadowPolicyRecord> shadows;
  RETURN_IF_ERROR(
      db_->QueryEach("SELECT tenant, policy, comment, updated_at_us, updated_by, resolved_policy "
                     "FROM shadow_policies",
                     {}, [&](SqlRow& row) {
                       std::string tenant = row.TakeText(0);
                       shadows[tenant] = {.tenant = tenant,
                                          .policy = row.TakeBytes(1),
                                          .comment = row.TakeText(2),
                                          .updated_at = absl::FromUnixMicros(row.Int(3)),
                                          .updated_by = row.TakeText(4)};
                       shadows[tenant].resolved_policy = row.TakeBytes(5);
                       return absl::OkStatus();
                     }));
  TenantStateBatch batch;
  batch.reserve(batch_size);
  RETURN_IF_ERROR(db_->QueryEach(
      "SELECT t.name, t.description, t.created_at_us, t.current_revision, r.revision, r.policy, "
      "r.updated_at_us, r.updated_by, r.comment, r.resolved_policy "
      "FROM tenants t LEFT JOIN policy_revisions r "
      "ON r.tenant = t.name AND r.revision = t.current_revision",
      {}, [&](SqlRow& row) -> absl::Status {
        TenantState& state = batch.emplace_back();
        state.tenant = {.name = row.TakeText(0),
                        .description = row.TakeText(1),
                        .created_at = absl::FromUnixMicros(row.Int(2)),
                        .policy_revision = row.Int(3)};
        if (auto it = hosts.find(state.tenant.name); it != hosts.end()) {
          state.tenant.hosts = std::move(it->second);
          hosts.erase(it);
        }
        if (auto it = shadows.find(state.tenant.name); it != shadows.end()) {
          state.shadow = std::move(it->second);
          shadows.erase(it);
        }
        // No revision row (NULL, read as 0): the tenant has no policy yet.
        if (const int64_t revision = row.Int(4); revision > 0) {
          state.policy = PolicyRevisionRecord{.tenant = state.tenant.name,
                                              .revision = revision,
                                              .policy = row.TakeBytes(5),
                                              .resolved_policy = row.TakeBytes(9),
                                              .updated_at = absl::FromUnixMicros(row.Int(6)),
                                              .updated_by = row.TakeText(7),
                                              .comment = row.TakeText(8)};
        }
        if (batch.size() < batch_size) return absl::OkStatus();
        absl::Status consumed = consume(std::exchange(batch, TenantStateBatch()));
        batch.reserve(batch_size);
        return consumed;
      }));
  if (!batch.empty()) RETURN_IF_ERROR(consume(std::move(batch)));
  return tx.Commit();
}

absl::StatusOr<bool> SqlPolicyStore::HasExternalChanges() {
  absl::MutexLock lock(&mu_);
  return db_->HasExternalChanges();
}

}  // namespace corsd::store
