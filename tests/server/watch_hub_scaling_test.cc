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

// The best of `times` runs of `step`: the minimum is the code's cost.
template <typename Step>
absl::Duration Best(int times, Step step) {
  absl::Duration best = absl::InfiniteDuration();
  for (int i = 0; i < times; ++i) {
    const absl::Time start = absl::Now();
    step(i);
    best = std::min(best, absl::Now() - start);
  }
  return best;
}

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
      subscribe[which] = std::min(subscribe[which], Best(20, [&](int) {
                                    absl::StatusOr<std::shared_ptr<WatchQueue>> queue =
                                        hub->Subscribe({}, 0, [] {});
                                    ASSERT_TRUE(queue.ok());
                                    hub->Unsubscribe(*queue);
                                  }));
      publish[which] =
          std::min(publish[which], Best(200, [&](int i) {
                     hub->Publish({Event((i * 7919) % (which == 0 ? 10 : 100'000), round + 2)});
                   }));
      ++which;
    }
  }
  EXPECT_LT(absl::FDivDuration(subscribe[1], subscribe[0]), 8.0)
      << "subscribe: " << subscribe[0] << " at 10 tenants, " << subscribe[1] << " at 100,000";
  EXPECT_LT(absl::FDivDuration(publish[1], publish[0]), 8.0)
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

// The backlog limit applies to later events only: a watcher still reading
// a large initial state is closed once it falls kMaxPendingEvents behind.
TEST(WatchHubScaling, AWatcherStillReadingItsInitialStateIsStillBounded) {
  WatchHub hub;
  Fill(hub, 5'000);
  std::shared_ptr<WatchQueue> slow = *hub.Subscribe({}, 0, [] {});
  for (size_t i = 0; i < WatchHub::kMaxPendingEvents; ++i) hub.Publish({Event(1, 2 + i)});
  EXPECT_FALSE(slow->closed_status().has_value());
  hub.Publish({Event(1, 5'000)});
  ASSERT_TRUE(slow->closed_status().has_value());
  EXPECT_EQ(slow->closed_status()->code(), absl::StatusCode::kResourceExhausted);
  EXPECT_FALSE(slow->Pop().has_value()) << "the initial state is dropped with the backlog";
}

}  // namespace
}  // namespace corsd::server
