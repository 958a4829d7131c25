// SqlPolicyStore: compaction (what retention does not keep is deleted).
#include "absl/strings/str_cat.h"
#include "service/common/status_macros.h"
#include "service/store/sql_policy_store.h"

namespace corsd::store {

absl::StatusOr<CompactionReport> SqlPolicyStore::Compact(const Retention& keep, absl::Time now,
                                                         const Actor& actor) {
  if (keep.policy_revisions < 0 || keep.audit_events < absl::ZeroDuration() ||
      keep.changes < absl::ZeroDuration()) {
    return absl::InvalidArgumentError("retention must not be negative (0 keeps everything)");
  }
  CompactionReport report;
  if (keep.policy_revisions > 0) {
    // The newest N of each tenant, counted from its current revision (which
    // is the newest), so the current one always stays.
    ASSIGN_OR_RETURN(report.policy_revisions,
                     DeleteInBatches("DELETE FROM policy_revisions WHERE (tenant, revision) IN "
                                     "(SELECT r.tenant, r.revision FROM policy_revisions r "
                                     "JOIN tenants t ON t.name = r.tenant "
                                     "WHERE r.revision <= t.current_revision - ? LIMIT ?)",
                                     keep.policy_revisions));
  }
  if (keep.audit_events > absl::ZeroDuration()) {
    ASSIGN_OR_RETURN(report.audit_events,
                     DeleteInBatches("DELETE FROM audit_events WHERE id IN (SELECT id FROM "
                                     "audit_events WHERE time_us < ? ORDER BY id LIMIT ?)",
                                     absl::ToUnixMicros(now - keep.audit_events)));
  }
  if (keep.changes > absl::ZeroDuration()) {
    int64_t through = 0;
    {
      // Raise the floor first, committed before any row goes: whoever reads
      // the feed from below it learns that it must reload everything.
      absl::MutexLock lock(&mu_);
      SqlTransaction tx(db_.get(), SqlTransaction::Kind::kWrite);
      RETURN_IF_ERROR(tx.status());
      ASSIGN_OR_RETURN(SqlRows newest_old, db_->Query("SELECT COALESCE(MAX(seq), 0) FROM changes "
                                                      "WHERE committed_at_us < ?",
                                                      {absl::ToUnixMicros(now - keep.changes)}));
      through = newest_old.empty() ? 0 : newest_old[0].Int(0);
      if (through > 0) {
        RETURN_IF_ERROR(db_->Execute("UPDATE change_feed_floor SET pruned_through = ? "
                                     "WHERE pruned_through < ?",
                                     {through, through})
                            .status());
      }
      RETURN_IF_ERROR(tx.Commit());
    }
    if (through > 0) {
      ASSIGN_OR_RETURN(report.changes,
                       DeleteInBatches("DELETE FROM changes WHERE seq IN (SELECT seq FROM changes "
                                       "WHERE seq <= ? ORDER BY seq LIMIT ?)",
                                       through));
    }
  }
  absl::MutexLock lock(&mu_);
  SqlTransaction tx(db_.get(), SqlTransaction::Kind::kWrite);
  RETURN_IF_ERROR(tx.status());
  RETURN_IF_ERROR(AppendAudit(
      {.time = now,
       .actor = actor.label,
       .action = "Compact",
       .detail = absl::StrCat("deleted ", report.policy_revisions, " policy revisions, ",
                              report.audit_events, " audit events, ", report.changes,
                              " change-feed rows")}));
  RETURN_IF_ERROR(tx.Commit());
  return report;
}

absl::StatusOr<int64_t> SqlPolicyStore::DeleteInBatches(absl::string_view sql, int64_t bound) {
  // Each batch is its own short write transaction, and the lock is let go
  // between them, so a first compaction of a long history never holds the
  // database's single writer slot past other writers' busy timeout.
  int64_t deleted = 0;
  while (true) {
    absl::MutexLock lock(&mu_);
    SqlTransaction tx(db_.get(), SqlTransaction::Kind::kWrite);
    RETURN_IF_ERROR(tx.status());
    ASSIGN_OR_RETURN(const int64_t batch, db_->Execute(sql, {bound, compaction_batch_rows_}));
    RETURN_IF_ERROR(tx.Commit());
    deleted += batch;
    if (batch < compaction_batch_rows_) return deleted;
  }
}

}  // namespace corsd::store
