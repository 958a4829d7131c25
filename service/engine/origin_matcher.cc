#include "service/engine/origin_matcher.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <initializer_list>
#include <new>

#include "absl/container/inlined_vector.h"
#include "absl/hash/hash.h"
#include "absl/strings/str_cat.h"
#include "service/engine/limits.h"

namespace corsd::engine {

// The block a matcher keeps: its text, filled front to back, then the table
// of exact origins. Sized up front from the patterns, so it never moves and
// views into it stay valid.
class OriginMatcher::TextBlock {
 public:
  // An upper bound of what Keep() will be given for `pattern`.
  static size_t BytesFor(const OriginPattern& pattern) {
    switch (pattern.kind()) {
      case OriginPattern::Kind::kAny:
      case OriginPattern::Kind::kNull:
        return 0;
      case OriginPattern::Kind::kExact:
        return pattern.text().size() +
               (pattern.any_port() ? pattern.scheme().size() + 3 + pattern.domain().size() : 0);
      case OriginPattern::Kind::kSubdomainWildcard:
        return pattern.text().size() + pattern.scheme().size() + pattern.domain().size() + 1 +
               pattern.port().size();
    }
    return 0;
  }

  // Room for `text_bytes` of text and a zeroed table of `table_bytes`
  // (empty slots), aligned for WideSlot.
  TextBlock(size_t text_bytes, size_t table_bytes)
      // One allocation for the bytes and the count that frees them; the
      // slack lets the table start aligned wherever the bytes start.
      : block_(std::make_shared_for_overwrite<char[]>(text_bytes + kAlign - 1 + table_bytes)),
        text_end_(block_.get() + text_bytes),
        next_(block_.get()) {
    if (table_bytes == 0) return;
    void* table = text_end_;
    size_t room = kAlign - 1 + table_bytes;
    table_ = std::align(kAlign, table_bytes, table, room);
    std::memset(table_, 0, table_bytes);
  }

  // A view of the concatenated parts, copied into the block.
  absl::string_view Keep(std::initializer_list<absl::string_view> parts) {
    char* const start = next_;
    for (absl::string_view part : parts) {
      if (static_cast<size_t>(text_end_ - next_) < part.size()) std::abort();  // BytesFor is wrong
      std::copy(part.begin(), part.end(), next_);
      next_ += part.size();
    }
    return absl::string_view(start, next_ - start);
  }

  // Where `kept`, a view Keep() returned, lies in the block.
  size_t OffsetOf(absl::string_view kept) const { return kept.data() - block_.get(); }

  const char* base() const { return block_.get(); }
  void* table() const { return table_; }
  std::shared_ptr<const char[]> Release() { return std::move(block_); }

 private:
  std::shared_ptr<char[]> block_;
  char* const text_end_;
  char* next_;
  void* table_ = nullptr;
  static constexpr size_t kAlign = alignof(WideSlot);
};

namespace {

// Slots for `count` exact origins: a power of two at least 1.5 times the
// count, so probes stay short; 0 for none.
size_t ExactSlotsFor(size_t count) {
  if (count == 0) return 0;
  size_t slots = 2;
  while (slots < count + count / 2 + 1) slots *= 2;
  return slots;
}

uint32_t ExactHash(absl::string_view origin) {
  // The low bits pick the slot; absl's hash mixes every byte into them.
  return static_cast<uint32_t>(absl::HashOf(origin));
}

}  // namespace

OriginMatcher OriginMatcher::Build(absl::Span<const OriginPattern> patterns,
                                   const BorrowableText* borrow) {
  static_assert(kMaxOriginsPerPolicy * 2 <= UINT32_MAX, "exact slots are counted in 32 bits");
  // Only bytes of ordinary size are searched (every rule searches them
  // whole, so a huge policy would cost rules x size); they then always fit
  // narrow slots.
  const absl::string_view borrowable =
      borrow != nullptr && borrow->bytes.size() < NarrowSlot::kBorrowed ? borrow->bytes
                                                                        : absl::string_view();
  // Where each exact origin lies in the borrowed bytes. A serialized policy
  // lists them in order, so each search starts where the last one ended.
  absl::InlinedVector<size_t, 32> borrowed_at(patterns.size(), absl::string_view::npos);
  size_t bytes = 0;
  size_t exact = 0;
  size_t search_from = 0;
  bool borrowed_any = false;
  for (size_t i = 0; i < patterns.size(); ++i) {
    const OriginPattern& pattern = patterns[i];
    if (pattern.kind() == OriginPattern::Kind::kExact && !pattern.any_port()) {
      ++exact;
      if (!borrowable.empty()) {
        size_t at = borrowable.find(pattern.text(), search_from);
        if (at == absl::string_view::npos) at = borrowable.find(pattern.text());
        if (at != absl::string_view::npos) {
          borrowed_at[i] = at;
          search_from = at + pattern.text().size();
          borrowed_any = true;
          continue;
        }
      }
    }
    bytes += TextBlock::BytesFor(pattern);
  }
  if (bytes > UINT32_MAX) std::abort();  // policy limits keep a block far smaller
  OriginMatcher matcher;
  const size_t slots = ExactSlotsFor(exact);
  // Narrow slots hold offsets and sizes below NarrowSlot::kBorrowed.
  matcher.narrow_slots_ =
      bytes < NarrowSlot::kBorrowed && borrowable.size() < NarrowSlot::kBorrowed;
  TextBlock text(bytes, slots * (matcher.narrow_slots_ ? sizeof(NarrowSlot) : sizeof(WideSlot)));
  matcher.block_base_ = text.base();
  if (borrowed_any) {  // otherwise the owner is not kept alive for nothing
    matcher.borrowed_owner_ = borrow->owner;
    matcher.borrowed_base_ = borrowable.data();
  }
  matcher.exact_slots_ = text.table();
  matcher.exact_mask_ = slots == 0 ? 0 : static_cast<uint32_t>(slots - 1);
  for (size_t i = 0; i < patterns.size(); ++i) matcher.Add(patterns[i], borrowed_at[i], text);
  matcher.text_ = text.Release();
  return matcher;
}

void OriginMatcher::Add(const OriginPattern& pattern, size_t borrowed_at, TextBlock& text) {
  ++size_;
  switch (pattern.kind()) {
    case OriginPattern::Kind::kAny:
      allows_any_ = true;
      return;
    case OriginPattern::Kind::kNull:
      allows_null_ = true;
      return;
    case OriginPattern::Kind::kExact:
      if (pattern.any_port()) {
        const absl::string_view key = text.Keep({pattern.scheme(), "://", pattern.domain()});
        if (any_port_ == nullptr) any_port_ = std::make_shared<AnyPortIndex>();
        if (!any_port_->exact_host.contains(key)) {
          any_port_->exact_host.emplace(key, text.Keep({pattern.text()}));
        }
      } else if (FindExact(pattern.text()).empty()) {
        const bool borrowed = borrowed_at != absl::string_view::npos;
        const size_t offset = borrowed ? borrowed_at : text.OffsetOf(text.Keep({pattern.text()}));
        if (narrow_slots_) {
          InsertExact(static_cast<NarrowSlot*>(text.table()), pattern.text(), offset, borrowed);
        } else {
          InsertExact(static_cast<WideSlot*>(text.table()), pattern.text(), offset, borrowed);
        }
      }
      return;
    case OriginPattern::Kind::kSubdomainWildcard: {
      const std::string key = pattern.any_port() || pattern.port().empty()
                                  ? std::string(pattern.domain())
                                  : absl::StrCat(pattern.domain(), ":", pattern.port());
      if (pattern.any_port() && any_port_ == nullptr) any_port_ = std::make_shared<AnyPortIndex>();
      auto& map = pattern.any_port() ? any_port_->subdomain : subdomain_;
      auto it = map.find(key);
      if (it == map.end()) it = map.emplace(text.Keep({key}), SchemeList()).first;
      if (FindScheme(it->second, pattern.scheme()).empty()) {
        it->second.push_back({text.Keep({pattern.scheme()}), text.Keep({pattern.text()})});
      }
      return;
    }
  }
}

absl::string_view OriginMatcher::FindScheme(const SchemeList& list, absl::string_view scheme) {
  for (const SchemeEntry& entry : list) {
    if (entry.scheme == scheme) return entry.pattern;
  }
  return {};
}

absl::string_view OriginMatcher::FindListedExactly(absl::string_view origin) const {
  if (allows_any_ || origin.size() > kMaxOriginBytes) return {};
  return FindExact(origin);
}

template <typename Slot>
void OriginMatcher::InsertExact(Slot* slots, absl::string_view text, size_t offset, bool borrowed) {
  using Offset = decltype(Slot::offset);
  uint32_t i = ExactHash(text) & exact_mask_;
  while (slots[i].size != 0) i = (i + 1) & exact_mask_;
  slots[i] = Slot{static_cast<Offset>(offset),
                  static_cast<Offset>(text.size() | (borrowed ? Slot::kBorrowed : 0))};
}

absl::string_view OriginMatcher::FindExact(absl::string_view origin) const {
  if (exact_slots_ == nullptr) return {};
  return narrow_slots_ ? FindExactIn(static_cast<const NarrowSlot*>(exact_slots_), origin)
                       : FindExactIn(static_cast<const WideSlot*>(exact_slots_), origin);
}

template <typename Slot>
absl::string_view OriginMatcher::FindExactIn(const Slot* slots, absl::string_view origin) const {
  // Never full (see ExactSlotsFor), so the probe always reaches an empty slot.
  for (uint32_t i = ExactHash(origin) & exact_mask_;; i = (i + 1) & exact_mask_) {
    const Slot slot = slots[i];
    if (slot.size == 0) return {};
    const size_t size = slot.size & ~Slot::kBorrowed;
    if (size != origin.size()) continue;
    const char* at = ((slot.size & Slot::kBorrowed) ? borrowed_base_ : block_base_) + slot.offset;
    if (std::memcmp(at, origin.data(), size) == 0) return absl::string_view(at, size);
  }
}

absl::string_view OriginMatcher::Find(absl::string_view origin,
                                      const SerializedOrigin* parsed) const {
  if (allows_any_) return "*";
  if (origin == "null") return allows_null_ ? absl::string_view("null") : absl::string_view();

  if (absl::string_view exact = FindExact(origin); !exact.empty()) return exact;

  const size_t host_end = parsed->host_offset + parsed->host.size();
  const auto* any_port_subdomain =
      any_port_ == nullptr || any_port_->subdomain.empty() ? nullptr : &any_port_->subdomain;
  if (any_port_ != nullptr) {
    const auto& exact_host = any_port_->exact_host;
    if (auto it = exact_host.find(origin.substr(0, host_end)); it != exact_host.end()) {
      return it->second;
    }
  }
  if (parsed->host_kind != HostKind::kDomain) return {};
  if (subdomain_.empty() && any_port_subdomain == nullptr) return {};
  // Try every suffix that starts right after a dot: the part before it is one
  // or more whole labels, which is what "*." promises.
  for (size_t i = 0; i < parsed->host.size(); ++i) {
    if (parsed->host[i] != '.') continue;
    const size_t suffix_start = parsed->host_offset + i + 1;
    if (suffix_start >= host_end) break;  // trailing dot
    if (!subdomain_.empty()) {
      // The suffix up to the end of the origin includes ":port" when present,
      // matching how exact-port wildcard keys are stored.
      if (auto it = subdomain_.find(origin.substr(suffix_start)); it != subdomain_.end()) {
        if (absl::string_view p = FindScheme(it->second, parsed->scheme); !p.empty()) return p;
      }
    }
    if (any_port_subdomain != nullptr) {
      auto it = any_port_subdomain->find(origin.substr(suffix_start, host_end - suffix_start));
      if (it != any_port_subdomain->end()) {
        if (absl::string_view p = FindScheme(it->second, parsed->scheme); !p.empty()) return p;
      }
    }
  }
  return {};
}

}  // namespace corsd::engine
