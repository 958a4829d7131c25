// WatchHub fans policy events out to WatchPolicies streams.
//
// Each watcher gets a WatchQueue. Subscribing takes the current version of
// every watched tenant as its initial state, under the same lock Publish
// takes, so a watcher sees each revision exactly once: in the initial state
// or as a later event, never both, never neither. The current state is a
// PersistentMap of already-serialized events, so taking it is O(1) whatever
// the number of tenants: the queue then hands the initial state out entry by
// entry as the stream writes, from that shared copy, while later events wait
// behind it. Publish only appends to queues and never waits: a watcher whose
// backlog of later events is full (it reads slower than policies change) is
// closed with RESOURCE_EXHAUSTED and reconnects to get the current state
// again. Writers are never blocked by readers, nor by a new watcher of
// 100,000 tenants.
//
//   auto queue = hub.Subscribe({"shop"}, [&] { reactor->Wake(); });
//   hub.Publish({event});   // from PolicySync, in commit order
//   queue->Pop();           // from the stream, when it can write
//   hub.Unsubscribe(queue);
#ifndef CORSD_SERVICE_SERVER_WATCH_HUB_H_
#define CORSD_SERVICE_SERVER_WATCH_HUB_H_

#include <grpcpp/support/slice.h>

#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/hash/hash.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "corsd/v1/corsd.pb.h"
#include "service/common/persistent_map.h"

namespace corsd::server {

// One change as watchers receive it, serialized once: every watcher's queue
// shares it, and writing it to a stream only takes a reference to its slice.
// (Holding protobuf messages instead cost about four times the memory: 118 MB
// against 30 MB for 10,000 policies of 100 origins. A grpc::ByteBuffer per
// event, with its inline slice table, cost 320 more bytes per tenant: the
// stream wraps the slice in one only while writing it.)
struct WatchEvent {
  std::string tenant;
  bool deleted = false;
  grpc::Slice bytes;  // the serialized corsd.v1.PolicyEvent
};
using WatchEventPtr = std::shared_ptr<const WatchEvent>;

// The serialized PolicyEvent as one string (a copy of the buffer's slices).
std::string WatchEventBytes(const WatchEvent& event);
// The same bytes in place, valid while `event` lives.
absl::string_view WatchEventView(const WatchEvent& event);

WatchEventPtr MakeWatchEvent(const v1::PolicyEvent& event);

// Every tenant's current event, keyed by tenant name.
using CurrentEvents =
    PersistentMap<WatchEventPtr, absl::Hash<absl::string_view>, absl::string_view>;

class WatchQueue {
 public:
  // Next event to send, if any.
  std::optional<WatchEventPtr> Pop();
  // Set once the queue will deliver nothing more: overflow or shutdown.
  std::optional<absl::Status> closed_status();
  // How many of the first events are the initial state (the current version
  // of each watched tenant at subscription).
  size_t initial_events() const { return initial_events_; }

 private:
  friend class WatchHub;
  WatchQueue(absl::flat_hash_set<std::string> tenants, int64_t token_id, std::function<void()> wake)
      : tenants_(std::move(tenants)), token_id_(token_id), wake_(std::move(wake)) {}
  bool Wants(const std::string& tenant) const {
    return tenants_.empty() || tenants_.contains(tenant);
  }
  // Sets the initial state: every entry of `current` this queue wants.
  // Before the queue is shared.
  void SetInitialState(const CurrentEvents& current);
  // Returns false when the backlog overflowed and the queue was closed.
  bool Push(WatchEventPtr event);
  void Close(absl::Status status);

  const absl::flat_hash_set<std::string> tenants_;  // empty = every tenant
  const int64_t token_id_;                          // the token that opened the stream
  const std::function<void()> wake_;
  size_t initial_events_ = 0;  // set once, by Subscribe
  absl::Mutex mu_;
  // The initial state not sent yet: every tenant's from a shared copy of the
  // hub's state, or (when the watcher named its tenants) those few events.
  std::optional<CurrentEvents::Cursor> initial_all_ ABSL_GUARDED_BY(mu_);
  std::deque<WatchEventPtr> initial_named_ ABSL_GUARDED_BY(mu_);
  // Initial entries handed out so far: each makes room for one more later
  // event (and its bytes), as when the initial state was queued as events.
  size_t initial_sent_ ABSL_GUARDED_BY(mu_) = 0;
  size_t initial_sent_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  // Later events, bounded by kMaxPendingEvents and kMaxPendingBytes plus the
  // room above.
  std::deque<WatchEventPtr> events_ ABSL_GUARDED_BY(mu_);
  size_t bytes_ ABSL_GUARDED_BY(mu_) = 0;  // of `events_`
  std::optional<absl::Status> closed_ ABSL_GUARDED_BY(mu_);
};

class WatchHub {
 public:
  // Events a watcher may have waiting beyond its initial state (which is
  // not copied: it is read from the hub's state as it is sent). Each initial
  // entry sent adds room for one more, so a watcher that keeps reading its
  // initial state is never cut off while writers are busy.
  static constexpr size_t kMaxPendingEvents = 1024;
  // ... and at most this many bytes of them: events carry whole policies, so
  // a count alone would let one slow watcher hold gigabytes.
  static constexpr size_t kMaxPendingBytes = 64 << 20;

  // `wake` is called (from Publish or Shutdown, possibly on another thread)
  // whenever the queue gains an event or closes. `token_id` is the token the
  // watcher authenticated with (see EndStreamsOfTokens). UNAVAILABLE when the
  // hub is shut down; UNAUTHENTICATED when the token was revoked after the
  // caller authenticated it.
  absl::StatusOr<std::shared_ptr<WatchQueue>> Subscribe(const std::vector<std::string>& tenants,
                                                        int64_t token_id,
                                                        std::function<void()> wake);
  // After this returns, `wake` of that queue is never called again.
  void Unsubscribe(const std::shared_ptr<WatchQueue>& queue);

  // Events in commit order. A policy event replaces the tenant's current
  // version; a deleted event removes it.
  void Publish(const std::vector<WatchEventPtr>& events);

  // `token_ids` are every revoked token: ends, with `status`, each watch
  // opened with one (a stream must not outlive its authorization), and
  // refuses later Subscribe calls with one, which closes the window between
  // a call's authentication and its subscription. Returns how many ended.
  size_t EndStreamsOfTokens(absl::flat_hash_set<int64_t> token_ids, const absl::Status& status);

  // The current version of every tenant (what a new watcher's initial state
  // would hold). O(1): a copy that shares the hub's nodes.
  CurrentEvents Current();

  // Whether what the hub holds is the store's current state. While it is not
  // (nothing loaded yet, or a snapshot served until the store answers),
  // Subscribe is UNAVAILABLE: a watcher replaces its whole state with the
  // initial one, so it must never get an empty or older one. True at first.
  void SetCurrent(bool current);

  // Ends every watch with UNAVAILABLE and refuses new ones.
  void Shutdown();

  size_t watcher_count();

 private:
  absl::Mutex mu_;
  CurrentEvents current_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<WatchQueue*, std::shared_ptr<WatchQueue>> watchers_ ABSL_GUARDED_BY(mu_);
  bool shut_down_ ABSL_GUARDED_BY(mu_) = false;
  bool current_state_ ABSL_GUARDED_BY(mu_) = true;
  absl::flat_hash_set<int64_t> revoked_tokens_ ABSL_GUARDED_BY(mu_);
  absl::Status revoked_status_ ABSL_GUARDED_BY(mu_);
};

}  // namespace corsd::server

#endif  // CORSD_SERVICE_SERVER_WATCH_HUB_H_
