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
  absl::MutexLock lock(&mu_);
  SqlTransaction tx(db_.get(), SqlTransaction::Kind::kWrite);
  RETURN_IF_ERROR(tx.status());
  CompactionReport report;
  if (keep.policy_revisions > 0) {
    // The newest N of each tenant, counted from its current revision (which
    // is the newest), so the current one always stays.
    ASSIGN_OR_RETURN(report.policy_revisions,
                     db_->Execute("DELETE FROM policy_revisions WHERE revision <= "
                                  "(SELECT t.current_revision FROM tenants t "
                                  "WHERE t.name = policy_revisions.tenant) - ?",
                                  {keep.policy_revisions}));
  }
  if (keep.audit_events > absl::ZeroDuration()) {
    ASSIGN_OR_RETURN(report.audit_events,
                     db_->Execute("DELETE FROM audit_events WHERE time_us < ?",
                                  {absl::ToUnixMicros(now - keep.audit_events)}));
  }
  if (keep.changes > absl::ZeroDuration()) {
    // Raise the floor first: whoever reads the feed from below it learns
    // that it must reload everything.
    ASSIGN_OR_RETURN(SqlRows newest_old, db_->Query("SELECT COALESCE(MAX(seq), 0) FROM changes "
                                                    "WHERE committed_at_us < ?",
                                                    {absl::ToUnixMicros(now - keep.changes)}));
    const int64_t through = newest_old.empty() ? 0 : newest_old[0].Int(0);
    if (through > 0) {
      RETURN_IF_ERROR(db_->Execute("UPDATE change_feed_floor SET pruned_through = ? "
                                   "WHERE pruned_through < ?",
                                   {through, through})
                          .status());
      ASSIGN_OR_RETURN(report.changes,
                       db_->Execute("DELETE FROM changes WHERE seq <= ?", {through}));
    }
  }
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

}  // namespace corsd::store
