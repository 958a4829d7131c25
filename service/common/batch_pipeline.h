// BatchPipeline runs `work` on each batch the caller adds, on background
// threads (one per core), while the caller goes on producing the next batch.
// It is for a producer that is busy itself: a replica reads its tenants from
// the store batch by batch and compiles each batch while the next is read,
// instead of reading everything first and compiling afterwards.
//
//   BatchPipeline<Batch> pipeline([](Batch& b) { Compile(b); }, /*max_unfinished=*/8);
//   while (ReadNext(&batch)) pipeline.Add(std::move(batch));  // may wait
//   std::deque<Batch> done = std::move(pipeline).Finish();     // in Add order
//
// Add() waits while `max_unfinished` added batches are not finished, so what
// is read ahead stays bounded. `work` runs on one batch at a time per thread,
// concurrently for different batches, and must not throw. When no thread can
// be started, Add() runs `work` itself. Add and Finish are for one producer
// thread; destroying a pipeline that was not finished finishes it.
#ifndef CORSD_SERVICE_COMMON_BATCH_PIPELINE_H_
#define CORSD_SERVICE_COMMON_BATCH_PIPELINE_H_

#include <algorithm>
#include <cstddef>
#include <deque>
#include <functional>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include "absl/synchronization/mutex.h"

namespace corsd {

template <typename Batch>
class BatchPipeline {
 public:
  BatchPipeline(std::function<void(Batch&)> work, size_t max_unfinished)
      : work_(std::move(work)), max_unfinished_(std::max<size_t>(1, max_unfinished)) {
    const size_t cores = std::max<size_t>(1, std::thread::hardware_concurrency());
    for (size_t t = 0; t < cores; ++t) {
      try {
        threads_.emplace_back([this] { Work(); });
      } catch (const std::system_error&) {
        break;  // no more threads (a pids limit): the ones started do it all
      }
    }
  }
  ~BatchPipeline() { Stop(); }
  BatchPipeline(const BatchPipeline&) = delete;
  BatchPipeline& operator=(const BatchPipeline&) = delete;

  void Add(Batch batch) {
    if (threads_.empty()) work_(batch);
    absl::MutexLock lock(&mu_);
    if (threads_.empty()) {
      batches_.push_back(std::move(batch));
      return;
    }
    mu_.Await(absl::Condition(
        +[](BatchPipeline* p) ABSL_EXCLUSIVE_LOCKS_REQUIRED(p->mu_) {
          return p->batches_.size() - p->finished_ < p->max_unfinished_;
        },
        this));
    // push_back keeps references to the other batches valid, so threads
    // working on them are not disturbed.
    batches_.push_back(std::move(batch));
  }

  // Waits for every batch and returns them, in the order they were added.
  std::deque<Batch> Finish() && {
    Stop();
    absl::MutexLock lock(&mu_);
    return std::move(batches_);
  }

 private:
  void Work() {
    while (true) {
      Batch* batch;
      {
        absl::MutexLock lock(&mu_);
        mu_.Await(absl::Condition(
            +[](BatchPipeline* p) ABSL_EXCLUSIVE_LOCKS_REQUIRED(p->mu_) {
              return p->next_ < p->batches_.size() || p->stopping_;
            },
            this));
        if (next_ == batches_.size()) return;  // stopping, and nothing is left
        batch = &batches_[next_++];
      }
      work_(*batch);
      absl::MutexLock lock(&mu_);
      ++finished_;
    }
  }

  void Stop() {
    {
      absl::MutexLock lock(&mu_);
      stopping_ = true;
    }
    for (std::thread& thread : threads_) thread.join();
    threads_.clear();
  }

  const std::function<void(Batch&)> work_;
  const size_t max_unfinished_;
  absl::Mutex mu_;
  std::deque<Batch> batches_ ABSL_GUARDED_BY(mu_);
  size_t next_ ABSL_GUARDED_BY(mu_) = 0;      // the first batch no thread has taken
  size_t finished_ ABSL_GUARDED_BY(mu_) = 0;  // batches whose work is done
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> threads_;
};

}  // namespace corsd

#endif  // CORSD_SERVICE_COMMON_BATCH_PIPELINE_H_
