// PolicySync against a real SQLite store: a transient store error in the
// middle of publishing a batch must not lose the batch. The store is wrapped
// in a decorator that fails one LoadTenantState call on demand; everything
// else is the real store.
#include "service/server/policy_sync.h"

#include <atomic>

#include "gmock/gmock.h"
#include "service/convert/policy_convert.h"
#include "service/ops/metrics.h"
#include "service/server/server_metrics.h"
#include "service/server/watch_hub.h"
#include "service/store/sql_policy_store.h"
#include "tests/server/in_process_publication.h"
#include "tests/support/forwarding_store.h"
#include "tests/support/temp_dir.h"

namespace corsd::server {
namespace {

// The real store, except that LoadTenantState fails while armed.
class FlakyStore final : public corsd::testing::ForwardingStore {
 public:
  using ForwardingStore::ForwardingStore;
  void FailLoads(int n) { failing_loads_ = n; }

  absl::StatusOr<store::TenantState> LoadTenantState(absl::string_view tenant) override {
    if (failing_loads_ > 0) {
      --failing_loads_;
      return absl::UnavailableError("injected: the database went away for a moment");
    }
    return ForwardingStore::LoadTenantState(tenant);
  }

 private:
  std::atomic<int> failing_loads_{0};
};

std::string StoredPolicy(const std::string& origin) {
  v1::Policy policy;
  policy.add_rules()->add_allowed_origins(origin);
  return SerializePolicy(policy);
}

TEST(PolicySync, ATransientErrorWhilePublishingLosesNothing) {
  corsd::testing::TempDir dir;
  absl::StatusOr<std::unique_ptr<store::SqlPolicyStore>> opened =
      store::OpenSqliteStore(dir.File("corsd.db"), {});
  ASSERT_TRUE(opened.ok()) << opened.status();
  FlakyStore store(std::move(*opened));
  ASSERT_TRUE(store.CreateTenant({.name = "shop"}, {"test"}).ok());

  InProcessPublication published(&store);
  engine::TenantRegistry& registry = published.tenants;
  WatchHub& hub = published.hub;
  PolicySync& sync = published.sync;
  ASSERT_TRUE(sync.LoadAll().ok());
  std::atomic<int> wakes{0};
  std::shared_ptr<WatchQueue> watcher = *hub.Subscribe({}, 0, [&] { ++wakes; });
  ASSERT_NE(watcher, nullptr);

  ASSERT_TRUE(
      store.PutPolicy("shop", StoredPolicy("https://a.example"), std::nullopt, "one", {"test"})
          .ok());
  store.FailLoads(1);
  EXPECT_FALSE(sync.CatchUp().ok()) << "the injected error must surface";
  EXPECT_FALSE(watcher->Pop().has_value()) << "nothing is published from a failed batch";

  // The retry (the poller's, or the next write's) publishes the revision.
  ASSERT_TRUE(sync.CatchUp().ok());
  std::optional<WatchEventPtr> event = watcher->Pop();
  ASSERT_TRUE(event.has_value()) << "the revision was marked published but never sent";
  EXPECT_EQ((*event)->tenant, "shop");
  const engine::TenantSnapshot* shop = registry.Read().FindByName("shop");
  ASSERT_NE(shop, nullptr);
  EXPECT_EQ(shop->policy->revision(), 1);

  // A late subscriber gets it as current state too.
  std::shared_ptr<WatchQueue> late = *hub.Subscribe({}, 0, [] {});
  EXPECT_EQ(late->initial_events(), 1u);
  hub.Unsubscribe(watcher);
  hub.Unsubscribe(late);
}

// A process cut off from the feed for longer than its retention finds the
// changes it missed pruned: it reloads every tenant, and its watchers get
// every current version and a deletion for each tenant that went meanwhile.
TEST(PolicySync, AFeedCompactedPastItsPositionMeansAFullReload) {
  corsd::testing::TempDir dir;
  absl::StatusOr<std::unique_ptr<store::SqlPolicyStore>> opened =
      store::OpenSqliteStore(dir.File("corsd.db"), {});
  ASSERT_TRUE(opened.ok()) << opened.status();
  store::SqlPolicyStore& store = **opened;
  for (const char* tenant : {"stays", "goes"}) {
    ASSERT_TRUE(store.CreateTenant({.name = tenant}, {"test"}).ok());
    ASSERT_TRUE(
        store.PutPolicy(tenant, StoredPolicy("https://a.example"), std::nullopt, "", {"t"}).ok());
  }
  InProcessPublication published(&store);
  engine::TenantRegistry& registry = published.tenants;
  WatchHub& hub = published.hub;
  PolicySync& sync = published.sync;
  ASSERT_TRUE(sync.LoadAll().ok());
  std::shared_ptr<WatchQueue> watcher = *hub.Subscribe({}, 0, [] {});
  ASSERT_EQ(watcher->initial_events(), 2u);
  while (watcher->Pop().has_value()) {
  }

  // Meanwhile, elsewhere: one tenant deleted, the other changed, and the
  // feed compacted past all of it.
  ASSERT_TRUE(store.DeleteTenant("goes", {"other"}).ok());
  ASSERT_TRUE(
      store.PutPolicy("stays", StoredPolicy("https://b.example"), std::nullopt, "", {"t"}).ok());
  ASSERT_TRUE(
      store.Compact({.changes = absl::Hours(1)}, absl::Now() + absl::Hours(24), {"ops"}).ok());

  ASSERT_TRUE(sync.CatchUp().ok());
  EXPECT_EQ(published.metrics.feed_reloads.value(), 1u);
  EXPECT_EQ(registry.Read().FindByName("goes"), nullptr);
  ASSERT_NE(registry.Read().FindByName("stays"), nullptr);
  EXPECT_EQ(registry.Read().FindByName("stays")->policy->revision(), 2);
  std::vector<std::pair<std::string, bool>> events;  // tenant, deleted
  while (std::optional<WatchEventPtr> event = watcher->Pop()) {
    events.emplace_back((*event)->tenant, (*event)->deleted);
  }
  EXPECT_THAT(events, ::testing::UnorderedElementsAre(std::pair<std::string, bool>{"stays", false},
                                                      std::pair<std::string, bool>{"goes", true}));
  // Back on the feed: the next change arrives as usual.
  ASSERT_TRUE(
      store.PutPolicy("stays", StoredPolicy("https://c.example"), std::nullopt, "", {"t"}).ok());
  ASSERT_TRUE(sync.CatchUp().ok());
  EXPECT_EQ(registry.Read().FindByName("stays")->policy->revision(), 3);
  EXPECT_EQ(published.metrics.feed_reloads.value(), 1u);
  hub.Unsubscribe(watcher);
}

// A watcher that does not read is cut off once its backlog passes the byte
// allowance, long before the event count would: events carry whole policies.
TEST(WatchHub, ASlowWatchersBacklogIsBoundedInBytes) {
  WatchHub hub;
  std::shared_ptr<WatchQueue> slow = *hub.Subscribe({}, 0, [] {});
  ASSERT_NE(slow, nullptr);
  v1::PolicyEvent big;
  big.set_tenant("shop");
  big.mutable_version()->set_comment(std::string(4 << 20, 'c'));  // 4 MiB each
  const WatchEventPtr event = MakeWatchEvent(big);
  ASSERT_GE(event->bytes.size(), size_t{4} << 20);
  const size_t fits = WatchHub::kMaxPendingBytes / event->bytes.size();
  for (size_t i = 0; i < fits; ++i) hub.Publish({event});
  EXPECT_FALSE(slow->closed_status().has_value()) << "within the allowance";
  hub.Publish({event});
  std::optional<absl::Status> closed = slow->closed_status();
  ASSERT_TRUE(closed.has_value()) << "the backlog passed the byte allowance";
  EXPECT_EQ(closed->code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(std::string(closed->message()), ::testing::HasSubstr("64 MiB behind"));
  EXPECT_FALSE(slow->Pop().has_value()) << "the backlog is dropped, not kept";
  EXPECT_EQ(hub.watcher_count(), 0u);
}

TEST(SerializePolicy, UnknownFieldsAreNeverStored) {
  // A CorsRule carrying field 99, which corsd.v1 does not define.
  v1::Policy policy;
  v1::CorsRule* rule = policy.add_rules();
  rule->add_allowed_origins("https://a.example");
  const std::string extra = "\x9a\x06\x05junk!";  // field 99, length-delimited
  // Re-frame the rule with the extra bytes appended.
  v1::CorsRule padded;
  ASSERT_TRUE(padded.ParseFromString(rule->SerializeAsString() + extra));
  ASSERT_FALSE(padded.GetReflection()->GetUnknownFields(padded).empty());
  v1::Policy incoming;
  *incoming.add_rules() = padded;

  v1::Policy stored;
  ASSERT_TRUE(stored.ParseFromString(SerializePolicy(incoming)));
  EXPECT_TRUE(stored.rules(0).GetReflection()->GetUnknownFields(stored.rules(0)).empty());
  EXPECT_EQ(SerializePolicy(incoming), SerializePolicy(policy))
      << "a policy with unknown fields stores exactly like the same policy without them";
}

}  // namespace
}  // namespace corsd::server
