// LazyStore is a PolicyStore that may not be open yet: corsd starting while
// its database is unreachable ("Fail static") serves decisions from its
// snapshot, and every store call made meanwhile is one more chance to open
// the real store (at most one attempt at a time, and no sooner than the
// backoff allows, doubling from 250 ms to 10 s). Until it opens, calls fail
// with UNAVAILABLE saying why; once open, every call goes straight to the
// real store.
//
//   LazyStore store([&] { return OpenStore(selection); }, "postgres://db/corsd");
//   store.TryOpen();           // first attempt, at start-up
//   store.ListChanges(...);    // UNAVAILABLE until an attempt succeeds
//
// Thread-safe. `open` is called on whichever thread makes the attempt; its
// failures are reported to `on_failed` (once per attempt, for the log).
#ifndef CORSD_SERVICE_STORE_LAZY_STORE_H_
#define CORSD_SERVICE_STORE_LAZY_STORE_H_

#include <atomic>
#include <functional>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "service/store/forwarding_store.h"

namespace corsd::store {

class LazyStore final : public ForwardingStore {
 public:
  using Opener = std::function<absl::StatusOr<std::unique_ptr<PolicyStore>>()>;
  static constexpr absl::Duration kFirstBackoff = absl::Milliseconds(250);
  static constexpr absl::Duration kMaxBackoff = absl::Seconds(10);

  LazyStore(Opener open, std::string description,
            std::function<void(const absl::Status&)> on_failed = nullptr);

  // One attempt now, whatever the backoff says (start-up). OK once open.
  absl::Status TryOpen();
  bool is_open() const { return open_store_.load(std::memory_order_acquire) != nullptr; }

  std::string Describe() const override { return description_; }

 protected:
  absl::StatusOr<PolicyStore*> Target() override;

 private:
  absl::Status Attempt() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const Opener open_;
  const std::string description_;
  const std::function<void(const absl::Status&)> on_failed_;
  std::atomic<PolicyStore*> open_store_{nullptr};
  absl::Mutex mu_;
  std::unique_ptr<PolicyStore> store_ ABSL_GUARDED_BY(mu_);
  absl::Time next_attempt_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  absl::Duration backoff_ ABSL_GUARDED_BY(mu_) = kFirstBackoff;
};

}  // namespace corsd::store

#endif  // CORSD_SERVICE_STORE_LAZY_STORE_H_
