// SqlitePolicyStore: the embedded, default PolicyStore. One SQLite
// connection in WAL mode with synchronous=FULL, guarded by a mutex; every
// write is a BEGIN IMMEDIATE transaction, so writers in other processes
// sharing the file are serialized by SQLite's lock and expected-revision
// checks see every commit. Statements are prepared once and reused.
//
//   ASSIGN_OR_RETURN(auto store, SqlitePolicyStore::Open("var/corsd.db"));
//   store->migrations().applied;  // what Open() just applied
//
// Open() applies pending migrations (unless told not to) and refuses a
// database whose schema is newer than this binary.
#ifndef CORSD_SERVICE_STORE_SQLITE_POLICY_STORE_H_
#define CORSD_SERVICE_STORE_SQLITE_POLICY_STORE_H_

#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "service/store/migration.h"
#include "service/store/policy_store.h"
#include "service/store/sqlite_connection.h"

namespace corsd::store {

class SqlitePolicyStore : public PolicyStore {
 public:
  struct Options {
    bool apply_migrations = true;
    absl::Duration busy_timeout = absl::Seconds(5);
  };

  static absl::StatusOr<std::unique_ptr<SqlitePolicyStore>> Open(const std::string& path,
                                                                 Options options);
  static absl::StatusOr<std::unique_ptr<SqlitePolicyStore>> Open(const std::string& path) {
    return Open(path, Options{});
  }

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
                                                 const std::string& policy,
                                                 std::optional<int64_t> expected_revision,
                                                 absl::string_view comment,
                                                 const Actor& actor) override;
  absl::StatusOr<PolicyRevisionRecord> RollbackPolicy(absl::string_view tenant,
                                                      int64_t to_revision,
                                                      std::optional<int64_t> expected_revision,
                                                      absl::string_view comment,
                                                      const Actor& actor) override;
  absl::StatusOr<Page<PolicyRevisionRecord>> ListPolicyRevisions(
      absl::string_view tenant, const PageRequest& page) override;

  absl::Status RecordAudit(const AuditRecord& event) override;
  absl::StatusOr<Page<AuditRecord>> ListAuditEvents(absl::string_view tenant,
                                                    const PageRequest& page) override;

  absl::StatusOr<CreatedToken> CreateToken(Role role, absl::string_view tenant,
                                           absl::string_view label) override;
  absl::StatusOr<TokenRecord> FindToken(absl::string_view secret_sha256) override;
  absl::StatusOr<std::vector<TokenRecord>> ListTokens() override;
  absl::Status RevokeToken(int64_t id) override;
  absl::Status MarkTokenUsed(int64_t id, absl::Time when) override;

  absl::StatusOr<std::vector<ChangeRecord>> ListChanges(int64_t after, int limit) override;
  absl::StatusOr<int64_t> LatestChangeSeq() override;
  absl::StatusOr<TenantState> LoadTenantState(absl::string_view tenant) override;
  absl::StatusOr<std::vector<TenantState>> LoadAllTenantStates() override;
  absl::StatusOr<bool> HasExternalChanges() override;

  absl::Status Ping() override;
  std::string Describe() const override { return "sqlite:" + path_; }

 private:
  SqlitePolicyStore(std::string path, std::unique_ptr<SqliteConnection> db)
      : path_(std::move(path)), db_(std::move(db)) {}

  // Helpers that run inside the caller's transaction (mu_ held).
  absl::StatusOr<TenantRecord> ReadTenant(absl::string_view name)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<std::vector<std::string>> ReadHosts(absl::string_view tenant)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<PolicyRevisionRecord> ReadRevision(absl::string_view tenant, int64_t revision)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status CheckHostsFree(absl::string_view tenant, const std::vector<std::string>& hosts)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status WriteHosts(absl::string_view tenant, const std::vector<std::string>& hosts)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<PolicyRevisionRecord> AppendRevision(absl::string_view tenant,
                                                      const std::string& policy,
                                                      std::optional<int64_t> expected_revision,
                                                      absl::string_view comment,
                                                      absl::string_view action,
                                                      const Actor& actor)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status AppendChange(absl::string_view tenant, ChangeKind kind, int64_t revision)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status AppendAudit(const AuditRecord& event) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<TenantState> ReadTenantState(absl::string_view tenant)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::string path_;
  absl::Mutex mu_;
  std::unique_ptr<SqliteConnection> db_ ABSL_GUARDED_BY(mu_);
  int64_t data_version_ ABSL_GUARDED_BY(mu_) = -1;
  MigrationResult migrations_;
};

}  // namespace corsd::store

#endif  // CORSD_SERVICE_STORE_SQLITE_POLICY_STORE_H_
