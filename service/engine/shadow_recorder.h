// ShadowRecorder decides requests with a tenant's shadow policy off the
// caller's path. The decision path calls Record() after answering from the
// active policy, and a background thread decides with the shadow and counts
// in the shadow's ShadowTally. The caller pays neither a second decision
// nor, in the common case, a copy:
//  - Each thread keeps a small memo of the request shapes it recorded last:
//    the shadow, the shadow's rule for the path, the active verdict and
//    reason, the origin, the method and what the Access-Control-Request-*
//    lines come to (the active decision's CorsRequestHeaders scan), which
//    are everything the shadow's decision depends on. A request of a shape
//    in the memo adds one to that shape's count, with no lock and no copy.
//    The shape the thread counted last is compared first, and for a shadow
//    with one rule for every path that compare is all a repeat costs. The
//    background thread decides each shape once per drain and counts it as
//    often as it was seen.
//  - A request of a new shape takes the memo slot its shape hashes to. One
//    whose shape the memo does not keep (text over kMemoTextBytes, lines or
//    path over their limits, two or more Access-Control-Request-Method
//    lines, more than CorsRequestHeaders::kKeptRequestHeadersLines
//    Access-Control-Request-Headers lines) is copied (origin, method, path
//    without the query, its Access-Control-Request-* lines) into the
//    thread's queue. So is a request recorded while its thread exits, after
//    the thread's queues went (counted in dropped()).
// Counts are the same as deciding every request. A disagreement seen n times
// adds min(n, ShadowTally::kMaxSamples) samples, all with the drain's time;
// a sample of a memoized shape shows the path of the request that first
// had it.
//
//   ShadowRecorder recorder({});
//   ... const CorsRequestHeaders cors = ScanCorsRequestHeaders(request.headers);
//   Decide(*tenant->policy, request, cors, {}, &decision);
//   if (tenant->shadow) recorder.Record(tenant->shadow, request, cors, decision.verdict,
//                                       decision.reason);
//   ...
//   recorder.Flush();   // before reading counts that must include every Record
//
// Bounded: a thread's queue holds at most max_queued requests and
// max_queued_bytes of their text; a Record beyond either is dropped and
// counted in dropped(), never blocks and never grows memory. A thread's memo
// is kMemoSlots shapes of at most kMemoTextBytes each (a fixed ~20 KiB per
// thread); it keeps the shadows of its shapes alive until the thread records
// a request of another shape into their slot, records after the next
// memo_refresh, or exits, so an idle thread can hold up to kMemoSlots
// replaced shadows until it records again. When the queue is full, a new
// shape that would evict a slot with counts is dropped instead.
//
// Thread safety: Record may be called from any number of threads; a memo
// hit takes no lock, anything else only its own thread's queue lock
// (contended only while the background thread drains that queue). Flush
// may be called from any thread. The recorder must outlive every Record
// call.
#ifndef CORSD_SERVICE_ENGINE_SHADOW_RECORDER_H_
#define CORSD_SERVICE_ENGINE_SHADOW_RECORDER_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <thread>
#include <vector>

#include "absl/base/attributes.h"
#include "absl/base/thread_annotations.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "service/engine/cors_request.h"
#include "service/engine/shadow_memo.h"
#include "service/engine/shadow_policy.h"
#include "service/engine/verdict.h"

namespace corsd::engine {

class ShadowRecorder {
 public:
  // Shapes memoized per thread, and the text (origin, method, path,
  // Access-Control-Request-* lines) a memoized shape may have.
  static constexpr size_t kMemoSlots = 64;
  static constexpr size_t kMemoTextBytes = shadow_memo::kTextBytes;

  struct Options {
    // How often the background thread decides what was queued.
    absl::Duration interval = absl::Milliseconds(50);
    size_t max_queued = 16384;          // requests per thread
    size_t max_queued_bytes = 4 << 20;  // request text per thread
    // How often each thread's memo is emptied (on the thread's next Record),
    // so shadows it no longer sees (replaced, deleted) are let go.
    absl::Duration memo_refresh = absl::Seconds(10);
  };

  explicit ShadowRecorder(Options options);
  // Stops the background thread; what is still queued is dropped uncounted.
  ~ShadowRecorder();
  ShadowRecorder(const ShadowRecorder&) = delete;
  ShadowRecorder& operator=(const ShadowRecorder&) = delete;

  // Records `request` (decided by the active policy as `active_verdict`,
  // `active_reason`) to be decided with `shadow`, which is kept alive until
  // then: counted in the thread's memo, or copied into its queue. Keeps
  // nothing of `request` itself; it may go away on return.
  // `cors` must be ScanCorsRequestHeaders(request.headers), as the active
  // decision used it (the Decide overload that takes it).
  ABSL_ATTRIBUTE_ALWAYS_INLINE void Record(const std::shared_ptr<const ShadowPolicy>& shadow,
                                           const Request& request, const CorsRequestHeaders& cors,
                                           Verdict active_verdict, Reason active_reason) {
    if (!shadow_memo::CountIfLast(this, shadow.get(), request, cors, active_verdict,
                                  active_reason)) {
      RecordShape(shadow, request, cors, active_verdict, active_reason);
    }
  }

  // Decides everything recorded before the call, on the calling thread.
  void Flush();

  // Requests decided with a shadow (a memoized shape counts once per
  // request it stands for).
  int64_t decided() const { return decided_.load(std::memory_order_relaxed); }
  int64_t dropped() const { return dropped_.load(std::memory_order_relaxed); }
  // Threads whose queues this recorder holds (exited threads' queues go
  // with the next drain).
  size_t thread_queues() const;

 private:
  struct Queue;
  struct Batch;
  struct MemoSlot;
  // The calling thread's queue, found or made; RecordShape calls it only
  // when the thread's last queue is not this recorder's.
  Queue* ThreadQueue();
  // Record after its first guess (shadow_memo::CountIfLast, inline): finds
  // the request's shape in the memo, takes a slot for it, or copies the
  // request into the queue.
  ABSL_ATTRIBUTE_NOINLINE void RecordShape(const std::shared_ptr<const ShadowPolicy>& shadow,
                                           const Request& request, const CorsRequestHeaders& cors,
                                           Verdict active_verdict, Reason active_reason);
  // The slow path: copies the request into the thread's queue.
  void Enqueue(Queue* queue, const std::shared_ptr<const ShadowPolicy>& shadow,
               const Request& request, absl::string_view path, Verdict active_verdict,
               Reason active_reason);
  // Moves what `slot` counted since it was last handed over into `batch`.
  // Called with the slot's queue lock held.
  void HandOver(MemoSlot& slot, Batch* batch);
  // Whether `batch` takes one more entry of `bytes` within the bounds.
  bool HasRoom(const Batch& batch, size_t bytes) const;
  // Hands over and empties the calling thread's memo.
  void RefreshMemo(Queue* queue);
  // Takes every thread's queue and memo counts and decides them (serialized
  // by drain_mu_).
  void Drain();
  void Decide(const Batch& batch);
  void Run();

  const Options options_;
  const uint64_t id_;  // tells this recorder's thread queues from an earlier one's

  mutable absl::Mutex queues_mu_;
  std::vector<std::shared_ptr<Queue>> queues_ ABSL_GUARDED_BY(queues_mu_);

  absl::Mutex drain_mu_;
  absl::Time last_memo_refresh_ ABSL_GUARDED_BY(drain_mu_) = absl::Now();
  std::atomic<int64_t> decided_{0};
  std::atomic<int64_t> dropped_{0};

  absl::Mutex stop_mu_;
  bool stopping_ ABSL_GUARDED_BY(stop_mu_) = false;
  std::thread worker_;
};

}  // namespace corsd::engine

#endif  // CORSD_SERVICE_ENGINE_SHADOW_RECORDER_H_
