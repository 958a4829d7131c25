// ForwardingStore passes every PolicyStore call to the store Target()
// returns, or returns Target()'s error. It is the base of stores that wrap
// another: LazyStore (a store opened once it can be reached) and, in tests,
// wrappers that observe or disturb one method while the rest is the real
// store. Thread-safety is the target's (and Target()'s).
#ifndef CORSD_SERVICE_STORE_FORWARDING_STORE_H_
#define CORSD_SERVICE_STORE_FORWARDING_STORE_H_

#include <optional>
#include <string>
#include <vector>

#include "service/common/status_macros.h"
#include "service/store/policy_store.h"

namespace corsd::store {

class ForwardingStore : public PolicyStore {
 public:
#define CORSD_FORWARD(call)                              \
  ASSIGN_OR_RETURN(PolicyStore* const target, Target()); \
  return target->call

  absl::StatusOr<TenantState> LoadTenantState(absl::string_view tenant) override {
    CORSD_FORWARD(LoadTenantState(tenant));
  }
  absl::StatusOr<TenantRecord> CreateTenant(const TenantRecord& t, const Actor& a) override {
    CORSD_FORWARD(CreateTenant(t, a));
  }
  absl::StatusOr<TenantRecord> GetTenant(absl::string_view n) override {
    CORSD_FORWARD(GetTenant(n));
  }
  absl::StatusOr<Page<TenantRecord>> ListTenants(const PageRequest& p) override {
    CORSD_FORWARD(ListTenants(p));
  }
  absl::StatusOr<TenantRecord> UpdateTenant(const TenantRecord& t, const Actor& a) override {
    CORSD_FORWARD(UpdateTenant(t, a));
  }
  absl::Status DeleteTenant(absl::string_view n, const Actor& a) override {
    CORSD_FORWARD(DeleteTenant(n, a));
  }
  absl::StatusOr<PolicyRevisionRecord> GetPolicy(absl::string_view t) override {
    CORSD_FORWARD(GetPolicy(t));
  }
  absl::StatusOr<PolicyRevisionRecord> GetPolicyRevision(absl::string_view t, int64_t r) override {
    CORSD_FORWARD(GetPolicyRevision(t, r));
  }
  absl::StatusOr<PolicyRevisionRecord> PutPolicy(absl::string_view t, const PolicyContent& p,
                                                 std::optional<int64_t> e, absl::string_view c,
                                                 const Actor& a) override {
    CORSD_FORWARD(PutPolicy(t, p, e, c, a));
  }
  absl::StatusOr<PolicyRevisionRecord> RollbackPolicy(absl::string_view t, int64_t r,
                                                      const PolicyContent& p,
                                                      std::optional<int64_t> e, absl::string_view c,
                                                      const Actor& a) override {
    CORSD_FORWARD(RollbackPolicy(t, r, p, e, c, a));
  }
  absl::StatusOr<Page<PolicyRevisionRecord>> ListPolicyRevisions(absl::string_view t,
                                                                 const PageRequest& p) override {
    CORSD_FORWARD(ListPolicyRevisions(t, p));
  }
  absl::StatusOr<ShadowPolicyRecord> PutShadowPolicy(absl::string_view t, const PolicyContent& p,
                                                     absl::string_view c, const Actor& a) override {
    CORSD_FORWARD(PutShadowPolicy(t, p, c, a));
  }
  absl::StatusOr<ShadowPolicyRecord> GetShadowPolicy(absl::string_view t) override {
    CORSD_FORWARD(GetShadowPolicy(t));
  }
  absl::Status DeleteShadowPolicy(absl::string_view t, const Actor& a) override {
    CORSD_FORWARD(DeleteShadowPolicy(t, a));
  }
  absl::StatusOr<PolicyRevisionRecord> PromoteShadowPolicy(absl::string_view t,
                                                           std::optional<int64_t> e,
                                                           std::optional<absl::Time> s,
                                                           absl::string_view c,
                                                           const Actor& a) override {
    CORSD_FORWARD(PromoteShadowPolicy(t, e, s, c, a));
  }
  absl::StatusOr<OriginSetRecord> GetOriginSet(absl::string_view n) override {
    CORSD_FORWARD(GetOriginSet(n));
  }
  absl::StatusOr<Page<OriginSetRecord>> ListOriginSets(const PageRequest& p) override {
    CORSD_FORWARD(ListOriginSets(p));
  }
  absl::StatusOr<std::vector<OriginSetUser>> ListOriginSetUsers(absl::string_view n) override {
    CORSD_FORWARD(ListOriginSetUsers(n));
  }
  absl::StatusOr<OriginSetRecord> PutOriginSet(const OriginSetRecord& s, std::optional<int64_t> e,
                                               absl::string_view c,
                                               const std::vector<ReresolvedUser>& u,
                                               const Actor& a) override {
    CORSD_FORWARD(PutOriginSet(s, e, c, u, a));
  }
  absl::Status DeleteOriginSet(absl::string_view n, const Actor& a) override {
    CORSD_FORWARD(DeleteOriginSet(n, a));
  }
  absl::Status RecordAudit(const AuditRecord& e) override { CORSD_FORWARD(RecordAudit(e)); }
  absl::StatusOr<Page<AuditRecord>> ListAuditEvents(absl::string_view t,
                                                    const PageRequest& p) override {
    CORSD_FORWARD(ListAuditEvents(t, p));
  }
  absl::StatusOr<Page<AuditRecord>> ListCurrentTenantAuditEvents(absl::string_view t,
                                                                 const PageRequest& p) override {
    CORSD_FORWARD(ListCurrentTenantAuditEvents(t, p));
  }
  absl::StatusOr<CreatedToken> CreateToken(Role r, absl::string_view t, absl::string_view l,
                                           const Actor& a) override {
    CORSD_FORWARD(CreateToken(r, t, l, a));
  }
  absl::StatusOr<TokenRecord> FindToken(absl::string_view h) override {
    CORSD_FORWARD(FindToken(h));
  }
  absl::StatusOr<std::vector<TokenRecord>> ListTokens() override { CORSD_FORWARD(ListTokens()); }
  absl::Status RevokeToken(int64_t id, const Actor& a) override {
    CORSD_FORWARD(RevokeToken(id, a));
  }
  absl::Status MarkTokenUsed(int64_t id, absl::Time w) override {
    CORSD_FORWARD(MarkTokenUsed(id, w));
  }
  absl::StatusOr<std::vector<ChangeRecord>> ListChanges(int64_t a, int l) override {
    CORSD_FORWARD(ListChanges(a, l));
  }
  absl::StatusOr<int64_t> LatestChangeSeq() override { CORSD_FORWARD(LatestChangeSeq()); }
  absl::Status ScanAllTenantStates(
      size_t batch_size, const std::function<absl::Status(TenantStateBatch)>& consume) override {
    CORSD_FORWARD(ScanAllTenantStates(batch_size, consume));
  }
  absl::StatusOr<bool> HasExternalChanges() override { CORSD_FORWARD(HasExternalChanges()); }
  absl::StatusOr<CompactionReport> Compact(const Retention& k, absl::Time n,
                                           const Actor& a) override {
    CORSD_FORWARD(Compact(k, n, a));
  }
  absl::Status Ping() override { CORSD_FORWARD(Ping()); }
#undef CORSD_FORWARD

 protected:
  // The store to call now, or why there is none.
  virtual absl::StatusOr<PolicyStore*> Target() = 0;
};

}  // namespace corsd::store

#endif  // CORSD_SERVICE_STORE_FORWARDING_STORE_H_
