// PolicyStore is corsd's durable state: tenants and their hosts, the full
// history of every tenant's policy, the audit log, API tokens, and a change
// feed that lets every process sharing the store follow each commit.
//
// One implementation, SqlPolicyStore, serves it over two SQL drivers:
// SQLite (embedded, the default) and PostgreSQL (shared by many replicas);
// one contract test suite runs on both. Every method is thread-safe and every write is one
// transaction that is durable when the method returns OK; a write also
// appends its audit event and change-feed row in that same transaction.
//
// Errors use absl codes the server maps to gRPC 1:1:
//   NOT_FOUND            tenant / revision / token does not exist
//   ALREADY_EXISTS       tenant name or host taken
//   ABORTED              expected_revision does not match (message names the
//                        current revision); nothing was written
//   INVALID_ARGUMENT     bad name, host, page token or page size
//   UNAVAILABLE          the database cannot be reached or is locked
//   FAILED_PRECONDITION  schema newer than this binary
#ifndef CORSD_SERVICE_STORE_POLICY_STORE_H_
#define CORSD_SERVICE_STORE_POLICY_STORE_H_

#include <cstdint>
#include <functional>
#include <iterator>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "service/store/store_types.h"

namespace corsd::store {

// A token as handed to its owner: the secret is only ever known here.
struct CreatedToken {
  TokenRecord record;
  std::string secret;
};

class PolicyStore {
 public:
  virtual ~PolicyStore() = default;

  // --- Tenants ----------------------------------------------------------------
  // Names must satisfy ValidateTenantName; hosts are normalized by
  // NormalizeHosts (service/engine/tenant_names.h) before these are called.
  virtual absl::StatusOr<TenantRecord> CreateTenant(const TenantRecord& tenant,
                                                    const Actor& actor) = 0;
  virtual absl::StatusOr<TenantRecord> GetTenant(absl::string_view name) = 0;
  virtual absl::StatusOr<Page<TenantRecord>> ListTenants(const PageRequest& page) = 0;
  // Replaces hosts and description.
  virtual absl::StatusOr<TenantRecord> UpdateTenant(const TenantRecord& tenant,
                                                    const Actor& actor) = 0;
  // Removes the tenant, its hosts and its policy history (audit events stay),
  // and revokes every token bound to it: a tenant created later under the
  // same name is a different tenant and must not inherit them.
  virtual absl::Status DeleteTenant(absl::string_view name, const Actor& actor) = 0;

  // --- Policies ---------------------------------------------------------------
  virtual absl::StatusOr<PolicyRevisionRecord> GetPolicy(absl::string_view tenant) = 0;
  virtual absl::StatusOr<PolicyRevisionRecord> GetPolicyRevision(absl::string_view tenant,
                                                                 int64_t revision) = 0;
  // Stores `policy` as revision current+1. With `expected_revision`, fails
  // with ABORTED unless the current revision (0 = none) equals it.
  // `policy.sets` must be at the revisions named (else a retryable ABORTED);
  // the tenant's references become those sets.
  virtual absl::StatusOr<PolicyRevisionRecord> PutPolicy(absl::string_view tenant,
                                                         const PolicyContent& policy,
                                                         std::optional<int64_t> expected_revision,
                                                         absl::string_view comment,
                                                         const Actor& actor) = 0;
  // Stores the content of `to_revision` as a new revision, with
  // `resolved_now` (the old policy resolved against today's origin sets:
  // its `policy` must be that revision's, else a retryable ABORTED).
  virtual absl::StatusOr<PolicyRevisionRecord> RollbackPolicy(
      absl::string_view tenant, int64_t to_revision, const PolicyContent& resolved_now,
      std::optional<int64_t> expected_revision, absl::string_view comment, const Actor& actor) = 0;
  // Newest first.
  virtual absl::StatusOr<Page<PolicyRevisionRecord>> ListPolicyRevisions(
      absl::string_view tenant, const PageRequest& page) = 0;

  // --- Shadow policies --------------------------------------------------------
  // Each write appends its audit event ("PutShadowPolicy",
  // "DeleteShadowPolicy", "PromoteShadowPolicy") and announces a kTenant
  // change, so every process reloads the tenant with its shadow.
  // NOT_FOUND: no such tenant (or, below, no shadow).
  virtual absl::StatusOr<ShadowPolicyRecord> PutShadowPolicy(absl::string_view tenant,
                                                             const PolicyContent& policy,
                                                             absl::string_view comment,
                                                             const Actor& actor) = 0;
  virtual absl::StatusOr<ShadowPolicyRecord> GetShadowPolicy(absl::string_view tenant) = 0;
  virtual absl::Status DeleteShadowPolicy(absl::string_view tenant, const Actor& actor) = 0;
  // Stores the shadow as the next revision and removes it, in one
  // transaction; ABORTED (nothing changed, the shadow kept) when
  // `expected_revision` is stale. `shadow_updated_at` (when set) is the
  // shadow the caller validated: ABORTED if another replaced it since.
  virtual absl::StatusOr<PolicyRevisionRecord> PromoteShadowPolicy(
      absl::string_view tenant, std::optional<int64_t> expected_revision,
      std::optional<absl::Time> shadow_updated_at, absl::string_view comment,
      const Actor& actor) = 0;

  // --- Origin sets ------------------------------------------------------------
  // Names satisfy the tenant-name rule and origins were validated by the
  // caller. Admins write them; the audit events are "PutOriginSet" (one for
  // the set, one per tenant revision it caused) and "DeleteOriginSet".
  virtual absl::StatusOr<OriginSetRecord> GetOriginSet(absl::string_view name) = 0;
  virtual absl::StatusOr<Page<OriginSetRecord>> ListOriginSets(const PageRequest& page) = 0;
  // Every tenant whose current policy or shadow references `name`, with the
  // records to resolve again, from one read.
  virtual absl::StatusOr<std::vector<OriginSetUser>> ListOriginSetUsers(absl::string_view name) = 0;
  // Creates or replaces the set (revision + 1) and, in the same transaction,
  // gives each user's policy a new revision with its new resolved form
  // (comment "origin set NAME revision N", then `comment`) and its shadow
  // the new resolved form. `expected_revision`: 0 = must not exist yet;
  // stale -> ABORTED. `users` must be exactly the set's users as
  // ListOriginSetUsers returns them now, else a retryable ABORTED; when the
  // origins are those stored already (a new description), none: nothing is
  // resolved again.
  virtual absl::StatusOr<OriginSetRecord> PutOriginSet(const OriginSetRecord& set,
                                                       std::optional<int64_t> expected_revision,
                                                       absl::string_view comment,
                                                       const std::vector<ReresolvedUser>& users,
                                                       const Actor& actor) = 0;
  // NOT_FOUND; FAILED_PRECONDITION naming the tenants while any policy or
  // shadow references it.
  virtual absl::Status DeleteOriginSet(absl::string_view name, const Actor& actor) = 0;

  // --- Audit ------------------------------------------------------------------
  // For events that are not part of a write, e.g. a denied admin call.
  virtual absl::Status RecordAudit(const AuditRecord& event) = 0;
  // Newest first. `tenant` "" = every tenant.
  virtual absl::StatusOr<Page<AuditRecord>> ListAuditEvents(absl::string_view tenant,
                                                            const PageRequest& page) = 0;
  // The events of the tenant that has this name now, since its creation:
  // what a token bound to it may read (an earlier tenant of the same name
  // belonged to someone else). NOT_FOUND when there is no such tenant.
  virtual absl::StatusOr<Page<AuditRecord>> ListCurrentTenantAuditEvents(
      absl::string_view tenant, const PageRequest& page) = 0;

  // --- Tokens -----------------------------------------------------------------
  // A token bound to a tenant is checked against it in the same transaction
  // (NOT_FOUND when it does not exist), so it can never outlive that tenant:
  // DeleteTenant revokes it.
  // Creating and revoking a token each append an audit event ("CreateToken",
  // "RevokeToken", by `actor`) in the same transaction.
  virtual absl::StatusOr<CreatedToken> CreateToken(Role role, absl::string_view tenant,
                                                   absl::string_view label, const Actor& actor) = 0;
  // By the SHA-256 (hex) of the secret; revoked tokens are returned too (the
  // caller rejects them).
  virtual absl::StatusOr<TokenRecord> FindToken(absl::string_view secret_sha256) = 0;
  virtual absl::StatusOr<std::vector<TokenRecord>> ListTokens() = 0;
  virtual absl::Status RevokeToken(int64_t id, const Actor& actor) = 0;
  virtual absl::Status MarkTokenUsed(int64_t id, absl::Time when) = 0;

  // --- Change feed ------------------------------------------------------------
  // Changes with seq > `after`, oldest first, at most `limit`. OUT_OF_RANGE
  // when compaction pruned changes after `after`: the caller missed them and
  // must reload every tenant (LatestChangeSeq, then ScanAllTenantStates).
  virtual absl::StatusOr<std::vector<ChangeRecord>> ListChanges(int64_t after, int limit) = 0;
  virtual absl::StatusOr<int64_t> LatestChangeSeq() = 0;
  virtual absl::StatusOr<TenantState> LoadTenantState(absl::string_view tenant) = 0;
  // Every tenant's state, all from one commit, in no particular order,
  // handed to `consume` in batches of at most `batch_size` as they are read:
  // a replica loading 100,000 tenants compiles the first batches while later
  // ones are still being read, and (with SQLite) never holds every stored row
  // at once; PostgreSQL's client library receives the whole result first.
  // The first error `consume` returns ends the scan and is returned. The
  // store is busy, and its read transaction open, until the scan ends,
  // including the time `consume` takes: `consume` must not call the store.
  using TenantStateBatch = std::vector<TenantState>;
  virtual absl::Status ScanAllTenantStates(
      size_t batch_size, const std::function<absl::Status(TenantStateBatch)>& consume) = 0;
  // The same, all at once (tests, small stores).
  absl::StatusOr<std::vector<TenantState>> LoadAllTenantStates() {
    std::vector<TenantState> all;
    absl::Status status = ScanAllTenantStates(1024, [&](TenantStateBatch batch) {
      std::move(batch.begin(), batch.end(), std::back_inserter(all));
      return absl::OkStatus();
    });
    if (!status.ok()) return status;
    return all;
  }
  // Cheap check whether another process may have committed since the last
  // call (SQLite: PRAGMA data_version; PostgreSQL: a NOTIFY arrived). A
  // periodic full ListChanges covers anything this misses.
  virtual absl::StatusOr<bool> HasExternalChanges() = 0;

  // --- Retention --------------------------------------------------------------
  // Deletes what `keep` does not keep, as of `now`, in short write
  // transactions of a bounded number of rows each (other writers get the
  // database between them), and audits it ("Compact", by `actor`). Change-feed rows go only once
  // they are older than keep.changes: processes that fell further behind
  // reload everything (see ListChanges).
  virtual absl::StatusOr<CompactionReport> Compact(const Retention& keep, absl::Time now,
                                                   const Actor& actor) = 0;

  // OK when the database answers.
  virtual absl::Status Ping() = 0;
  // "sqlite:/path/to.db", "postgres://host/db" (never with a password).
  virtual std::string Describe() const = 0;
};

}  // namespace corsd::store

#endif  // CORSD_SERVICE_STORE_POLICY_STORE_H_
