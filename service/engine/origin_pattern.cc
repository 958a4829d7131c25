#include "service/engine/origin_pattern.h"

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "service/engine/limits.h"
#include "service/engine/public_suffix.h"
#include "service/engine/serialized_origin.h"

namespace corsd::engine {
namespace {

constexpr absl::string_view kWildcardPlacement =
    "uses '*' where it is not allowed: '*' may only be the whole leftmost label "
    "(\"https://*.example.com\") or the whole port (\"http://localhost:*\")";

absl::Status Problem(OriginProblem problem) {
  return absl::InvalidArgumentError(DescribeOriginProblem(problem));
}

// The problem and the spelling to use instead.
absl::Status ProblemWithFix(OriginProblem problem, absl::string_view fix) {
  return absl::InvalidArgumentError(
      absl::StrCat(DescribeOriginProblem(problem), "; write \"", fix, "\""));
}

// A scheme or host that failed its check: uppercase is answered with the
// whole pattern in lowercase, anything else by the problem alone.
absl::Status SpellingProblem(OriginProblem problem, absl::string_view text) {
  if (problem == OriginProblem::kUppercase) {
    return ProblemWithFix(problem, absl::AsciiStrToLower(text));
  }
  return Problem(problem);
}

// "scheme://host[:port]" cut into its parts; the scheme and the port are
// checked here, the host (which may be a wildcard) by the caller.
struct OriginParts {
  absl::string_view scheme;
  absl::string_view host;
  absl::string_view port;  // "" = none, or any_port
  bool any_port = false;
};

absl::StatusOr<OriginParts> SplitOrigin(absl::string_view text) {
  OriginParts parts;
  const size_t scheme_end = text.find("://");
  if (scheme_end == absl::string_view::npos) {
    if (absl::StartsWith(text, "*.")) {
      return absl::InvalidArgumentError(
          absl::StrCat("has no scheme; write the scheme too, e.g. \"https://", text, "\""));
    }
    return Problem(OriginProblem::kMissingScheme);
  }
  parts.scheme = text.substr(0, scheme_end);
  if (OriginProblem p = CheckScheme(parts.scheme); p != OriginProblem::kNone) {
    return SpellingProblem(p, text);
  }

  absl::string_view rest = text.substr(scheme_end + 3);
  const size_t authority_end = rest.find_first_of("/?#");
  if (authority_end != absl::string_view::npos) {
    OriginProblem p =
        rest[authority_end] == '/' ? OriginProblem::kPath : OriginProblem::kQueryOrFragment;
    return ProblemWithFix(p, text.substr(0, scheme_end + 3 + authority_end));
  }
  if (rest.find('@') != absl::string_view::npos) return Problem(OriginProblem::kUserinfo);

  size_t host_end;
  if (!rest.empty() && rest.front() == '[') {
    size_t close = rest.find(']');
    host_end = close == absl::string_view::npos ? rest.size() : close + 1;
  } else {
    host_end = rest.find(':');
    if (host_end == absl::string_view::npos) host_end = rest.size();
  }
  parts.host = rest.substr(0, host_end);
  const absl::string_view after_host = rest.substr(host_end);
  if (after_host.empty()) return parts;
  if (after_host.front() != ':') return Problem(OriginProblem::kBadHost);
  const absl::string_view port = after_host.substr(1);
  if (port == "*") {
    parts.any_port = true;
  } else if (port.find('*') != absl::string_view::npos) {
    return absl::InvalidArgumentError(kWildcardPlacement);
  } else if (OriginProblem p = CheckPort(parts.scheme, port); p != OriginProblem::kNone) {
    if (p == OriginProblem::kDefaultPort) {
      return ProblemWithFix(p,
                            absl::AsciiStrToLower(absl::StrCat(parts.scheme, "://", parts.host)));
    }
    return Problem(p);
  } else {
    parts.port = port;
  }
  return parts;
}

// The domain of "scheme://*.domain": a domain name (not an IP address) that
// is not a public suffix.
absl::Status CheckWildcardDomain(absl::string_view text, absl::string_view scheme,
                                 absl::string_view domain) {
  if (domain.find('*') != absl::string_view::npos) {
    return absl::InvalidArgumentError(kWildcardPlacement);
  }
  HostKind kind;
  if (OriginProblem p = CheckHost(domain, &kind); p != OriginProblem::kNone) {
    return SpellingProblem(p, text);
  }
  if (kind != HostKind::kDomain) {
    return absl::InvalidArgumentError(
        "puts a wildcard in front of an IP address; subdomain wildcards need a domain name");
  }
  absl::string_view registrable = domain;
  absl::ConsumeSuffix(&registrable, ".");
  if (IsPublicSuffix(registrable)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "wildcard covers the public suffix \"", registrable,
        "\" (every site registered under it); list the registrable domain instead, e.g. \"", scheme,
        "://*.example.", registrable, "\""));
  }
  return absl::OkStatus();
}

}  // namespace

bool OriginPattern::IsInsecureNonLocal() const {
  if (scheme() != "http") return false;
  absl::string_view host = domain();
  // Secure Contexts, "Is origin potentially trustworthy?": "localhost" and
  // "localhost." (and names below either) are loopback, like 127/8 and ::1.
  // A trailing dot makes a different origin but the same host.
  absl::ConsumeSuffix(&host, ".");
  if (host == "localhost" || absl::EndsWith(host, ".localhost") || host == "[::1]") return false;
  return !absl::StartsWith(host, "127.");
}

// Parts are kept as 16-bit offsets into the text (OriginPattern::Span).
static_assert(kMaxOriginPatternBytes <= UINT16_MAX);

absl::StatusOr<OriginPattern> OriginPattern::Parse(absl::string_view text) {
  OriginPattern pattern;
  pattern.text_ = std::string(text);
  if (text == "*") {
    pattern.kind_ = Kind::kAny;
    return pattern;
  }
  if (text == "null") {
    pattern.kind_ = Kind::kNull;
    return pattern;
  }
  if (text.empty()) return Problem(OriginProblem::kEmpty);
  if (text.size() > kMaxOriginPatternBytes) return Problem(OriginProblem::kTooLong);
  if (absl::EqualsIgnoreCase(text, "null")) {
    return absl::InvalidArgumentError("must be written \"null\" in lowercase, as browsers send it");
  }
  if (OriginProblem p = CheckOriginBytes(text); p != OriginProblem::kNone) return Problem(p);

  // Split the pattern's own copy, so every part is a view into text_.
  absl::StatusOr<OriginParts> parts = SplitOrigin(pattern.text_);
  if (!parts.ok()) return parts.status();
  pattern.scheme_ = pattern.SpanOf(parts->scheme);
  pattern.port_ = pattern.SpanOf(parts->port);
  pattern.any_port_ = parts->any_port;
  const absl::string_view host = parts->host;
  if (host == "*") {
    return absl::InvalidArgumentError(
        absl::StrCat(kWildcardPlacement, "; to allow every origin write \"*\" alone"));
  }
  if (absl::StartsWith(host, "*.")) {
    const absl::string_view domain = host.substr(2);
    if (absl::Status s = CheckWildcardDomain(text, parts->scheme, domain); !s.ok()) return s;
    pattern.kind_ = Kind::kSubdomainWildcard;
    pattern.domain_ = pattern.SpanOf(domain);
    return pattern;
  }
  if (host.find('*') != absl::string_view::npos) {
    return absl::InvalidArgumentError(kWildcardPlacement);
  }
  HostKind kind;
  if (OriginProblem p = CheckHost(host, &kind); p != OriginProblem::kNone) {
    return SpellingProblem(p, text);
  }
  pattern.kind_ = Kind::kExact;
  pattern.domain_ = pattern.SpanOf(host);
  return pattern;
}

}  // namespace corsd::engine
