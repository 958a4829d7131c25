// SnapshotCell under concurrent readers and a writer: readers always see a
// complete snapshot, see versions in publication order, and catch up with the
// final one; old snapshots are freed once no thread holds them.
#include "service/engine/snapshot_cell.h"

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace corsd::engine {
namespace {

// Two copies of the same number: a torn or half-built read would show them
// differing.
struct Pair {
  explicit Pair(int v) : a(v), b(v) {}
  int a;
  int b;
};

TEST(SnapshotCell, ReadSeesLatestPublication) {
  SnapshotCell<Pair> cell(std::make_shared<const Pair>(1));
  EXPECT_EQ(cell.Read().a, 1);
  cell.Publish(std::make_shared<const Pair>(2));
  EXPECT_EQ(cell.Read().a, 2);
  EXPECT_EQ(cell.Load()->a, 2);
  EXPECT_EQ(cell.version(), 1u);
}

TEST(SnapshotCell, CellsDoNotShareThreadCaches) {
  std::vector<std::unique_ptr<SnapshotCell<Pair>>> cells;
  for (int i = 0; i < 20; ++i) {
    cells.push_back(std::make_unique<SnapshotCell<Pair>>(std::make_shared<const Pair>(i)));
  }
  // More cells than per-thread slots: reads stay correct.
  for (int round = 0; round < 3; ++round) {
    for (int i = 0; i < 20; ++i) EXPECT_EQ(cells[i]->Read().a, i);
  }
}

TEST(SnapshotCell, ConcurrentReadersNeverSeeTornOrOlderSnapshots) {
  SnapshotCell<Pair> cell(std::make_shared<const Pair>(0));
  constexpr int kPublications = 20000;
  std::atomic<bool> done{false};
  std::atomic<int> failures{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 3; ++t) {
    readers.emplace_back([&] {
      int last = 0;
      while (!done.load(std::memory_order_acquire)) {
        const Pair& p = cell.Read();
        if (p.a != p.b || p.a < last) failures.fetch_add(1);
        last = p.a;
      }
      if (cell.Read().a != kPublications) failures.fetch_add(1);
    });
  }
  for (int i = 1; i <= kPublications; ++i) cell.Publish(std::make_shared<const Pair>(i));
  done.store(true, std::memory_order_release);
  for (std::thread& t : readers) t.join();
  EXPECT_EQ(failures.load(), 0);
}

TEST(SnapshotCell, OldSnapshotFreedAfterReadersMoveOn) {
  SnapshotCell<Pair> cell(std::make_shared<const Pair>(1));
  std::weak_ptr<const Pair> first = cell.Load();
  std::thread reader([&] { EXPECT_EQ(cell.Read().a, 1); });
  reader.join();  // thread exit releases its cached copy
  EXPECT_EQ(cell.Read().a, 1);
  cell.Publish(std::make_shared<const Pair>(2));
  EXPECT_EQ(cell.Read().a, 2);  // this thread moves on too
  EXPECT_TRUE(first.expired());
}

TEST(SnapshotPin, KeepsWhatThisThreadReadAcrossPublishAndReread) {
  SnapshotCell<Pair> cell(std::make_shared<const Pair>(1));
  std::weak_ptr<const Pair> first = cell.Load();
  {
    SnapshotPin pin;
    const Pair& held = cell.Read();
    cell.Publish(std::make_shared<const Pair>(2));
    EXPECT_EQ(cell.Read().a, 2);  // the cache moves on...
    EXPECT_FALSE(first.expired());
    EXPECT_EQ(held.a, 1);  // ...but what was read under the pin stays alive
    EXPECT_EQ(held.b, 1);
    {
      SnapshotPin nested;
      EXPECT_EQ(SnapshotPin::HeldByThisThread(), 2u);
    }
    EXPECT_FALSE(first.expired()) << "an inner pin must not free what the outer one keeps";
  }
  EXPECT_EQ(SnapshotPin::HeldByThisThread(), 0u);
  EXPECT_TRUE(first.expired()) << "the last pin frees what it kept";
}

TEST(SnapshotPin, PinsArePerThread) {
  SnapshotCell<Pair> cell(std::make_shared<const Pair>(1));
  std::weak_ptr<const Pair> first = cell.Load();
  SnapshotPin pin;  // held by this thread only
  std::thread other([&] {
    EXPECT_EQ(SnapshotPin::HeldByThisThread(), 0u);
    EXPECT_EQ(cell.Read().a, 1);
    cell.Publish(std::make_shared<const Pair>(2));
    EXPECT_EQ(cell.Read().a, 2);
  });
  other.join();
  EXPECT_TRUE(first.expired()) << "another thread's pin does not keep this thread's snapshots";
}

// A pin owned by a thread_local object outlives the thread's own snapshot
// state at thread exit (thread_locals are destroyed in reverse order of
// construction, and the holder was made first). Its release must neither touch
// freed thread-local memory (ASan) nor leak what it kept.
struct ThreadExitHolder {
  std::optional<SnapshotPin> pin;
};
thread_local ThreadExitHolder thread_exit_holder;

TEST(SnapshotPin, HeldByAThreadLocalAndReleasedAtThreadExit) {
  SnapshotCell<Pair> cell(std::make_shared<const Pair>(1));
  std::weak_ptr<const Pair> first = cell.Load();
  std::thread worker([&] {
    ThreadExitHolder& holder = thread_exit_holder;  // constructed before any pin or read
    EXPECT_EQ(cell.Read().a, 1);
    holder.pin.emplace();
    EXPECT_EQ(cell.Read().a, 1);
    cell.Publish(std::make_shared<const Pair>(2));
    EXPECT_EQ(cell.Read().a, 2);  // 1 is kept for the pin
  });
  worker.join();
  EXPECT_TRUE(first.expired()) << "the pin released at thread exit freed what it kept";
  EXPECT_EQ(cell.Read().a, 2);
}

TEST(SnapshotPin, ReleasedOnAnotherThreadIsHandedBackToItsOwner) {
  SnapshotCell<Pair> cell(std::make_shared<const Pair>(1));
  std::weak_ptr<const Pair> first = cell.Load();
  std::unique_ptr<SnapshotPin> pin;
  std::mutex mu;
  std::condition_variable cv;
  int step = 0;  // 1: worker pinned and read; 2: main released the pin
  std::thread worker([&] {
    pin = std::make_unique<SnapshotPin>();
    EXPECT_EQ(cell.Read().a, 1);
    cell.Publish(std::make_shared<const Pair>(2));
    EXPECT_EQ(cell.Read().a, 2);
    EXPECT_FALSE(first.expired());
    {
      std::unique_lock lock(mu);
      step = 1;
      cv.notify_all();
      cv.wait(lock, [&] { return step == 2; });
    }
    EXPECT_EQ(SnapshotPin::HeldByThisThread(), 0u) << "the foreign release was counted";
    EXPECT_EQ(cell.Read().a, 2);  // the owner's next read frees what the pin kept
    EXPECT_TRUE(first.expired());
    SnapshotPin again;  // and the owner's own pins count from zero again
    EXPECT_EQ(SnapshotPin::HeldByThisThread(), 1u);
  });
  {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return step == 1; });
    EXPECT_EQ(SnapshotPin::HeldByThisThread(), 0u) << "this thread made no pin";
    pin.reset();  // released on a thread that did not make it
    EXPECT_EQ(SnapshotPin::HeldByThisThread(), 0u);
    step = 2;
    cv.notify_all();
  }
  worker.join();
}

TEST(SnapshotPin, OutlivingItsThreadKeepsWhatItPinnedUntilReleased) {
  SnapshotCell<Pair> cell(std::make_shared<const Pair>(1));
  std::weak_ptr<const Pair> first = cell.Load();
  std::unique_ptr<SnapshotPin> pin;
  const Pair* held = nullptr;
  std::thread worker([&] {
    pin = std::make_unique<SnapshotPin>();
    held = &cell.Read();
    cell.Publish(std::make_shared<const Pair>(2));
    EXPECT_EQ(cell.Read().a, 2);
  });
  worker.join();
  ASSERT_FALSE(first.expired()) << "the thread exited but its pin is alive";
  EXPECT_EQ(held->a, 1);
  EXPECT_EQ(held->b, 1);
  pin.reset();  // the last pin of an exited thread frees its state
  EXPECT_TRUE(first.expired());
}

// Many pins of one thread released on other threads while that thread
// exits: the state is freed exactly once, by whichever release is last, and
// never read after (ASan and TSan builds check both).
// ThreadSanitizer slows the spinning below down a hundredfold; it needs the
// interleavings, not the repetitions.
#ifdef __SANITIZE_THREAD__
constexpr int kExitRaceRounds = 30;
#else
constexpr int kExitRaceRounds = 200;
#endif

TEST(SnapshotPin, ReleasesRacingTheOwnersExitFreeItsStateOnce) {
  SnapshotCell<Pair> cell(std::make_shared<const Pair>(1));
  for (int round = 0; round < kExitRaceRounds; ++round) {
    constexpr int kPins = 6;
    std::vector<std::unique_ptr<SnapshotPin>> pins(kPins);
    std::atomic<bool> made{false};
    std::atomic<bool> go{false};
    std::thread owner([&] {
      for (auto& pin : pins) pin = std::make_unique<SnapshotPin>();
      EXPECT_GE(cell.Read().a, 1);
      made = true;
      while (!go) {
      }
    });
    while (!made) {
    }
    std::vector<std::thread> releasers;
    for (int i = 0; i < kPins; ++i) {
      releasers.emplace_back([&, i] {
        while (!go) {
        }
        pins[i].reset();
      });
    }
    go = true;  // the owner exits while the pins are released
    owner.join();
    for (std::thread& t : releasers) t.join();
  }
  std::weak_ptr<const Pair> first = cell.Load();
  cell.Publish(std::make_shared<const Pair>(2));
  EXPECT_EQ(cell.Read().a, 2);
  EXPECT_TRUE(first.expired()) << "an exited thread's pins kept its snapshot";
}

}  // namespace
}  // namespace corsd::engine
