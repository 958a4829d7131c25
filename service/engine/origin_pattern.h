// OriginPattern is one entry of a rule's allowed_origins, parsed and checked:
//
//   "*"                        any origin (never with credentials)
//   "null"                     the opaque origin, only when listed explicitly
//   "https://app.example.com"  exactly this serialized origin
//   "https://*.example.com"    any origin one or more labels below example.com
//                              (never the apex, never a public suffix such as
//                              "https://*.co.uk")
//   "http://localhost:*"       this scheme and host on any port (or none)
//   "https://*.example.com:*"  both wildcards
//
// Exact parts must be spelled as browsers send them (lowercase, punycode, no
// default port) because requests are compared byte for byte. Parse() returns a
// status whose message is one phrase describing the problem and, where there
// is an obvious fix, the spelling to use instead.
//
//   absl::StatusOr<OriginPattern> p = OriginPattern::Parse("https://*.example.com");
//   p->kind();    // OriginPattern::Kind::kSubdomainWildcard
//   p->domain();  // "example.com"
#ifndef CORSD_SERVICE_ENGINE_ORIGIN_PATTERN_H_
#define CORSD_SERVICE_ENGINE_ORIGIN_PATTERN_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace corsd::engine {

class OriginPattern {
 public:
  enum class Kind { kAny, kNull, kExact, kSubdomainWildcard };

  static absl::StatusOr<OriginPattern> Parse(absl::string_view text);

  Kind kind() const { return kind_; }
  // The pattern as written.
  const std::string& text() const { return text_; }
  // For kExact and kSubdomainWildcard, parts of text() (valid as long as it):
  absl::string_view scheme() const { return Part(scheme_); }
  // kExact: the host; kSubdomainWildcard: the domain below "*.".
  absl::string_view domain() const { return Part(domain_); }
  // The port ("" = the scheme's default); meaningless when any_port().
  absl::string_view port() const { return Part(port_); }
  bool any_port() const { return any_port_; }
  // True for "http://..." origins whose host is not loopback: credentials over
  // plain HTTP are readable by anyone on the network path.
  bool IsInsecureNonLocal() const;

 private:
  // Where a part lies in text_: offsets, not views, so copies stay valid.
  // One string per pattern: start-up parses millions of them.
  struct Span {
    uint16_t offset = 0;
    uint16_t size = 0;
  };
  absl::string_view Part(Span span) const {
    return absl::string_view(text_).substr(span.offset, span.size);
  }
  // `part` must be empty or lie inside text_ (Parse splits text_ itself).
  Span SpanOf(absl::string_view part) const {
    if (part.empty()) return Span{};
    return Span{static_cast<uint16_t>(part.data() - text_.data()),
                static_cast<uint16_t>(part.size())};
  }

  Kind kind_ = Kind::kAny;
  std::string text_;
  Span scheme_;
  Span domain_;
  Span port_;
  bool any_port_ = false;
};

}  // namespace corsd::engine

#endif  // CORSD_SERVICE_ENGINE_ORIGIN_PATTERN_H_
