// SqlitePolicyStore: the change feed other processes follow, and full loads.
#include "absl/strings/str_cat.h"
#include "service/common/status_macros.h"
#include "service/store/sqlite_policy_store.h"

namespace corsd::store {

absl::StatusOr<std::vector<ChangeRecord>> SqlitePolicyStore::ListChanges(int64_t after,
                                                                         int limit) {
  absl::MutexLock lock(&mu_);
  SqliteStatement s = db_->Prepare(
      "SELECT seq, tenant, kind, revision FROM changes WHERE seq > ? ORDER BY seq LIMIT ?");
  s.Bind(after).Bind(limit);
  std::vector<ChangeRecord> changes;
  while (true) {
    ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    std::optional<ChangeKind> kind = ParseChangeKind(s.Text(2));
    if (!kind) return absl::DataLossError(absl::StrCat("unknown change kind ", s.Text(2)));
    changes.push_back({.seq = s.Int(0), .tenant = s.Text(1), .kind = *kind, .revision = s.Int(3)});
  }
  return changes;
}

absl::StatusOr<int64_t> SqlitePolicyStore::LatestChangeSeq() {
  absl::MutexLock lock(&mu_);
  SqliteStatement s = db_->Prepare("SELECT COALESCE(MAX(seq), 0) FROM changes");
  ASSIGN_OR_RETURN(bool row, s.Step());
  return row ? s.Int(0) : 0;
}

absl::StatusOr<TenantState> SqlitePolicyStore::LoadTenantState(absl::string_view tenant) {
  absl::MutexLock lock(&mu_);
  return ReadTenantState(tenant);
}

absl::StatusOr<std::vector<TenantState>> SqlitePolicyStore::LoadAllTenantStates() {
  absl::MutexLock lock(&mu_);
  // One read transaction, so every tenant comes from the same commit.
  RETURN_IF_ERROR(db_->Execute("BEGIN"));
  struct EndRead {
    SqliteConnection* db;
    ~EndRead() { db->Execute("COMMIT").IgnoreError(); }
  } end_read{db_.get()};

  std::vector<TenantState> states;
  {
    SqliteStatement s =
        db_->Prepare("SELECT name, description, created_at_us, current_revision FROM tenants");
    while (true) {
      ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) break;
      TenantState& state = states.emplace_back();
      state.tenant.name = s.Text(0);
      state.tenant.description = s.Text(1);
      state.tenant.created_at = absl::FromUnixMicros(s.Int(2));
      state.tenant.policy_revision = s.Int(3);
    }
  }
  for (TenantState& state : states) {
    ASSIGN_OR_RETURN(state.tenant.hosts, ReadHosts(state.tenant.name));
    if (state.tenant.policy_revision > 0) {
      ASSIGN_OR_RETURN(state.policy, ReadRevision(state.tenant.name, state.tenant.policy_revision));
    }
  }
  return states;
}

absl::StatusOr<bool> SqlitePolicyStore::HasExternalChanges() {
  absl::MutexLock lock(&mu_);
  ASSIGN_OR_RETURN(int64_t version, db_->DataVersion());
  bool changed = version != data_version_;
  data_version_ = version;
  return changed;
}

}  // namespace corsd::store
