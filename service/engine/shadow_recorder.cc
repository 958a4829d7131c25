#include "service/engine/shadow_recorder.h"

#include <algorithm>
#include <cstring>
#include <iterator>
#include <string>
#include <utility>

#include "absl/base/attributes.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/types/span.h"
#include "service/engine/compiled_policy.h"
#include "service/engine/cors_request.h"
#include "service/engine/decision.h"
#include "service/engine/http_syntax.h"
#include "service/engine/limits.h"

namespace corsd::engine {
namespace {

std::atomic<uint64_t> next_recorder_id{1};

// Only these request headers decide anything (cors_request.h).
constexpr absl::string_view kCorsRequestPrefix = "access-control-request-";

// The Access-Control-Request-* lines a memoized shape may have.
constexpr size_t kMemoLines = 4;

// The Access-Control-Request-* lines that decide anything, by what follows
// the prefix (ScanCorsRequestHeaders reads only these, in any case). A
// shape keeps each line as its kind and value: the name's case does not
// change the decision.
enum class LineKind : uint8_t { kOther, kMethod, kHeaders, kPrivateNetwork };
constexpr absl::string_view kLineNames[] = {"", kRequestMethodHeader, kRequestHeadersHeader,
                                            kRequestPrivateNetworkHeader};

// Suffixes after the prefix, for KindOf.
constexpr absl::string_view kMethodSuffix = kRequestMethodHeader.substr(kCorsRequestPrefix.size());
constexpr absl::string_view kHeadersSuffix =
    kRequestHeadersHeader.substr(kCorsRequestPrefix.size());
constexpr absl::string_view kPrivateNetworkSuffix =
    kRequestPrivateNetworkHeader.substr(kCorsRequestPrefix.size());

// `n` bytes of `literal` from `at` as a little-endian word, or (case_bits)
// the mask of their letters' case bit: text with that bit set where the
// literal has a letter equals the word exactly when it is the literal in
// any case.
constexpr uint64_t LiteralWord(absl::string_view literal, size_t at, size_t n, bool case_bits) {
  uint64_t word = 0;
  for (size_t i = 0; i < n; ++i) {
    const char c = literal[at + i];
    const uint64_t byte = case_bits ? ((c >= 'a' && c <= 'z') ? 0x20 : 0) : uint8_t(c);
    word |= byte << (8 * i);
  }
  return word;
}
#ifndef ABSL_IS_LITTLE_ENDIAN
#error "LiteralWord assumes little-endian loads"
#endif

// Whether the kLiteral.size() bytes at `text` are kLiteral (lowercase, 4 to
// 16 bytes) in any case: two overlapping loads, no loop, no call.
template <const absl::string_view& kLiteral>
ABSL_ATTRIBUTE_ALWAYS_INLINE inline bool EqualsFolded(const char* text) {
  static_assert(kLiteral.size() >= 4 && kLiteral.size() <= 16);
  constexpr size_t n = kLiteral.size() >= 8 ? 8 : 4;
  constexpr size_t second = kLiteral.size() - n;
  uint64_t head = 0, tail = 0;
  std::memcpy(&head, text, n);
  std::memcpy(&tail, text + second, n);
  return (head | LiteralWord(kLiteral, 0, n, true)) == LiteralWord(kLiteral, 0, n, false) &&
         (tail | LiteralWord(kLiteral, second, n, true)) == LiteralWord(kLiteral, second, n, false);
}

// The prefix's 23 bytes are compared as 16 (EqualsFolded) plus the last 8.
constexpr absl::string_view kPrefixHead = kCorsRequestPrefix.substr(0, 16);
constexpr absl::string_view kPrefixTail = kCorsRequestPrefix.substr(15);

ABSL_ATTRIBUTE_ALWAYS_INLINE inline bool IsCorsRequestHeader(absl::string_view name) {
  return name.size() > kCorsRequestPrefix.size() && EqualsFolded<kPrefixHead>(name.data()) &&
         EqualsFolded<kPrefixTail>(name.data() + 15);
}

// The kind of a line whose name starts with kCorsRequestPrefix.
ABSL_ATTRIBUTE_ALWAYS_INLINE inline LineKind KindOf(absl::string_view cors_header_name) {
  const char* rest = cors_header_name.data() + kCorsRequestPrefix.size();
  switch (cors_header_name.size() - kCorsRequestPrefix.size()) {
    case kMethodSuffix.size():
      return EqualsFolded<kMethodSuffix>(rest) ? LineKind::kMethod : LineKind::kOther;
    case kHeadersSuffix.size():
      return EqualsFolded<kHeadersSuffix>(rest) ? LineKind::kHeaders : LineKind::kOther;
    case kPrivateNetworkSuffix.size():
      return EqualsFolded<kPrivateNetworkSuffix>(rest) ? LineKind::kPrivateNetwork
                                                       : LineKind::kOther;
    default:
      return LineKind::kOther;
  }
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

// Whether `stored` begins with `text`. Inline, eight bytes at a time: the
// texts are short and a library call costs more than the compare.
ABSL_ATTRIBUTE_ALWAYS_INLINE inline bool Equal(const char* stored, absl::string_view text) {
  const char* data = text.data();
  size_t size = text.size();
  uint64_t a, b;
  for (; size >= 8; size -= 8, stored += 8, data += 8) {
    std::memcpy(&a, stored, 8);
    std::memcpy(&b, data, 8);
    if (a != b) return false;
  }
  if (size == 0) return true;
  // The rest with fixed-size loads that may overlap what was compared (or
  // each other): the last eight bytes when the text had that many, else two
  // four-byte words, else the first, middle and last byte.
  if (text.size() >= 8) {
    std::memcpy(&a, stored + size - 8, 8);
    std::memcpy(&b, data + size - 8, 8);
    return a == b;
  }
  if (size >= 4) {
    uint32_t x, y, z, w;
    std::memcpy(&x, stored, 4);
    std::memcpy(&y, data, 4);
    std::memcpy(&z, stored + size - 4, 4);
    std::memcpy(&w, data + size - 4, 4);
    return x == y && z == w;
  }
  return stored[0] == data[0] && stored[size / 2] == data[size / 2] &&
         stored[size - 1] == data[size - 1];
}

// The active verdict and reason of a shape, as one value.
ABSL_ATTRIBUTE_ALWAYS_INLINE inline uint16_t PackActive(Verdict verdict, Reason reason) {
  return static_cast<uint16_t>((static_cast<uint16_t>(verdict) << 8) |
                               static_cast<uint16_t>(reason));
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
  bool rule_for_every_path;  // `rule` does not depend on the path
  uint16_t active;           // PackActive(verdict, reason)
  absl::string_view origin;
  absl::string_view method;
  absl::string_view path;  // not part of the shape: kept for samples
  // The Access-Control-Request-* lines that decide anything, in order.
  absl::Span<const LineKind> line_kinds;
  absl::Span<const absl::string_view> line_values;
};

// One memoized request shape. The shape is written by the owning thread
// with its queue's lock held; that thread reads it without the lock (it is
// the only writer), the drain with it.
//
// Laid out for a memo hit: a slot starts a cache line, which holds what
// every hit compares and the count it increments, and the text begins right
// after, so a typical origin and method end in the second line.
struct alignas(64) ShadowRecorder::MemoSlot {
  const ShadowPolicy* shadow = nullptr;  // null: empty
  const CompiledRule* rule = nullptr;    // the shadow's rule for the path
  // Requests of this shape since it took the slot. Only the owning thread
  // writes it, with a plain load and store (no read-modify-write on the hot
  // path); the drain reads it.
  std::atomic<uint64_t> records{0};
  bool rule_for_every_path = false;  // the shadow has one rule for every path
  uint16_t active = 0;               // PackActive(verdict, reason)
  uint16_t origin_size = 0;
  uint16_t method_size = 0;
  uint16_t path_size = 0;  // of the request that took the slot (for samples)
  uint16_t line_count = 0;
  LineKind line_kinds[kMemoLines] = {};
  uint16_t value_sizes[kMemoLines] = {};
  char text[kMemoTextBytes];  // origin, method, path, then each line's value
  // How many of `records` were handed to a batch. Under the queue's lock.
  uint64_t handed = 0;
  // Keeps `shadow` alive, so a new shadow at its address cannot pass for
  // it. Under the queue's lock.
  std::shared_ptr<const ShadowPolicy> pin;

  // One more request of this shape; only the owning thread calls it.
  void CountOne() {
    records.store(records.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  }

  // Requests counted and not yet handed over (only with the queue's lock,
  // or on the owning thread).
  uint64_t Pending() const {
    return shadow == nullptr ? 0 : records.load(std::memory_order_relaxed) - handed;
  }

  // What AppendShape adds to a batch's bytes, at most.
  size_t batch_bytes() const {
    return text_size() + line_count * kRequestPrivateNetworkHeader.size();
  }

  size_t text_size() const {
    size_t size = origin_size + method_size + path_size;
    for (uint16_t i = 0; i < line_count; ++i) size += value_sizes[i];
    return size;
  }

  // Whether this slot holds `shape` (compared whole, the path aside).
  ABSL_ATTRIBUTE_ALWAYS_INLINE bool Holds(const Shape& shape) const {
    if (this->shadow != shape.shadow || rule != shape.rule || active != shape.active ||
        line_count != shape.line_kinds.size() ||
        !HoldsOriginAndMethod(shape.origin, shape.method)) {
      return false;
    }
    const char* stored = lines_text();
    for (size_t i = 0; i < shape.line_kinds.size(); ++i) {
      if (!HoldsLine(i, shape.line_kinds[i], shape.line_values[i], stored)) return false;
    }
    return true;
  }

  // Holds(shape) for the shape of `request` with this slot's shadow, rule
  // and active answer, compared straight from the request: the caller's
  // fast path, with nothing gathered first.
  ABSL_ATTRIBUTE_ALWAYS_INLINE bool HoldsRequestOf(const Request& request) const {
    if (!HoldsOriginAndMethod(request.origin, request.method)) return false;
    const char* stored = lines_text();
    size_t line = 0;
    for (const HeaderView& header : request.headers) {
      if (!IsCorsRequestHeader(header.name)) continue;
      const LineKind kind = KindOf(header.name);
      if (kind == LineKind::kOther) continue;
      if (line == line_count || !HoldsLine(line++, kind, header.value, stored)) return false;
    }
    return line == line_count;
  }

  ABSL_ATTRIBUTE_ALWAYS_INLINE bool HoldsOriginAndMethod(absl::string_view origin,
                                                         absl::string_view method) const {
    return origin_size == origin.size() && method_size == method.size() && Equal(text, origin) &&
           Equal(text + origin_size, method);
  }

  // Where the lines' values start in `text`.
  const char* lines_text() const { return text + origin_size + method_size + path_size; }

  // Whether line `i` is (kind, value), its value at `stored`, which then
  // moves past it.
  ABSL_ATTRIBUTE_ALWAYS_INLINE bool HoldsLine(size_t i, LineKind kind, absl::string_view value,
                                              const char*& stored) const {
    if (line_kinds[i] != kind || value_sizes[i] != value.size() || !Equal(stored, value)) {
      return false;
    }
    stored += value.size();
    return true;
  }

  // Takes `shape` (whose text fits kMemoTextBytes) with one request counted;
  // the caller set `pin` and handed over what the slot counted before.
  void Take(const Shape& shape) {
    this->shadow = shape.shadow;
    rule = shape.rule;
    rule_for_every_path = shape.rule_for_every_path;
    active = shape.active;
    origin_size = static_cast<uint16_t>(shape.origin.size());
    method_size = static_cast<uint16_t>(shape.method.size());
    path_size = static_cast<uint16_t>(shape.path.size());
    line_count = static_cast<uint16_t>(shape.line_kinds.size());
    char* out = text;
    auto put = [&out](absl::string_view part) {
      if (!part.empty()) std::memcpy(out, part.data(), part.size());
      out += part.size();
    };
    put(shape.origin);
    put(shape.method);
    put(shape.path);
    for (size_t i = 0; i < shape.line_kinds.size(); ++i) {
      line_kinds[i] = shape.line_kinds[i];
      value_sizes[i] = static_cast<uint16_t>(shape.line_values[i].size());
      put(shape.line_values[i]);
    }
    records.store(1, std::memory_order_relaxed);
    handed = 0;
  }

  // Takes `other`'s shape, counts and pin (this slot's were handed over).
  void MoveFrom(MemoSlot& other) {
    this->shadow = other.shadow;
    rule = other.rule;
    rule_for_every_path = other.rule_for_every_path;
    active = other.active;
    origin_size = other.origin_size;
    method_size = other.method_size;
    path_size = other.path_size;
    line_count = other.line_count;
    std::memcpy(line_kinds, other.line_kinds, sizeof(line_kinds));
    std::memcpy(value_sizes, other.value_sizes, sizeof(value_sizes));
    std::memcpy(text, other.text, other.text_size());
    records.store(other.records.load(std::memory_order_relaxed), std::memory_order_relaxed);
    handed = other.handed;
    pin = std::move(other.pin);
    other.shadow = nullptr;
  }
};

struct ShadowRecorder::Queue {
  absl::Mutex mu;
  Batch batch ABSL_GUARDED_BY(mu);
  MemoSlot memo[kMemoSlots];
  // The slot of the shape the thread counted last (owned by the thread).
  MemoSlot* last_hit = &memo[0];
  // Set by the drain every Options::memo_refresh: the thread empties its
  // memo on its next Record.
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
    for (MemoSlot& slot : queue->memo) {
      slot.shadow = nullptr;
      slot.pin.reset();
    }
    queue->closed = true;
  }
}

namespace {

// The queue this thread used last, in a plain thread_local (no guard on
// access, unlike ThreadQueue's list with its destructor). Recorder ids are
// never reused, so a hit is this recorder's queue, which the list keeps
// alive.
struct LastQueue {
  uint64_t id = 0;
  void* queue = nullptr;
};
thread_local LastQueue last_queue;

// A thread's queues, one per recorder it recorded for (usually one). When
// the thread exits, each is marked orphaned, so its recorder decides what
// is left and frees it: threads that come and go (gRPC's pools grow and
// shrink) do not leave queues behind.
template <typename Queue>
struct ThreadQueues {
  std::vector<std::pair<uint64_t, std::shared_ptr<Queue>>> list;
  ~ThreadQueues() {
    last_queue = {};  // nothing may use the queues from here on
    for (auto& [id, queue] : list) {
      absl::MutexLock lock(&queue->mu);
      queue->orphaned = true;
    }
  }
};

}  // namespace

ShadowRecorder::Queue* ShadowRecorder::ThreadQueue() {
  LastQueue& last = last_queue;  // Record found it is not this recorder's
  thread_local ThreadQueues<Queue> queues;
  for (const auto& [id, queue] : queues.list) {
    if (id == id_) {
      last = {id_, queue.get()};
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
  last = {id_, queue.get()};
  return queue.get();
}

size_t ShadowRecorder::thread_queues() const {
  absl::MutexLock lock(&queues_mu_);
  return queues_.size();
}

namespace {

// Appends `slot`'s shape to `batch` as one entry standing for `repeat`
// requests.
template <typename Slot, typename Batch>
void AppendShape(const Slot& slot, uint64_t repeat, Batch* batch) {
  if (batch->pins.empty() || batch->pins.back() != slot.pin) batch->pins.push_back(slot.pin);
  batch->entries.push_back(Entry{.shadow = slot.shadow,
                                 .begin = static_cast<uint32_t>(batch->bytes.size()),
                                 .origin_size = slot.origin_size,
                                 .method_size = slot.method_size,
                                 .path_size = slot.path_size,
                                 .first_line = static_cast<uint32_t>(batch->line_sizes.size() / 2),
                                 .line_count = slot.line_count,
                                 .other_lines = 0,
                                 .active_verdict = static_cast<Verdict>(slot.active >> 8),
                                 .active_reason = static_cast<Reason>(slot.active & 0xff),
                                 .path_over_limit = false,
                                 .repeat = repeat});
  const size_t head = slot.origin_size + slot.method_size + slot.path_size;
  batch->bytes.append(slot.text, head);
  const char* value = slot.text + head;
  for (uint16_t i = 0; i < slot.line_count; ++i) {
    const absl::string_view name = kLineNames[static_cast<size_t>(slot.line_kinds[i])];
    batch->bytes.append(name.data(), name.size());
    batch->bytes.append(value, slot.value_sizes[i]);
    value += slot.value_sizes[i];
    batch->line_sizes.push_back(static_cast<uint32_t>(name.size()));
    batch->line_sizes.push_back(slot.value_sizes[i]);
  }
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
    slot.shadow = nullptr;
    slot.records.store(0, std::memory_order_relaxed);
    slot.handed = 0;
  }
  queue->refresh_memo.store(false, std::memory_order_relaxed);
}

void ShadowRecorder::Record(const std::shared_ptr<const ShadowPolicy>& shadow,
                            const Request& request, Verdict active_verdict, Reason active_reason) {
  Queue* queue = last_queue.id == id_ ? static_cast<Queue*>(last_queue.queue) : ThreadQueue();
  if (queue->refresh_memo.load(std::memory_order_relaxed)) RefreshMemo(queue);
  // Traffic repeats itself: first, the shape this thread counted last, for
  // a shadow with one rule for every path (the path is then not read). The
  // slot pins its shadow, so the same address is the same shadow, and its
  // rule is the one the slot holds.
  if (MemoSlot* last = queue->last_hit; last->shadow == shadow.get() && last->rule_for_every_path &&
                                        last->active == PackActive(active_verdict, active_reason) &&
                                        request.headers.size() <= kMaxRequestHeaderLines &&
                                        request.path.size() <= kMaxPathBytes &&
                                        last->HoldsRequestOf(request)) {
    last->CountOne();
    return;
  }
  auto without_query = [&request] {
    return request.path.substr(0, FindQueryOrFragment(request.path));
  };
  // A shape is what the shadow's decision depends on. The other header lines
  // only count toward the line limit, and a request within it and within the
  // path limit decides the same whatever they are.
  if (request.headers.size() > kMaxRequestHeaderLines || request.path.size() > kMaxPathBytes) {
    Enqueue(queue, shadow, request, without_query(), active_verdict, active_reason);
    return;
  }
  // Filled up to line_count: no need to initialize them.
  LineKind line_kinds[kMemoLines];
  absl::string_view line_values[kMemoLines];
  size_t line_count = 0;
  size_t text_size = request.origin.size() + request.method.size();  // the path aside
  for (const HeaderView& line : request.headers) {
    if (!IsCorsRequestHeader(line.name)) continue;
    const LineKind kind = KindOf(line.name);
    if (kind == LineKind::kOther) continue;  // decides nothing
    if (line_count == kMemoLines) {
      text_size = kMemoTextBytes + 1;  // not a shape the memo keeps
      break;
    }
    line_kinds[line_count] = kind;
    line_values[line_count++] = line.value;
    text_size += line.value.size();
  }
  if (text_size > kMemoTextBytes) {
    Enqueue(queue, shadow, request, without_query(), active_verdict, active_reason);
    return;
  }
  // The path only matters through the rule it selects; most policies have
  // one rule for every path, and then it is not read at all.
  absl::string_view path;
  bool have_path = false;
  const CompiledPolicy::AnyPathRule any_path = shadow->policy->RuleForEveryPath();
  const CompiledRule* rule = any_path.rule;
  if (!any_path.found) {
    path = without_query();
    have_path = true;
    rule = shadow->policy->SelectRule(path);
  }
  Shape shape{.shadow = shadow.get(),
              .rule = rule,
              .rule_for_every_path = any_path.found,
              .active = PackActive(active_verdict, active_reason),
              .origin = request.origin,
              .method = request.method,
              .path = path,
              .line_kinds = absl::MakeConstSpan(line_kinds, line_count),
              .line_values = absl::MakeConstSpan(line_values, line_count)};
  if (MemoSlot* last = queue->last_hit; have_path && last->Holds(shape)) {
    last->CountOne();  // the fast path above covers shadows with a rule for every path
    return;
  }
  uint64_t hash = Mix(reinterpret_cast<uintptr_t>(shape.rule), ShapeWord(request.origin));
  hash = Mix(hash, ShapeWord(request.method) ^ (uint64_t{shape.active} << 48));
  for (size_t i = 0; i < line_count; ++i) {
    hash = Mix(hash, ShapeWord(line_values[i]) ^ static_cast<uint64_t>(line_kinds[i]));
  }
  // Two ways per set, the most recently taken first: two shapes that hash
  // alike do not take each other's slot on every request.
  MemoSlot* ways = &queue->memo[2 * (hash >> (64 - kMemoSetBits))];
  for (MemoSlot* slot : {&ways[0], &ways[1]}) {
    if (slot->Holds(shape)) {
      slot->CountOne();
      queue->last_hit = slot;
      return;
    }
  }

  // The shape takes the first way (with the path of this request, for
  // samples, when it fits); the first moves to the second, and what the
  // second counted goes to the queue.
  if (!have_path) shape.path = without_query();
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
  queue->last_hit = &ways[0];
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
      if (refresh_memos) queue->refresh_memo.store(true, std::memory_order_relaxed);
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
