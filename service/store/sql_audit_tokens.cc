// SqlPolicyStore: the audit log and API tokens.
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "service/common/status_macros.h"
#include "service/store/api_token.h"
#include "service/store/page_token.h"
#include "service/store/record_limits.h"
#include "service/store/sql_policy_store.h"

namespace corsd::store {
namespace {

constexpr char kTokenColumns[] =
    "id, role, tenant, label, created_at_us, last_used_at_us, revoked_at_us";

TokenRecord ReadToken(const SqlRow& row) {
  TokenRecord token{.id = row.Int(0),
                    .role = ParseRole(row.Text(1)).value_or(Role::kViewer),
                    .tenant = row.Text(2),
                    .label = row.Text(3),
                    .created_at = absl::FromUnixMicros(row.Int(4))};
  if (row.Int(5) != 0) token.last_used_at = absl::FromUnixMicros(row.Int(5));
  if (row.Int(6) != 0) token.revoked_at = absl::FromUnixMicros(row.Int(6));
  return token;
}

}  // namespace

absl::Status SqlPolicyStore::RecordAudit(const AuditRecord& event) {
  absl::MutexLock lock(&mu_);
  return AppendAudit(event);
}

absl::StatusOr<Page<AuditRecord>> SqlPolicyStore::ListAuditEvents(absl::string_view tenant,
                                                                  const PageRequest& page) {
  absl::MutexLock lock(&mu_);
  return ReadAuditPage(tenant, INT64_MIN, page);
}

absl::StatusOr<Page<AuditRecord>> SqlPolicyStore::ListCurrentTenantAuditEvents(
    absl::string_view tenant, const PageRequest& page) {
  absl::MutexLock lock(&mu_);
  // One read transaction: the tenant and its events from the same commit.
  SqlTransaction tx(db_.get(), SqlTransaction::Kind::kRead);
  RETURN_IF_ERROR(tx.status());
  ASSIGN_OR_RETURN(TenantRecord record, ReadTenant(tenant));
  return ReadAuditPage(tenant, absl::ToUnixMicros(record.created_at), page);
}

absl::StatusOr<Page<AuditRecord>> SqlPolicyStore::ReadAuditPage(absl::string_view tenant,
                                                                int64_t since_us,
                                                                const PageRequest& page) {
  ASSIGN_OR_RETURN(int32_t size, EffectivePageSize(page.page_size));
  const std::string list = absl::StrCat("audit/", tenant);
  ASSIGN_OR_RETURN(std::string after, DecodePageToken(list, page.page_token));
  int64_t below = INT64_MAX;
  if (!after.empty() && !absl::SimpleAtoi(after, &below)) {
    return absl::InvalidArgumentError("page_token is corrupt; omit it to start again");
  }
  // Rows are bounded when written (BoundedAuditValue); rows written before
  // that bound existed are cut when read, in the query, so a page never
  // holds more than kMaxPageSize x 4 x kMaxAuditFieldBytes of text.
  static const std::string query =
      absl::StrCat("SELECT id, time_us, substr(actor, 1, ", kMaxAuditFieldBytes,
                   "), substr(action, 1, ", kMaxAuditFieldBytes, "), substr(tenant, 1, ",
                   kMaxAuditFieldBytes, "), revision, substr(detail, 1, ", kMaxAuditFieldBytes,
                   ") FROM audit_events WHERE (? = '' OR tenant = ?) AND id < ? AND time_us >= ? "
                   "ORDER BY id DESC LIMIT ?");
  ASSIGN_OR_RETURN(SqlRows rows, db_->Query(query, {std::string(tenant), std::string(tenant), below,
                                                    since_us, int64_t{size} + 1}));
  Page<AuditRecord> result;
  for (size_t i = 0; i < rows.size() && i < static_cast<size_t>(size); ++i) {
    const SqlRow& row = rows[i];
    // substr() counts characters; BoundedAuditValue makes it bytes.
    result.items.push_back({.id = row.Int(0),
                            .time = absl::FromUnixMicros(row.Int(1)),
                            .actor = BoundedAuditValue(row.Text(2)),
                            .action = BoundedAuditValue(row.Text(3)),
                            .tenant = BoundedAuditValue(row.Text(4)),
                            .revision = row.Int(5),
                            .detail = BoundedAuditValue(row.Text(6))});
  }
  if (rows.size() > static_cast<size_t>(size)) {
    result.next_page_token = EncodePageToken(list, absl::StrCat(result.items.back().id));
  }
  return result;
}

absl::StatusOr<CreatedToken> SqlPolicyStore::CreateToken(Role role, absl::string_view tenant,
                                                         absl::string_view label,
                                                         const Actor& actor) {
  CreatedToken created;
  created.secret = NewTokenSecret();
  created.record.role = role;
  created.record.tenant = std::string(tenant);
  created.record.label = std::string(label);
  created.record.created_at = absl::Now();
  absl::MutexLock lock(&mu_);
  SqlTransaction tx(db_.get(), SqlTransaction::Kind::kWrite);
  RETURN_IF_ERROR(tx.status());
  // In the write transaction: a DeleteTenant that commits first finds this
  // token and revokes it; one that commits later is refused here.
  if (!tenant.empty()) RETURN_IF_ERROR(ReadTenant(tenant).status());
  ASSIGN_OR_RETURN(
      SqlRows rows,
      db_->Query("INSERT INTO api_tokens (secret_sha256, role, tenant, label, "
                 "created_at_us) VALUES (?, ?, ?, ?, ?) RETURNING id",
                 {HashTokenSecret(created.secret), std::string(RoleName(role)), std::string(tenant),
                  std::string(label), absl::ToUnixMicros(created.record.created_at)}));
  if (rows.empty()) return absl::InternalError("INSERT ... RETURNING id returned nothing");
  created.record.id = rows[0].Int(0);
  RETURN_IF_ERROR(AppendAudit({.time = created.record.created_at,
                               .actor = actor.label,
                               .action = "CreateToken",
                               .tenant = std::string(tenant),
                               .detail = absl::StrCat("token ", created.record.id, " \"", label,
                                                      "\" role=", RoleName(role))}));
  RETURN_IF_ERROR(tx.Commit());
  return created;
}

absl::StatusOr<TokenRecord> SqlPolicyStore::FindToken(absl::string_view secret_sha256) {
  absl::MutexLock lock(&mu_);
  ASSIGN_OR_RETURN(
      SqlRows rows,
      db_->Query(absl::StrCat("SELECT ", kTokenColumns, " FROM api_tokens WHERE secret_sha256 = ?"),
                 {std::string(secret_sha256)}));
  if (rows.empty()) return absl::NotFoundError("no such token");
  return ReadToken(rows[0]);
}

absl::StatusOr<std::vector<TokenRecord>> SqlPolicyStore::ListTokens() {
  absl::MutexLock lock(&mu_);
  ASSIGN_OR_RETURN(
      SqlRows rows,
      db_->Query(absl::StrCat("SELECT ", kTokenColumns, " FROM api_tokens ORDER BY id"), {}));
  std::vector<TokenRecord> tokens;
  for (const SqlRow& row : rows) tokens.push_back(ReadToken(row));
  return tokens;
}

absl::Status SqlPolicyStore::RevokeToken(int64_t id, const Actor& actor) {
  absl::MutexLock lock(&mu_);
  SqlTransaction tx(db_.get(), SqlTransaction::Kind::kWrite);
  RETURN_IF_ERROR(tx.status());
  ASSIGN_OR_RETURN(int64_t changed, db_->Execute("UPDATE api_tokens SET revoked_at_us = ? "
                                                 "WHERE id = ? AND revoked_at_us = 0",
                                                 {absl::ToUnixMicros(absl::Now()), id}));
  if (changed == 0) {
    ASSIGN_OR_RETURN(SqlRows rows, db_->Query("SELECT 1 FROM api_tokens WHERE id = ?", {id}));
    if (rows.empty()) return absl::NotFoundError(absl::StrCat("no token with id ", id));
    return absl::OkStatus();  // already revoked
  }
  ASSIGN_OR_RETURN(SqlRows revoked,
                   db_->Query("SELECT tenant, label FROM api_tokens WHERE id = ?", {id}));
  RETURN_IF_ERROR(
      AppendAudit({.time = absl::Now(),
                   .actor = actor.label,
                   .action = "RevokeToken",
                   .tenant = revoked.empty() ? "" : revoked[0].Text(0),
                   .detail = absl::StrCat("token ", id, " \"",
                                          revoked.empty() ? "" : revoked[0].Text(1), "\"")}));
  // Servers cache token lookups and end revoked tokens' watch streams; this
  // tells them to look again.
  RETURN_IF_ERROR(AppendChange("", ChangeKind::kTokens, 0));
  return tx.Commit();
}

absl::Status SqlPolicyStore::MarkTokenUsed(int64_t id, absl::Time when) {
  absl::MutexLock lock(&mu_);
  return db_
      ->Execute("UPDATE api_tokens SET last_used_at_us = ? WHERE id = ?",
                {absl::ToUnixMicros(when), id})
      .status();
}

}  // namespace corsd::store
