// SqlPolicyStore: tenants and their hosts.
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "service/common/status_macros.h"
#include "service/store/page_token.h"
#include "service/store/sql_policy_store.h"

namespace corsd::store {

absl::Status SqlPolicyStore::CheckHostsFree(absl::string_view tenant,
                                            const std::vector<std::string>& hosts) {
  for (const std::string& host : hosts) {
    ASSIGN_OR_RETURN(SqlRows rows,
                     db_->Query("SELECT tenant FROM tenant_hosts WHERE host = ?", {host}));
    if (!rows.empty() && rows[0].Text(0) != tenant) {
      return absl::AlreadyExistsError(absl::StrCat("host \"", host,
                                                   "\" already belongs to tenant \"",
                                                   rows[0].Text(0), "\"; remove it there first"));
    }
  }
  return absl::OkStatus();
}

absl::Status SqlPolicyStore::WriteHosts(absl::string_view tenant,
                                        const std::vector<std::string>& hosts) {
  RETURN_IF_ERROR(
      db_->Execute("DELETE FROM tenant_hosts WHERE tenant = ?", {std::string(tenant)}).status());
  for (const std::string& host : hosts) {
    RETURN_IF_ERROR(db_->Execute("INSERT INTO tenant_hosts (host, tenant) VALUES (?, ?)",
                                 {host, std::string(tenant)})
                        .status());
  }
  return absl::OkStatus();
}

absl::StatusOr<TenantRecord> SqlPolicyStore::CreateTenant(const TenantRecord& tenant,
                                                          const Actor& actor) {
  absl::MutexLock lock(&mu_);
  SqlTransaction tx(db_.get(), SqlTransaction::Kind::kWrite);
  RETURN_IF_ERROR(tx.status());
  ASSIGN_OR_RETURN(SqlRows existing,
                   db_->Query("SELECT 1 FROM tenants WHERE name = ?", {tenant.name}));
  if (!existing.empty()) {
    return absl::AlreadyExistsError(absl::StrCat("tenant \"", tenant.name, "\" already exists"));
  }
  RETURN_IF_ERROR(CheckHostsFree(tenant.name, tenant.hosts));
  const absl::Time now = absl::Now();
  RETURN_IF_ERROR(db_->Execute("INSERT INTO tenants (name, description, created_at_us) "
                               "VALUES (?, ?, ?)",
                               {tenant.name, tenant.description, absl::ToUnixMicros(now)})
                      .status());
  RETURN_IF_ERROR(WriteHosts(tenant.name, tenant.hosts));
  RETURN_IF_ERROR(AppendChange(tenant.name, ChangeKind::kTenant, 0));
  RETURN_IF_ERROR(
      AppendAudit({.time = now,
                   .actor = actor.label,
                   .action = "CreateTenant",
                   .tenant = tenant.name,
                   .detail = absl::StrCat("hosts=", absl::StrJoin(tenant.hosts, ","))}));
  ASSIGN_OR_RETURN(TenantRecord created, ReadTenant(tenant.name));
  RETURN_IF_ERROR(tx.Commit());
  return created;
}

absl::StatusOr<TenantRecord> SqlPolicyStore::GetTenant(absl::string_view name) {
  absl::MutexLock lock(&mu_);
  return ReadTenant(name);
}

absl::StatusOr<Page<TenantRecord>> SqlPolicyStore::ListTenants(const PageRequest& page) {
  ASSIGN_OR_RETURN(int32_t size, EffectivePageSize(page.page_size));
  ASSIGN_OR_RETURN(std::string after, DecodePageToken("tenants", page.page_token));
  absl::MutexLock lock(&mu_);
  ASSIGN_OR_RETURN(SqlRows names, db_->Query("SELECT name FROM tenants WHERE name > ? "
                                             "ORDER BY name LIMIT ?",
                                             {after, int64_t{size} + 1}));
  Page<TenantRecord> result;
  for (size_t i = 0; i < names.size() && i < static_cast<size_t>(size); ++i) {
    ASSIGN_OR_RETURN(TenantRecord tenant, ReadTenant(names[i].Text(0)));
    result.items.push_back(std::move(tenant));
  }
  if (names.size() > static_cast<size_t>(size)) {
    result.next_page_token = EncodePageToken("tenants", result.items.back().name);
  }
  return result;
}

absl::StatusOr<TenantRecord> SqlPolicyStore::UpdateTenant(const TenantRecord& tenant,
                                                          const Actor& actor) {
  absl::MutexLock lock(&mu_);
  SqlTransaction tx(db_.get(), SqlTransaction::Kind::kWrite);
  RETURN_IF_ERROR(tx.status());
  RETURN_IF_ERROR(ReadTenant(tenant.name).status());
  RETURN_IF_ERROR(CheckHostsFree(tenant.name, tenant.hosts));
  RETURN_IF_ERROR(db_->Execute("UPDATE tenants SET description = ? WHERE name = ?",
                               {tenant.description, tenant.name})
                      .status());
  RETURN_IF_ERROR(WriteHosts(tenant.name, tenant.hosts));
  RETURN_IF_ERROR(AppendChange(tenant.name, ChangeKind::kTenant, 0));
  RETURN_IF_ERROR(
      AppendAudit({.time = absl::Now(),
                   .actor = actor.label,
                   .action = "UpdateTenant",
                   .tenant = tenant.name,
                   .detail = absl::StrCat("hosts=", absl::StrJoin(tenant.hosts, ","))}));
  ASSIGN_OR_RETURN(TenantRecord updated, ReadTenant(tenant.name));
  RETURN_IF_ERROR(tx.Commit());
  return updated;
}

absl::Status SqlPolicyStore::DeleteTenant(absl::string_view name, const Actor& actor) {
  absl::MutexLock lock(&mu_);
  SqlTransaction tx(db_.get(), SqlTransaction::Kind::kWrite);
  RETURN_IF_ERROR(tx.status());
  ASSIGN_OR_RETURN(TenantRecord tenant, ReadTenant(name));
  RETURN_IF_ERROR(db_->Execute("DELETE FROM tenants WHERE name = ?", {std::string(name)}).status());
  RETURN_IF_ERROR(AppendChange(name, ChangeKind::kDeleted, 0));
  // Tokens are bound to a tenant by name; a tenant created later under the
  // same name must not inherit them.
  ASSIGN_OR_RETURN(int64_t revoked_tokens,
                   db_->Execute("UPDATE api_tokens SET revoked_at_us = ? "
                                "WHERE tenant = ? AND revoked_at_us = 0",
                                {absl::ToUnixMicros(absl::Now()), std::string(name)}));
  if (revoked_tokens > 0) RETURN_IF_ERROR(AppendChange("", ChangeKind::kTokens, 0));
  RETURN_IF_ERROR(AppendAudit(
      {.time = absl::Now(),
       .actor = actor.label,
       .action = "DeleteTenant",
       .tenant = std::string(name),
       .revision = tenant.policy_revision,
       .detail = absl::StrCat("deleted ", tenant.policy_revision, " policy revisions, revoked ",
                              revoked_tokens, " tokens bound to it")}));
  return tx.Commit();
}

}  // namespace corsd::store
