// SqlitePolicyStore: tenants and their hosts.
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "service/common/status_macros.h"
#include "service/store/page_token.h"
#include "service/store/sqlite_policy_store.h"

namespace corsd::store {

absl::Status SqlitePolicyStore::CheckHostsFree(absl::string_view tenant,
                                               const std::vector<std::string>& hosts) {
  for (const std::string& host : hosts) {
    SqliteStatement s = db_->Prepare("SELECT tenant FROM tenant_hosts WHERE host = ?");
    s.Bind(host);
    ASSIGN_OR_RETURN(bool row, s.Step());
    if (row && s.Text(0) != tenant) {
      return absl::AlreadyExistsError(absl::StrCat("host \"", host, "\" already belongs to tenant \"",
                                                   s.Text(0), "\"; remove it there first"));
    }
  }
  return absl::OkStatus();
}

absl::Status SqlitePolicyStore::WriteHosts(absl::string_view tenant,
                                           const std::vector<std::string>& hosts) {
  {
    SqliteStatement s = db_->Prepare("DELETE FROM tenant_hosts WHERE tenant = ?");
    s.Bind(tenant);
    RETURN_IF_ERROR(s.Run());
  }
  for (const std::string& host : hosts) {
    SqliteStatement s = db_->Prepare("INSERT INTO tenant_hosts (host, tenant) VALUES (?, ?)");
    s.Bind(host).Bind(tenant);
    RETURN_IF_ERROR(s.Run());
  }
  return absl::OkStatus();
}

absl::StatusOr<TenantRecord> SqlitePolicyStore::CreateTenant(const TenantRecord& tenant,
                                                             const Actor& actor) {
  absl::MutexLock lock(&mu_);
  SqliteTransaction tx(db_.get());
  RETURN_IF_ERROR(tx.status());
  {
    SqliteStatement s = db_->Prepare("SELECT 1 FROM tenants WHERE name = ?");
    s.Bind(tenant.name);
    ASSIGN_OR_RETURN(bool exists, s.Step());
    if (exists) {
      return absl::AlreadyExistsError(absl::StrCat("tenant \"", tenant.name, "\" already exists"));
    }
  }
  RETURN_IF_ERROR(CheckHostsFree(tenant.name, tenant.hosts));
  const absl::Time now = absl::Now();
  {
    SqliteStatement s = db_->Prepare(
        "INSERT INTO tenants (name, description, created_at_us) VALUES (?, ?, ?)");
    s.Bind(tenant.name).Bind(tenant.description).Bind(absl::ToUnixMicros(now));
    RETURN_IF_ERROR(s.Run());
  }
  RETURN_IF_ERROR(WriteHosts(tenant.name, tenant.hosts));
  RETURN_IF_ERROR(AppendChange(tenant.name, ChangeKind::kTenant, 0));
  RETURN_IF_ERROR(AppendAudit({.time = now,
                               .actor = actor.label,
                               .action = "CreateTenant",
                               .tenant = tenant.name,
                               .detail = absl::StrCat("hosts=", absl::StrJoin(tenant.hosts, ","))}));
  ASSIGN_OR_RETURN(TenantRecord created, ReadTenant(tenant.name));
  RETURN_IF_ERROR(tx.Commit());
  return created;
}

absl::StatusOr<TenantRecord> SqlitePolicyStore::GetTenant(absl::string_view name) {
  absl::MutexLock lock(&mu_);
  return ReadTenant(name);
}

absl::StatusOr<Page<TenantRecord>> SqlitePolicyStore::ListTenants(const PageRequest& page) {
  ASSIGN_OR_RETURN(int32_t size, EffectivePageSize(page.page_size));
  ASSIGN_OR_RETURN(std::string after, DecodePageToken("tenants", page.page_token));
  absl::MutexLock lock(&mu_);
  std::vector<std::string> names;
  {
    SqliteStatement s =
        db_->Prepare("SELECT name FROM tenants WHERE name > ? ORDER BY name LIMIT ?");
    s.Bind(after).Bind(size + 1);
    while (true) {
      ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) break;
      names.push_back(s.Text(0));
    }
  }
  Page<TenantRecord> result;
  for (size_t i = 0; i < names.size() && i < static_cast<size_t>(size); ++i) {
    ASSIGN_OR_RETURN(TenantRecord tenant, ReadTenant(names[i]));
    result.items.push_back(std::move(tenant));
  }
  if (names.size() > static_cast<size_t>(size)) {
    result.next_page_token = EncodePageToken("tenants", result.items.back().name);
  }
  return result;
}

absl::StatusOr<TenantRecord> SqlitePolicyStore::UpdateTenant(const TenantRecord& tenant,
                                                             const Actor& actor) {
  absl::MutexLock lock(&mu_);
  SqliteTransaction tx(db_.get());
  RETURN_IF_ERROR(tx.status());
  RETURN_IF_ERROR(ReadTenant(tenant.name).status());
  RETURN_IF_ERROR(CheckHostsFree(tenant.name, tenant.hosts));
  {
    SqliteStatement s = db_->Prepare("UPDATE tenants SET description = ? WHERE name = ?");
    s.Bind(tenant.description).Bind(tenant.name);
    RETURN_IF_ERROR(s.Run());
  }
  RETURN_IF_ERROR(WriteHosts(tenant.name, tenant.hosts));
  RETURN_IF_ERROR(AppendChange(tenant.name, ChangeKind::kTenant, 0));
  RETURN_IF_ERROR(AppendAudit({.time = absl::Now(),
                               .actor = actor.label,
                               .action = "UpdateTenant",
                               .tenant = tenant.name,
                               .detail = absl::StrCat("hosts=", absl::StrJoin(tenant.hosts, ","))}));
  ASSIGN_OR_RETURN(TenantRecord updated, ReadTenant(tenant.name));
  RETURN_IF_ERROR(tx.Commit());
  return updated;
}

absl::Status SqlitePolicyStore::DeleteTenant(absl::string_view name, const Actor& actor) {
  absl::MutexLock lock(&mu_);
  SqliteTransaction tx(db_.get());
  RETURN_IF_ERROR(tx.status());
  ASSIGN_OR_RETURN(TenantRecord tenant, ReadTenant(name));
  {
    SqliteStatement s = db_->Prepare("DELETE FROM tenants WHERE name = ?");
    s.Bind(name);
    RETURN_IF_ERROR(s.Run());
  }
  RETURN_IF_ERROR(AppendChange(name, ChangeKind::kDeleted, 0));
  RETURN_IF_ERROR(AppendAudit({.time = absl::Now(),
                               .actor = actor.label,
                               .action = "DeleteTenant",
                               .tenant = std::string(name),
                               .revision = tenant.policy_revision,
                               .detail = absl::StrCat("deleted ", tenant.policy_revision,
                                                      " policy revisions")}));
  return tx.Commit();
}

}  // namespace corsd::store
