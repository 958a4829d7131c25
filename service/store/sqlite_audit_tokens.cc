// SqlitePolicyStore: the audit log and API tokens.
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "service/common/status_macros.h"
#include "service/store/api_token.h"
#include "service/store/page_token.h"
#include "service/store/sqlite_policy_store.h"

namespace corsd::store {
namespace {

TokenRecord ReadToken(const SqliteStatement& s) {
  TokenRecord token;
  token.id = s.Int(0);
  token.role = ParseRole(s.Text(1)).value_or(Role::kViewer);
  token.tenant = s.Text(2);
  token.label = s.Text(3);
  token.created_at = absl::FromUnixMicros(s.Int(4));
  if (s.Int(5) != 0) token.last_used_at = absl::FromUnixMicros(s.Int(5));
  if (s.Int(6) != 0) token.revoked_at = absl::FromUnixMicros(s.Int(6));
  return token;
}

constexpr const char* kTokenColumns =
    "id, role, tenant, label, created_at_us, last_used_at_us, revoked_at_us";

}  // namespace

absl::Status SqlitePolicyStore::RecordAudit(const AuditRecord& event) {
  absl::MutexLock lock(&mu_);
  return AppendAudit(event);
}

absl::StatusOr<Page<AuditRecord>> SqlitePolicyStore::ListAuditEvents(absl::string_view tenant,
                                                                     const PageRequest& page) {
  ASSIGN_OR_RETURN(int32_t size, EffectivePageSize(page.page_size));
  ASSIGN_OR_RETURN(std::string after,
                   DecodePageToken(absl::StrCat("audit/", tenant), page.page_token));
  int64_t below = INT64_MAX;
  if (!after.empty() && !absl::SimpleAtoi(after, &below)) {
    return absl::InvalidArgumentError("page_token is corrupt; omit it to start again");
  }
  absl::MutexLock lock(&mu_);
  SqliteStatement s = db_->Prepare(
      "SELECT id, time_us, actor, action, tenant, revision, detail FROM audit_events "
      "WHERE (? = '' OR tenant = ?) AND id < ? ORDER BY id DESC LIMIT ?");
  s.Bind(tenant).Bind(tenant).Bind(below).Bind(size + 1);
  Page<AuditRecord> result;
  bool more = false;
  while (true) {
    ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    if (result.items.size() == static_cast<size_t>(size)) {
      more = true;
      break;
    }
    result.items.push_back({.id = s.Int(0),
                            .time = absl::FromUnixMicros(s.Int(1)),
                            .actor = s.Text(2),
                            .action = s.Text(3),
                            .tenant = s.Text(4),
                            .revision = s.Int(5),
                            .detail = s.Text(6)});
  }
  if (more) {
    result.next_page_token =
        EncodePageToken(absl::StrCat("audit/", tenant), absl::StrCat(result.items.back().id));
  }
  return result;
}

absl::StatusOr<CreatedToken> SqlitePolicyStore::CreateToken(Role role, absl::string_view tenant,
                                                            absl::string_view label) {
  CreatedToken created;
  created.secret = NewTokenSecret();
  created.record.role = role;
  created.record.tenant = std::string(tenant);
  created.record.label = std::string(label);
  created.record.created_at = absl::Now();
  absl::MutexLock lock(&mu_);
  SqliteStatement s = db_->Prepare(
      "INSERT INTO api_tokens (secret_sha256, role, tenant, label, created_at_us) "
      "VALUES (?, ?, ?, ?, ?)");
  s.Bind(HashTokenSecret(created.secret))
      .Bind(RoleName(role))
      .Bind(tenant)
      .Bind(label)
      .Bind(absl::ToUnixMicros(created.record.created_at));
  RETURN_IF_ERROR(s.Run());
  created.record.id = db_->LastInsertRowId();
  return created;
}

absl::StatusOr<TokenRecord> SqlitePolicyStore::FindToken(absl::string_view secret_sha256) {
  absl::MutexLock lock(&mu_);
  SqliteStatement s = db_->Prepare(
      absl::StrCat("SELECT ", kTokenColumns, " FROM api_tokens WHERE secret_sha256 = ?"));
  s.Bind(secret_sha256);
  ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row) return absl::NotFoundError("no such token");
  return ReadToken(s);
}

absl::StatusOr<std::vector<TokenRecord>> SqlitePolicyStore::ListTokens() {
  absl::MutexLock lock(&mu_);
  SqliteStatement s =
      db_->Prepare(absl::StrCat("SELECT ", kTokenColumns, " FROM api_tokens ORDER BY id"));
  std::vector<TokenRecord> tokens;
  while (true) {
    ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    tokens.push_back(ReadToken(s));
  }
  return tokens;
}

absl::Status SqlitePolicyStore::RevokeToken(int64_t id) {
  absl::MutexLock lock(&mu_);
  SqliteTransaction tx(db_.get());
  RETURN_IF_ERROR(tx.status());
  {
    SqliteStatement s = db_->Prepare(
        "UPDATE api_tokens SET revoked_at_us = ? WHERE id = ? AND revoked_at_us = 0");
    s.Bind(absl::ToUnixMicros(absl::Now())).Bind(id);
    RETURN_IF_ERROR(s.Run());
  }
  if (sqlite3_changes(db_->handle()) == 0) {
    SqliteStatement s = db_->Prepare("SELECT 1 FROM api_tokens WHERE id = ?");
    s.Bind(id);
    ASSIGN_OR_RETURN(bool exists, s.Step());
    if (!exists) return absl::NotFoundError(absl::StrCat("no token with id ", id));
    return absl::OkStatus();  // already revoked
  }
  // Servers cache token lookups; this tells them to drop the cache.
  RETURN_IF_ERROR(AppendChange("", ChangeKind::kTokens, 0));
  return tx.Commit();
}

absl::Status SqlitePolicyStore::MarkTokenUsed(int64_t id, absl::Time when) {
  absl::MutexLock lock(&mu_);
  SqliteStatement s = db_->Prepare("UPDATE api_tokens SET last_used_at_us = ? WHERE id = ?");
  s.Bind(absl::ToUnixMicros(when)).Bind(id);
  return s.Run();
}

}  // namespace corsd::store
