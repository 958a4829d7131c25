// ShadowRecorder decides requests with a tenant's shadow policy off the
// caller's path. The decision path calls Record() after answering from the
// active policy: it copies what the shadow needs of the request (origin,
// method, path without the query, the Access-Control-Request-* lines) into
// a queue of the calling thread, and a background thread decides each with
// the shadow and counts it in the shadow's ShadowTally. The caller pays a
// copy, not a second decision.
//
//   ShadowRecorder recorder({});
//   ... Decide(*tenant->policy, request, {}, &decision);
//   if (tenant->shadow) recorder.Record(tenant->shadow, request, decision.verdict,
//                                       decision.reason);
//   ...
//   recorder.Flush();   // before reading counts that must include every Record
//
// Bounded: a thread's queue holds at most max_queued requests and
// max_queued_bytes of their text; a Record beyond either is dropped and
// counted in dropped(), never blocks and never grows memory.
//
// Thread safety: Record may be called from any number of threads; each
// takes only its own thread's queue lock (contended only while the
// background thread swaps that queue out). Flush may be called from any
// thread. The recorder must outlive every Record call.
#ifndef CORSD_SERVICE_ENGINE_SHADOW_RECORDER_H_
#define CORSD_SERVICE_ENGINE_SHADOW_RECORDER_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "service/engine/cors_request.h"
#include "service/engine/shadow_policy.h"
#include "service/engine/verdict.h"

namespace corsd::engine {

class ShadowRecorder {
 public:
  struct Options {
    // How often the background thread decides what was queued.
    absl::Duration interval = absl::Milliseconds(50);
    size_t max_queued = 16384;          // requests per thread
    size_t max_queued_bytes = 4 << 20;  // request text per thread
  };

  explicit ShadowRecorder(Options options);
  // Stops the background thread; what is still queued is dropped uncounted.
  ~ShadowRecorder();
  ShadowRecorder(const ShadowRecorder&) = delete;
  ShadowRecorder& operator=(const ShadowRecorder&) = delete;

  // Queues `request` (decided by the active policy as `active_verdict`,
  // `active_reason`) to be decided with `shadow`, which is kept alive until
  // then. Copies the request's bytes; `request` may go away on return.
  void Record(const std::shared_ptr<const ShadowPolicy>& shadow, const Request& request,
              Verdict active_verdict, Reason active_reason);

  // Decides everything recorded before the call, on the calling thread.
  void Flush();

  int64_t decided() const { return decided_.load(std::memory_order_relaxed); }
  int64_t dropped() const { return dropped_.load(std::memory_order_relaxed); }
  // Threads whose queues this recorder holds (exited threads' queues go
  // with the next drain).
  size_t thread_queues() const;

 private:
  struct Queue;
  struct Batch;
  Queue* ThreadQueue();
  // Takes every thread's queue and decides it (serialized by drain_mu_).
  void Drain();
  void Decide(const Batch& batch);
  void Run();

  const Options options_;
  const uint64_t id_;  // tells this recorder's thread queues from an earlier one's

  mutable absl::Mutex queues_mu_;
  std::vector<std::shared_ptr<Queue>> queues_ ABSL_GUARDED_BY(queues_mu_);

  absl::Mutex drain_mu_;
  std::atomic<int64_t> decided_{0};
  std::atomic<int64_t> dropped_{0};

  absl::Mutex stop_mu_;
  bool stopping_ ABSL_GUARDED_BY(stop_mu_) = false;
  std::thread worker_;
};

}  // namespace corsd::engine

#endif  // CORSD_SERVICE_ENGINE_SHADOW_RECORDER_H_
