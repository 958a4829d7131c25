// The PolicyStore contract, run against every backend: what each operation
// stores, the errors it reports, and that concurrent writers through separate
// connections never lose an update.
#include <atomic>
#include <map>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "service/store/api_token.h"
#include "service/store/record_limits.h"
#include "tests/store/store_backends.h"
#include "tests/support/status_assert.h"

namespace corsd::store {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::StoreBackend;

const Actor kAlice{"alice"};

class StoreContract : public ::testing::TestWithParam<StoreBackend> {
 protected:
  void SetUp() override {
    fixture_ = GetParam().make();
    store_ = fixture_->store();
  }

  TenantRecord Tenant(std::string name, std::vector<std::string> hosts = {}) {
    return TenantRecord{.name = std::move(name), .hosts = std::move(hosts)};
  }

  std::unique_ptr<testing::StoreFixture> fixture_;
  PolicyStore* store_ = nullptr;
};

TEST_P(StoreContract, CreatesAndReadsTenants) {
  auto created = store_->CreateTenant(
      {.name = "shop", .hosts = {"a.shop.example", "b.shop.example"}, .description = "Shop"},
      kAlice);
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_EQ(created->name, "shop");
  EXPECT_THAT(created->hosts, ElementsAre("a.shop.example", "b.shop.example"));
  EXPECT_EQ(created->description, "Shop");
  EXPECT_EQ(created->policy_revision, 0);
  EXPECT_LT(absl::Now() - created->created_at, absl::Minutes(1));

  auto got = store_->GetTenant("shop");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->hosts, created->hosts);
  EXPECT_EQ(store_->GetTenant("nope").status().code(), absl::StatusCode::kNotFound);
}

TEST_P(StoreContract, RejectsDuplicateTenantsAndHosts) {
  ASSERT_TRUE(store_->CreateTenant(Tenant("shop", {"shop.example"}), kAlice).ok());
  EXPECT_EQ(store_->CreateTenant(Tenant("shop"), kAlice).status().code(),
            absl::StatusCode::kAlreadyExists);
  auto taken = store_->CreateTenant(Tenant("blog", {"blog.example", "shop.example"}), kAlice);
  EXPECT_EQ(taken.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_THAT(taken.status().message(), HasSubstr("shop.example"));
  EXPECT_EQ(store_->GetTenant("blog").status().code(), absl::StatusCode::kNotFound)
      << "a failed create stores nothing";
}

TEST_P(StoreContract, UpdatesHostsAndDescription) {
  ASSERT_TRUE(store_->CreateTenant(Tenant("shop", {"old.example"}), kAlice).ok());
  ASSERT_TRUE(store_->CreateTenant(Tenant("blog", {"blog.example"}), kAlice).ok());
  auto updated =
      store_->UpdateTenant({.name = "shop", .hosts = {"new.example"}, .description = "d"}, kAlice);
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_THAT(updated->hosts, ElementsAre("new.example"));
  EXPECT_EQ(updated->description, "d");
  // The released host can be taken by someone else; a host in use cannot.
  EXPECT_TRUE(store_->UpdateTenant(Tenant("blog", {"blog.example", "old.example"}), kAlice).ok());
  EXPECT_EQ(store_->UpdateTenant(Tenant("blog", {"new.example"}), kAlice).status().code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(store_->UpdateTenant(Tenant("nope"), kAlice).status().code(),
            absl::StatusCode::kNotFound);
}

TEST_P(StoreContract, ListsTenantsInPages) {
  for (int i = 0; i < 25; ++i) {
    ASSERT_TRUE(store_->CreateTenant(Tenant(absl::StrCat("t", 100 + i)), kAlice).ok());
  }
  std::vector<std::string> seen;
  PageRequest page{.page_size = 10};
  int pages = 0;
  do {
    auto result = store_->ListTenants(page);
    ASSERT_TRUE(result.ok()) << result.status();
    for (const TenantRecord& t : result->items) seen.push_back(t.name);
    page.page_token = result->next_page_token;
    ++pages;
  } while (!page.page_token.empty());
  EXPECT_EQ(pages, 3);
  ASSERT_EQ(seen.size(), 25u);
  EXPECT_EQ(seen.front(), "t100");
  EXPECT_EQ(seen.back(), "t124");
  EXPECT_EQ(store_->ListTenants({.page_size = -1}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->ListTenants({.page_token = "garbage"}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_P(StoreContract, PolicyRevisionsStartAtOneAndIncrease) {
  ASSERT_TRUE(store_->CreateTenant(Tenant("shop"), kAlice).ok());
  EXPECT_EQ(store_->GetPolicy("shop").status().code(), absl::StatusCode::kNotFound);
  auto first = store_->PutPolicy("shop", "policy-1", std::nullopt, "first", kAlice);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->revision, 1);
  EXPECT_EQ(first->updated_by, "alice");
  auto second = store_->PutPolicy("shop", "policy-2", 1, "second", kAlice);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(second->revision, 2);

  auto current = store_->GetPolicy("shop");
  ASSERT_TRUE(current.ok());
  EXPECT_EQ(current->revision, 2);
  EXPECT_EQ(current->policy, "policy-2");
  EXPECT_EQ(current->comment, "second");
  EXPECT_EQ(store_->GetTenant("shop")->policy_revision, 2);
  EXPECT_EQ(store_->GetPolicyRevision("shop", 1)->policy, "policy-1");
  EXPECT_EQ(store_->PutPolicy("nope", "p", std::nullopt, "", kAlice).status().code(),
            absl::StatusCode::kNotFound);
}

TEST_P(StoreContract, StaleExpectedRevisionIsAbortedAndStoresNothing) {
  ASSERT_TRUE(store_->CreateTenant(Tenant("shop"), kAlice).ok());
  ASSERT_TRUE(store_->PutPolicy("shop", "p1", 0, "", kAlice).ok()) << "0 = no policy yet";
  auto stale = store_->PutPolicy("shop", "p2", 0, "", kAlice);
  EXPECT_EQ(stale.status().code(), absl::StatusCode::kAborted);
  EXPECT_THAT(stale.status().message(), HasSubstr("revision 1"));
  EXPECT_EQ(store_->GetPolicy("shop")->policy, "p1");
  EXPECT_EQ(store_->RollbackPolicy("shop", 1, "p1", 7, "", kAlice).status().code(),
            absl::StatusCode::kAborted);
  EXPECT_EQ(store_->ListPolicyRevisions("shop", {})->items.size(), 1u);
}

TEST_P(StoreContract, RollbackWritesANewRevisionWithOldContent) {
  ASSERT_TRUE(store_->CreateTenant(Tenant("shop"), kAlice).ok());
  ASSERT_TRUE(store_->PutPolicy("shop", "good", std::nullopt, "", kAlice).ok());
  ASSERT_TRUE(store_->PutPolicy("shop", "bad", std::nullopt, "", kAlice).ok());
  auto rolled = store_->RollbackPolicy("shop", 1, "good", 2, "", kAlice);
  ASSERT_TRUE(rolled.ok()) << rolled.status();
  EXPECT_EQ(rolled->revision, 3);
  EXPECT_EQ(rolled->policy, "good");
  EXPECT_EQ(rolled->comment, "rollback to revision 1");
  // Content other than revision 1's: the caller resolved another policy
  // (the tenant was re-created meanwhile), so it must read again.
  absl::StatusOr<PolicyRevisionRecord> other =
      store_->RollbackPolicy("shop", 1, "bad", std::nullopt, "", kAlice);
  EXPECT_TRUE(IsRetryable(other.status())) << other.status();
  EXPECT_EQ(store_->RollbackPolicy("shop", 9, "x", std::nullopt, "", kAlice).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->RollbackPolicy("shop", 0, "x", std::nullopt, "", kAlice).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_P(StoreContract, HistoryIsNewestFirstAndPaged) {
  ASSERT_TRUE(store_->CreateTenant(Tenant("shop"), kAlice).ok());
  for (int i = 1; i <= 7; ++i) {
    ASSERT_TRUE(store_->PutPolicy("shop", absl::StrCat("p", i), std::nullopt, "", kAlice).ok());
  }
  std::vector<int64_t> revisions;
  PageRequest page{.page_size = 3};
  do {
    auto result = store_->ListPolicyRevisions("shop", page);
    ASSERT_TRUE(result.ok()) << result.status();
    for (const auto& r : result->items) revisions.push_back(r.revision);
    page.page_token = result->next_page_token;
  } while (!page.page_token.empty());
  EXPECT_THAT(revisions, ElementsAre(7, 6, 5, 4, 3, 2, 1));
  // A token from one tenant's history is not valid for another list.
  auto first = store_->ListPolicyRevisions("shop", {.page_size = 3});
  EXPECT_EQ(store_->ListTenants({.page_token = first->next_page_token}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

// Every reply carrying a policy must fit the admin port's message limit: a
// policy over the cap is refused, and a page of revisions stays within its
// byte budget (or holds a single revision).
TEST_P(StoreContract, PolicySizeIsCappedAndPagesStayWithinTheirByteBudget) {
  ASSERT_TRUE(store_->CreateTenant(Tenant("shop"), kAlice).ok());
  const std::string at_cap(kMaxStoredPolicyBytes, 'p');
  auto over = store_->PutPolicy("shop", at_cap + "p", std::nullopt, "", kAlice);
  EXPECT_EQ(over.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(over.status().message()), HasSubstr("bytes serialized"));
  EXPECT_EQ(store_->GetPolicy("shop").status().code(), absl::StatusCode::kNotFound);

  const std::string third(kMaxRevisionPageBytes / 3, 't');
  ASSERT_TRUE(store_->PutPolicy("shop", at_cap, std::nullopt, "", kAlice).ok());  // 1
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(store_->PutPolicy("shop", third, std::nullopt, "", kAlice).ok());  // 2, 3, 4
  }
  std::vector<std::vector<int64_t>> pages;
  PageRequest page{.page_size = 100};
  do {
    auto result = store_->ListPolicyRevisions("shop", page);
    ASSERT_TRUE(result.ok()) << result.status();
    size_t bytes = 0;
    pages.emplace_back();
    for (const auto& r : result->items) {
      pages.back().push_back(r.revision);
      bytes += r.policy.size();
    }
    EXPECT_TRUE(bytes <= kMaxRevisionPageBytes || result->items.size() == 1) << bytes;
    page.page_token = result->next_page_token;
  } while (!page.page_token.empty());
  EXPECT_THAT(pages, ElementsAre(ElementsAre(4, 3, 2), ElementsAre(1)));
  EXPECT_EQ(store_->GetPolicyRevision("shop", 1)->policy.size(), kMaxStoredPolicyBytes);
}

TEST_P(StoreContract, DeleteRemovesTenantHostsAndHistoryButKeepsAudit) {
  ASSERT_TRUE(store_->CreateTenant(Tenant("shop", {"shop.example"}), kAlice).ok());
  ASSERT_TRUE(store_->PutPolicy("shop", "p", std::nullopt, "", kAlice).ok());
  ASSERT_TRUE(store_->DeleteTenant("shop", kAlice).ok());
  EXPECT_EQ(store_->GetTenant("shop").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->DeleteTenant("shop", kAlice).code(), absl::StatusCode::kNotFound);
  // Host and name are free again; history starts over.
  ASSERT_TRUE(store_->CreateTenant(Tenant("shop", {"shop.example"}), kAlice).ok());
  EXPECT_EQ(store_->PutPolicy("shop", "q", 0, "", kAlice)->revision, 1);
  auto audit = store_->ListAuditEvents("shop", {});
  ASSERT_TRUE(audit.ok());
  std::vector<std::string> actions;
  for (const AuditRecord& e : audit->items) actions.push_back(e.action);
  EXPECT_THAT(actions, ElementsAre("PutPolicy", "CreateTenant", "DeleteTenant", "PutPolicy",
                                   "CreateTenant"));
}

TEST_P(StoreContract, AuditRecordsEveryWriteWithActor) {
  ASSERT_TRUE(store_->CreateTenant(Tenant("shop"), kAlice).ok());
  ASSERT_TRUE(store_->CreateTenant(Tenant("blog"), {"bob"}).ok());
  ASSERT_TRUE(store_->PutPolicy("shop", "p", std::nullopt, "why", kAlice).ok());
  ASSERT_TRUE(store_
                  ->RecordAudit({.time = absl::Now(),
                                 .actor = "",
                                 .action = "PutPolicy.denied",
                                 .tenant = "shop",
                                 .detail = "PERMISSION_DENIED"})
                  .ok());
  auto all = store_->ListAuditEvents("", {});
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->items.size(), 4u);
  EXPECT_EQ(all->items[0].action, "PutPolicy.denied");
  EXPECT_EQ(all->items[1].action, "PutPolicy");
  EXPECT_EQ(all->items[1].actor, "alice");
  EXPECT_EQ(all->items[1].revision, 1);
  EXPECT_EQ(all->items[1].detail, "why");
  EXPECT_EQ(all->items[2].actor, "bob");
  EXPECT_GT(all->items[0].id, all->items[1].id);
  EXPECT_EQ(store_->ListAuditEvents("blog", {})->items.size(), 1u);

  auto paged = store_->ListAuditEvents("", {.page_size = 3});
  ASSERT_EQ(paged->items.size(), 3u);
  auto rest = store_->ListAuditEvents("", {.page_size = 3, .page_token = paged->next_page_token});
  ASSERT_EQ(rest->items.size(), 1u);
  EXPECT_TRUE(rest->next_page_token.empty());
}

TEST_P(StoreContract, TokensStoreOnlyTheHash) {
  ASSERT_TRUE(store_->CreateTenant(Tenant("shop"), kAlice).ok());
  auto created = store_->CreateToken(Role::kEditor, "shop", "ci-deploy", {"ops"});
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_GE(created->secret.size(), 40u);
  auto found = store_->FindToken(HashTokenSecret(created->secret));
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(found->role, Role::kEditor);
  EXPECT_EQ(found->tenant, "shop");
  EXPECT_EQ(found->label, "ci-deploy");
  EXPECT_FALSE(found->revoked());
  EXPECT_EQ(store_->FindToken(created->secret).status().code(), absl::StatusCode::kNotFound)
      << "looking up by the secret itself must fail: only hashes are stored";

  ASSERT_TRUE(store_->MarkTokenUsed(found->id, absl::FromUnixSeconds(1700000000)).ok());
  ASSERT_TRUE(store_->RevokeToken(found->id, {"ops"}).ok());
  auto revoked = store_->FindToken(HashTokenSecret(created->secret));
  EXPECT_TRUE(revoked->revoked());
  EXPECT_EQ(revoked->last_used_at, absl::FromUnixSeconds(1700000000));
  EXPECT_EQ(store_->RevokeToken(9999, {"ops"}).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->ListTokens()->size(), 1u);

  // Both are audited, in the same transaction as the change itself.
  auto audit = store_->ListAuditEvents("", {});
  ASSERT_TRUE(audit.ok());
  ASSERT_EQ(audit->items.size(), 3u);  // and the tenant's creation
  EXPECT_EQ(audit->items[0].action, "RevokeToken");
  EXPECT_EQ(audit->items[0].actor, "ops");
  EXPECT_EQ(audit->items[0].tenant, "shop");
  EXPECT_THAT(audit->items[0].detail, ::testing::HasSubstr("\"ci-deploy\""));
  EXPECT_EQ(audit->items[1].action, "CreateToken");
  EXPECT_THAT(audit->items[1].detail, ::testing::HasSubstr("role=editor"));
}

TEST_P(StoreContract, DeletingATenantRevokesTheTokensBoundToIt) {
  ASSERT_TRUE(store_->CreateTenant(Tenant("shop"), kAlice).ok());
  auto bound = store_->CreateToken(Role::kEditor, "shop", "shop-ci", {"ops"});
  auto other = store_->CreateToken(Role::kViewer, "", "all", {"ops"});
  ASSERT_TRUE(bound.ok() && other.ok());
  const auto before = store_->LatestChangeSeq();
  ASSERT_TRUE(store_->DeleteTenant("shop", kAlice).ok());
  EXPECT_TRUE(store_->FindToken(HashTokenSecret(bound->secret))->revoked())
      << "a tenant re-created under the same name must not inherit the token";
  EXPECT_FALSE(store_->FindToken(HashTokenSecret(other->secret))->revoked());
  auto changes = store_->ListChanges(*before, 10);
  ASSERT_TRUE(changes.ok());
  bool tokens_changed = false;
  for (const auto& c : *changes) tokens_changed |= c.kind == ChangeKind::kTokens;
  EXPECT_TRUE(tokens_changed) << "servers must learn of the revocation";
}

TEST_P(StoreContract, ChangeFeedFollowsEveryCommitInOrder) {
  auto start = store_->LatestChangeSeq();
  ASSERT_TRUE(start.ok());
  ASSERT_TRUE(store_->CreateTenant(Tenant("shop"), kAlice).ok());
  ASSERT_TRUE(store_->PutPolicy("shop", "p", std::nullopt, "", kAlice).ok());
  ASSERT_TRUE(store_->PutPolicy("shop", "q", std::nullopt, "", kAlice).ok());
  ASSERT_TRUE(store_->DeleteTenant("shop", kAlice).ok());
  auto changes = store_->ListChanges(*start, 100);
  ASSERT_TRUE(changes.ok());
  ASSERT_EQ(changes->size(), 4u);
  EXPECT_EQ((*changes)[0].kind, ChangeKind::kTenant);
  EXPECT_EQ((*changes)[1].kind, ChangeKind::kPolicy);
  EXPECT_EQ((*changes)[1].revision, 1);
  EXPECT_EQ((*changes)[2].revision, 2);
  EXPECT_EQ((*changes)[3].kind, ChangeKind::kDeleted);
  for (size_t i = 1; i < changes->size(); ++i) EXPECT_GT((*changes)[i].seq, (*changes)[i - 1].seq);
  EXPECT_EQ(*store_->LatestChangeSeq(), changes->back().seq);
  EXPECT_EQ(store_->ListChanges(*start, 2)->size(), 2u);
}

TEST_P(StoreContract, CompactionKeepsTheNewestRevisionsAndTheCurrentOne) {
  ASSERT_TRUE(store_->CreateTenant(Tenant("shop"), kAlice).ok());
  ASSERT_TRUE(store_->CreateTenant(Tenant("blog"), kAlice).ok());
  for (int i = 1; i <= 10; ++i) {
    ASSERT_TRUE(store_->PutPolicy("shop", absl::StrCat("p", i), std::nullopt, "", kAlice).ok());
  }
  ASSERT_TRUE(store_->PutPolicy("blog", "only", std::nullopt, "", kAlice).ok());
  auto report = store_->Compact({.policy_revisions = 3}, absl::Now(), {"ops"});
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->policy_revisions, 7);
  auto history = store_->ListPolicyRevisions("shop", {});
  ASSERT_TRUE(history.ok());
  std::vector<int64_t> kept;
  for (const auto& r : history->items) kept.push_back(r.revision);
  EXPECT_THAT(kept, ElementsAre(10, 9, 8));
  EXPECT_EQ(store_->GetPolicy("shop")->policy, "p10");
  EXPECT_EQ(store_->GetPolicy("blog")->policy, "only") << "a tenant's only revision stays";
  EXPECT_EQ(store_->GetPolicyRevision("shop", 7).status().code(), absl::StatusCode::kNotFound);
  // Revisions keep counting from the current one.
  EXPECT_EQ(store_->PutPolicy("shop", "p11", 10, "", kAlice)->revision, 11);
  // Zero keeps everything.
  EXPECT_EQ(store_->Compact({}, absl::Now(), {"ops"})->policy_revisions, 0);
  auto audit = store_->ListAuditEvents("", {.page_size = 1});
  ASSERT_TRUE(audit.ok());
  EXPECT_EQ(audit->items[0].action, "Compact");
  EXPECT_EQ(audit->items[0].actor, "ops");
}

TEST_P(StoreContract, CompactionPrunesOldAuditEventsAndChanges) {
  ASSERT_TRUE(store_->CreateTenant(Tenant("shop"), kAlice).ok());
  ASSERT_TRUE(store_->PutPolicy("shop", "p", std::nullopt, "", kAlice).ok());
  const auto behind = store_->LatestChangeSeq();  // a process that read this far
  ASSERT_TRUE(behind.ok());
  ASSERT_TRUE(store_->PutPolicy("shop", "q", std::nullopt, "", kAlice).ok());

  // As seen a day later: everything is older than an hour.
  const absl::Time later = absl::Now() + absl::Hours(24);
  auto report =
      store_->Compact({.audit_events = absl::Hours(1), .changes = absl::Hours(1)}, later, {"ops"});
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_GE(report->audit_events, 3);
  EXPECT_EQ(report->changes, 3);
  auto audit = store_->ListAuditEvents("", {});
  ASSERT_TRUE(audit.ok());
  ASSERT_EQ(audit->items.size(), 1u) << "only the compaction's own event is left";
  EXPECT_EQ(audit->items[0].action, "Compact");

  // A reader that had not read the pruned changes is told to reload; one
  // that starts now is not.
  auto missed = store_->ListChanges(*behind, 100);
  EXPECT_EQ(missed.status().code(), absl::StatusCode::kOutOfRange);
  auto latest = store_->LatestChangeSeq();
  ASSERT_TRUE(latest.ok());
  EXPECT_GT(*latest, *behind) << "the position survives an empty feed";
  auto fresh = store_->ListChanges(*latest, 100);
  ASSERT_TRUE(fresh.ok()) << fresh.status();
  EXPECT_TRUE(fresh->empty());
  ASSERT_TRUE(store_->PutPolicy("shop", "r", std::nullopt, "", kAlice).ok());
  EXPECT_EQ(store_->ListChanges(*latest, 100)->size(), 1u);
  EXPECT_EQ(store_->GetPolicy("shop")->revision, 3) << "policies are not the feed's to prune";

  EXPECT_EQ(store_->Compact({.policy_revisions = -1}, later, {"ops"}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_P(StoreContract, LoadsTenantStates) {
  ASSERT_TRUE(store_->CreateTenant(Tenant("shop", {"shop.example"}), kAlice).ok());
  ASSERT_TRUE(store_->CreateTenant(Tenant("blog"), kAlice).ok());
  ASSERT_TRUE(store_->PutPolicy("shop", "p1", std::nullopt, "", kAlice).ok());
  ASSERT_TRUE(store_->PutPolicy("shop", "p2", std::nullopt, "", kAlice).ok());
  auto all = store_->LoadAllTenantStates();
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 2u);
  for (const TenantState& s : *all) {
    if (s.tenant.name == "shop") {
      ASSERT_TRUE(s.policy.has_value());
      EXPECT_EQ(s.policy->revision, 2);
      EXPECT_EQ(s.policy->policy, "p2");
      EXPECT_THAT(s.tenant.hosts, ElementsAre("shop.example"));
    } else {
      EXPECT_FALSE(s.policy.has_value());
    }
  }
  EXPECT_EQ(store_->LoadTenantState("shop")->policy->revision, 2);
  EXPECT_EQ(store_->LoadTenantState("gone").status().code(), absl::StatusCode::kNotFound);
}

TEST_P(StoreContract, ScansTenantStatesInBatchesFromOneCommit) {
  // Five tenants: hosts (several, in host order), policies, one without.
  for (int i = 0; i < 5; ++i) {
    const std::string name = absl::StrCat("t", i);
    ASSERT_TRUE(store_
                    ->CreateTenant(Tenant(name, {absl::StrCat("z", i, ".example"),
                                                 absl::StrCat("a", i, ".example")}),
                                   kAlice)
                    .ok());
    if (i != 3) {
      ASSERT_TRUE(store_->PutPolicy(name, absl::StrCat("p", i), std::nullopt, "", kAlice).ok());
    }
  }
  std::vector<size_t> batch_sizes;
  std::map<std::string, TenantState> seen;
  // A commit from another connection during the scan is not part of it.
  std::unique_ptr<PolicyStore> other = fixture_->OpenAnother();
  ASSERT_TRUE(store_
                  ->ScanAllTenantStates(2,
                                        [&](PolicyStore::TenantStateBatch batch) {
                                          if (batch_sizes.empty()) {
                                            EXPECT_TRUE(
                                                other->CreateTenant(Tenant("late"), kAlice).ok());
                                          }
                                          batch_sizes.push_back(batch.size());
                                          for (TenantState& state : batch) {
                                            seen[state.tenant.name] = std::move(state);
                                          }
                                          return absl::OkStatus();
                                        })
                  .ok());
  EXPECT_THAT(batch_sizes, ElementsAre(2, 2, 1));
  ASSERT_EQ(seen.size(), 5u);
  for (int i = 0; i < 5; ++i) {
    const TenantState& state = seen[absl::StrCat("t", i)];
    EXPECT_THAT(state.tenant.hosts,
                ElementsAre(absl::StrCat("a", i, ".example"), absl::StrCat("z", i, ".example")));
    if (i == 3) {
      EXPECT_FALSE(state.policy.has_value());
      EXPECT_EQ(state.tenant.policy_revision, 0);
    } else {
      ASSERT_TRUE(state.policy.has_value()) << i;
      EXPECT_EQ(state.policy->policy, absl::StrCat("p", i));
      EXPECT_EQ(state.policy->revision, 1);
      EXPECT_EQ(state.policy->tenant, state.tenant.name);
    }
  }
  // The consumer's error ends the scan and comes back; the store stays usable.
  int batches = 0;
  absl::Status stopped = store_->ScanAllTenantStates(2, [&](PolicyStore::TenantStateBatch) {
    ++batches;
    return absl::CancelledError("enough");
  });
  EXPECT_EQ(stopped.code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(batches, 1);
  EXPECT_TRUE(store_->PutPolicy("t3", "p3", std::nullopt, "", kAlice).ok());
}

TEST_P(StoreContract, OriginSetsReResolveTheirUsersInOneTransaction) {
  ASSERT_TRUE(store_->CreateTenant(Tenant("shop"), kAlice).ok());
  ASSERT_OK_AND_ASSIGN(
      OriginSetRecord set,
      store_->PutOriginSet({.name = "web", .origins = {"https://a.example", "https://b.example"}},
                           0, "", {}, kAlice));
  EXPECT_EQ(set.revision, 1);
  EXPECT_EQ(store_->PutOriginSet({.name = "web"}, 0, "", {}, kAlice).status().code(),
            absl::StatusCode::kAborted);
  // A policy resolved against revision 1 of the set.
  ASSERT_TRUE(store_
                  ->PutPolicy("shop", PolicyContent("written", "resolved-1", {{"web", 1}}),
                              std::nullopt, "", kAlice)
                  .ok());
  // Resolved against a revision that is not current: retry.
  EXPECT_TRUE(IsRetryable(
      store_->PutPolicy("shop", PolicyContent("w", "r", {{"web", 9}}), std::nullopt, "", kAlice)
          .status()));
  ASSERT_OK_AND_ASSIGN(std::vector<OriginSetUser> users, store_->ListOriginSetUsers("web"));
  ASSERT_EQ(users.size(), 1u);
  EXPECT_EQ(users[0].tenant, "shop");
  ASSERT_TRUE(users[0].policy.has_value());
  EXPECT_EQ(users[0].policy->policy, "written");
  EXPECT_EQ(users[0].policy->resolved_policy, "") << "replaced anyway: not read";

  // Users that are not exactly the set's users now: retry, nothing stored.
  EXPECT_TRUE(IsRetryable(
      store_->PutOriginSet({.name = "web", .origins = {"https://c.example"}}, 1, "", {}, kAlice)
          .status()));
  EXPECT_EQ(store_->GetOriginSet("web")->revision, 1);
  // The same revision of another policy (a tenant re-created): retry too.
  EXPECT_TRUE(
      IsRetryable(store_
                      ->PutOriginSet({.name = "web", .origins = {"https://c.example"}}, 1, "",
                                     {{.tenant = "shop",
                                       .policy_revision = 1,
                                       .policy_written = "other",
                                       .policy_resolved = "x"}},
                                     kAlice)
                      .status()));
  ASSERT_OK_AND_ASSIGN(
      set, store_->PutOriginSet({.name = "web", .origins = {"https://c.example"}}, 1, "launch",
                                {{.tenant = "shop",
                                  .policy_revision = 1,
                                  .policy_written = "written",
                                  .policy_resolved = "resolved-2"}},
                                kAlice));
  EXPECT_EQ(set.revision, 2);
  EXPECT_EQ(set.origins, std::vector<std::string>{"https://c.example"});
  ASSERT_OK_AND_ASSIGN(PolicyRevisionRecord now, store_->GetPolicy("shop"));
  EXPECT_EQ(now.revision, 2);
  EXPECT_EQ(now.policy, "written");
  EXPECT_EQ(now.resolved_policy, "resolved-2");
  EXPECT_EQ(now.comment, "origin set web revision 2; launch");

  // Referenced: not deleted, and the message names the tenant.
  absl::Status referenced = store_->DeleteOriginSet("web", kAlice);
  EXPECT_EQ(referenced.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(referenced.message(), HasSubstr("shop"));
  ASSERT_TRUE(store_->PutPolicy("shop", "plain", std::nullopt, "", kAlice).ok());
  EXPECT_TRUE(store_->ListOriginSetUsers("web")->empty());
  EXPECT_TRUE(store_->DeleteOriginSet("web", kAlice).ok());
  EXPECT_EQ(store_->GetOriginSet("web").status().code(), absl::StatusCode::kNotFound);
  ASSERT_OK_AND_ASSIGN(Page<OriginSetRecord> page, store_->ListOriginSets({}));
  EXPECT_TRUE(page.items.empty());
}

TEST_P(StoreContract, ShadowPoliciesAreStoredReplacedAndDeletedWithAuditAndChanges) {
  ASSERT_TRUE(store_->CreateTenant(Tenant("shop"), kAlice).ok());
  EXPECT_EQ(store_->GetShadowPolicy("shop").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->PutShadowPolicy("nope", "p", "", kAlice).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->DeleteShadowPolicy("shop", kAlice).code(), absl::StatusCode::kNotFound);
  ASSERT_OK_AND_ASSIGN(const int64_t seq, store_->LatestChangeSeq());

  ASSERT_OK_AND_ASSIGN(ShadowPolicyRecord first,
                       store_->PutShadowPolicy("shop", "candidate-1", "try it", kAlice));
  EXPECT_EQ(first.policy, "candidate-1");
  EXPECT_EQ(first.updated_by, "alice");
  ASSERT_OK_AND_ASSIGN(ShadowPolicyRecord second,
                       store_->PutShadowPolicy("shop", "candidate-2", "", kAlice));
  EXPECT_GT(second.updated_at, first.updated_at) << "tells the new shadow from the old";
  ASSERT_OK_AND_ASSIGN(ShadowPolicyRecord read, store_->GetShadowPolicy("shop"));
  EXPECT_EQ(read.policy, "candidate-2");
  EXPECT_EQ(read.updated_at, second.updated_at);

  ASSERT_OK_AND_ASSIGN(TenantState state, store_->LoadTenantState("shop"));
  ASSERT_TRUE(state.shadow.has_value());
  EXPECT_EQ(state.shadow->policy, "candidate-2");
  EXPECT_FALSE(state.policy.has_value()) << "a shadow is not a revision";
  ASSERT_OK_AND_ASSIGN(std::vector<TenantState> all, store_->LoadAllTenantStates());
  ASSERT_EQ(all.size(), 1u);
  ASSERT_TRUE(all[0].shadow.has_value());
  EXPECT_EQ(all[0].shadow->updated_at, second.updated_at);

  ASSERT_TRUE(store_->DeleteShadowPolicy("shop", kAlice).ok());
  EXPECT_EQ(store_->GetShadowPolicy("shop").status().code(), absl::StatusCode::kNotFound);
  ASSERT_OK_AND_ASSIGN(state, store_->LoadTenantState("shop"));
  EXPECT_FALSE(state.shadow.has_value());

  // Every write told the other processes (a tenant change) and was audited.
  ASSERT_OK_AND_ASSIGN(std::vector<ChangeRecord> changes, store_->ListChanges(seq, 100));
  ASSERT_EQ(changes.size(), 3u);
  for (const ChangeRecord& change : changes) EXPECT_EQ(change.kind, ChangeKind::kTenant);
  ASSERT_OK_AND_ASSIGN(Page<AuditRecord> audit, store_->ListAuditEvents("shop", {}));
  std::vector<std::string> actions;
  for (const AuditRecord& event : audit.items) actions.push_back(event.action);
  EXPECT_THAT(actions, ElementsAre("DeleteShadowPolicy", "PutShadowPolicy", "PutShadowPolicy",
                                   "CreateTenant"));

  // Deleting the tenant takes its shadow along.
  ASSERT_TRUE(store_->PutShadowPolicy("shop", "candidate-3", "", kAlice).ok());
  ASSERT_TRUE(store_->DeleteTenant("shop", kAlice).ok());
  ASSERT_TRUE(store_->CreateTenant(Tenant("shop"), kAlice).ok());
  EXPECT_EQ(store_->GetShadowPolicy("shop").status().code(), absl::StatusCode::kNotFound);
}

TEST_P(StoreContract, APolicyAndItsShadowFitOneWatchEventTogether) {
  ASSERT_TRUE(store_->CreateTenant(Tenant("shop"), kAlice).ok());
  const std::string big(kMaxStoredPolicyBytes, 'p');
  ASSERT_TRUE(store_->PutPolicy("shop", big, std::nullopt, "", kAlice).ok());
  const std::string rest(kMaxPolicyAndShadowBytes - big.size(), 's');
  EXPECT_EQ(store_->PutShadowPolicy("shop", rest + "x", "", kAlice).status().code(),
            absl::StatusCode::kInvalidArgument);
  ASSERT_TRUE(store_->PutShadowPolicy("shop", rest, "", kAlice).ok());
  EXPECT_EQ(store_->PutPolicy("shop", big + "x", std::nullopt, "", kAlice).status().code(),
            absl::StatusCode::kInvalidArgument)
      << "a bigger policy beside the shadow would not fit either";
  ASSERT_OK_AND_ASSIGN(PolicyRevisionRecord promoted,
                       store_->PromoteShadowPolicy("shop", 1, std::nullopt, "", kAlice));
  EXPECT_EQ(promoted.policy.size(), rest.size()) << "the shadow alone, once promoted";
}

TEST_P(StoreContract, PromotingAShadowMakesItTheNextRevisionInOneTransaction) {
  ASSERT_TRUE(store_->CreateTenant(Tenant("shop"), kAlice).ok());
  EXPECT_EQ(
      store_->PromoteShadowPolicy("shop", std::nullopt, std::nullopt, "", kAlice).status().code(),
      absl::StatusCode::kNotFound);
  ASSERT_TRUE(store_->PutPolicy("shop", "active", std::nullopt, "", kAlice).ok());
  ASSERT_OK_AND_ASSIGN(ShadowPolicyRecord shadow,
                       store_->PutShadowPolicy("shop", "candidate", "", kAlice));

  // Stale: nothing changes, the shadow stays.
  absl::StatusOr<PolicyRevisionRecord> stale =
      store_->PromoteShadowPolicy("shop", 0, std::nullopt, "", kAlice);
  EXPECT_EQ(stale.status().code(), absl::StatusCode::kAborted);
  EXPECT_EQ(store_->GetPolicy("shop")->revision, 1);
  EXPECT_TRUE(store_->GetShadowPolicy("shop").ok());
  // Another shadow than the one the caller checked: refused too.
  EXPECT_EQ(store_->PromoteShadowPolicy("shop", 1, shadow.updated_at - absl::Seconds(1), "", kAlice)
                .status()
                .code(),
            absl::StatusCode::kAborted);

  ASSERT_OK_AND_ASSIGN(PolicyRevisionRecord promoted,
                       store_->PromoteShadowPolicy("shop", 1, shadow.updated_at, "", kAlice));
  EXPECT_EQ(promoted.revision, 2);
  EXPECT_EQ(promoted.policy, "candidate");
  EXPECT_THAT(promoted.comment, HasSubstr("promoted shadow policy"));
  EXPECT_EQ(store_->GetPolicy("shop")->policy, "candidate");
  EXPECT_EQ(store_->GetShadowPolicy("shop").status().code(), absl::StatusCode::kNotFound);
  ASSERT_OK_AND_ASSIGN(Page<AuditRecord> audit, store_->ListAuditEvents("shop", {}));
  EXPECT_EQ(audit.items[0].action, "PromoteShadowPolicy");
  EXPECT_EQ(audit.items[0].revision, 2);
}

TEST_P(StoreContract, AnotherConnectionSeesCommits) {
  std::unique_ptr<PolicyStore> other = fixture_->OpenAnother();
  ASSERT_TRUE(other->HasExternalChanges().ok());
  ASSERT_TRUE(store_->CreateTenant(Tenant("shop"), kAlice).ok());
  ASSERT_TRUE(store_->PutPolicy("shop", "p", std::nullopt, "", kAlice).ok());
  bool changed = false;
  for (int i = 0; i < 50 && !changed; ++i) {
    changed = other->HasExternalChanges().value_or(false);
    if (!changed) absl::SleepFor(absl::Milliseconds(20));
  }
  EXPECT_TRUE(changed);
  EXPECT_EQ(other->GetPolicy("shop")->policy, "p");
}

// Eight writers, each with its own connection, each doing read-modify-write
// with expected_revision and retrying on ABORTED. Every acknowledged write
// must be in the history exactly once, with no gaps: no lost updates.
TEST_P(StoreContract, ConcurrentWritersNeverLoseUpdates) {
  ASSERT_TRUE(store_->CreateTenant(Tenant("shop"), kAlice).ok());
  constexpr int kWriters = 8;
  constexpr int kWritesEach = 12;
  std::atomic<int> acknowledged{0};
  std::atomic<int> conflicts{0};
  std::vector<std::unique_ptr<PolicyStore>> connections;
  for (int w = 0; w < kWriters; ++w) connections.push_back(fixture_->OpenAnother());
  std::vector<std::thread> writers;
  std::vector<std::vector<std::string>> written(kWriters);
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      PolicyStore* db = connections[w].get();
      for (int i = 0; i < kWritesEach;) {
        auto tenant = db->GetTenant("shop");
        if (!tenant.ok()) continue;
        std::string body = absl::StrCat("writer", w, "-", i);
        auto put = db->PutPolicy("shop", body, tenant->policy_revision, "", kAlice);
        if (put.ok()) {
          // A check-then-write race would let two writers succeed against
          // the same expected revision; one of them would then land later.
          EXPECT_EQ(put->revision, tenant->policy_revision + 1) << "lost update";
          written[w].push_back(body);
          acknowledged.fetch_add(1);
          ++i;
        } else if (put.status().code() == absl::StatusCode::kAborted ||
                   put.status().code() == absl::StatusCode::kUnavailable) {
          conflicts.fetch_add(1);
        } else {
          ADD_FAILURE() << put.status();
          return;
        }
      }
    });
  }
  for (std::thread& t : writers) t.join();

  EXPECT_EQ(acknowledged.load(), kWriters * kWritesEach);
  auto tenant = store_->GetTenant("shop");
  ASSERT_TRUE(tenant.ok());
  EXPECT_EQ(tenant->policy_revision, acknowledged.load());
  std::set<std::string> bodies;
  int64_t expected_revision = acknowledged.load();
  PageRequest page{.page_size = 1000};
  auto history = store_->ListPolicyRevisions("shop", page);
  ASSERT_TRUE(history.ok());
  for (const PolicyRevisionRecord& r : history->items) {
    EXPECT_EQ(r.revision, expected_revision--) << "gap in history";
    bodies.insert(r.policy);
  }
  EXPECT_EQ(expected_revision, 0);
  for (const auto& list : written) {
    for (const std::string& body : list) EXPECT_TRUE(bodies.contains(body)) << body << " lost";
  }
  RecordProperty("conflicts_retried", conflicts.load());
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreContract, ::testing::ValuesIn(testing::StoreBackends()),
                         [](const ::testing::TestParamInfo<StoreBackend>& info) {
                           return info.param.name;
                         });

}  // namespace
}  // namespace corsd::store
