// ForwardingStore passes every PolicyStore call to a real store. Tests
// derive from it to observe or disturb one method (count reads, inject a
// transient error) while everything else is the real SQLite or PostgreSQL
// store. Thread-safety is the wrapped store's.
#ifndef CORSD_TESTS_SUPPORT_FORWARDING_STORE_H_
#define CORSD_TESTS_SUPPORT_FORWARDING_STORE_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "service/store/policy_store.h"

namespace corsd::testing {

class ForwardingStore : public store::PolicyStore {
 public:
  explicit ForwardingStore(std::unique_ptr<store::PolicyStore> real) : real_(std::move(real)) {}

  absl::StatusOr<store::TenantState> LoadTenantState(absl::string_view tenant) override {
    return real_->LoadTenantState(tenant);
  }
  absl::StatusOr<store::TenantRecord> CreateTenant(const store::TenantRecord& t,
                                                   const store::Actor& a) override {
    return real_->CreateTenant(t, a);
  }
  absl::StatusOr<store::TenantRecord> GetTenant(absl::string_view n) override {
    return real_->GetTenant(n);
  }
  absl::StatusOr<store::Page<store::TenantRecord>> ListTenants(
      const store::PageRequest& p) override {
    return real_->ListTenants(p);
  }
  absl::StatusOr<store::TenantRecord> UpdateTenant(const store::TenantRecord& t,
                                                   const store::Actor& a) override {
    return real_->UpdateTenant(t, a);
  }
  absl::Status DeleteTenant(absl::string_view n, const store::Actor& a) override {
    return real_->DeleteTenant(n, a);
  }
  absl::StatusOr<store::PolicyRevisionRecord> GetPolicy(absl::string_view t) override {
    return real_->GetPolicy(t);
  }
  absl::StatusOr<store::PolicyRevisionRecord> GetPolicyRevision(absl::string_view t,
                                                                int64_t r) override {
    return real_->GetPolicyRevision(t, r);
  }
  absl::StatusOr<store::PolicyRevisionRecord> PutPolicy(absl::string_view t, const std::string& p,
                                                        std::optional<int64_t> e,
                                                        absl::string_view c,
                                                        const store::Actor& a) override {
    return real_->PutPolicy(t, p, e, c, a);
  }
  absl::StatusOr<store::PolicyRevisionRecord> RollbackPolicy(absl::string_view t, int64_t r,
                                                             std::optional<int64_t> e,
                                                             absl::string_view c,
                                                             const store::Actor& a) override {
    return real_->RollbackPolicy(t, r, e, c, a);
  }
  absl::StatusOr<store::Page<store::PolicyRevisionRecord>> ListPolicyRevisions(
      absl::string_view t, const store::PageRequest& p) override {
    return real_->ListPolicyRevisions(t, p);
  }
  absl::Status RecordAudit(const store::AuditRecord& e) override { return real_->RecordAudit(e); }
  absl::StatusOr<store::Page<store::AuditRecord>> ListAuditEvents(
      absl::string_view t, const store::PageRequest& p) override {
    return real_->ListAuditEvents(t, p);
  }
  absl::StatusOr<store::CreatedToken> CreateToken(store::Role r, absl::string_view t,
                                                  absl::string_view l,
                                                  const store::Actor& a) override {
    return real_->CreateToken(r, t, l, a);
  }
  absl::StatusOr<store::TokenRecord> FindToken(absl::string_view h) override {
    return real_->FindToken(h);
  }
  absl::StatusOr<std::vector<store::TokenRecord>> ListTokens() override {
    return real_->ListTokens();
  }
  absl::Status RevokeToken(int64_t id, const store::Actor& a) override {
    return real_->RevokeToken(id, a);
  }
  absl::Status MarkTokenUsed(int64_t id, absl::Time w) override {
    return real_->MarkTokenUsed(id, w);
  }
  absl::StatusOr<std::vector<store::ChangeRecord>> ListChanges(int64_t a, int l) override {
    return real_->ListChanges(a, l);
  }
  absl::StatusOr<int64_t> LatestChangeSeq() override { return real_->LatestChangeSeq(); }
  absl::StatusOr<std::vector<store::TenantState>> LoadAllTenantStates() override {
    return real_->LoadAllTenantStates();
  }
  absl::StatusOr<bool> HasExternalChanges() override { return real_->HasExternalChanges(); }
  absl::StatusOr<store::CompactionReport> Compact(const store::Retention& k, absl::Time n,
                                                  const store::Actor& a) override {
    return real_->Compact(k, n, a);
  }
  absl::Status Ping() override { return real_->Ping(); }
  std::string Describe() const override { return real_->Describe(); }

 private:
  std::unique_ptr<store::PolicyStore> real_;
};

}  // namespace corsd::testing

#endif  // CORSD_TESTS_SUPPORT_FORWARDING_STORE_H_
