// OriginMatcher answers "which allowed_origins entry, if any, allows this
// request origin?" in time independent of how many entries a rule lists:
//
//   exact origins          one hash lookup of the whole origin string
//   port wildcards         one hash lookup of "scheme://host"
//   subdomain wildcards    one hash lookup per label boundary of the host
//                          ("a.b.example.com" tries "b.example.com", then
//                          "example.com"), so matches land on label
//                          boundaries only and never on the apex
//
// Because exact entries are whole-string hash keys, no combination, prefix or
// suffix of two entries can ever match. Build() makes one from every pattern
// at once; it is immutable and safe for concurrent Find() calls, which never
// allocate. Every string it keeps, and the table of exact origins, live in
// one block shared by its copies, or, for exact origins, in borrowed bytes it
// keeps alive (BorrowableText): a replica holds 100,000 policies of 20
// origins, and one block per matcher (4 bytes per exact origin on top of its
// text, where a general hash set took about 28) is what keeps that within a
// few hundred MiB.
//
//   OriginMatcher m = OriginMatcher::Build({*OriginPattern::Parse("https://*.example.com")});
//   SerializedOrigin o;
//   ParseSerializedOrigin("https://a.example.com", &o);
//   m.Find("https://a.example.com", &o);  // "https://*.example.com"
#ifndef CORSD_SERVICE_ENGINE_ORIGIN_MATCHER_H_
#define CORSD_SERVICE_ENGINE_ORIGIN_MATCHER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/inlined_vector.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "service/engine/origin_pattern.h"
#include "service/engine/serialized_origin.h"

namespace corsd::engine {

// Bytes that may already hold a policy's exact origins verbatim, kept alive
// for another reason (the serialized policy a replica keeps for watchers):
// OriginMatcher::Build then views each exact origin it finds there instead of
// copying it, and holds `owner` for as long as the matcher lives. Bytes of
// 32 KiB or more are not searched (their origins are copied).
struct BorrowableText {
  std::shared_ptr<const void> owner;
  absl::string_view bytes;  // owned by `owner`
};

class OriginMatcher {
 public:
  // Patterns listed twice count once; the order does not matter. With
  // `borrow`, exact origins found in its bytes are not copied (any place
  // holding the same bytes will do); the rest are.
  static OriginMatcher Build(absl::Span<const OriginPattern> patterns,
                             const BorrowableText* borrow = nullptr);

  // Returns the pattern text that allows `origin`, or an empty view when none
  // does. `origin` must be "null" (then `parsed` may be null) or a serialized
  // origin that ParseSerializedOrigin accepted into `parsed`.
  absl::string_view Find(absl::string_view origin, const SerializedOrigin* parsed) const;

  // The fast path for the common case: when `origin` (any bytes, unparsed) is
  // exactly one of the listed origins, returns it, and Find() would return
  // the same. Such an origin needs no parsing: it is byte for byte a pattern
  // that OriginPattern::Parse accepted, with the same building blocks
  // ParseSerializedOrigin uses. Empty when not listed exactly, when "*" is
  // listed (Find answers "*" first), or when `origin` is over the origin size
  // limit (so an attacker's megabyte is never hashed).
  absl::string_view FindListedExactly(absl::string_view origin) const;

  bool allows_any() const { return allows_any_; }
  bool allows_null() const { return allows_null_; }
  bool empty() const { return size_ == 0; }

 private:
  // Every view below points into text_ (exact origins may also lie in the
  // borrowed bytes, see ExactSlot).
  struct SchemeEntry {
    absl::string_view scheme;
    absl::string_view pattern;
  };
  using SchemeList = absl::InlinedVector<SchemeEntry, 1>;
  class TextBlock;
  // One slot of the exact-origin table: where the origin lies, in the block
  // or, with kBorrowed set in `size`, in the borrowed bytes. Narrow slots
  // (4 bytes) when every offset fits 16 bits, which is every policy of
  // ordinary size; wide ones (8 bytes) otherwise.
  template <typename Offset>
  struct ExactSlot {
    static constexpr Offset kBorrowed = Offset{1} << (sizeof(Offset) * 8 - 1);
    Offset offset;
    Offset size;  // 0: empty (an origin is never empty)
  };
  using NarrowSlot = ExactSlot<uint16_t>;
  using WideSlot = ExactSlot<uint32_t>;

  static absl::string_view FindScheme(const SchemeList& list, absl::string_view scheme);
  // `borrowed_at`: where the bytes of an exact `pattern` start in the
  // borrowed text, or npos to copy them.
  void Add(const OriginPattern& pattern, size_t borrowed_at, TextBlock& text);
  // The listed exact origin equal to `origin`, or an empty view.
  absl::string_view FindExact(absl::string_view origin) const;
  template <typename Slot>
  absl::string_view FindExactIn(const Slot* slots, absl::string_view origin) const;
  template <typename Slot>
  void InsertExact(Slot* slots, absl::string_view text, size_t offset, bool borrowed);

  bool allows_any_ = false;
  bool allows_null_ = false;
  size_t size_ = 0;
  std::shared_ptr<const char[]> text_;
  // Exact origins ("scheme://host[:port]"): an open-addressing table of
  // exact_mask_ + 1 slots (a power of two, at most two thirds full), linear
  // probing, inside text_. Null when no exact origin is listed.
  const char* block_base_ = nullptr;            // text_.get(), also while Build fills it
  std::shared_ptr<const void> borrowed_owner_;  // keeps borrowed_base_ valid
  const char* borrowed_base_ = nullptr;
  const void* exact_slots_ = nullptr;  // NarrowSlot or WideSlot
  uint32_t exact_mask_ = 0;
  bool narrow_slots_ = true;
  // "example.com:8443" (domain plus ":port" when one is required) -> schemes.
  absl::flat_hash_map<absl::string_view, SchemeList> subdomain_;
  // Port wildcards ("scheme://host:*"), which few policies list: behind a
  // pointer, so a matcher without them does not carry two empty hash maps.
  // Shared by copies; only Build changes it.
  struct AnyPortIndex {
    // "scheme://host" -> pattern, for "scheme://host:*".
    absl::flat_hash_map<absl::string_view, absl::string_view> exact_host;
    // "example.com" -> schemes, for "scheme://*.example.com:*".
    absl::flat_hash_map<absl::string_view, SchemeList> subdomain;
  };
  std::shared_ptr<AnyPortIndex> any_port_;  // null: none listed
};

}  // namespace corsd::engine

#endif  // CORSD_SERVICE_ENGINE_ORIGIN_MATCHER_H_
