#include "service/engine/origin_matcher.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <initializer_list>
#include <new>

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

  // Room for `text_bytes` of text and a table of `exact_slots` (0 or a power
  // of two) empty slots.
  TextBlock(size_t text_bytes, size_t exact_slots)
      // One allocation for the bytes and the count that frees them; the
      // slack lets the table start aligned wherever the bytes start.
      : block_(std::make_shared_for_overwrite<char[]>(text_bytes + alignof(ExactSlot) - 1 +
                                                      exact_slots * sizeof(ExactSlot))),
        text_end_(block_.get() + text_bytes),
        next_(block_.get()) {
    if (exact_slots == 0) return;
    void* table = text_end_;
    size_t room = alignof(ExactSlot) - 1 + exact_slots * sizeof(ExactSlot);
    table = std::align(alignof(ExactSlot), exact_slots * sizeof(ExactSlot), table, room);
    slots_ = static_cast<ExactSlot*>(table);
    for (size_t i = 0; i < exact_slots; ++i) new (&slots_[i]) ExactSlot{0, 0};
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
  ExactSlot SlotFor(absl::string_view kept) const {
    return ExactSlot{static_cast<uint32_t>(kept.data() - block_.get()),
                     static_cast<uint32_t>(kept.size())};
  }

  const char* base() const { return block_.get(); }
  ExactSlot* slots() const { return slots_; }
  std::shared_ptr<const char[]> Release() { return std::move(block_); }

 private:
  std::shared_ptr<char[]> block_;
  char* const text_end_;
  char* next_;
  ExactSlot* slots_ = nullptr;
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

OriginMatcher OriginMatcher::Build(absl::Span<const OriginPattern> patterns) {
  static_assert(kMaxOriginsPerPolicy * 2 <= UINT32_MAX, "exact slots are counted in 32 bits");
  size_t bytes = 0;
  size_t exact = 0;
  for (const OriginPattern& pattern : patterns) {
    bytes += TextBlock::BytesFor(pattern);
    if (pattern.kind() == OriginPattern::Kind::kExact && !pattern.any_port()) ++exact;
  }
  if (bytes > UINT32_MAX) std::abort();  // policy limits keep a block far smaller
  OriginMatcher matcher;
  const size_t slots = ExactSlotsFor(exact);
  TextBlock text(bytes, slots);
  matcher.block_base_ = text.base();
  matcher.exact_slots_ = text.slots();
  matcher.exact_mask_ = slots == 0 ? 0 : static_cast<uint32_t>(slots - 1);
  for (const OriginPattern& pattern : patterns) matcher.Add(pattern, text);
  matcher.text_ = text.Release();
  return matcher;
}

void OriginMatcher::Add(const OriginPattern& pattern, TextBlock& text) {
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
        if (!any_port_.contains(key)) any_port_.emplace(key, text.Keep({pattern.text()}));
      } else if (FindExact(pattern.text()).empty()) {
        const ExactSlot slot = text.SlotFor(text.Keep({pattern.text()}));
        ExactSlot* slots = text.slots();
        uint32_t i = ExactHash(pattern.text()) & exact_mask_;
        while (slots[i].size != 0) i = (i + 1) & exact_mask_;
        slots[i] = slot;
      }
      return;
    case OriginPattern::Kind::kSubdomainWildcard: {
      const std::string key = pattern.any_port() || pattern.port().empty()
                                  ? std::string(pattern.domain())
                                  : absl::StrCat(pattern.domain(), ":", pattern.port());
      auto& map = pattern.any_port() ? subdomain_any_port_ : subdomain_;
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

absl::string_view OriginMatcher::FindExact(absl::string_view origin) const {
  if (exact_slots_ == nullptr) return {};
  // Never full (see ExactSlotsFor), so the probe always reaches an empty slot.
  for (uint32_t i = ExactHash(origin) & exact_mask_;; i = (i + 1) & exact_mask_) {
    const ExactSlot slot = exact_slots_[i];
    if (slot.size == 0) return {};
    if (slot.size == origin.size() &&
        std::memcmp(block_base_ + slot.offset, origin.data(), origin.size()) == 0) {
      return absl::string_view(block_base_ + slot.offset, slot.size);
    }
  }
}

absl::string_view OriginMatcher::Find(absl::string_view origin,
                                      const SerializedOrigin* parsed) const {
  if (allows_any_) return "*";
  if (origin == "null") return allows_null_ ? absl::string_view("null") : absl::string_view();

  if (absl::string_view exact = FindExact(origin); !exact.empty()) return exact;

  const size_t host_end = parsed->host_offset + parsed->host.size();
  if (!any_port_.empty()) {
    if (auto it = any_port_.find(origin.substr(0, host_end)); it != any_port_.end()) {
      return it->second;
    }
  }
  if (parsed->host_kind != HostKind::kDomain) return {};
  if (subdomain_.empty() && subdomain_any_port_.empty()) return {};
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
    if (!subdomain_any_port_.empty()) {
      auto it = subdomain_any_port_.find(origin.substr(suffix_start, host_end - suffix_start));
      if (it != subdomain_any_port_.end()) {
        if (absl::string_view p = FindScheme(it->second, parsed->scheme); !p.empty()) return p;
      }
    }
  }
  return {};
}

}  // namespace corsd::engine
