// The hot half of ShadowRecorder's per-thread memo: the first part of a memo
// slot, the thread's pointer to the slot it counted last, and the test that
// counts a request of that slot's shape. It is inline so that the decision
// path pays a few compares for a repeated request and no call of its own
// (in the shared library, reading the thread-local still costs the TLS
// lookup). shadow_recorder.cc owns everything else: the rest of each slot,
// the queues, the slow path, and the drain, which reads slots under their
// queue's lock. SlotHead says who writes what.
//
// What a shadow's decision of a request depends on, and so what a shape is:
// the shadow, the shadow's rule for the path, the active verdict and reason,
// the origin, the method and what the Access-Control-Request-* lines come
// to (ScanCorsRequestHeaders), for a request within the line and path
// limits. Everything but the shadow, the rule and the text is one word, the
// shape's key (ShapeKey).
#ifndef CORSD_SERVICE_ENGINE_SHADOW_MEMO_H_
#define CORSD_SERVICE_ENGINE_SHADOW_MEMO_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "absl/base/attributes.h"
#include "absl/strings/string_view.h"
#include "service/engine/cors_request.h"
#include "service/engine/limits.h"
#include "service/engine/verdict.h"

namespace corsd::engine {
struct CompiledRule;
struct ShadowPolicy;
}  // namespace corsd::engine

namespace corsd::engine::shadow_memo {

// The text (origin, method, the lines' values, path) a slot holds at most.
inline constexpr size_t kTextBytes = 256;
// The Access-Control-Request-Headers lines a memoized shape may have: those
// ScanCorsRequestHeaders keeps by value.
inline constexpr size_t kHeadersLines = CorsRequestHeaders::kKeptRequestHeadersLines;

// Whether the shadow's decision of `request` depends on nothing but its
// shape: a request over the line or path limit is malformed by the count
// or the length itself, which a shape does not keep.
ABSL_ATTRIBUTE_ALWAYS_INLINE inline bool WithinLimits(const Request& request,
                                                      const CorsRequestHeaders& cors) {
  return cors.line_count <= kMaxRequestHeaderLines && request.path.size() <= kMaxPathBytes;
}

// The active verdict and reason, as one value.
ABSL_ATTRIBUTE_ALWAYS_INLINE inline uint16_t PackActive(Verdict verdict, Reason reason) {
  return static_cast<uint16_t>((static_cast<uint16_t>(verdict) << 8) |
                               static_cast<uint16_t>(reason));
}

// A shape's key, for a request within the limits (its line counts then fit
// their bits):
//   bits  0-15  the active verdict and reason (PackActive)
//   bit  16     the shadow has one rule for every path
//   bit  17     Access-Control-Request-Private-Network: true
//   bits 18-31  Access-Control-Request-Method lines
//   bits 32-45  Access-Control-Request-Headers lines
inline constexpr uint64_t kEveryPathBit = uint64_t{1} << 16;
inline constexpr uint64_t kPrivateNetworkBit = uint64_t{1} << 17;
inline constexpr int kMethodLinesShift = 18;
inline constexpr int kHeadersLinesShift = 32;
inline constexpr uint64_t kLineCountMask = (uint64_t{1} << 14) - 1;
inline constexpr uint64_t kLinesBits =
    kPrivateNetworkBit | kLineCountMask << kMethodLinesShift | kLineCountMask << kHeadersLinesShift;
static_assert(kMaxRequestHeaderLines <= kLineCountMask);
// No shape has this key (bits 46-63 are always clear).
inline constexpr uint64_t kNoShape = ~uint64_t{0};

ABSL_ATTRIBUTE_ALWAYS_INLINE inline uint64_t ShapeKey(uint16_t active,
                                                      const CorsRequestHeaders& cors,
                                                      bool rule_for_every_path) {
  return uint64_t{active} | (rule_for_every_path ? kEveryPathBit : 0) |
         (cors.requests_private_network ? kPrivateNetworkBit : 0) |
         uint64_t{cors.request_method_lines} << kMethodLinesShift |
         uint64_t{cors.request_headers_lines} << kHeadersLinesShift;
}

constexpr size_t MethodLinesOf(uint64_t key) { return (key >> kMethodLinesShift) & kLineCountMask; }
constexpr size_t HeadersLinesOf(uint64_t key) {
  return (key >> kHeadersLinesShift) & kLineCountMask;
}

// Whether a shape of `key` can be memoized: the lines it stands for are
// then exactly what its key and values say.
constexpr bool Memoizable(uint64_t key) {
  return MethodLinesOf(key) <= 1 && HeadersLinesOf(key) <= kHeadersLines;
}

// Whether the `n` bytes at `a` and `b` are equal, for n from sizeof(Word)
// to twice that: the first and the last Word, which may overlap.
template <typename Word>
ABSL_ATTRIBUTE_ALWAYS_INLINE inline bool EqualEnds(const char* a, const char* b, size_t n) {
  Word a0, b0, a1, b1;
  std::memcpy(&a0, a, sizeof(Word));
  std::memcpy(&b0, b, sizeof(Word));
  std::memcpy(&a1, a + n - sizeof(Word), sizeof(Word));
  std::memcpy(&b1, b + n - sizeof(Word), sizeof(Word));
  return ((a0 ^ b0) | (a1 ^ b1)) == 0;
}

// Whether the `n` bytes at `a` and `b` are equal, for n from 1 to 16, with
// fixed-size loads: two words of eight bytes or of four, or the first,
// middle and last byte.
ABSL_ATTRIBUTE_ALWAYS_INLINE inline bool EqualUpTo16(const char* a, const char* b, size_t n) {
  if (n >= 8) return EqualEnds<uint64_t>(a, b, n);
  if (n >= 4) return EqualEnds<uint32_t>(a, b, n);
  return a[0] == b[0] && a[n / 2] == b[n / 2] && a[n - 1] == b[n - 1];
}

// Whether the 16 bytes at `a` and `b` are equal: one vector compare where
// the target has SSE2 (every x86-64), else two words.
ABSL_ATTRIBUTE_ALWAYS_INLINE inline bool Equal16(const char* a, const char* b) {
#ifdef __SSE2__
  const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(a));
  const __m128i y = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b));
  return _mm_movemask_epi8(_mm_cmpeq_epi8(x, y)) == 0xffff;
#else
  return EqualUpTo16(a, b, 16);
#endif
}

// Whether `stored` begins with `text`. Inline and branch-light: the texts
// are short (an origin is typically 20 to 40 bytes), a library call costs
// more than the compare, and a memo hit makes several.
ABSL_ATTRIBUTE_ALWAYS_INLINE inline bool Equal(const char* stored, absl::string_view text) {
  const char* data = text.data();
  const size_t n = text.size();
  if (n <= 16) return n == 0 || EqualUpTo16(stored, data, n);
  // Sixteen bytes at a time, and the last sixteen, which may overlap the
  // chunk before them.
  for (size_t i = 0; i + 16 < n; i += 16) {
    if (!Equal16(stored + i, data + i)) return false;
  }
  return Equal16(stored + n - 16, data + n - 16);
}

// The first part of a memo slot: what a repeat compares and the count it
// increments, in the slot's first cache line, then the text. Written by the
// owning thread (under its queue's lock, which the drain takes to read),
// except `hit_key`, which the drain also writes under that lock.
struct alignas(64) SlotHead {
  const ShadowPolicy* shadow = nullptr;  // null: empty
  const CompiledRule* rule = nullptr;    // the shadow's rule for the path
  // Requests of this shape since it took the slot. Only the owning thread
  // writes it, with a plain load and store (no read-modify-write on the hot
  // path); the drain reads it.
  std::atomic<uint64_t> records{0};
  // The shape's key while a repeat may be counted here; kNoShape when the
  // slot is empty or the drain asked the thread to empty its memo (a repeat
  // then takes the slow path, which does).
  std::atomic<uint64_t> hit_key{kNoShape};
  uint16_t origin_size = 0;
  uint16_t method_size = 0;
  uint16_t method_value_size = 0;  // the Access-Control-Request-Method line's
  uint16_t headers_value_sizes[kHeadersLines] = {};
  uint16_t path_size = 0;  // of the request that took the slot (for samples)
  // The origin, the method, the lines' values (method, then headers), and
  // last the path, which only samples read.
  char text[kTextBytes];

  // One more request of this shape; only the owning thread calls it.
  ABSL_ATTRIBUTE_ALWAYS_INLINE void CountOne() {
    records.store(records.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  }

  // Whether the text of a shape of `key` (this slot's key: it says how many
  // lines of each kind there are) is this slot's.
  ABSL_ATTRIBUTE_ALWAYS_INLINE bool HoldsText(uint64_t key, absl::string_view origin,
                                              absl::string_view method,
                                              const CorsRequestHeaders& cors) const {
    if (origin_size != origin.size() || method_size != method.size() || !Equal(text, origin) ||
        !Equal(text + origin.size(), method)) {
      return false;
    }
    if ((key & kLinesBits) == 0) return true;  // no lines (most actual requests)
    const char* stored = text + origin.size() + method.size();
    if (MethodLinesOf(key) == 1) {
      if (method_value_size != cors.request_method.size() || !Equal(stored, cors.request_method)) {
        return false;
      }
      stored += method_value_size;
    }
    for (size_t i = 0; i < HeadersLinesOf(key); ++i) {
      const absl::string_view value = cors.request_headers(i);
      if (headers_value_sizes[i] != value.size() || !Equal(stored, value)) return false;
      stored += value.size();
    }
    return true;
  }
};

// The recorder this thread recorded for last, its queue there and the slot
// of the shape it counted last (the queue's first slot until it counted
// one), in a plain thread_local (no guard on access). The thread keeps that
// queue alive (shadow_recorder.cc). A repeat matches on the recorder's
// address, which a later recorder may reuse; it then finds an emptied slot
// and fails, and the slow path matches on the id, which is never reused.
struct ThreadLast {
  // The recorder's address, compared by a repeat (no read of the recorder
  // itself); a recorder at an address where another was has a fresh id and
  // finds every slot of the old one empty (its destructor empties them), so
  // a repeat there fails and the slow path checks the id.
  const void* recorder = nullptr;
  uint64_t recorder_id = 0;  // 0: none yet; kThreadExited: its queues are gone
  void* queue = nullptr;     // a ShadowRecorder::Queue
  SlotHead* slot = nullptr;
};
inline constexpr uint64_t kThreadExited = ~uint64_t{0};
// Hidden: a process holding two copies of the engine (a program that links
// it and a shared library that bundles it) keeps one per copy, as each
// copy numbers its recorders on its own.
extern constinit thread_local ThreadLast thread_last __attribute__((visibility("hidden")));

// Counts `request` in the slot of the shape this thread counted last for
// `recorder`, if that is its shape and the shadow has one rule
// for every path (the path is then not read): true when counted. The slot
// pins its shadow, so the same address is the same shadow, and its rule is
// the one the slot holds.
ABSL_ATTRIBUTE_ALWAYS_INLINE inline bool CountIfLast(const void* recorder,
                                                     const ShadowPolicy* shadow,
                                                     const Request& request,
                                                     const CorsRequestHeaders& cors,
                                                     Verdict active_verdict, Reason active_reason) {
  const ThreadLast& last = thread_last;
  if (last.recorder != recorder) return false;
  SlotHead& slot = *last.slot;
  const uint64_t key = ShapeKey(PackActive(active_verdict, active_reason), cors,
                                /*rule_for_every_path=*/true);
  if (slot.shadow != shadow || slot.hit_key.load(std::memory_order_relaxed) != key ||
      !WithinLimits(request, cors) || !slot.HoldsText(key, request.origin, request.method, cors)) {
    return false;
  }
  slot.CountOne();
  return true;
}

}  // namespace corsd::engine::shadow_memo

#endif  // CORSD_SERVICE_ENGINE_SHADOW_MEMO_H_
