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
thread_local std::array<ThreadSlot, kThreadSlots> thread_slots;
thread_local size_t next_victim = 0;

// SnapshotPin state. Snapshots a slot drops while the thread holds a pin are
// parked in kept_for_pins until its last pin goes; thread-local, so no
// synchronization. `keeping` is a plain flag so that the common unpin (nothing
// kept) never touches the vector, whose thread-local access goes through an
// initialization check.
thread_local size_t pins_held = 0;
thread_local bool keeping = false;
thread_local std::vector<std::shared_ptr<const void>> kept_for_pins;

// Replaces what `slot` caches; what it held stays alive if pinned.
void Refill(ThreadSlot* slot, std::shared_ptr<const void> value) {
  if (pins_held > 0 && slot->value != nullptr) {
    kept_for_pins.push_back(std::move(slot->value));
    keeping = true;
  }
  slot->value = std::move(value);
}

}  // namespace

SnapshotPin::SnapshotPin() { ++pins_held; }

SnapshotPin::~SnapshotPin() {
  // Zero here means the pin was made on another thread (a contract
  // violation): never wrap the counter, which would keep every snapshot this
  // thread reads from then on.
  assert(pins_held > 0 && "SnapshotPin destroyed on another thread than it was made on");
  if (pins_held == 0) return;
  if (--pins_held == 0 && keeping) {
    kept_for_pins.clear();
    keeping = false;
  }
}

size_t SnapshotPin::HeldByThisThread() { return pins_held; }

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
  ThreadSlot* slot = nullptr;
  for (ThreadSlot& candidate : thread_slots) {
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
    slot = &thread_slots[next_victim];
    next_victim = (next_victim + 1) % kThreadSlots;
  }
  absl::MutexLock lock(&mu_);
  slot->cell_id = id_;
  slot->version = version_.load(std::memory_order_relaxed);
  Refill(slot, current_);
  if (version_read != nullptr) *version_read = slot->version;
  return slot->value.get();
}

}  // namespace corsd::engine
