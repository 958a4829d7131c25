#include "service/engine/snapshot_cell.h"

#include <array>
#include <cassert>
#include <vector>

namespace corsd::engine {
namespace {

std::atomic<uint64_t> next_cell_id{1};

// What one thread last read from one cell. A handful of slots covers every
// real process (one directory in corsd, one per client in a gateway); beyond
// that, slots are recycled round-robin and reads stay correct, only slower.
struct ThreadSlot {
  uint64_t cell_id = 0;
  uint64_t version = 0;
  std::shared_ptr<const void> value;
};
constexpr size_t kThreadSlots = 8;

// Bit of ThreadState::foreign_word set once the owning thread has exited.
constexpr uint64_t kOwnerExited = uint64_t{1} << 63;

}  // namespace

// Everything one thread keeps. It lives on the heap, reached through a
// trivially destructible thread-local pointer, so that it can outlive the
// thread's thread-local objects: a thread_local DecisionView destroyed at
// thread exit, after them, still finds its pin's state intact.
//
// Owner-only fields are touched by the owning thread alone. While the owner
// lives, pins released on another thread are counted up in `foreign_word`,
// which the owner reads to know how many of its pins are still alive. When it
// exits, the owner replaces that count, in one compare-and-swap, by
// kOwnerExited plus the number of pins still alive; from then on each release
// counts down, and the one that leaves exactly kOwnerExited frees the state.
// Nobody reads the state after their own update of the word, so the state is
// freed exactly once and never read afterwards.
struct SnapshotThreadState {
  // Owner only.
  std::array<ThreadSlot, kThreadSlots> slots;
  size_t next_victim = 0;
  uint64_t pins_made = 0;  // pins made minus pins released on this thread
  bool keeping = false;    // kept_for_pins is non-empty
  // Snapshots a slot dropped while pins were alive, kept until the last goes.
  std::vector<std::shared_ptr<const void>> kept_for_pins;
  // Owner alive: pins released on other threads. Owner exited: kOwnerExited
  // plus the pins still alive.
  std::atomic<uint64_t> foreign_word{0};

  // Pins still alive (owner only). Acquire: a snapshot another thread read
  // under a pin it released must not be freed before that read finished.
  uint64_t LivePins() const {
    return pins_made - (foreign_word.load(std::memory_order_acquire) & ~kOwnerExited);
  }
  // Drops what pins kept once none is alive, folding the foreign count back
  // to zero so the counters never grow without bound (owner only).
  void ReleaseKeptIfUnpinned() {
    const uint64_t foreign = foreign_word.load(std::memory_order_acquire) & ~kOwnerExited;
    if (pins_made != foreign) return;
    // No pin is alive, so no other thread can release one concurrently.
    if (foreign != 0) foreign_word.fetch_sub(foreign, std::memory_order_relaxed);
    pins_made = 0;
    if (keeping) {
      kept_for_pins.clear();
      keeping = false;
    }
  }
};

namespace {

// The calling thread's state; null before its first read or pin and again
// once its thread-local objects are torn down.
thread_local SnapshotThreadState* this_thread_state = nullptr;

// Destroyed with the thread's thread-local objects: hands the state over to
// the pins still alive, or frees it.
struct ThreadStateReaper {
  ~ThreadStateReaper() {
    SnapshotThreadState* state = this_thread_state;
    this_thread_state = nullptr;  // later releases on this thread count as foreign
    if (state == nullptr) return;
    state->ReleaseKeptIfUnpinned();
    for (ThreadSlot& slot : state->slots) {
      if (state->LivePins() > 0 && slot.value != nullptr) {
        state->kept_for_pins.push_back(std::move(slot.value));
      }
      slot.value.reset();
    }
    const uint64_t pins_made = state->pins_made;
    uint64_t word = state->foreign_word.load(std::memory_order_acquire);
    uint64_t alive;
    do {
      alive = pins_made - word;  // the exit bit is only ever set here
    } while (!state->foreign_word.compare_exchange_weak(word, kOwnerExited | alive,
                                                        std::memory_order_acq_rel));
    if (alive == 0) delete state;  // no pin left to release it
  }
};
thread_local ThreadStateReaper reaper;

SnapshotThreadState* ThisThreadState() {
  if (this_thread_state == nullptr) {
    // Registers the reaper; after the thread's teardown began, a state made
    // here (a read from a thread_local destructor) is not reclaimed.
    (void)&reaper;
    this_thread_state = new SnapshotThreadState;
  }
  return this_thread_state;
}

// Replaces what `slot` caches; what it held stays alive while pinned.
void Refill(SnapshotThreadState* state, ThreadSlot* slot, std::shared_ptr<const void> value) {
  if (state->pins_made > 0) state->ReleaseKeptIfUnpinned();
  if (state->pins_made > 0 && slot->value != nullptr) {
    state->kept_for_pins.push_back(std::move(slot->value));
    state->keeping = true;
  }
  slot->value = std::move(value);
}

}  // namespace

SnapshotPin::SnapshotPin() : owner_(ThisThreadState()) { ++owner_->pins_made; }

SnapshotPin::~SnapshotPin() {
  SnapshotThreadState* state = owner_;
  if (state == this_thread_state) {
    --state->pins_made;
    state->ReleaseKeptIfUnpinned();
    return;
  }
  // Released on another thread, or on the owner after its teardown: count it
  // where the owner looks (up while it lives, down once it exited), and free
  // the state if this was the last pin of an exited owner. Release: what this
  // thread read under the pin happens before the owner frees it.
  uint64_t word = state->foreign_word.load(std::memory_order_relaxed);
  uint64_t next;
  do {
    next = (word & kOwnerExited) != 0 ? word - 1 : word + 1;
  } while (!state->foreign_word.compare_exchange_weak(word, next, std::memory_order_acq_rel));
  if (next == kOwnerExited) delete state;
}

size_t SnapshotPin::HeldByThisThread() {
  return this_thread_state == nullptr ? 0 : this_thread_state->LivePins();
}

SnapshotCellBase::SnapshotCellBase(std::shared_ptr<const void> initial)
    : id_(next_cell_id.fetch_add(1, std::memory_order_relaxed)), current_(std::move(initial)) {}

void SnapshotCellBase::PublishErased(std::shared_ptr<const void> next) {
  std::shared_ptr<const void> previous;
  {
    absl::MutexLock lock(&mu_);
    previous = std::move(current_);
    current_ = std::move(next);
    version_.fetch_add(1, std::memory_order_release);
  }
  // `previous` is released here, outside the lock, in case it is the last
  // reference and freeing it takes a while.
}

std::shared_ptr<const void> SnapshotCellBase::LoadErased() const {
  absl::MutexLock lock(&mu_);
  return current_;
}

const void* SnapshotCellBase::ReadErased(uint64_t* version_read) const {
  const uint64_t version = version_.load(std::memory_order_acquire);
  SnapshotThreadState* state = ThisThreadState();
  // Snapshots kept for pins that another thread has released since.
  if (state->keeping) state->ReleaseKeptIfUnpinned();
  ThreadSlot* slot = nullptr;
  for (ThreadSlot& candidate : state->slots) {
    if (candidate.cell_id == id_) {
      if (candidate.version == version) {
        if (version_read != nullptr) *version_read = version;
        return candidate.value.get();
      }
      slot = &candidate;
      break;
    }
  }
  if (slot == nullptr) {
    slot = &state->slots[state->next_victim];
    state->next_victim = (state->next_victim + 1) % kThreadSlots;
  }
  absl::MutexLock lock(&mu_);
  slot->cell_id = id_;
  slot->version = version_.load(std::memory_order_relaxed);
  Refill(state, slot, current_);
  if (version_read != nullptr) *version_read = slot->version;
  return slot->value.get();
}

}  // namespace corsd::engine
