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
// Read() again, on this or any other cell (or exits); keep a Load() result to
// hold a snapshot longer. An old snapshot is freed once no thread caches it
// any more, i.e. after each thread that read it has read again or exited.
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

 protected:
  explicit SnapshotCellBase(std::shared_ptr<const void> initial);
  ~SnapshotCellBase() = default;

  void PublishErased(std::shared_ptr<const void> next);
  std::shared_ptr<const void> LoadErased() const;
  const void* ReadErased() const;

 private:
  const uint64_t id_;  // unique for the process lifetime, never reused
  std::atomic<uint64_t> version_{0};
  mutable absl::Mutex mu_;
  std::shared_ptr<const void> current_ ABSL_GUARDED_BY(mu_);
};

template <typename T>
class SnapshotCell : public SnapshotCellBase {
 public:
  explicit SnapshotCell(std::shared_ptr<const T> initial)
      : SnapshotCellBase(std::move(initial)) {}

  void Publish(std::shared_ptr<const T> next) { PublishErased(std::move(next)); }
  std::shared_ptr<const T> Load() const { return std::static_pointer_cast<const T>(LoadErased()); }
  const T& Read() const { return *static_cast<const T*>(ReadErased()); }
};

}  // namespace corsd::engine

#endif  // CORSD_SERVICE_ENGINE_SNAPSHOT_CELL_H_
