#include "service/engine/requested_headers.h"

#include <array>

#include "absl/strings/ascii.h"
#include "service/engine/http_syntax.h"
#include "service/engine/limits.h"

namespace corsd::engine {

namespace {

// True when `line` names at least one header: a byte other than ',' and
// optional whitespace. (A loop, not find_first_not_of: Abseil's builds a
// 256-entry table per call, which this hot path would pay on every line.)
bool NamesSomething(absl::string_view line) {
  for (char c : line) {
    if (c != ',' && c != ' ' && c != '\t') return true;
  }
  return false;
}

// The shape browsers send, checked in one pass: "a,b,c" of lowercase tokens,
// no whitespace, no empty element, within the limits. Sets `*names`.
bool IsCanonicalList(absl::string_view line, size_t* names) {
  if (line.empty() || line.size() > kMaxRequestedHeaderBytes) return false;
  size_t count = 1;
  size_t element_bytes = 0;
  for (char c : line) {
    if (c == ',') {
      if (element_bytes == 0) return false;
      ++count;
      element_bytes = 0;
      continue;
    }
    const unsigned char k = http_syntax_internal::kByteClasses[static_cast<unsigned char>(c)];
    if (k != http_syntax_internal::kTokenChar) return false;  // not a tchar, or uppercase
    if (++element_bytes > kMaxHeaderNameBytes) return false;
  }
  if (element_bytes == 0 || count > kMaxRequestedHeaderNames) return false;
  *names = count;
  return true;
}

}  // namespace

// Calls `fn` with the value of every Access-Control-Request-Headers line:
// the ones ScanCorsRequestHeaders kept, or, for a request with more lines
// than it keeps, a fresh scan.
template <typename Fn>
void RequestedHeaders::ForEachLine(Fn fn) const {
  if (cors_->request_headers_lines <= CorsRequestHeaders::kKeptRequestHeadersLines) {
    for (size_t i = 0; i < cors_->request_headers_lines; ++i) fn(cors_->request_headers(i));
    return;
  }
  for (const HeaderView& header : headers_) {
    if (EqualsLowercase(header.name, kRequestHeadersHeader)) fn(header.value);
  }
}

// Calls `element` for every non-empty list element of every line, trimmed.
// RFC 9110 section 5.6.1: a recipient accepts and ignores empty elements, so
// "a,,b", "a," and an empty line are all just the names they contain. Stops
// early (and returns false) when `element` returns false.
template <typename Fn>
bool RequestedHeaders::ForEachElement(Fn element) const {
  bool keep_going = true;
  ForEachLine([&](absl::string_view value) {
    if (!keep_going) return;
    // Split on ',' by hand: names are short, and a memchr call through
    // string_view::find per element costs more than the scan.
    const char* const data = value.data();
    size_t start = 0;
    for (size_t i = 0; i <= value.size(); ++i) {
      if (i < value.size() && data[i] != ',') continue;
      absl::string_view name = TrimOptionalWhitespace(value.substr(start, i - start));
      if (!name.empty() && !element(name)) {
        keep_going = false;
        return;
      }
      start = i + 1;
    }
  });
  return keep_going;
}

absl::string_view DescribeRequestedHeadersProblem(RequestedHeadersProblem problem) {
  switch (problem) {
    case RequestedHeadersProblem::kNone:
      return "well-formed";
    case RequestedHeadersProblem::kTooManyNames:
      return "names more than 64 headers";
    case RequestedHeadersProblem::kTooLarge:
      return "is larger than 8 KiB";
    case RequestedHeadersProblem::kInvalidName:
      return "has an element that is not a header name";
  }
  return "is malformed";
}

RequestedHeadersProblem RequestedHeaders::Parse(const CorsRequestHeaders& cors,
                                                absl::Span<const HeaderView> headers) {
  cors_ = &cors;
  headers_ = headers;
  count_ = 0;
  canonical_ = false;
  // Fast path: one line, already canonical (what browsers send).
  if (cors.request_headers_lines == 1 && IsCanonicalList(cors.request_headers(0), &count_)) {
    canonical_ = true;
    canonical_line_ = cors.request_headers(0);
    return RequestedHeadersProblem::kNone;
  }
  count_ = 0;
  size_t total_bytes = 0;
  size_t lines_with_names = 0;
  ForEachLine([&](absl::string_view value) {
    total_bytes += value.size();
    // A line of only commas and whitespace names nothing.
    if (NamesSomething(value)) {
      ++lines_with_names;
      canonical_line_ = value;
    }
  });
  if (total_bytes > kMaxRequestedHeaderBytes) return RequestedHeadersProblem::kTooLarge;

  RequestedHeadersProblem problem = RequestedHeadersProblem::kNone;
  ForEachElement([&](absl::string_view element) {
    if (element.size() > kMaxHeaderNameBytes || !IsToken(element)) {
      problem = RequestedHeadersProblem::kInvalidName;
    } else if (++count_ > kMaxRequestedHeaderNames) {
      problem = RequestedHeadersProblem::kTooManyNames;
    }
    return problem == RequestedHeadersProblem::kNone;
  });
  if (problem != RequestedHeadersProblem::kNone) return problem;

  // One line with names among empty ones (e.g. "" and "x-a") can still be
  // echoed as sent when it is canonical itself.
  size_t names;
  canonical_ = lines_with_names == 1 && IsCanonicalList(canonical_line_, &names);
  return RequestedHeadersProblem::kNone;
}

bool RequestedHeaders::ForEachName(absl::FunctionRef<bool(absl::string_view)> visit) const {
  if (canonical_) {
    // Already lowercase tokens separated by single commas: visit views.
    const absl::string_view line = canonical_line_;
    size_t start = 0;
    for (size_t i = 0; i <= line.size(); ++i) {
      if (i < line.size() && line[i] != ',') continue;
      if (!visit(line.substr(start, i - start))) return false;
      start = i + 1;
    }
    return true;
  }
  std::array<char, kMaxHeaderNameBytes> lowercase;
  return ForEachElement([&](absl::string_view element) {
    for (size_t i = 0; i < element.size(); ++i) {
      lowercase[i] = absl::ascii_tolower(static_cast<unsigned char>(element[i]));
    }
    return visit(absl::string_view(lowercase.data(), element.size()));
  });
}

absl::string_view RequestedHeaders::Canonical(std::string* scratch) const {
  if (canonical_) return canonical_line_;
  scratch->clear();
  ForEachName([&](absl::string_view name) {
    if (!scratch->empty()) scratch->push_back(',');
    scratch->append(name.data(), name.size());
    return true;
  });
  return *scratch;
}

}  // namespace corsd::engine
