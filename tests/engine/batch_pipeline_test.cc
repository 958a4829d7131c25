// BatchPipeline: every batch worked on exactly once, returned in the order
// added, on more than one thread, with what is read ahead bounded.
#include "service/common/batch_pipeline.h"

#include <atomic>
#include <set>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "gtest/gtest.h"

namespace corsd {
namespace {

struct Batch {
  int index = 0;
  std::vector<int> values;
  int worked = 0;
};

TEST(BatchPipeline, WorksOnEveryBatchOnceAndKeepsTheirOrder) {
  absl::Mutex mu;
  std::set<std::thread::id> threads;
  BatchPipeline<Batch> pipeline(
      [&](Batch& batch) {
        for (int& value : batch.values) value *= 2;
        ++batch.worked;
        absl::MutexLock lock(&mu);
        threads.insert(std::this_thread::get_id());
      },
      /*max_unfinished=*/4);
  for (int i = 0; i < 2000; ++i) pipeline.Add(Batch{.index = i, .values = {i, i + 1}});
  std::deque<Batch> done = std::move(pipeline).Finish();
  ASSERT_EQ(done.size(), 2000u);
  for (int i = 0; i < 2000; ++i) {
    EXPECT_EQ(done[i].index, i);
    EXPECT_EQ(done[i].worked, 1);
    EXPECT_EQ(done[i].values, (std::vector<int>{2 * i, 2 * (i + 1)}));
  }
  // Never the producer's own thread while threads could be started.
  EXPECT_FALSE(threads.contains(std::this_thread::get_id()));
  if (std::thread::hardware_concurrency() > 1) {
    EXPECT_GT(threads.size(), 1u);
  }
}

TEST(BatchPipeline, AddWaitsWhileTooManyBatchesAreUnfinished) {
  constexpr int kMaxUnfinished = 2;
  std::atomic<int> added{0};
  std::atomic<int> finished{0};
  std::atomic<int> most_ahead{0};
  BatchPipeline<Batch> pipeline(
      [&](Batch&) {
        // Seen from a worker: the producer is never more than the bound
        // ahead of the batches finished (this one is not yet).
        const int ahead = added.load() - finished.load();
        int seen = most_ahead.load();
        while (ahead > seen && !most_ahead.compare_exchange_weak(seen, ahead)) {
        }
        finished.fetch_add(1);
      },
      kMaxUnfinished);
  for (int i = 0; i < 5000; ++i) {
    pipeline.Add(Batch{.index = i});
    added.fetch_add(1);
  }
  std::deque<Batch> done = std::move(pipeline).Finish();
  EXPECT_EQ(done.size(), 5000u);
  EXPECT_EQ(finished.load(), 5000);
  EXPECT_LE(most_ahead.load(), kMaxUnfinished);
}

TEST(BatchPipeline, DestroyedUnfinishedItStillWorksOnWhatWasAdded) {
  std::atomic<int> worked{0};
  {
    BatchPipeline<Batch> pipeline([&](Batch&) { worked.fetch_add(1); }, 8);
    for (int i = 0; i < 100; ++i) pipeline.Add(Batch{.index = i});
  }
  EXPECT_EQ(worked.load(), 100);
}

}  // namespace
}  // namespace corsd
