#include "service/engine/shadow_recorder.h"

#include <algorithm>
#include <cstring>
#include <iterator>
#include <string>
#include <utility>

#include "absl/base/attributes.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "service/engine/compiled_policy.h"
#include "service/engine/cors_request.h"
#include "service/engine/decision.h"
#include "service/engine/http_syntax.h"
#include "service/engine/limits.h"
#include "service/engine/shadow_memo.h"

namespace corsd::engine {

using shadow_memo::HeadersLinesOf;
using shadow_memo::kLinesBits;
using shadow_memo::kNoShape;
using shadow_memo::kPrivateNetworkBit;
using shadow_memo::Memoizable;
using shadow_memo::MethodLinesOf;
using shadow_memo::PackActive;
using shadow_memo::ShapeKey;
using shadow_memo::thread_last;
using shadow_memo::WithinLimits;

namespace {

std::atomic<uint64_t> next_recorder_id{1};

// Only these request headers decide anything (cors_request.h).
constexpr absl::string_view kCorsRequestPrefix = "access-control-request-";

bool IsCorsRequestHeader(absl::string_view name) {
  return name.size() > kCorsRequestPrefix.size() &&
         absl::StartsWithIgnoreCase(name, kCorsRequestPrefix);
}

// The values of a memoizable shape's lines, in the order a slot keeps them.
size_t LinesTextSize(uint64_t key, const CorsRequestHeaders& cors) {
  size_t size = MethodLinesOf(key) == 1 ? cors.request_method.size() : 0;
  for (size_t i = 0; i < HeadersLinesOf(key); ++i) size += cors.request_headers(i).size();
  return size;
}

constexpr int kMemoSetBits = 5;  // two slots per set
static_assert(ShadowRecorder::kMemoSlots == size_t{2} << kMemoSetBits);
static_assert(ShadowRecorder::kMemoTextBytes <= UINT16_MAX);

// A few words of `s` that tell most origins (which share their scheme and
// often their last label) apart: its size and its first, middle and last
// eight bytes. A hash only picks a memo slot; the shape is compared whole.
ABSL_ATTRIBUTE_ALWAYS_INLINE inline uint64_t ShapeWord(absl::string_view s) {
  uint64_t word = s.size();
  if (s.size() < 8) {
    // Fixed-size loads only (a variable-size copy is a library call).
    if (s.size() >= 4) {
      uint32_t first, last;
      std::memcpy(&first, s.data(), 4);
      std::memcpy(&last, s.data() + s.size() - 4, 4);
      return word ^ (uint64_t{first} << 8) ^ (uint64_t{last} << 32);
    }
    if (s.empty()) return word;
    return word ^ (uint64_t{static_cast<uint8_t>(s[0])} << 8) ^
           (uint64_t{static_cast<uint8_t>(s[s.size() / 2])} << 16) ^
           (uint64_t{static_cast<uint8_t>(s.back())} << 24);
  }
  uint64_t head, middle, tail;
  std::memcpy(&head, s.data(), 8);
  std::memcpy(&middle, s.data() + (s.size() - 8) / 2, 8);
  std::memcpy(&tail, s.data() + s.size() - 8, 8);
  return word ^ head ^ ((middle << 21) | (middle >> 43)) ^ ((tail << 42) | (tail >> 22));
}

ABSL_ATTRIBUTE_ALWAYS_INLINE inline uint64_t Mix(uint64_t hash, uint64_t word) {
  return (hash ^ word) * 0x9E3779B97F4A7C15ull;
}

// One recorded request: its text is bytes[begin, begin + size) of its batch,
// laid out as origin, method, path, then each copied header line as name
// and value; the lengths say where each ends.
struct Entry {
  const ShadowPolicy* shadow;
  uint32_t begin;
  uint32_t origin_size;
  uint32_t method_size;
  uint32_t path_size;
  uint32_t first_line;   // into Batch::line_sizes (name and value size per line)
  uint32_t line_count;   // header lines copied
  uint32_t other_lines;  // header lines not copied (they still count toward the line limit)
  Verdict active_verdict;
  Reason active_reason;
  // The request's path, query included, was over kMaxPathBytes: the active
  // policy answered it malformed, so the shadow is asked the same way.
  bool path_over_limit;
  uint64_t repeat;  // requests of this shape it stands for
};

void Append(std::string* bytes, absl::string_view text) { bytes->append(text.data(), text.size()); }

std::vector<std::string> RequestedHeaderNames(const Request& request) {
  std::vector<std::string> names;
  for (const HeaderView& line : request.headers) {
    if (!EqualsLowercase(line.name, kRequestHeadersHeader)) continue;
    for (absl::string_view name : absl::StrSplit(line.value, ',')) {
      name = TrimOptionalWhitespace(name);
      if (name.empty()) continue;
      if (names.size() == ShadowTally::kMaxSampleHeaderNames) return names;
      names.push_back(absl::AsciiStrToLower(name));
    }
  }
  return names;
}

}  // namespace

struct ShadowRecorder::Batch {
  std::vector<Entry> entries;
  std::string bytes;
  std::vector<uint32_t> line_sizes;                       // name size, value size, per copied line
  std::vector<std::shared_ptr<const ShadowPolicy>> pins;  // keep every entry's shadow alive

  void Clear() {
    entries.clear();
    bytes.clear();
    line_sizes.clear();
    pins.clear();
  }
};

// What a shadow's decision of a request depends on (see Record).
struct Shape {
  const ShadowPolicy* shadow;
  const CompiledRule* rule;  // the shadow's rule for the path
  uint64_t key;              // ShapeKey
  absl::string_view origin;
  absl::string_view method;
  const CorsRequestHeaders* cors;  // the values of its lines
  absl::string_view path;          // not part of the shape: kept for samples
};

// One memoized request shape: the part a repeat compares (SlotHead), then
// what only the slow path and the drain use. The shape is written by the
// owning thread with its queue's lock held; that thread reads it without
// the lock (it is the only writer), the drain with it.
struct ShadowRecorder::MemoSlot : shadow_memo::SlotHead {
  uint64_t key = 0;  // ShapeKey: with the sizes and the text, the whole shape
  // How many of `records` were handed to a batch. Under the queue's lock.
  uint64_t handed = 0;
  // Keeps `shadow` alive, so a new shadow at its address cannot pass for
  // it. Under the queue's lock.
  std::shared_ptr<const ShadowPolicy> pin;

  // Requests counted and not yet handed over (only with the queue's lock,
  // or on the owning thread).
  uint64_t Pending() const {
    return shadow == nullptr ? 0 : records.load(std::memory_order_relaxed) - handed;
  }

  // The size of the values of its lines (in `text` after origin and method).
  size_t lines_size() const {
    size_t size = MethodLinesOf(key) == 1 ? method_value_size : 0;
    for (size_t i = 0; i < HeadersLinesOf(key); ++i) size += headers_value_sizes[i];
    return size;
  }

  size_t text_size() const { return origin_size + method_size + lines_size() + path_size; }

  // What AppendShape adds to a batch's bytes, at most.
  size_t batch_bytes() const {
    return text_size() + kRequestMethodHeader.size() +
           HeadersLinesOf(key) * kRequestHeadersHeader.size() +
           kRequestPrivateNetworkHeader.size() + kRequestPrivateNetworkTrue.size();
  }

  // Whether this slot holds `shape` (compared whole, the path aside).
  ABSL_ATTRIBUTE_ALWAYS_INLINE bool Holds(const Shape& shape) const {
    return this->shadow == shape.shadow && rule == shape.rule && key == shape.key &&
           HoldsText(key, shape.origin, shape.method, *shape.cors);
  }

  // Empties the slot (its counts were handed over).
  void Clear() {
    this->shadow = nullptr;
    hit_key.store(kNoShape, std::memory_order_relaxed);
    records.store(0, std::memory_order_relaxed);
    handed = 0;
  }

  // Takes `shape` (memoizable, its text within kMemoTextBytes) with one
  // request counted; the caller set `pin` and handed over what the slot
  // counted before.
  void Take(const Shape& shape) {
    this->shadow = shape.shadow;
    rule = shape.rule;
    key = shape.key;
    // A repeat is counted here only when the shadow has one rule for every
    // path (shadow_memo::CountIfLast does not read the path).
    hit_key.store((key & shadow_memo::kEveryPathBit) != 0 ? key : kNoShape,
                  std::memory_order_relaxed);
    origin_size = static_cast<uint16_t>(shape.origin.size());
    method_size = static_cast<uint16_t>(shape.method.size());
    path_size = static_cast<uint16_t>(shape.path.size());
    char* out = text;
    auto put = [&out](absl::string_view part) {
      if (!part.empty()) std::memcpy(out, part.data(), part.size());
      out += part.size();
    };
    put(shape.origin);
    put(shape.method);
    method_value_size = 0;
    if (MethodLinesOf(key) == 1) {
      method_value_size = static_cast<uint16_t>(shape.cors->request_method.size());
      put(shape.cors->request_method);
    }
    for (size_t i = 0; i < HeadersLinesOf(key); ++i) {
      headers_value_sizes[i] = static_cast<uint16_t>(shape.cors->request_headers(i).size());
      put(shape.cors->request_headers(i));
    }
    put(shape.path);
    records.store(1, std::memory_order_relaxed);
    handed = 0;
  }

  // Takes `other`'s shape, counts and pin (this slot's were handed over).
  void MoveFrom(MemoSlot& other) {
    this->shadow = other.shadow;
    rule = other.rule;
    key = other.key;
    hit_key.store(other.hit_key.load(std::memory_order_relaxed), std::memory_order_relaxed);
    origin_size = other.origin_size;
    method_size = other.method_size;
    path_size = other.path_size;
    method_value_size = other.method_value_size;
    std::memcpy(headers_value_sizes, other.headers_value_sizes, sizeof(headers_value_sizes));
    std::memcpy(text, other.text, other.text_size());
    records.store(other.records.load(std::memory_order_relaxed), std::memory_order_relaxed);
    handed = other.handed;
    pin = std::move(other.pin);
    other.Clear();
  }
};

struct ShadowRecorder::Queue {
  absl::Mutex mu;
  Batch batch ABSL_GUARDED_BY(mu);
  MemoSlot memo[kMemoSlots];
  // Set by the drain every Options::memo_refresh, which also takes every
  // slot's hit_key, so the thread's next Record takes the slow path and
  // empties its memo.
  std::atomic<bool> refresh_memo{false};
  bool closed ABSL_GUARDED_BY(mu) = false;    // its recorder is gone
  bool orphaned ABSL_GUARDED_BY(mu) = false;  // its thread is gone: drained once more, then freed
  // What the drain swaps in, cleared but with its memory kept, so the
  // thread refills buffers that are already allocated (and paged in).
  // Guarded by the recorder's drain_mu_.
  Batch spare;
};

ShadowRecorder::ShadowRecorder(Options options)
    : options_(options), id_(next_recorder_id.fetch_add(1)) {
  worker_ = std::thread([this] { Run(); });
}

ShadowRecorder::~ShadowRecorder() {
  {
    absl::MutexLock lock(&stop_mu_);
    stopping_ = true;
  }
  worker_.join();
  absl::MutexLock drain_lock(&drain_mu_);
  absl::MutexLock lock(&queues_mu_);
  for (const std::shared_ptr<Queue>& queue : queues_) {
    absl::MutexLock queue_lock(&queue->mu);
    queue->batch = Batch();  // the shadows it pinned go now
    queue->spare = Batch();
    // Empty slots, so that a repeat on a thread whose last recorder was this
    // one fails even if a new recorder is made at this address.
    for (MemoSlot& slot : queue->memo) {
      slot.Clear();
      slot.pin.reset();
    }
    queue->closed = true;
  }
}

namespace {

// A thread's queues, one per recorder it recorded for (usually one). When
// the thread exits, each is marked orphaned, so its recorder decides what
// is left and frees it: threads that come and go (gRPC's pools grow and
// shrink) do not leave queues behind.
template <typename Queue>
struct ThreadQueues {
  std::vector<std::pair<uint64_t, std::shared_ptr<Queue>>> list;
  ~ThreadQueues() {
    // Nothing may use the queues from here on, not even a Record made by
    // another thread_local's destructor.
    thread_last = {.recorder_id = shadow_memo::kThreadExited};
    for (auto& [id, queue] : list) {
      absl::MutexLock lock(&queue->mu);
      queue->orphaned = true;
    }
  }
};

}  // namespace

namespace shadow_memo {
constinit thread_local ThreadLast thread_last;
}  // namespace shadow_memo

ShadowRecorder::Queue* ShadowRecorder::ThreadQueue() {
  shadow_memo::ThreadLast& last = thread_last;  // RecordShape found it is not this recorder's
  // Forgotten first: the queues below may go (or an allocation throw)
  // before it points at this recorder's queue.
  last = {};
  thread_local ThreadQueues<Queue> queues;
  for (const auto& [id, queue] : queues.list) {
    if (id == id_) {
      last = {this, id_, queue.get(), &queue->memo[0]};
      return queue.get();
    }
  }
  if (queues.list.size() >= 8) {
    // Forget queues of recorders that are gone (tests start many servers).
    std::erase_if(queues.list, [](const auto& entry) {
      absl::MutexLock lock(&entry.second->mu);
      return entry.second->closed;
    });
  }
  auto queue = std::make_shared<Queue>();
  {
    absl::MutexLock lock(&queues_mu_);
    queues_.push_back(queue);
  }
  queues.list.emplace_back(id_, queue);
  last = {this, id_, queue.get(), &queue->memo[0]};
  return queue.get();
}

size_t ShadowRecorder::thread_queues() const {
  absl::MutexLock lock(&queues_mu_);
  return queues_.size();
}

namespace {

// Appends `slot`'s shape to `batch` as one entry standing for `repeat`
// requests: its origin, method and path, and the lines its key and values
// say, which ScanCorsRequestHeaders reads as it read the lines of the
// requests counted (the other lines decide nothing, and they were within
// the limit).
template <typename Slot, typename Batch>
void AppendShape(const Slot& slot, uint64_t repeat, Batch* batch) {
  if (batch->pins.empty() || batch->pins.back() != slot.pin) batch->pins.push_back(slot.pin);
  const uint32_t first_line = static_cast<uint32_t>(batch->line_sizes.size() / 2);
  const size_t begin = batch->bytes.size();
  const size_t head = slot.origin_size + slot.method_size;
  batch->bytes.append(slot.text, head);
  batch->bytes.append(slot.text + head + slot.lines_size(), slot.path_size);
  const char* value = slot.text + head;
  auto line = [&](absl::string_view name, absl::string_view value) {
    batch->bytes.append(name.data(), name.size());
    batch->bytes.append(value.data(), value.size());
    batch->line_sizes.push_back(static_cast<uint32_t>(name.size()));
    batch->line_sizes.push_back(static_cast<uint32_t>(value.size()));
  };
  if (MethodLinesOf(slot.key) == 1) {
    line(kRequestMethodHeader, absl::string_view(value, slot.method_value_size));
    value += slot.method_value_size;
  }
  for (size_t i = 0; i < HeadersLinesOf(slot.key); ++i) {
    line(kRequestHeadersHeader, absl::string_view(value, slot.headers_value_sizes[i]));
    value += slot.headers_value_sizes[i];
  }
  if ((slot.key & kPrivateNetworkBit) != 0) {
    line(kRequestPrivateNetworkHeader, kRequestPrivateNetworkTrue);
  }
  const uint16_t active = static_cast<uint16_t>(slot.key & 0xffff);
  batch->entries.push_back(
      Entry{.shadow = slot.shadow,
            .begin = static_cast<uint32_t>(begin),
            .origin_size = static_cast<uint32_t>(slot.origin_size),
            .method_size = static_cast<uint32_t>(slot.method_size),
            .path_size = slot.path_size,
            .first_line = first_line,
            .line_count = static_cast<uint32_t>(batch->line_sizes.size() / 2 - first_line),
            .other_lines = 0,
            .active_verdict = static_cast<Verdict>(active >> 8),
            .active_reason = static_cast<Reason>(active & 0xff),
            .path_over_limit = false,
            .repeat = repeat});
}

}  // namespace

void ShadowRecorder::HandOver(MemoSlot& slot, Batch* batch) {
  const uint64_t pending = slot.Pending();
  if (pending == 0) return;
  slot.handed += pending;
  AppendShape(slot, pending, batch);
}

bool ShadowRecorder::HasRoom(const Batch& batch, size_t bytes) const {
  return batch.entries.size() < options_.max_queued &&
         batch.bytes.size() + bytes <= options_.max_queued_bytes;
}

void ShadowRecorder::RefreshMemo(Queue* queue) {
  std::vector<std::shared_ptr<const ShadowPolicy>> released;  // let go after the lock
  absl::MutexLock lock(&queue->mu);
  for (MemoSlot& slot : queue->memo) {
    // Unbounded: at most kMemoSlots entries, and a full queue must not cost
    // the counts of shapes already seen.
    HandOver(slot, &queue->batch);
    if (slot.pin != nullptr) released.push_back(std::move(slot.pin));
    slot.Clear();
  }
  queue->refresh_memo.store(false, std::memory_order_relaxed);
}

void ShadowRecorder::RecordShape(const std::shared_ptr<const ShadowPolicy>& shadow,
                                 const Request& request, const CorsRequestHeaders& cors,
                                 Verdict active_verdict, Reason active_reason) {
  if (thread_last.recorder_id == shadow_memo::kThreadExited) {
    dropped_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  Queue* queue =
      thread_last.recorder_id == id_ ? static_cast<Queue*>(thread_last.queue) : ThreadQueue();
  if (queue->refresh_memo.load(std::memory_order_relaxed)) RefreshMemo(queue);
  auto without_query = [&request] {
    return request.path.substr(0, FindQueryOrFragment(request.path));
  };
  // A shape is what the shadow's decision depends on: the rule for the
  // path, the origin, the method and what the Access-Control-Request-* lines
  // come to (`cors`). A request within the line and path limits decides the
  // same whatever its other lines are.
  const CompiledPolicy::AnyPathRule any_path = shadow->policy->RuleForEveryPath();
  const uint64_t key = ShapeKey(PackActive(active_verdict, active_reason), cors, any_path.found);
  if (!WithinLimits(request, cors) || !Memoizable(key)) {
    Enqueue(queue, shadow, request, without_query(), active_verdict, active_reason);
    return;
  }
  const size_t text_size = request.origin.size() + request.method.size() + LinesTextSize(key, cors);
  if (text_size > kMemoTextBytes) {
    Enqueue(queue, shadow, request, without_query(), active_verdict, active_reason);
    return;
  }
  // The path only matters through the rule it selects; most policies have
  // one rule for every path, and then it is not read at all.
  Shape shape{.shadow = shadow.get(),
              .rule = any_path.rule,
              .key = key,
              .origin = request.origin,
              .method = request.method,
              .cors = &cors,
              .path = {}};
  if (!any_path.found) {
    shape.path = without_query();
    shape.rule = shadow->policy->SelectRule(shape.path);
    // The fast path in Record covers shadows with a rule for every path.
    if (MemoSlot* last = static_cast<MemoSlot*>(thread_last.slot); last->Holds(shape)) {
      last->CountOne();
      return;
    }
  }
  uint64_t hash = Mix(reinterpret_cast<uintptr_t>(shape.rule), ShapeWord(request.origin));
  hash = Mix(hash, ShapeWord(request.method) ^ key);
  if ((key & kLinesBits) != 0) {
    hash = Mix(hash, ShapeWord(cors.request_method));
    for (size_t i = 0; i < HeadersLinesOf(key); ++i) {
      hash = Mix(hash, ShapeWord(cors.request_headers(i)) ^ i);
    }
  }
  // Two ways per set, the most recently taken first: two shapes that hash
  // alike do not take each other's slot on every request.
  MemoSlot* ways = &queue->memo[2 * (hash >> (64 - kMemoSetBits))];
  for (MemoSlot* slot : {&ways[0], &ways[1]}) {
    if (slot->Holds(shape)) {
      slot->CountOne();
      thread_last.slot = slot;
      return;
    }
  }

  // The shape takes the first way (with the path of this request, for
  // samples, when it fits); the first moves to the second, and what the
  // second counted goes to the queue.
  if (any_path.found) shape.path = without_query();
  if (text_size + shape.path.size() > kMemoTextBytes) {
    Enqueue(queue, shadow, request, shape.path, active_verdict, active_reason);
    return;
  }
  std::shared_ptr<const ShadowPolicy> evicted;  // let go after the lock
  absl::MutexLock lock(&queue->mu);
  if (ways[1].Pending() > 0 && !HasRoom(queue->batch, ways[1].batch_bytes())) {
    // The queue is full: dropping this request loses one count, taking the
    // slot would lose every count of the shape it holds.
    dropped_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  HandOver(ways[1], &queue->batch);
  evicted = std::move(ways[1].pin);
  ways[1].MoveFrom(ways[0]);
  ways[0].pin = shadow;
  ways[0].Take(shape);
  if (queue->refresh_memo.load(std::memory_order_relaxed)) {
    // The drain asked for a refresh since this Record looked: no repeat may
    // be counted in the memo until the next Record empties it.
    ways[0].hit_key.store(kNoShape, std::memory_order_relaxed);
  }
  thread_last.slot = &ways[0];
}

void ShadowRecorder::Enqueue(Queue* queue, const std::shared_ptr<const ShadowPolicy>& shadow,
                             const Request& request, absl::string_view path, Verdict active_verdict,
                             Reason active_reason) {
  // Hostile line counts are decided malformed whatever the policy; only the
  // count matters then, not the lines.
  const bool copy_lines = request.headers.size() <= kMaxRequestHeaderLines;
  size_t size = request.origin.size() + request.method.size() + path.size();
  if (copy_lines) {
    for (const HeaderView& line : request.headers) {
      if (IsCorsRequestHeader(line.name)) size += line.name.size() + line.value.size();
    }
  }
  absl::MutexLock lock(&queue->mu);
  Batch& batch = queue->batch;
  if (!HasRoom(batch, size)) {
    dropped_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  if (batch.pins.empty() || batch.pins.back().get() != shadow.get()) batch.pins.push_back(shadow);
  Entry entry{.shadow = shadow.get(),
              .begin = static_cast<uint32_t>(batch.bytes.size()),
              .origin_size = static_cast<uint32_t>(request.origin.size()),
              .method_size = static_cast<uint32_t>(request.method.size()),
              .path_size = static_cast<uint32_t>(path.size()),
              .first_line = static_cast<uint32_t>(batch.line_sizes.size() / 2),
              .line_count = 0,
              .other_lines = 0,
              .active_verdict = active_verdict,
              .active_reason = active_reason,
              .path_over_limit = request.path.size() > kMaxPathBytes,
              .repeat = 1};
  Append(&batch.bytes, request.origin);
  Append(&batch.bytes, request.method);
  Append(&batch.bytes, path);
  if (copy_lines) {
    for (const HeaderView& line : request.headers) {
      if (!IsCorsRequestHeader(line.name)) {
        ++entry.other_lines;
        continue;
      }
      Append(&batch.bytes, line.name);
      Append(&batch.bytes, line.value);
      batch.line_sizes.push_back(static_cast<uint32_t>(line.name.size()));
      batch.line_sizes.push_back(static_cast<uint32_t>(line.value.size()));
      ++entry.line_count;
    }
  } else {
    // One over the limit decides the same as any number over it.
    entry.other_lines = static_cast<uint32_t>(kMaxRequestHeaderLines + 1);
  }
  batch.entries.push_back(entry);
}

void ShadowRecorder::Decide(const Batch& batch) {
  Decision decision;
  std::vector<HeaderView> lines;
  std::string long_path;  // for entries whose path was over the limit
  const absl::Time now = absl::Now();
  int64_t decided = 0;
  for (const Entry& entry : batch.entries) {
    absl::string_view text(batch.bytes.data() + entry.begin, batch.bytes.size() - entry.begin);
    auto take = [&text](size_t n) {
      absl::string_view part = text.substr(0, n);
      text.remove_prefix(n);
      return part;
    };
    Request request;
    request.origin = take(entry.origin_size);
    request.method = take(entry.method_size);
    request.path = take(entry.path_size);
    lines.clear();
    for (uint32_t i = 0; i < entry.line_count; ++i) {
      const size_t at = 2 * (entry.first_line + i);
      const absl::string_view name = take(batch.line_sizes[at]);
      lines.push_back({name, take(batch.line_sizes[at + 1])});
    }
    // The other lines decide nothing but count toward the line limit.
    lines.resize(lines.size() + entry.other_lines);
    request.headers = lines;
    const absl::string_view path = request.path;  // without the query, for samples
    if (entry.path_over_limit) {
      // The same path before the query, and a query that puts it over the
      // limit again: the same rule, and malformed as the active answer was.
      long_path.assign(path.data(), path.size());
      long_path += '?';
      if (long_path.size() <= kMaxPathBytes) long_path.resize(kMaxPathBytes + 1, 'q');
      request.path = long_path;
    }
    engine::Decide(*entry.shadow->policy, request, DecideOptions{}, &decision);
    entry.shadow->tally->Count(entry.active_verdict, decision.verdict, decision.reason,
                               static_cast<int64_t>(entry.repeat));
    decided += static_cast<int64_t>(entry.repeat);
    if (decision.verdict == entry.active_verdict) continue;
    const ShadowSampleRecord sample{.time = now,
                                    .origin = std::string(request.origin),
                                    .method = std::string(request.method),
                                    .path = std::string(path),
                                    .requested_headers = RequestedHeaderNames(request),
                                    .active_verdict = entry.active_verdict,
                                    .active_reason = entry.active_reason,
                                    .shadow_verdict = decision.verdict,
                                    .shadow_reason = decision.reason};
    // As many as deciding each request would have added.
    const size_t copies =
        static_cast<size_t>(std::min<uint64_t>(entry.repeat, ShadowTally::kMaxSamples));
    for (size_t i = 0; i < copies; ++i) entry.shadow->tally->AddSample(sample);
  }
  decided_.fetch_add(decided, std::memory_order_relaxed);
}

void ShadowRecorder::Drain() {
  absl::MutexLock drain_lock(&drain_mu_);
  std::vector<std::shared_ptr<Queue>> queues;
  {
    absl::MutexLock lock(&queues_mu_);
    queues = queues_;
  }
  const absl::Time now = absl::Now();
  const bool refresh_memos = now - last_memo_refresh_ >= options_.memo_refresh;
  if (refresh_memos) last_memo_refresh_ = now;
  bool orphans = false;
  for (const std::shared_ptr<Queue>& queue : queues) {
    {
      absl::MutexLock lock(&queue->mu);
      orphans |= queue->orphaned;
      std::swap(queue->spare, queue->batch);
      for (MemoSlot& slot : queue->memo) HandOver(slot, &queue->spare);
      if (refresh_memos) {
        queue->refresh_memo.store(true, std::memory_order_relaxed);
        for (MemoSlot& slot : queue->memo) slot.hit_key.store(kNoShape, std::memory_order_relaxed);
      }
    }
    Decide(queue->spare);
    queue->spare.Clear();
  }
  if (!orphans) return;
  // Their threads are gone: what they recorded was handed over above unless
  // they recorded between that and their exit, which the next drain takes.
  absl::MutexLock lock(&queues_mu_);
  std::erase_if(queues_, [](const std::shared_ptr<Queue>& queue) {
    absl::MutexLock queue_lock(&queue->mu);
    if (!queue->orphaned || !queue->batch.entries.empty()) return false;
    return std::none_of(std::begin(queue->memo), std::end(queue->memo),
                        [](const MemoSlot& slot) { return slot.Pending() > 0; });
  });
}

void ShadowRecorder::Flush() { Drain(); }

void ShadowRecorder::Run() {
  while (true) {
    {
      absl::MutexLock lock(&stop_mu_);
      stop_mu_.AwaitWithTimeout(absl::Condition(&stopping_), options_.interval);
      if (stopping_) return;
    }
    Drain();
  }
}

}  // namespace corsd::engine
