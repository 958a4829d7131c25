// SnapshotCell<T> publishes immutable snapshots of T from writers to many
// concurrent readers, RCU style: a writer builds a new T off to the side and
// swaps it in; readers never see a half-built value and never wait on one.
//
// Reading is the hot path of every Check, so Read() costs one atomic load and
// a compare: each thread keeps the snapshot it last saw together with its
// version, and only when a writer has published since does it take the lock
// to pick up the new one. (std::atomic<std::shared_ptr> would be simpler, but
// libstdc++ implements it with a spin lock that all readers share.)
//
//   SnapshotCell<Directory> cell(std::make_shared<const Directory>());
//   cell.Publish(std::make_shared<const Directory>(next));   // writer
//   const Directory& now = cell.Read();                      // reader, hot path
//   std::shared_ptr<const Directory> pinned = cell.Load();   // reader, cold path
//
// Lifetime: the reference from Read() stays valid until the same thread calls
// Read() again, on this or any other cell (or exits), unless the thread holds
// a SnapshotPin (below); keep a Load() result to hold a snapshot longer across
// threads. An old snapshot is freed once no thread caches or pins it any more,
// i.e. after each thread that read it has read again (with no pin held) or
// exited.
//
// SnapshotPin extends Read()'s guarantee cheaply: while
// at least one pin is alive on a thread, every snapshot that thread read
// stays alive, even if the thread reads again and a newer one replaces it in
// its cache. Making a pin costs a thread-local increment, releasing it on its
// own thread a decrement and one atomic load (no lock), which is what lets a
// gateway keep views into a policy for the length of a request:
//
//   SnapshotPin pin;                              // same thread from here on
//   const Directory& now = cell.Read();
//   ... cell.Publish(next); cell.Read(); ...       // `now` is still valid
//   // ~SnapshotPin: the last pin on this thread frees what was kept
//
// A pin is best destroyed on the thread that made it. It may also be destroyed
// on another thread (a request handed over with its DecisionView) or after
// its thread's thread-local objects are gone (a thread_local view destroyed at
// thread exit): the release is then counted where the owning thread looks (one
// atomic compare-and-swap), and the owner frees what it kept at its next read
// or pin, or the last such release frees it when the owner has exited. A
// Read() or pin made from a thread_local destructor that runs after the
// thread's snapshot state was torn down allocates a new state that is never
// freed (it keeps what it read): do not read cells at that point. A thread that
// never lets its pin count drop to zero keeps every snapshot it reads meanwhile
// (one per policy change), so hold pins for the duration of a request only.
#ifndef CORSD_SERVICE_ENGINE_SNAPSHOT_CELL_H_
#define CORSD_SERVICE_ENGINE_SNAPSHOT_CELL_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace corsd::engine {

// Type-erased machinery shared by every SnapshotCell<T>.
class SnapshotCellBase {
 public:
  SnapshotCellBase(const SnapshotCellBase&) = delete;
  SnapshotCellBase& operator=(const SnapshotCellBase&) = delete;

  // Number of Publish() calls so far.
  uint64_t version() const { return version_.load(std::memory_order_acquire); }
  // Unique for the life of the process (never reused, unlike an address), so
  // (id, version) names one published snapshot.
  uint64_t id() const { return id_; }

 protected:
  explicit SnapshotCellBase(std::shared_ptr<const void> initial);
  ~SnapshotCellBase() = default;

  void PublishErased(std::shared_ptr<const void> next);
  std::shared_ptr<const void> LoadErased() const;
  const void* ReadErased(uint64_t* version) const;

 private:
  const uint64_t id_;  // unique for the process lifetime, never reused
  std::atomic<uint64_t> version_{0};
  mutable absl::Mutex mu_;
  std::shared_ptr<const void> current_ ABSL_GUARDED_BY(mu_);
};

struct SnapshotThreadState;  // per-thread caches and pin counts (snapshot_cell.cc)

// Keeps every snapshot the current thread reads alive while it exists. Not
// copyable or movable: it belongs to the thread (and scope) that made it.
class SnapshotPin {
 public:
  SnapshotPin();
  ~SnapshotPin();
  SnapshotPin(const SnapshotPin&) = delete;
  SnapshotPin& operator=(const SnapshotPin&) = delete;

  // Pins made by the calling thread and still alive (for tests and checks).
  static size_t HeldByThisThread();

 private:
  SnapshotThreadState* const owner_;  // the thread whose snapshots this keeps
};

template <typename T>
class SnapshotCell : public SnapshotCellBase {
 public:
  explicit SnapshotCell(std::shared_ptr<const T> initial) : SnapshotCellBase(std::move(initial)) {}

  void Publish(std::shared_ptr<const T> next) { PublishErased(std::move(next)); }
  std::shared_ptr<const T> Load() const { return std::static_pointer_cast<const T>(LoadErased()); }
  const T& Read() const { return *static_cast<const T*>(ReadErased(nullptr)); }
  // The same, also saying which version (Publish count) it is.
  const T& Read(uint64_t* version) const { return *static_cast<const T*>(ReadErased(version)); }
};

}  // namespace corsd::engine

#endif  // CORSD_SERVICE_ENGINE_SNAPSHOT_CELL_H_
