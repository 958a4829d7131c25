// WatchHub at fleet size: a new watcher of every tenant takes the hub's state
// in O(1) (a shared copy) and receives it entry by entry, with later events
// behind it, and neither subscribing nor publishing costs in proportion to
// the number of tenants.
#include <algorithm>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "service/server/watch_hub.h"
#include "tests/support/best_time.h"

namespace corsd::server {
namespace {

WatchEventPtr Event(int tenant, int64_t revision) {
  v1::PolicyEvent event;
  event.set_tenant(absl::StrCat("t-", tenant));
  event.mutable_version()->set_revision(revision);
  event.add_hosts(absl::StrCat("t-", tenant, ".api.example"));
  return MakeWatchEvent(event);
}

void Fill(WatchHub& hub, int tenants) {
  std::vector<WatchEventPtr> events;
  for (int i = 0; i < tenants; ++i) events.push_back(Event(i, 1));
  hub.Publish(events);
}

int64_t RevisionOf(const WatchEventPtr& event) {
  v1::PolicyEvent parsed;
  EXPECT_TRUE(parsed.ParseFromString(WatchEventBytes(*event)));
  return parsed.version().revision();
}

using ::corsd::testing::BestTime;

TEST(WatchHubScaling, SubscribingAndPublishingDoNotGrowWithTheFleet) {
  WatchHub small;
  WatchHub large;
  Fill(small, 10);
  Fill(large, 100'000);
  absl::Duration subscribe[2] = {absl::InfiniteDuration(), absl::InfiniteDuration()};
  absl::Duration publish[2] = {absl::InfiniteDuration(), absl::InfiniteDuration()};
  for (int round = 0; round < 5; ++round) {
    int which = 0;
    for (WatchHub* hub : {&small, &large}) {
      subscribe[which] = std::min(subscribe[which], BestTime(20, [&](int) {
                                    absl::StatusOr<std::shared_ptr<WatchQueue>> queue =
                                        hub->Subscribe({}, 0, [] {});
                                    ASSERT_TRUE(queue.ok());
                                    hub->Unsubscribe(*queue);
                                  }));
      publish[which] =
          std::min(publish[which], BestTime(200, [&](int i) {
                     hub->Publish({Event((i * 7919) % (which == 0 ? 10 : 100'000), round + 2)});
                   }));
      ++which;
    }
  }
  EXPECT_LT(absl::FDivDuration(subscribe[1], subscribe[0]), 12.0)
      << "subscribe: " << subscribe[0] << " at 10 tenants, " << subscribe[1] << " at 100,000";
  EXPECT_LT(absl::FDivDuration(publish[1], publish[0]), 12.0)
      << "publish: " << publish[0] << " at 10 tenants, " << publish[1] << " at 100,000";
}

TEST(WatchHubScaling, TheInitialStateIsTheStateAtSubscriptionThenLaterEvents) {
  WatchHub hub;
  Fill(hub, 20'000);
  std::shared_ptr<WatchQueue> all = *hub.Subscribe({}, 0, [] {});
  std::shared_ptr<WatchQueue> two = *hub.Subscribe({"t-5", "t-7", "t-missing"}, 0, [] {});
  EXPECT_EQ(all->initial_events(), 20'000u);
  EXPECT_EQ(two->initial_events(), 2u);

  // Changed after the subscription: not part of the initial state, sent after it.
  hub.Publish({Event(5, 2)});
  v1::PolicyEvent deleted;
  deleted.set_tenant("t-7");
  deleted.set_deleted(true);
  hub.Publish({MakeWatchEvent(deleted)});

  absl::flat_hash_map<std::string, int64_t> initial;
  for (size_t i = 0; i < all->initial_events(); ++i) {
    std::optional<WatchEventPtr> event = all->Pop();
    ASSERT_TRUE(event.has_value()) << i;
    ASSERT_TRUE(initial.emplace((*event)->tenant, RevisionOf(*event)).second) << "twice";
  }
  EXPECT_EQ(initial.size(), 20'000u);
  EXPECT_EQ(initial["t-5"], 1);
  EXPECT_TRUE(initial.contains("t-7"));
  std::optional<WatchEventPtr> later = all->Pop();
  ASSERT_TRUE(later.has_value());
  EXPECT_EQ((*later)->tenant, "t-5");
  EXPECT_EQ(RevisionOf(*later), 2);
  later = all->Pop();
  ASSERT_TRUE(later.has_value());
  EXPECT_TRUE((*later)->deleted);
  EXPECT_FALSE(all->Pop().has_value());

  std::vector<std::string> named;
  while (std::optional<WatchEventPtr> event = two->Pop()) named.push_back((*event)->tenant);
  EXPECT_EQ(named.size(), 4u) << "t-5 and t-7 initially, then their two changes";

  // A watcher subscribing now gets the new state.
  std::shared_ptr<WatchQueue> late = *hub.Subscribe({}, 0, [] {});
  EXPECT_EQ(late->initial_events(), 19'999u);
  hub.Unsubscribe(all);
  hub.Unsubscribe(two);
  hub.Unsubscribe(late);
}

// Later events may pile up behind an initial state still being sent: each
// initial entry sent makes room for one more (as when the initial state was
// queued as events), so a watcher that keeps reading is never cut off by a
// busy writer, and one that stops reading is, kMaxPendingEvents later.
TEST(WatchHubScaling, TheBacklogAllowanceGrowsAsTheInitialStateIsSent) {
  WatchHub hub;
  Fill(hub, 5'000);
  std::shared_ptr<WatchQueue> reading = *hub.Subscribe({}, 0, [] {});
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(reading->Pop().has_value());
  for (size_t i = 0; i < WatchHub::kMaxPendingEvents + 100; ++i) {
    hub.Publish({Event(1, 2 + static_cast<int64_t>(i))});
  }
  EXPECT_FALSE(reading->closed_status().has_value()) << "within the allowance";
  hub.Publish({Event(1, 5'000)});
  ASSERT_TRUE(reading->closed_status().has_value());
  EXPECT_EQ(reading->closed_status()->code(), absl::StatusCode::kResourceExhausted);
  EXPECT_FALSE(reading->Pop().has_value()) << "the initial state is dropped with the backlog";
}

// A revoked token's stream ends without the rest of its initial state; a
// shutdown still delivers what was queued.
TEST(WatchHubScaling, ARevokedWatcherGetsNothingMore) {
  WatchHub hub;
  Fill(hub, 100);
  std::shared_ptr<WatchQueue> revoked = *hub.Subscribe({}, 7, [] {});
  std::shared_ptr<WatchQueue> other = *hub.Subscribe({}, 8, [] {});
  ASSERT_TRUE(revoked->Pop().has_value());
  EXPECT_EQ(hub.EndStreamsOfTokens({7}, absl::UnauthenticatedError("revoked")), 1u);
  EXPECT_FALSE(revoked->Pop().has_value());
  ASSERT_TRUE(revoked->closed_status().has_value());
  EXPECT_EQ(revoked->closed_status()->code(), absl::StatusCode::kUnauthenticated);
  hub.Shutdown();
  EXPECT_FALSE(other->closed_status().has_value()) << "queued events are delivered first";
  size_t delivered = 0;
  while (other->Pop().has_value()) ++delivered;
  EXPECT_EQ(delivered, 100u);
  EXPECT_EQ(other->closed_status()->code(), absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace corsd::server
