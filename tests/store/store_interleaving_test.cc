// The store under interleavings forced through HookedSqlConnection (another
// connection commits between two statements of one operation) on every
// backend, and the identity of tenants behind tokens and audit trails.
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "service/store/sql_policy_store.h"
#include "tests/store/hooked_sql_connection.h"
#include "tests/store/store_backends.h"

namespace corsd::store {
namespace {

using testing::HookedSqlConnection;
using testing::StoreBackend;

const Actor kOps{"ops"};

class StoreInterleaving : public ::testing::TestWithParam<StoreBackend> {
 protected:
  void SetUp() override {
    fixture_ = GetParam().make();
    store_ = fixture_->store();
    hooked_store_ = fixture_->OpenWrapped([this](std::unique_ptr<SqlConnection> real) {
      auto hooked = std::make_unique<HookedSqlConnection>(std::move(real));
      hooked_ = hooked.get();
      return hooked;
    });
  }

  std::unique_ptr<testing::StoreFixture> fixture_;
  PolicyStore* store_ = nullptr;               // another process's connection
  std::unique_ptr<PolicyStore> hooked_store_;  // the one under test
  HookedSqlConnection* hooked_ = nullptr;
};

// Between the statement that sizes a page of revisions and the one that
// reads them, a compaction elsewhere deletes them all but the current one.
// The page must still be consistent: what it sized, or an honest end.
TEST_P(StoreInterleaving, RevisionPageSurvivesACompactionBetweenItsReads) {
  ASSERT_TRUE(store_->CreateTenant({.name = "shop"}, kOps).ok());
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(store_->PutPolicy("shop", "p", std::nullopt, "", kOps).ok());
  }
  hooked_->AfterQueryOnce("length(policy)", [&] {
    ASSERT_TRUE(store_->Compact({.policy_revisions = 1}, absl::Now(), kOps).ok());
  });
  absl::StatusOr<Page<PolicyRevisionRecord>> page =
      hooked_store_->ListPolicyRevisions("shop", {.page_size = 2});
  ASSERT_TRUE(page.ok()) << page.status();
  ASSERT_EQ(page->items.size(), 2u) << "the page lost the rows it had sized";
  EXPECT_EQ(page->items[0].revision, 5);
  EXPECT_EQ(page->items[1].revision, 4);
  EXPECT_FALSE(page->next_page_token.empty());
}

// A first compaction of a long history deletes in bounded transactions, so
// other writers get the database between them.
TEST_P(StoreInterleaving, CompactionDeletesInBoundedTransactions) {
  ASSERT_TRUE(store_->CreateTenant({.name = "shop"}, kOps).ok());
  const int64_t batch = testing::StoreFixture::kWrappedBatchRows;
  const int64_t revisions = 2 * batch + 5;
  for (int64_t i = 0; i < revisions; ++i) {
    ASSERT_TRUE(store_->PutPolicy("shop", "p", std::nullopt, "", kOps).ok());
  }
  absl::StatusOr<CompactionReport> report = hooked_store_->Compact(
      {.policy_revisions = 1, .audit_events = absl::Hours(1)}, absl::Now() + absl::Hours(2), kOps);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->policy_revisions, revisions - 1);
  EXPECT_GE(report->audit_events, revisions);
  EXPECT_LE(hooked_->max_rows_per_write(), batch) << "one transaction deleted more than a batch";
  EXPECT_GE(hooked_->writes_committed(), 6);
  // And the store is whole: the current revision is there, another writer
  // goes on.
  EXPECT_EQ(store_->GetPolicy("shop")->revision, revisions);
  ASSERT_TRUE(store_->PutPolicy("shop", "p", std::nullopt, "", kOps).ok());
}

// A token is bound to the tenant that exists when it is made: refused for
// a tenant that does not exist, revoked with its tenant, and a tenant
// re-created under the same name does not show its tokens the earlier
// tenant's audit trail.
TEST_P(StoreInterleaving, TokensAndAuditBelongToOneTenantNotToItsName) {
  EXPECT_EQ(store_->CreateToken(Role::kEditor, "shop", "early", kOps).status().code(),
            absl::StatusCode::kNotFound);
  ASSERT_TRUE(store_->CreateTenant({.name = "shop"}, {"first-owner"}).ok());
  ASSERT_TRUE(store_->PutPolicy("shop", "p", std::nullopt, "secret plans", {"first-owner"}).ok());
  absl::StatusOr<CreatedToken> first = store_->CreateToken(Role::kEditor, "shop", "first", kOps);
  ASSERT_TRUE(first.ok()) << first.status();

  // The tenant goes after a caller (corsd token create) checked it: the
  // store checks again in the insert's transaction and refuses.
  ASSERT_TRUE(store_->DeleteTenant("shop", kOps).ok());
  EXPECT_EQ(hooked_store_->CreateToken(Role::kEditor, "shop", "late", kOps).status().code(),
            absl::StatusCode::kNotFound);

  ASSERT_TRUE(store_->CreateTenant({.name = "shop"}, {"second-owner"}).ok());
  absl::StatusOr<Page<AuditRecord>> own = store_->ListCurrentTenantAuditEvents("shop", {});
  ASSERT_TRUE(own.ok()) << own.status();
  ASSERT_FALSE(own->items.empty());
  for (const AuditRecord& event : own->items) {
    EXPECT_NE(event.actor, "first-owner") << event.action << ": the earlier tenant's trail leaked";
    EXPECT_NE(event.detail, "secret plans");
  }
  EXPECT_EQ(own->items.back().action, "CreateTenant");
  // The whole history stays readable to an admin.
  absl::StatusOr<Page<AuditRecord>> all = store_->ListAuditEvents("shop", {});
  ASSERT_TRUE(all.ok());
  EXPECT_GT(all->items.size(), own->items.size());
  EXPECT_EQ(store_->ListCurrentTenantAuditEvents("gone", {}).status().code(),
            absl::StatusCode::kNotFound);
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreInterleaving, ::testing::ValuesIn(testing::StoreBackends()),
                         [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace corsd::store
