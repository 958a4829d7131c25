#include "service/engine/requested_headers.h"

#include <array>

#include "absl/strings/ascii.h"
#include "service/engine/http_syntax.h"
#include "service/engine/limits.h"

namespace corsd::engine {
namespace {

bool IsRequestHeadersLine(const HeaderView& header) {
  return EqualsIgnoreCase(header.name, kRequestHeadersHeader);
}

// Calls `element` for every list element of every Access-Control-Request-
// Headers line, trimmed. An empty line contributes no element (it means "no
// headers"); empty elements inside a non-empty line are passed through so the
// caller can reject them. Stops early when `element` returns false.
bool ForEachElement(absl::Span<const HeaderView> headers,
                    absl::FunctionRef<bool(absl::string_view)> element) {
  for (const HeaderView& header : headers) {
    if (!IsRequestHeadersLine(header)) continue;
    absl::string_view line = TrimOptionalWhitespace(header.value);
    if (line.empty()) continue;
    while (true) {
      size_t comma = line.find(',');
      if (!element(TrimOptionalWhitespace(line.substr(0, comma)))) return false;
      if (comma == absl::string_view::npos) break;
      line.remove_prefix(comma + 1);
    }
  }
  return true;
}

}  // namespace

absl::string_view DescribeRequestedHeadersProblem(RequestedHeadersProblem problem) {
  switch (problem) {
    case RequestedHeadersProblem::kNone:
      return "well-formed";
    case RequestedHeadersProblem::kTooManyNames:
      return "names more than 64 headers";
    case RequestedHeadersProblem::kTooLarge:
      return "is larger than 8 KiB";
    case RequestedHeadersProblem::kEmptyElement:
      return "has an empty element";
    case RequestedHeadersProblem::kInvalidName:
      return "has an element that is not a header name";
  }
  return "is malformed";
}

RequestedHeadersProblem RequestedHeaders::Parse(absl::Span<const HeaderView> headers) {
  headers_ = headers;
  count_ = 0;
  canonical_ = false;
  size_t total_bytes = 0;
  size_t non_empty_lines = 0;
  for (const HeaderView& header : headers) {
    if (!IsRequestHeadersLine(header)) continue;
    total_bytes += header.value.size();
    if (!TrimOptionalWhitespace(header.value).empty()) {
      ++non_empty_lines;
      canonical_line_ = header.value;
    }
  }
  if (total_bytes > kMaxRequestedHeaderBytes) return RequestedHeadersProblem::kTooLarge;

  RequestedHeadersProblem problem = RequestedHeadersProblem::kNone;
  ForEachElement(headers, [&](absl::string_view element) {
    if (element.empty()) {
      problem = RequestedHeadersProblem::kEmptyElement;
    } else if (element.size() > kMaxHeaderNameBytes || !IsToken(element)) {
      problem = RequestedHeadersProblem::kInvalidName;
    } else if (++count_ > kMaxRequestedHeaderNames) {
      problem = RequestedHeadersProblem::kTooManyNames;
    }
    return problem == RequestedHeadersProblem::kNone;
  });
  if (problem != RequestedHeadersProblem::kNone) return problem;

  if (non_empty_lines == 1 && IsAsciiLowercase(canonical_line_)) {
    // Tokens never contain spaces, tabs or commas, so a line without
    // whitespace whose elements all passed is exactly "a,b,c".
    canonical_ = canonical_line_.find_first_of(" \t") == absl::string_view::npos;
  }
  return RequestedHeadersProblem::kNone;
}

bool RequestedHeaders::ForEachName(absl::FunctionRef<bool(absl::string_view)> visit) const {
  std::array<char, kMaxHeaderNameBytes> lowercase;
  return ForEachElement(headers_, [&](absl::string_view element) {
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
