#include "service/http/request_parser.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace corsd::http {
namespace {

// A chunk-size line (size and extensions) longer than this is not a client
// we want to serve.
constexpr size_t kMaxChunkLineBytes = 1024;
// Empty lines tolerated before a request line (RFC 9112 section 2.2 asks
// servers to ignore at least one).
constexpr size_t kMaxLeadingEmptyLineBytes = 64;

// RFC 9110 section 5.6.2: tchar.
bool IsTokenChar(unsigned char c) {
  if (absl::ascii_isalnum(c)) return true;
  switch (c) {
    case '!':
    case '#':
    case '$':
    case '%':
    case '&':
    case '\'':
    case '*':
    case '+':
    case '-':
    case '.':
    case '^':
    case '_':
    case '`':
    case '|':
    case '~':
      return true;
    default:
      return false;
  }
}

bool IsToken(absl::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return IsTokenChar(static_cast<unsigned char>(c));
  });
}

// Field values may hold visible ASCII, obs-text, SP and HTAB; any other
// control character (NUL, a bare CR, ...) is refused.
bool IsFieldValue(absl::string_view s) {
  return std::none_of(s.begin(), s.end(), [](char ch) {
    const unsigned char c = static_cast<unsigned char>(ch);
    return (c < 0x20 && c != '\t') || c == 0x7f;
  });
}

absl::string_view TrimOws(absl::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

absl::string_view WithoutCr(absl::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

// Where the line that ends with the '\n' at `newline` is followed by an
// empty line, the offset just past it; npos when more bytes are needed to
// tell, and 0 when the next line is not empty.
size_t EndOfEmptyLineAfter(absl::string_view received, size_t newline) {
  const size_t next = newline + 1;
  if (next >= received.size()) return absl::string_view::npos;
  if (received[next] == '\n') return next + 1;
  if (received[next] != '\r') return 0;
  if (next + 1 >= received.size()) return absl::string_view::npos;
  return received[next + 1] == '\n' ? next + 2 : 0;
}

}  // namespace

RequestParser::Outcome RequestParser::Fail(int status, absl::StatusCode code,
                                           absl::string_view message) {
  error_ = HttpResponse::JsonError(status, code, message);
  return kError;
}

RequestParser::Outcome RequestParser::Parse(absl::string_view received) {
  const Outcome outcome = ParseFraming(received);
  // Chunk lines and trailers count too: what one request may occupy on the
  // wire is bounded, not only its decoded body.
  if (outcome == kIncomplete && received.size() - start_ > kMaxRequestBytes) {
    return Fail(413, absl::StatusCode::kInvalidArgument,
                absl::StrCat("the request is larger than ", kMaxRequestBytes, " bytes"));
  }
  return outcome;
}

RequestParser::Outcome RequestParser::ParseFraming(absl::string_view received) {
  if (!head_done_) {
    if (Outcome outcome = ParseHead(received); outcome != kComplete) return outcome;
  }
  switch (framing_) {
    case Framing::kNone:
      consumed_ = body_start_;
      return kComplete;
    case Framing::kLength:
      if (received.size() - body_start_ < content_length_) return kIncomplete;
      request_.body = std::string(received.substr(body_start_, content_length_));
      consumed_ = body_start_ + content_length_;
      return kComplete;
    case Framing::kChunked:
      return ParseChunked(received);
  }
  return kError;
}

RequestParser::Outcome RequestParser::ParseHead(absl::string_view received) {
  if (!started_) {
    while (start_ < received.size() && (received[start_] == '\r' || received[start_] == '\n')) {
      ++start_;
    }
    if (start_ > kMaxLeadingEmptyLineBytes) {
      return Fail(400, absl::StatusCode::kInvalidArgument, "too many empty lines before a request");
    }
    if (start_ == received.size()) return kIncomplete;
    started_ = true;
    scan_from_ = start_;
  }
  const size_t line_end = received.find('\n', start_);
  if (line_end == absl::string_view::npos || line_end - start_ > kMaxRequestLineBytes) {
    if (received.size() - start_ > kMaxRequestLineBytes) {
      return Fail(414, absl::StatusCode::kInvalidArgument,
                  absl::StrCat("the request line is longer than ", kMaxRequestLineBytes, " bytes"));
    }
    return kIncomplete;
  }

  // Find the empty line that ends the head, resuming where the last call
  // stopped.
  size_t head_end = absl::string_view::npos;
  for (size_t newline = received.find('\n', std::max(scan_from_, line_end));
       newline != absl::string_view::npos; newline = received.find('\n', newline + 1)) {
    const size_t end = EndOfEmptyLineAfter(received, newline);
    if (end == absl::string_view::npos) break;  // need the next byte(s)
    scan_from_ = newline + 1;
    if (end != 0) {
      head_end = end;
      break;
    }
  }
  const size_t header_bytes =
      (head_end == absl::string_view::npos ? received.size() : head_end) - (line_end + 1);
  if (header_bytes > kMaxHeaderSectionBytes) {
    return Fail(
        431, absl::StatusCode::kInvalidArgument,
        absl::StrCat("the request's header fields exceed ", kMaxHeaderSectionBytes, " bytes"));
  }
  if (head_end == absl::string_view::npos) return kIncomplete;

  if (Outcome o = ParseRequestLine(WithoutCr(received.substr(start_, line_end - start_)));
      o != kComplete) {
    return o;
  }
  if (Outcome o = ParseHeaderLines(received.substr(line_end + 1, head_end - (line_end + 1)));
      o != kComplete) {
    return o;
  }
  head_done_ = true;
  body_start_ = head_end;
  chunk_scan_ = head_end;
  return kComplete;
}

RequestParser::Outcome RequestParser::ParseRequestLine(absl::string_view line) {
  const size_t first_space = line.find(' ');
  const size_t last_space = line.rfind(' ');
  if (first_space == absl::string_view::npos || first_space == last_space) {
    return Fail(400, absl::StatusCode::kInvalidArgument,
                "the request line is not METHOD TARGET HTTP/1.1");
  }
  const absl::string_view method = line.substr(0, first_space);
  const absl::string_view target = line.substr(first_space + 1, last_space - first_space - 1);
  const absl::string_view version = line.substr(last_space + 1);
  if (!IsToken(method)) {
    return Fail(400, absl::StatusCode::kInvalidArgument, "the request method is not a token");
  }
  if (target.empty() || target.front() != '/' ||
      std::any_of(target.begin(), target.end(), [](char ch) {
        const unsigned char c = static_cast<unsigned char>(ch);
        return c <= 0x20 || c == 0x7f;
      })) {
    return Fail(400, absl::StatusCode::kInvalidArgument,
                "the request target must be a path starting with '/'");
  }
  if (version == "HTTP/1.1") {
    request_.minor_version = 1;
  } else if (version == "HTTP/1.0") {
    request_.minor_version = 0;
  } else if (absl::StartsWith(version, "HTTP/")) {
    return Fail(505, absl::StatusCode::kUnimplemented, "only HTTP/1.0 and HTTP/1.1 are served");
  } else {
    return Fail(400, absl::StatusCode::kInvalidArgument,
                "the request line is not METHOD TARGET HTTP/1.1");
  }
  request_.method = std::string(method);
  request_.target = std::string(target);
  return kComplete;
}

RequestParser::Outcome RequestParser::ParseHeaderLines(absl::string_view lines) {
  bool chunked = false;
  bool has_length = false;
  int host_lines = 0;
  size_t pos = 0;
  while (pos < lines.size()) {
    size_t newline = lines.find('\n', pos);
    if (newline == absl::string_view::npos) newline = lines.size();
    const absl::string_view line = WithoutCr(lines.substr(pos, newline - pos));
    pos = newline + 1;
    if (line.empty()) break;
    if (line.front() == ' ' || line.front() == '\t') {
      return Fail(400, absl::StatusCode::kInvalidArgument,
                  "folded header lines (obs-fold) are not accepted");
    }
    if (request_.headers.size() == kMaxHeaderFields) {
      return Fail(431, absl::StatusCode::kInvalidArgument,
                  absl::StrCat("the request has more than ", kMaxHeaderFields, " header fields"));
    }
    const size_t colon = line.find(':');
    const absl::string_view name =
        colon == absl::string_view::npos ? absl::string_view() : line.substr(0, colon);
    const absl::string_view value =
        colon == absl::string_view::npos ? absl::string_view() : TrimOws(line.substr(colon + 1));
    if (!IsToken(name)) {
      return Fail(400, absl::StatusCode::kInvalidArgument,
                  "a header line is not NAME: VALUE with a token name");
    }
    if (!IsFieldValue(value)) {
      return Fail(400, absl::StatusCode::kInvalidArgument,
                  "a header value holds a control character");
    }
    if (absl::EqualsIgnoreCase(name, "transfer-encoding")) {
      if (!absl::EqualsIgnoreCase(value, "chunked") || chunked) {
        return Fail(501, absl::StatusCode::kUnimplemented,
                    "the only transfer coding accepted is a single \"chunked\"");
      }
      chunked = true;
    } else if (absl::EqualsIgnoreCase(name, "content-length")) {
      size_t length = 0;
      if (value.empty() || !std::all_of(value.begin(), value.end(), absl::ascii_isdigit) ||
          value.size() > 12 || !absl::SimpleAtoi(value, &length) ||
          (has_length && length != content_length_)) {
        return Fail(400, absl::StatusCode::kInvalidArgument, "Content-Length is not one number");
      }
      has_length = true;
      content_length_ = length;
    } else if (absl::EqualsIgnoreCase(name, "expect")) {
      // HTTP/1.0 clients must never get a 100 (RFC 9110 section 15.2).
      expects_continue_ =
          request_.minor_version >= 1 && absl::EqualsIgnoreCase(value, "100-continue");
    } else if (absl::EqualsIgnoreCase(name, "host")) {
      ++host_lines;
    }
    request_.headers.push_back(HttpHeader{std::string(name), std::string(value)});
  }
  if (request_.minor_version >= 1 && host_lines != 1) {
    return Fail(400, absl::StatusCode::kInvalidArgument,
                "an HTTP/1.1 request needs exactly one Host header (RFC 9112 section 3.2)");
  }
  if (chunked && (has_length || request_.minor_version == 0)) {
    return Fail(400, absl::StatusCode::kInvalidArgument,
                "Transfer-Encoding with Content-Length, or in HTTP/1.0, is ambiguous framing");
  }
  if (content_length_ > kMaxBodyBytes) {
    return Fail(413, absl::StatusCode::kInvalidArgument,
                absl::StrCat("the request body is larger than ", kMaxBodyBytes, " bytes"));
  }
  framing_ = chunked ? Framing::kChunked : has_length ? Framing::kLength : Framing::kNone;
  if (framing_ != Framing::kChunked && content_length_ == 0) expects_continue_ = false;
  return kComplete;
}

RequestParser::Outcome RequestParser::ParseTrailers(absl::string_view received) {
  // Trailer fields are checked like header fields and dropped; together they
  // get the header section's byte limit.
  for (size_t newline = received.find('\n', trailer_scan_); newline != absl::string_view::npos;
       newline = received.find('\n', trailer_scan_)) {
    const absl::string_view line =
        WithoutCr(received.substr(trailer_scan_, newline - trailer_scan_));
    trailer_scan_ = newline + 1;
    if (line.empty()) {
      consumed_ = trailer_scan_;
      return kComplete;
    }
    const size_t colon = line.find(':');
    if (colon == absl::string_view::npos || !IsToken(line.substr(0, colon)) ||
        !IsFieldValue(line.substr(colon + 1))) {
      return Fail(400, absl::StatusCode::kInvalidArgument,
                  "a trailer line is not NAME: VALUE with a token name");
    }
  }
  if (received.size() - trailer_start_ > kMaxHeaderSectionBytes) {
    return Fail(431, absl::StatusCode::kInvalidArgument, "the trailer fields are too large");
  }
  return kIncomplete;
}

RequestParser::Outcome RequestParser::ParseChunked(absl::string_view received) {
  if (in_trailers_) return ParseTrailers(received);
  for (;;) {
    const size_t newline = received.find('\n', chunk_scan_);
    if (newline == absl::string_view::npos || newline - chunk_scan_ > kMaxChunkLineBytes) {
      if (received.size() - chunk_scan_ > kMaxChunkLineBytes) {
        return Fail(400, absl::StatusCode::kInvalidArgument, "a chunk-size line is too long");
      }
      return kIncomplete;
    }
    absl::string_view size_line = WithoutCr(received.substr(chunk_scan_, newline - chunk_scan_));
    size_line = TrimOws(size_line.substr(0, size_line.find(';')));
    size_t size = 0;
    if (size_line.empty() || size_line.size() > 8 ||
        !std::all_of(size_line.begin(), size_line.end(), absl::ascii_isxdigit) ||
        !absl::SimpleHexAtoi(size_line, &size)) {
      return Fail(400, absl::StatusCode::kInvalidArgument, "a chunk size is not a hex number");
    }
    if (size == 0) {
      in_trailers_ = true;
      trailer_start_ = newline + 1;
      trailer_scan_ = newline + 1;
      return ParseTrailers(received);
    }
    if (request_.body.size() + size > kMaxBodyBytes) {
      return Fail(413, absl::StatusCode::kInvalidArgument,
                  absl::StrCat("the request body is larger than ", kMaxBodyBytes, " bytes"));
    }
    const size_t data = newline + 1;
    if (received.size() < data + size + 1) return kIncomplete;
    size_t after = data + size;
    if (received[after] == '\r') {
      if (received.size() < after + 2) return kIncomplete;
      ++after;
    }
    if (received[after] != '\n') {
      return Fail(400, absl::StatusCode::kInvalidArgument, "a chunk is longer than its size");
    }
    absl::StrAppend(&request_.body, received.substr(data, size));
    chunk_scan_ = after + 1;
  }
}

}  // namespace corsd::http
