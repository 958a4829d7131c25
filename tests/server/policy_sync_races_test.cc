// PolicySync and WatchHub under interleavings forced by a store wrapper that
// commits other writes at the exact moment PolicySync reads (no sleeps):
// what a replica serves never moves back to an older revision, a tenant
// re-created elsewhere never inherits the old one's hosts or compiled policy,
// and a revoked token's watch cannot outlive a failed or skipped re-check.
#include <atomic>
#include <functional>

#include "gmock/gmock.h"
#include "service/convert/policy_convert.h"
#include "service/engine/decision.h"
#include "service/engine/policy_compiler.h"
#include "service/server/policy_sync.h"
#include "service/server/proto_records.h"
#include "service/store/sql_policy_store.h"
#include "tests/server/in_process_publication.h"
#include "tests/support/forwarding_store.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_policies.h"

namespace corsd::server {
namespace {

using ::corsd::testing::PolicyAllowingOrigin;

// The real store; the first LoadTenantState after Arm() runs `before` first,
// as another writer committing between PolicySync's feed read and its load.
class InterleavingStore final : public corsd::testing::ForwardingStore {
 public:
  using ForwardingStore::ForwardingStore;
  void Arm(std::function<void()> before) { before_ = std::move(before); }

  absl::StatusOr<store::TenantState> LoadTenantState(absl::string_view tenant) override {
    if (before_) std::exchange(before_, nullptr)();
    return ForwardingStore::LoadTenantState(tenant);
  }

 private:
  std::function<void()> before_;
};

struct Fixture {
  Fixture() {
    absl::StatusOr<std::unique_ptr<store::SqlPolicyStore>> opened =
        store::OpenSqliteStore(dir.File("corsd.db"), {});
    EXPECT_TRUE(opened.ok()) << opened.status();
    store = std::make_unique<InterleavingStore>(std::move(*opened));
  }
  corsd::testing::TempDir dir;
  std::unique_ptr<InterleavingStore> store;
};

store::PolicyRevisionRecord Put(store::PolicyStore& store, const std::string& tenant,
                                const std::string& origin) {
  absl::StatusOr<store::PolicyRevisionRecord> written = store.PutPolicy(
      tenant, SerializePolicy(PolicyAllowingOrigin(origin)), std::nullopt, "", {"test"});
  EXPECT_TRUE(written.ok()) << written.status();
  return written.ok() ? *written : store::PolicyRevisionRecord{};
}

// What PolicyWriter hands PublishCommitted after its store write.
absl::Status PublishAsWriter(PolicySync& sync, const store::PolicyRevisionRecord& written,
                             const std::string& origin) {
  const v1::Policy policy = PolicyAllowingOrigin(origin);
  engine::PolicyCompilation compiled =
      engine::CompilePolicy(ToPolicySpec(policy), written.revision);
  EXPECT_NE(compiled.policy, nullptr);
  return sync.PublishCommitted(ToPolicyVersionProto(written, policy, nullptr),
                               written.tenant_created_at, compiled.policy);
}

bool Allows(const engine::TenantSnapshot& tenant, absl::string_view origin) {
  engine::Decision decision;
  engine::Decide(*tenant.policy, {.origin = origin, .method = "GET"}, {}, &decision);
  return decision.verdict == engine::Verdict::kAllow;
}

// Revisions a watcher received, in order (-1 for a deletion).
std::vector<int64_t> DrainRevisions(WatchQueue& queue) {
  std::vector<int64_t> revisions;
  while (std::optional<WatchEventPtr> event = queue.Pop()) {
    const v1::PolicyEvent decoded = DecodeWatchEvent(*event);
    revisions.push_back(decoded.deleted() ? -1 : decoded.version().revision());
  }
  return revisions;
}

// Writer A commits revision 2 and, before A publishes it, writer B commits 3
// and the poller loads the tenant at 3 while the feed it read still ended at
// 1. A's late publication must not move the tenant back to 2.
TEST(PolicySyncRaces, ASlowerWriterNeverMovesAServedPolicyBack) {
  Fixture f;
  ASSERT_TRUE(f.store->CreateTenant({.name = "shop"}, {"test"}).ok());
  InProcessPublication published(f.store.get());
  ASSERT_TRUE(published.sync.LoadAll().ok());
  std::shared_ptr<WatchQueue> watcher = *published.hub.Subscribe({}, 0, [] {});

  Put(*f.store, "shop", "https://one.example");  // another replica's revision 1
  store::PolicyRevisionRecord a;
  f.store->Arm([&] {
    a = Put(*f.store, "shop", "https://two.example");  // A's commit
    Put(*f.store, "shop", "https://three.example");    // B's commit
  });
  ASSERT_TRUE(published.sync.CatchUp().ok());
  ASSERT_EQ(published.tenants.Read().FindByName("shop")->policy->revision(), 3);
  ASSERT_EQ(a.revision, 2);

  ASSERT_TRUE(PublishAsWriter(published.sync, a, "https://two.example").ok());
  const engine::TenantSnapshot* shop = published.tenants.Read().FindByName("shop");
  EXPECT_EQ(shop->policy->revision(), 3) << "a slower writer moved the served policy back";
  EXPECT_TRUE(Allows(*shop, "https://three.example"));
  EXPECT_THAT(DrainRevisions(*watcher), ::testing::ElementsAre(1, 2, 3))
      << "watchers get every revision once, in order";
  published.hub.Unsubscribe(watcher);
}

// This replica knows "shop" (host old.example, no policy). Elsewhere it is
// deleted and re-created with host new.example; then this replica writes
// its first policy. The publication must carry the new tenant's hosts.
TEST(PolicySyncRaces, AWriteToARecreatedTenantNeverGetsTheOldOnesHosts) {
  Fixture f;
  ASSERT_TRUE(f.store->CreateTenant({.name = "shop", .hosts = {"old.example"}}, {"test"}).ok());
  InProcessPublication published(f.store.get());
  ASSERT_TRUE(published.sync.LoadAll().ok());

  ASSERT_TRUE(f.store->DeleteTenant("shop", {"other"}).ok());
  ASSERT_TRUE(f.store->CreateTenant({.name = "shop", .hosts = {"new.example"}}, {"other"}).ok());
  const store::PolicyRevisionRecord written = Put(*f.store, "shop", "https://a.example");
  ASSERT_TRUE(PublishAsWriter(published.sync, written, "https://a.example").ok());

  const engine::TenantDirectory& now = published.tenants.Read();
  EXPECT_EQ(now.FindByHost("old.example"), nullptr) << "published with the old tenant's hosts";
  ASSERT_NE(now.FindByHost("new.example"), nullptr);
  EXPECT_EQ(now.FindByHost("new.example")->policy->revision(), 1);
}

// The feed says only "shop's hosts changed"; by the time the tenant is
// loaded it was deleted and re-created elsewhere with a revision 1 of its
// own. The old tenant's compiled revision 1 must not be reused for it.
TEST(PolicySyncRaces, ARecreatedTenantNeverReusesTheOldOnesCompiledPolicy) {
  Fixture f;
  ASSERT_TRUE(f.store->CreateTenant({.name = "shop", .hosts = {"a.example"}}, {"test"}).ok());
  Put(*f.store, "shop", "https://old.example");
  InProcessPublication published(f.store.get());
  ASSERT_TRUE(published.sync.LoadAll().ok());

  ASSERT_TRUE(f.store->UpdateTenant({.name = "shop", .hosts = {"b.example"}}, {"test"}).ok());
  f.store->Arm([&] {
    ASSERT_TRUE(f.store->DeleteTenant("shop", {"other"}).ok());
    ASSERT_TRUE(f.store->CreateTenant({.name = "shop", .hosts = {"c.example"}}, {"other"}).ok());
    Put(*f.store, "shop", "https://new.example");
  });
  // One batch of the feed: the host change only (later changes are read by
  // the next catch-up, not this one's first batch).
  ASSERT_TRUE(published.sync.CatchUp().ok());
  const engine::TenantSnapshot* shop = published.tenants.Read().FindByName("shop");
  ASSERT_NE(shop, nullptr);
  EXPECT_EQ(shop->hosts, std::vector<std::string>{"c.example"});
  EXPECT_TRUE(Allows(*shop, "https://new.example")) << "the old tenant's policy was reused";
  EXPECT_FALSE(Allows(*shop, "https://old.example"));
}

// A replica started from its snapshot serves it, but refuses watchers until
// the store answered (a watcher replaces its whole state with the initial
// one, which must never be older than what it may hold from elsewhere); the
// first catch-up goes on from the snapshot's feed position.
TEST(PolicySyncSnapshot, ServesTheSnapshotRefusesWatchersAndCatchesUpFromItsPosition) {
  Fixture f;
  ASSERT_TRUE(f.store->CreateTenant({.name = "shop", .hosts = {"shop.example"}}, {"test"}).ok());
  Put(*f.store, "shop", "https://one.example");
  std::optional<snapshot::SnapshotContent> captured;
  {
    InProcessPublication writer(f.store.get());
    ASSERT_TRUE(writer.sync.LoadAll().ok());
    captured = writer.sync.CaptureSnapshot();
    ASSERT_TRUE(captured.has_value());
  }
  v1::Snapshot snapshot = captured->head;
  for (size_t i = 0; i < captured->policy_count; ++i) {
    ASSERT_TRUE(snapshot.add_policies()->ParseFromString(captured->policy_event(i)));
  }
  Put(*f.store, "shop", "https://two.example");  // after the snapshot

  InProcessPublication restarted(f.store.get());
  EXPECT_FALSE(restarted.sync.CaptureSnapshot().has_value()) << "nothing loaded, nothing to write";
  ASSERT_TRUE(restarted.sync.LoadSnapshot(snapshot).ok());
  EXPECT_TRUE(restarted.sync.serving_from_snapshot());
  const engine::TenantSnapshot* shop = restarted.tenants.Read().FindByHost("shop.example");
  ASSERT_NE(shop, nullptr);
  EXPECT_EQ(shop->policy->revision(), 1);
  EXPECT_TRUE(Allows(*shop, "https://one.example"));
  EXPECT_EQ(restarted.hub.Subscribe({}, 0, [] {}).status().code(), absl::StatusCode::kUnavailable);

  ASSERT_TRUE(restarted.sync.CatchUp().ok());
  EXPECT_FALSE(restarted.sync.serving_from_snapshot());
  EXPECT_EQ(restarted.tenants.Read().FindByName("shop")->policy->revision(), 2);
  EXPECT_EQ(restarted.metrics.feed_reloads.value(), 0u) << "caught up through the feed";
  absl::StatusOr<std::shared_ptr<WatchQueue>> watcher = restarted.hub.Subscribe({}, 0, [] {});
  ASSERT_TRUE(watcher.ok());
  EXPECT_THAT(DrainRevisions(**watcher), ::testing::ElementsAre(2));
  restarted.hub.Unsubscribe(*watcher);
}

// A revoked token's streams end when the tokens are re-checked. A failed
// re-check is retried after the next catch-up, not forgotten.
TEST(PolicySyncRaces, AFailedTokenRecheckIsRetried) {
  Fixture f;
  std::atomic<int> calls{0};
  std::atomic<int> failures_left{1};
  InProcessPublication published(f.store.get(), {.on_tokens_changed = [&]() -> absl::Status {
                                   ++calls;
                                   if (failures_left.fetch_sub(1) > 0) {
                                     return absl::UnavailableError("injected");
                                   }
                                   return absl::OkStatus();
                                 }});
  ASSERT_TRUE(published.sync.LoadAll().ok());
  ASSERT_TRUE(published.sync.CatchUp().ok());  // the start-up check, failing once
  ASSERT_TRUE(published.sync.CatchUp().ok());
  const int after_start = calls.load();
  ASSERT_EQ(after_start, 2) << "the failed start-up re-check is retried once";

  failures_left = 1;
  absl::StatusOr<store::CreatedToken> token =
      f.store->CreateToken(store::Role::kViewer, "", "t", {"admin"});
  ASSERT_TRUE(token.ok());
  ASSERT_TRUE(f.store->RevokeToken(token->record.id, {"admin"}).ok());
  ASSERT_TRUE(published.sync.CatchUp().ok());
  EXPECT_EQ(calls.load(), after_start + 1);
  ASSERT_TRUE(published.sync.CatchUp().ok());  // nothing new in the feed
  EXPECT_EQ(calls.load(), after_start + 2) << "the failed re-check was dropped";
  ASSERT_TRUE(published.sync.CatchUp().ok());
  EXPECT_EQ(calls.load(), after_start + 2) << "a successful re-check is not repeated";
}

// After a gap in the feed (compacted past this replica's position) nothing
// says whether a token was revoked meanwhile: the reload re-checks them.
TEST(PolicySyncRaces, AReloadAfterAFeedGapRechecksTokens) {
  Fixture f;
  std::atomic<int> calls{0};
  InProcessPublication published(f.store.get(), {.on_tokens_changed = [&] {
                                   ++calls;
                                   return absl::OkStatus();
                                 }});
  ASSERT_TRUE(published.sync.LoadAll().ok());
  ASSERT_TRUE(published.sync.CatchUp().ok());
  const int before = calls.load();
  absl::StatusOr<store::CreatedToken> token =
      f.store->CreateToken(store::Role::kViewer, "", "t", {"admin"});
  ASSERT_TRUE(token.ok());
  ASSERT_TRUE(f.store->RevokeToken(token->record.id, {"admin"}).ok());
  ASSERT_TRUE(
      f.store->Compact({.changes = absl::Hours(1)}, absl::Now() + absl::Hours(24), {"ops"}).ok());
  ASSERT_TRUE(published.sync.CatchUp().ok());
  EXPECT_EQ(published.metrics.feed_reloads.value(), 1u);
  EXPECT_EQ(calls.load(), before + 1) << "the revocation hidden by the gap was never checked";
}

// A watch authenticated just before its token was revoked subscribes just
// after the hub ended that token's streams: it must be refused, not live on.
TEST(WatchHubRaces, ATokenRevokedBeforeSubscribingIsRefused) {
  WatchHub hub;
  std::shared_ptr<WatchQueue> other = *hub.Subscribe({}, 8, [] {});
  EXPECT_EQ(hub.EndStreamsOfTokens({7}, absl::UnauthenticatedError("revoked")), 0u);
  absl::StatusOr<std::shared_ptr<WatchQueue>> late = hub.Subscribe({}, 7, [] {});
  ASSERT_FALSE(late.ok());
  EXPECT_EQ(late.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_FALSE(other->closed_status().has_value());
  EXPECT_EQ(hub.EndStreamsOfTokens({7, 8}, absl::UnauthenticatedError("revoked")), 1u);
  hub.Unsubscribe(other);
}

}  // namespace
}  // namespace corsd::server
