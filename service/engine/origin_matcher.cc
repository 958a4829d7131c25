#include "service/engine/origin_matcher.h"

#include <algorithm>
#include <cstdlib>
#include <initializer_list>

#include "absl/strings/str_cat.h"
#include "service/engine/limits.h"

namespace corsd::engine {

// The block of text a matcher keeps, filled front to back; sized up front
// from the patterns, so it never moves and views into it stay valid.
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

  explicit TextBlock(size_t bytes) : block_(new char[bytes]), end_(block_.get() + bytes) {}

  // A view of the concatenated parts, copied into the block.
  absl::string_view Keep(std::initializer_list<absl::string_view> parts) {
    char* const start = next_;
    for (absl::string_view part : parts) {
      if (static_cast<size_t>(end_ - next_) < part.size()) std::abort();  // BytesFor is wrong
      std::copy(part.begin(), part.end(), next_);
      next_ += part.size();
    }
    return absl::string_view(start, next_ - start);
  }

  std::shared_ptr<const char[]> Release() { return std::move(block_); }

 private:
  std::shared_ptr<char[]> block_;
  char* const end_;
  char* next_ = block_.get();
};

OriginMatcher OriginMatcher::Build(absl::Span<const OriginPattern> patterns) {
  size_t bytes = 0;
  size_t exact = 0;
  for (const OriginPattern& pattern : patterns) {
    bytes += TextBlock::BytesFor(pattern);
    if (pattern.kind() == OriginPattern::Kind::kExact && !pattern.any_port()) ++exact;
  }
  OriginMatcher matcher;
  TextBlock text(bytes);
  matcher.exact_.reserve(exact);
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
      } else if (!exact_.contains(pattern.text())) {
        exact_.insert(text.Keep({pattern.text()}));
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
  if (allows_any_ || exact_.empty() || origin.size() > kMaxOriginBytes) return {};
  auto it = exact_.find(origin);
  return it == exact_.end() ? absl::string_view() : *it;
}

absl::string_view OriginMatcher::Find(absl::string_view origin,
                                      const SerializedOrigin* parsed) const {
  if (allows_any_) return "*";
  if (origin == "null") return allows_null_ ? absl::string_view("null") : absl::string_view();

  if (auto it = exact_.find(origin); it != exact_.end()) return *it;

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
