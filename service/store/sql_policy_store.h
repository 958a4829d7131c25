// SqlPolicyStore is the PolicyStore, written once over SqlConnection: the
// same statements, transactions and checks run on SQLite (the embedded
// default) and on PostgreSQL (shared by replicas). One connection, guarded by
// a mutex; every write is one write transaction (serialized against all other
// writers on the database) that also appends its audit event and its
// change-feed row, and announces the change.
//
//   ASSIGN_OR_RETURN(auto store, OpenSqliteStore("var/corsd.db", {}));
//   ASSIGN_OR_RETURN(auto shared, OpenPostgresStore("postgres://corsd@db/corsd", {}));
//   store->migrations().applied;  // what opening applied
#ifndef CORSD_SERVICE_STORE_SQL_POLICY_STORE_H_
#define CORSD_SERVICE_STORE_SQL_POLICY_STORE_H_

#include <algorithm>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "service/store/migration.h"
#include "service/store/policy_store.h"
#include "service/store/sql_connection.h"

namespace corsd::store {

struct StoreOpenOptions {
  // Apply pending migrations; otherwise require an up-to-date schema.
  bool apply_migrations = true;
  absl::Duration busy_timeout = absl::Seconds(5);  // SQLite only
  // Compaction deletes at most this many rows per write transaction, so
  // other writers get the database between batches.
  int64_t compaction_batch_rows = 1000;
};

class SqlPolicyStore : public PolicyStore {
 public:
  // Checks (and, with apply_migrations, brings up to date) the schema.
  static absl::StatusOr<std::unique_ptr<SqlPolicyStore>> Open(
      std::unique_ptr<SqlConnection> db, const std::vector<Migration>& migrations,
      const StoreOpenOptions& options);

  const MigrationResult& migrations() const { return migrations_; }

  absl::StatusOr<TenantRecord> CreateTenant(const TenantRecord& tenant,
                                            const Actor& actor) override;
  absl::StatusOr<TenantRecord> GetTenant(absl::string_view name) override;
  absl::StatusOr<Page<TenantRecord>> ListTenants(const PageRequest& page) override;
  absl::StatusOr<TenantRecord> UpdateTenant(const TenantRecord& tenant,
                                            const Actor& actor) override;
  absl::Status DeleteTenant(absl::string_view name, const Actor& actor) override;

  absl::StatusOr<PolicyRevisionRecord> GetPolicy(absl::string_view tenant) override;
  absl::StatusOr<PolicyRevisionRecord> GetPolicyRevision(absl::string_view tenant,
                                                         int64_t revision) override;
  absl::StatusOr<PolicyRevisionRecord> PutPolicy(absl::string_view tenant,
                                                 const PolicyContent& policy,
                                                 std::optional<int64_t> expected_revision,
                                                 absl::string_view comment,
                                                 const Actor& actor) override;
  absl::StatusOr<PolicyRevisionRecord> RollbackPolicy(absl::string_view tenant, int64_t to_revision,
                                                      const PolicyContent& resolved_now,
                                                      std::optional<int64_t> expected_revision,
                                                      absl::string_view comment,
                                                      const Actor& actor) override;
  absl::StatusOr<Page<PolicyRevisionRecord>> ListPolicyRevisions(absl::string_view tenant,
                                                                 const PageRequest& page) override;

  absl::StatusOr<ShadowPolicyRecord> PutShadowPolicy(absl::string_view tenant,
                                                     const PolicyContent& policy,
                                                     absl::string_view comment,
                                                     const Actor& actor) override;
  absl::StatusOr<ShadowPolicyRecord> GetShadowPolicy(absl::string_view tenant) override;
  absl::Status DeleteShadowPolicy(absl::string_view tenant, const Actor& actor) override;
  absl::StatusOr<PolicyRevisionRecord> PromoteShadowPolicy(
      absl::string_view tenant, std::optional<int64_t> expected_revision,
      std::optional<absl::Time> shadow_updated_at, absl::string_view comment,
      const Actor& actor) override;

  absl::StatusOr<OriginSetRecord> GetOriginSet(absl::string_view name) override;
  absl::StatusOr<Page<OriginSetRecord>> ListOriginSets(const PageRequest& page) override;
  absl::StatusOr<std::vector<OriginSetUser>> ListOriginSetUsers(absl::string_view name) override;
  absl::StatusOr<OriginSetRecord> PutOriginSet(const OriginSetRecord& set,
                                               std::optional<int64_t> expected_revision,
                                               absl::string_view comment,
                                               const std::vector<ReresolvedUser>& users,
                                               const Actor& actor) override;
  absl::Status DeleteOriginSet(absl::string_view name, const Actor& actor) override;

  absl::Status RecordAudit(const AuditRecord& event) override;
  absl::StatusOr<Page<AuditRecord>> ListAuditEvents(absl::string_view tenant,
                                                    const PageRequest& page) override;
  absl::StatusOr<Page<AuditRecord>> ListCurrentTenantAuditEvents(absl::string_view tenant,
                                                                 const PageRequest& page) override;

  absl::StatusOr<CreatedToken> CreateToken(Role role, absl::string_view tenant,
                                           absl::string_view label, const Actor& actor) override;
  absl::StatusOr<TokenRecord> FindToken(absl::string_view secret_sha256) override;
  absl::StatusOr<std::vector<TokenRecord>> ListTokens() override;
  absl::Status RevokeToken(int64_t id, const Actor& actor) override;
  absl::Status MarkTokenUsed(int64_t id, absl::Time when) override;

  absl::StatusOr<std::vector<ChangeRecord>> ListChanges(int64_t after, int limit) override;
  absl::StatusOr<int64_t> LatestChangeSeq() override;
  absl::StatusOr<TenantState> LoadTenantState(absl::string_view tenant) override;
  absl::Status ScanAllTenantStates(
      size_t batch_size, const std::function<absl::Status(TenantStateBatch)>& consume) override;
  absl::StatusOr<bool> HasExternalChanges() override;

  absl::StatusOr<CompactionReport> Compact(const Retention& keep, absl::Time now,
                                           const Actor& actor) override;

  absl::Status Ping() override;
  std::string Describe() const override { return description_; }

 private:
  SqlPolicyStore(std::unique_ptr<SqlConnection> db, MigrationResult migrations,
                 int64_t compaction_batch_rows)
      : description_(db->Describe()),
        db_(std::move(db)),
        migrations_(std::move(migrations)),
        compaction_batch_rows_(std::max<int64_t>(1, compaction_batch_rows)) {}

  // Helpers that run inside the caller's transaction (mu_ held).
  // Runs `sql` (a DELETE taking `bound` and a LIMIT) in transactions of at
  // most compaction_batch_rows_ rows until one deletes fewer; returns the total.
  absl::StatusOr<int64_t> DeleteInBatches(absl::string_view sql, int64_t bound)
      ABSL_LOCKS_EXCLUDED(mu_);
  // Audit events of `tenant` ("" = all) at or after `since_us`.
  absl::StatusOr<Page<AuditRecord>> ReadAuditPage(absl::string_view tenant, int64_t since_us,
                                                  const PageRequest& page)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<TenantRecord> ReadTenant(absl::string_view name)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<std::vector<std::string>> ReadHosts(absl::string_view tenant)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<PolicyRevisionRecord> ReadRevision(absl::string_view tenant, int64_t revision)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<TenantState> ReadTenantState(absl::string_view tenant)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // INVALID_ARGUMENT when `policy_bytes` and the bytes of `other` (a
  // SELECT of one length(), or none) exceed kMaxPolicyAndShadowBytes.
  absl::Status CheckCombinedSize(size_t policy_bytes, absl::string_view other_sql,
                                 std::initializer_list<SqlValue> params)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // NOT_FOUND when the tenant has no shadow.
  absl::StatusOr<ShadowPolicyRecord> ReadShadow(absl::string_view tenant)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status CheckHostsFree(absl::string_view tenant, const std::vector<std::string>& hosts)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status WriteHosts(absl::string_view tenant, const std::vector<std::string>& hosts)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // How a new revision treats the tenant's origin-set references.
  enum class SetRefs {
    kCheckAndReplace,  // check content.sets are current; they become the references
    kKeep,             // an origin-set change re-resolving: references stay
  };
  absl::StatusOr<PolicyRevisionRecord> AppendRevision(absl::string_view tenant,
                                                      const PolicyContent& content,
                                                      std::optional<int64_t> expected_revision,
                                                      absl::string_view comment,
                                                      absl::string_view action, const Actor& actor,
                                                      SetRefs refs = SetRefs::kCheckAndReplace)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // A retryable ABORTED unless every set is at the revision named.
  absl::Status CheckSetsCurrent(const std::vector<OriginSetUse>& sets)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The tenant's `kind` ("policy" or "shadow") references become `sets`.
  absl::Status WriteSetRefs(absl::string_view tenant, absl::string_view kind,
                            const std::vector<OriginSetUse>& sets)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<OriginSetRecord> ReadOriginSet(absl::string_view name)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The change-feed row, plus the announcement other processes wait for.
  absl::Status AppendChange(absl::string_view tenant, ChangeKind kind, int64_t revision)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status AppendAudit(const AuditRecord& event) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Every change with seq <= this was pruned.
  absl::StatusOr<int64_t> ReadFeedFloor() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::string description_;
  absl::Mutex mu_;
  std::unique_ptr<SqlConnection> db_ ABSL_GUARDED_BY(mu_);
  MigrationResult migrations_;
  const int64_t compaction_batch_rows_;
};

absl::StatusOr<std::unique_ptr<SqlPolicyStore>> OpenSqliteStore(const std::string& path,
                                                                const StoreOpenOptions& options);
absl::StatusOr<std::unique_ptr<SqlPolicyStore>> OpenPostgresStore(const std::string& url,
                                                                  const StoreOpenOptions& options);

}  // namespace corsd::store

#endif  // CORSD_SERVICE_STORE_SQL_POLICY_STORE_H_
