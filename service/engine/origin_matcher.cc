#include "service/engine/origin_matcher.h"

#include "absl/strings/str_cat.h"
#include "service/engine/limits.h"

namespace corsd::engine {

void OriginMatcher::Add(const OriginPattern& pattern) {
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
        any_port_.try_emplace(absl::StrCat(pattern.scheme(), "://", pattern.domain()),
                              pattern.text());
      } else {
        exact_.insert(pattern.text());
      }
      return;
    case OriginPattern::Kind::kSubdomainWildcard: {
      SchemeList& list =
          pattern.any_port()
              ? subdomain_any_port_[pattern.domain()]
              : subdomain_[pattern.port().empty()
                               ? pattern.domain()
                               : absl::StrCat(pattern.domain(), ":", pattern.port())];
      if (FindScheme(list, pattern.scheme()).empty()) {
        list.push_back({pattern.scheme(), pattern.text()});
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
  return it == exact_.end() ? absl::string_view() : absl::string_view(*it);
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
