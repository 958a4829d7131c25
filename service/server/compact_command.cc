// corsd compact: apply the retention policy once and exit; the retention
// flags `corsd serve` shares with it; and the duration flags of both.
#include <cstdio>
#include <memory>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/strip.h"
#include "service/server/compactor.h"
#include "service/server/corsd_commands.h"
#include "service/store/store_factory.h"

namespace corsd::server {

bool ParseDurationFlag(const std::string& text, const char* flag, absl::Duration* out) {
  int64_t days = 0;
  absl::string_view number = text;
  if (absl::ConsumeSuffix(&number, "d") && absl::SimpleAtoi(number, &days) && days >= 0) {
    *out = absl::Hours(24) * days;  // saturates instead of overflowing
    return true;
  }
  if (absl::ParseDuration(text, out) && *out >= absl::ZeroDuration()) return true;
  fprintf(stderr, "corsd: %s \"%s\" is not a duration (e.g. 250ms, 10s, 36h, 90d)\n", flag,
          text.c_str());
  return false;
}

void AddRetentionFlags(CLI::App* command, RetentionFlags* flags) {
  command
      ->add_option("--keep-revisions", flags->keep_revisions,
                   "policy revisions kept per tenant, newest first; the current one always "
                   "stays (0 = keep all)")
      ->envname("CORSD_KEEP_REVISIONS")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  command
      ->add_option("--keep-audit", flags->keep_audit,
                   "audit events younger than this are kept, e.g. 90d, 36h (0 = keep all)")
      ->envname("CORSD_KEEP_AUDIT")
      ->capture_default_str();
  command
      ->add_option("--keep-changes", flags->keep_changes,
                   "change-feed rows younger than this are kept; a replica cut off for longer "
                   "reloads every tenant when it is back (0 = keep all)")
      ->envname("CORSD_KEEP_CHANGES")
      ->capture_default_str();
}

bool ParseRetentionFlags(const RetentionFlags& flags, store::Retention* out) {
  out->policy_revisions = flags.keep_revisions;
  return ParseDurationFlag(flags.keep_audit, "--keep-audit", &out->audit_events) &&
         ParseDurationFlag(flags.keep_changes, "--keep-changes", &out->changes);
}

Command AddCompactCommand(CLI::App& app) {
  struct Flags {
    store::StoreSelection store;
    RetentionFlags retention;
  };
  auto flags = std::make_shared<Flags>();
  CLI::App* compact = app.add_subcommand(
      "compact",
      "Delete what the retention flags do not keep (old policy revisions, audit events and "
      "change-feed rows), audit it, and exit. `corsd serve` does the same every hour with its own "
      "--keep-* flags; this is for a cron job, or after lowering a limit.\n\n"
      "Example:\n"
      "  corsd compact --db /var/lib/corsd/corsd.db --keep-revisions 100 --keep-audit 30d");
  AddStoreFlags(compact, &flags->store);
  AddRetentionFlags(compact, &flags->retention);
  return {compact, [flags] {
            store::Retention keep;
            if (!ParseRetentionFlags(flags->retention, &keep)) return 2;
            absl::StatusOr<store::OpenedStore> opened = store::OpenStore(flags->store, true);
            if (!opened.ok()) {
              fprintf(stderr, "corsd: %s\n", std::string(opened.status().message()).c_str());
              return 1;
            }
            absl::StatusOr<store::CompactionReport> report =
                CompactNow(opened->store.get(), keep, "corsd compact");
            if (!report.ok()) {
              fprintf(stderr, "corsd: compaction failed: %s\n",
                      std::string(report.status().message()).c_str());
              return 1;
            }
            printf("deleted %lld policy revisions, %lld audit events, %lld change-feed rows\n",
                   static_cast<long long>(report->policy_revisions),
                   static_cast<long long>(report->audit_events),
                   static_cast<long long>(report->changes));
            return 0;
          }};
}

}  // namespace corsd::server
