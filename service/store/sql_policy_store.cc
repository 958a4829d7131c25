// SqlPolicyStore: opening, shared helpers, health. The operations live in
// sql_tenants.cc, sql_policies.cc, sql_audit_tokens.cc and sql_change_feed.cc.
#include "service/store/sql_policy_store.h"

#include "absl/strings/str_cat.h"
#include "service/common/status_macros.h"
#include "service/store/postgres_sql_connection.h"
#include "service/store/sqlite_sql_connection.h"

namespace corsd::store {

absl::StatusOr<std::unique_ptr<SqlPolicyStore>> SqlPolicyStore::Open(
    std::unique_ptr<SqlConnection> db, const std::vector<Migration>& migrations,
    const StoreOpenOptions& options) {
  ASSIGN_OR_RETURN(MigrationResult result,
                   ApplyMigrations(db.get(), migrations, options.apply_migrations));
  const int needed = migrations.empty() ? 0 : migrations.back().version;
  if (result.current_version < needed) {
    return absl::FailedPreconditionError(absl::StrCat(
        db->Describe(), " is at schema version ", result.current_version, " but this corsd needs ",
        needed, "; run `corsd migrate` with the same --db/--store"));
  }
  // The first HasExternalChanges() call compares against this point.
  ASSIGN_OR_RETURN(bool ignored, db->HasExternalChanges());
  (void)ignored;
  return std::unique_ptr<SqlPolicyStore>(
      new SqlPolicyStore(std::move(db), std::move(result), options.compaction_batch_rows));
}

absl::StatusOr<std::unique_ptr<SqlPolicyStore>> OpenSqliteStore(const std::string& path,
                                                                const StoreOpenOptions& options) {
  ASSIGN_OR_RETURN(std::unique_ptr<SqliteSqlConnection> db,
                   SqliteSqlConnection::Open(path, options.busy_timeout));
  return SqlPolicyStore::Open(std::move(db), SqliteMigrations(), options);
}

absl::StatusOr<std::unique_ptr<SqlPolicyStore>> OpenPostgresStore(const std::string& url,
                                                                  const StoreOpenOptions& options) {
  ASSIGN_OR_RETURN(std::unique_ptr<PostgresSqlConnection> db, PostgresSqlConnection::Open(url));
  return SqlPolicyStore::Open(std::move(db), PostgresMigrations(), options);
}

absl::Status SqlPolicyStore::Ping() {
  absl::MutexLock lock(&mu_);
  return db_->Ping();
}

absl::StatusOr<TenantRecord> SqlPolicyStore::ReadTenant(absl::string_view name) {
  ASSIGN_OR_RETURN(SqlRows rows,
                   db_->Query("SELECT name, description, created_at_us, current_revision "
                              "FROM tenants WHERE name = ?",
                              {std::string(name)}));
  if (rows.empty()) {
    return absl::NotFoundError(absl::StrCat(
        "tenant \"", name, "\" does not exist (list tenants with `corsctl tenant list`)"));
  }
  TenantRecord tenant{.name = rows[0].Text(0),
                      .description = rows[0].Text(1),
                      .created_at = absl::FromUnixMicros(rows[0].Int(2)),
                      .policy_revision = rows[0].Int(3)};
  ASSIGN_OR_RETURN(tenant.hosts, ReadHosts(name));
  return tenant;
}

absl::StatusOr<std::vector<std::string>> SqlPolicyStore::ReadHosts(absl::string_view tenant) {
  ASSIGN_OR_RETURN(SqlRows rows, db_->Query("SELECT host FROM tenant_hosts WHERE tenant = ? "
                                            "ORDER BY host",
                                            {std::string(tenant)}));
  std::vector<std::string> hosts;
  hosts.reserve(rows.size());
  for (const SqlRow& row : rows) hosts.push_back(row.Text(0));
  return hosts;
}

absl::StatusOr<PolicyRevisionRecord> SqlPolicyStore::ReadRevision(absl::string_view tenant,
                                                                  int64_t revision) {
  ASSIGN_OR_RETURN(SqlRows rows,
                   db_->Query("SELECT policy, updated_at_us, updated_by, comment, resolved_policy "
                              "FROM policy_revisions WHERE tenant = ? AND revision = ?",
                              {std::string(tenant), revision}));
  if (rows.empty()) {
    return absl::NotFoundError(absl::StrCat("tenant \"", tenant, "\" has no policy revision ",
                                            revision, " (see `corsctl policy history ", tenant,
                                            "`)"));
  }
  return PolicyRevisionRecord{.tenant = std::string(tenant),
                              .revision = revision,
                              .policy = rows[0].Bytes(0),
                              .resolved_policy = rows[0].Bytes(4),
                              .updated_at = absl::FromUnixMicros(rows[0].Int(1)),
                              .updated_by = rows[0].Text(2),
                              .comment = rows[0].Text(3)};
}

absl::StatusOr<TenantState> SqlPolicyStore::ReadTenantState(absl::string_view tenant) {
  TenantState state;
  ASSIGN_OR_RETURN(state.tenant, ReadTenant(tenant));
  if (state.tenant.policy_revision > 0) {
    ASSIGN_OR_RETURN(state.policy, ReadRevision(tenant, state.tenant.policy_revision));
  }
  absl::StatusOr<ShadowPolicyRecord> shadow = ReadShadow(tenant);
  if (shadow.ok()) {
    state.shadow = *std::move(shadow);
  } else if (shadow.status().code() != absl::StatusCode::kNotFound) {
    return shadow.status();
  }
  return state;
}

absl::Status SqlPolicyStore::AppendChange(absl::string_view tenant, ChangeKind kind,
                                          int64_t revision) {
  RETURN_IF_ERROR(db_->Execute("INSERT INTO changes (tenant, kind, revision, committed_at_us) "
                               "VALUES (?, ?, ?, ?)",
                               {std::string(tenant), std::string(ChangeKindName(kind)), revision,
                                absl::ToUnixMicros(absl::Now())})
                      .status());
  return db_->AnnounceChange(tenant, revision);
}

absl::Status SqlPolicyStore::AppendAudit(const AuditRecord& event) {
  return db_
      ->Execute(
          "INSERT INTO audit_events (time_us, actor, action, tenant, revision, detail) "
          "VALUES (?, ?, ?, ?, ?, ?)",
          {absl::ToUnixMicros(event.time), BoundedAuditValue(event.actor),
           BoundedAuditValue(event.action), BoundedAuditValue(event.tenant), event.revision,
           BoundedAuditValue(event.detail)})
      .status();
}

}  // namespace corsd::store
