// SqlitePolicyStore: opening, shared helpers, and health. The operations
// live in sqlite_tenants.cc, sqlite_policies.cc, sqlite_audit_tokens.cc and
// sqlite_change_feed.cc.
#include "service/store/sqlite_policy_store.h"

#include "absl/strings/str_cat.h"
#include "service/common/status_macros.h"

namespace corsd::store {

absl::StatusOr<std::unique_ptr<SqlitePolicyStore>> SqlitePolicyStore::Open(
    const std::string& path, Options options) {
  SqliteConnection::Options connection_options;
  connection_options.busy_timeout = options.busy_timeout;
  ASSIGN_OR_RETURN(std::unique_ptr<SqliteConnection> db,
                   SqliteConnection::Open(path, connection_options));
  std::unique_ptr<SqlitePolicyStore> store(new SqlitePolicyStore(path, std::move(db)));
  absl::MutexLock lock(&store->mu_);
  if (options.apply_migrations) {
    ASSIGN_OR_RETURN(store->migrations_, ApplySqliteMigrations(store->db_.get(), SqliteMigrations()));
  } else {
    // Still refuse a newer schema, and a database that was never migrated.
    ASSIGN_OR_RETURN(store->migrations_, ApplySqliteMigrations(store->db_.get(), {}));
    if (store->migrations_.current_version < SqliteMigrations().back().version) {
      return absl::FailedPreconditionError(absl::StrCat(
          "database ", path, " is at schema version ", store->migrations_.current_version,
          " but this corsd needs ", SqliteMigrations().back().version,
          "; run `corsd migrate --db ", path, "`"));
    }
  }
  ASSIGN_OR_RETURN(store->data_version_, store->db_->DataVersion());
  return store;
}

absl::Status SqlitePolicyStore::Ping() {
  absl::MutexLock lock(&mu_);
  SqliteStatement s = db_->Prepare("SELECT 1");
  return s.Run();
}

absl::StatusOr<TenantRecord> SqlitePolicyStore::ReadTenant(absl::string_view name) {
  TenantRecord tenant;
  {
    SqliteStatement s = db_->Prepare(
        "SELECT name, description, created_at_us, current_revision FROM tenants WHERE name = ?");
    s.Bind(name);
    ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) {
      return absl::NotFoundError(absl::StrCat(
          "tenant \"", name, "\" does not exist (list tenants with `corsctl tenant list`)"));
    }
    tenant.name = s.Text(0);
    tenant.description = s.Text(1);
    tenant.created_at = absl::FromUnixMicros(s.Int(2));
    tenant.policy_revision = s.Int(3);
  }
  ASSIGN_OR_RETURN(tenant.hosts, ReadHosts(name));
  return tenant;
}

absl::StatusOr<std::vector<std::string>> SqlitePolicyStore::ReadHosts(absl::string_view tenant) {
  std::vector<std::string> hosts;
  SqliteStatement s = db_->Prepare("SELECT host FROM tenant_hosts WHERE tenant = ? ORDER BY host");
  s.Bind(tenant);
  while (true) {
    ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    hosts.push_back(s.Text(0));
  }
  return hosts;
}

absl::StatusOr<PolicyRevisionRecord> SqlitePolicyStore::ReadRevision(absl::string_view tenant,
                                                                     int64_t revision) {
  SqliteStatement s = db_->Prepare(
      "SELECT policy, updated_at_us, updated_by, comment FROM policy_revisions "
      "WHERE tenant = ? AND revision = ?");
  s.Bind(tenant).Bind(revision);
  ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row) {
    return absl::NotFoundError(
        absl::StrCat("tenant \"", tenant, "\" has no policy revision ", revision,
                     " (see `corsctl policy history ", tenant, "`)"));
  }
  PolicyRevisionRecord record;
  record.tenant = std::string(tenant);
  record.revision = revision;
  record.policy = s.Blob(0);
  record.updated_at = absl::FromUnixMicros(s.Int(1));
  record.updated_by = s.Text(2);
  record.comment = s.Text(3);
  return record;
}

absl::Status SqlitePolicyStore::AppendChange(absl::string_view tenant, ChangeKind kind,
                                             int64_t revision) {
  SqliteStatement s =
      db_->Prepare("INSERT INTO changes (tenant, kind, revision) VALUES (?, ?, ?)");
  s.Bind(tenant).Bind(ChangeKindName(kind)).Bind(revision);
  return s.Run();
}

absl::Status SqlitePolicyStore::AppendAudit(const AuditRecord& event) {
  SqliteStatement s = db_->Prepare(
      "INSERT INTO audit_events (time_us, actor, action, tenant, revision, detail) "
      "VALUES (?, ?, ?, ?, ?, ?)");
  s.Bind(absl::ToUnixMicros(event.time))
      .Bind(event.actor)
      .Bind(event.action)
      .Bind(event.tenant)
      .Bind(event.revision)
      .Bind(event.detail);
  return s.Run();
}

absl::StatusOr<TenantState> SqlitePolicyStore::ReadTenantState(absl::string_view tenant) {
  TenantState state;
  ASSIGN_OR_RETURN(state.tenant, ReadTenant(tenant));
  if (state.tenant.policy_revision > 0) {
    ASSIGN_OR_RETURN(state.policy, ReadRevision(tenant, state.tenant.policy_revision));
  }
  return state;
}

}  // namespace corsd::store
