#include "service/engine/serialized_origin.h"

#include <array>
#include <cstdint>

#include "absl/strings/ascii.h"
#include "service/engine/limits.h"

namespace corsd::engine {
namespace {

constexpr size_t kMaxDomainBytes = 253;
constexpr size_t kMaxLabelBytes = 63;

// One table lookup per byte classifies it for every check below (the
// origin is scanned once or twice, never once per rule).
enum ByteClass : uint8_t {
  kOther,       // printable ASCII that no host may contain
  kLower,       // a-z
  kUpper,       // A-Z
  kDigit,       // 0-9
  kHostSymbol,  // '-' '_'
  kDot,
  kStar,
  kSpace,    // ' ' '\t'
  kControl,  // other C0 controls, DEL
  kHigh,     // >= 0x80
};

constexpr std::array<ByteClass, 256> MakeByteClasses() {
  std::array<ByteClass, 256> table{};
  for (int c = 0; c < 256; ++c) {
    ByteClass k = kOther;
    if (c >= 'a' && c <= 'z')
      k = kLower;
    else if (c >= 'A' && c <= 'Z')
      k = kUpper;
    else if (c >= '0' && c <= '9')
      k = kDigit;
    else if (c == '-' || c == '_')
      k = kHostSymbol;
    else if (c == '.')
      k = kDot;
    else if (c == '*')
      k = kStar;
    else if (c == ' ' || c == '\t')
      k = kSpace;
    else if (c < 0x20 || c == 0x7f)
      k = kControl;
    else if (c >= 0x80)
      k = kHigh;
    table[c] = k;
  }
  return table;
}
constexpr std::array<ByteClass, 256> kByteClass = MakeByteClasses();

inline ByteClass ClassOf(char c) { return kByteClass[static_cast<unsigned char>(c)]; }

bool IsAsciiDigits(absl::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

// A decimal number with no leading zero (except "0" itself) not above `max`.
bool ParseCanonicalDecimal(absl::string_view s, uint32_t max, uint32_t* value) {
  if (!IsAsciiDigits(s) || s.size() > 5 || (s.size() > 1 && s[0] == '0')) return false;
  uint32_t v = 0;
  for (char c : s) v = v * 10 + static_cast<uint32_t>(c - '0');
  if (v > max) return false;
  *value = v;
  return true;
}

bool HasUppercase(absl::string_view s) {
  for (char c : s) {
    if (absl::ascii_isupper(static_cast<unsigned char>(c))) return true;
  }
  return false;
}

OriginProblem CheckIPv4(absl::string_view host) {
  int parts = 0;
  while (true) {
    size_t dot = host.find('.');
    uint32_t value;
    if (!ParseCanonicalDecimal(host.substr(0, dot), 255, &value)) {
      return OriginProblem::kNonCanonicalAddress;
    }
    ++parts;
    if (dot == absl::string_view::npos) break;
    host.remove_prefix(dot + 1);
  }
  return parts == 4 ? OriginProblem::kNone : OriginProblem::kNonCanonicalAddress;
}

// A domain or dotted IPv4 host, in one pass: character classes, label
// lengths, uppercase, and whether the last label is a number (the URL parser
// treats such a host as IPv4, so it must then be canonical dotted IPv4).
OriginProblem CheckDomainOrIPv4(absl::string_view host, HostKind* kind) {
  absl::string_view labels = host;
  if (labels.back() == '.') labels.remove_suffix(1);  // "example.com." is its own origin
  bool uppercase = false;
  bool invalid = labels.empty() || labels.size() > kMaxDomainBytes;
  size_t label_size = 0;
  size_t label_start = 0;
  bool label_all_digits = true;
  const char* data = labels.data();
  for (size_t i = 0; i < labels.size(); ++i) {
    switch (ClassOf(data[i])) {
      case kDot:
        if (label_size == 0) invalid = true;
        label_size = 0;
        label_start = i + 1;
        label_all_digits = true;
        continue;
      case kUpper:
        uppercase = true;
        label_all_digits = false;
        break;
      case kDigit:
        break;
      case kLower:
      case kHostSymbol:
        label_all_digits = false;
        break;
      default:
        invalid = true;
        label_all_digits = false;
        break;
    }
    if (++label_size > kMaxLabelBytes) invalid = true;
  }
  if (uppercase) return OriginProblem::kUppercase;
  absl::string_view last = labels.substr(label_start);
  const bool ends_in_number =
      (label_size > 0 && label_all_digits) ||
      (last.size() >= 2 && last[0] == '0' && (last[1] == 'x' || last[1] == 'X'));
  if (ends_in_number) {
    *kind = HostKind::kIPv4;
    return CheckIPv4(host);
  }
  *kind = HostKind::kDomain;
  if (invalid || label_size == 0) return OriginProblem::kBadHost;
  return OriginProblem::kNone;
}

// Parses the text between the brackets into eight pieces. Embedded IPv4
// ("::ffff:1.2.3.4") parses but is never canonical, so it is rejected by the
// round-trip comparison in CheckIPv6.
bool ParseIPv6(absl::string_view text, std::array<uint16_t, 8>* pieces) {
  pieces->fill(0);
  int index = 0;
  int compress = -1;
  if (text.substr(0, 2) == "::") {
    text.remove_prefix(2);
    compress = 0;
    if (text.empty()) return true;
  } else if (!text.empty() && text[0] == ':') {
    return false;
  }
  while (!text.empty()) {
    if (index == 8) return false;
    if (text[0] == ':') {
      if (compress != -1) return false;
      text.remove_prefix(1);
      compress = index;
      if (text.empty()) break;
      continue;
    }
    uint32_t value = 0;
    size_t length = 0;
    while (length < text.size() && length < 4 &&
           absl::ascii_isxdigit(static_cast<unsigned char>(text[length]))) {
      value = value * 16 +
              static_cast<uint32_t>(
                  absl::ascii_isdigit(static_cast<unsigned char>(text[length]))
                      ? text[length] - '0'
                      : absl::ascii_tolower(static_cast<unsigned char>(text[length])) - 'a' + 10);
      ++length;
    }
    if (length == 0) return false;
    text.remove_prefix(length);
    (*pieces)[index++] = static_cast<uint16_t>(value);
    if (text.empty()) break;
    if (text[0] != ':') return false;
    text.remove_prefix(1);
    if (text.empty()) return false;  // trailing single ':'
  }
  if (compress == -1) return index == 8;
  if (index == 8) return false;  // "::" must stand for at least one piece
  // Shift the pieces after the compression point to the end.
  int tail = index - compress;
  for (int i = 0; i < tail; ++i) {
    (*pieces)[7 - i] = (*pieces)[index - 1 - i];
    (*pieces)[index - 1 - i] = 0;
  }
  return true;
}

// WHATWG URL IPv6 serializer: lowercase hex without leading zeros, the first
// longest run of two or more zero pieces written as "::".
size_t SerializeIPv6(const std::array<uint16_t, 8>& pieces, std::array<char, 48>* buffer) {
  int compress = -1;
  int best_length = 1;
  for (int i = 0; i < 8;) {
    if (pieces[i] != 0) {
      ++i;
      continue;
    }
    int j = i;
    while (j < 8 && pieces[j] == 0) ++j;
    if (j - i > best_length) {
      best_length = j - i;
      compress = i;
    }
    i = j;
  }
  size_t n = 0;
  auto put = [&](char c) { (*buffer)[n++] = c; };
  bool ignore_zero = false;
  for (int i = 0; i < 8; ++i) {
    if (ignore_zero && pieces[i] == 0) continue;
    ignore_zero = false;
    if (compress == i) {
      if (i == 0) put(':');
      put(':');
      ignore_zero = true;
      continue;
    }
    static constexpr char kHex[] = "0123456789abcdef";
    bool started = false;
    for (int shift = 12; shift >= 0; shift -= 4) {
      int digit = (pieces[i] >> shift) & 0xf;
      if (digit != 0 || started || shift == 0) {
        put(kHex[digit]);
        started = true;
      }
    }
    if (i != 7) put(':');
  }
  return n;
}

OriginProblem CheckIPv6(absl::string_view bracketed) {
  absl::string_view text = bracketed.substr(1, bracketed.size() - 2);
  std::array<uint16_t, 8> pieces;
  if (HasUppercase(text)) return OriginProblem::kUppercase;
  if (!ParseIPv6(text, &pieces)) {
    return text.find('.') != absl::string_view::npos ? OriginProblem::kNonCanonicalAddress
                                                     : OriginProblem::kBadHost;
  }
  std::array<char, 48> canonical;
  size_t size = SerializeIPv6(pieces, &canonical);
  return absl::string_view(canonical.data(), size) == text ? OriginProblem::kNone
                                                           : OriginProblem::kNonCanonicalAddress;
}

absl::string_view DefaultPortFor(absl::string_view scheme) {
  if (scheme == "http" || scheme == "ws") return "80";
  if (scheme == "https" || scheme == "wss") return "443";
  if (scheme == "ftp") return "21";
  return "";
}

}  // namespace

OriginProblem CheckOriginBytes(absl::string_view text) {
  for (char c : text) {
    switch (ClassOf(c)) {
      case kControl:
        return OriginProblem::kControlCharacter;
      case kSpace:
        return OriginProblem::kWhitespace;
      case kHigh:
        return OriginProblem::kNonAscii;
      default:
        break;
    }
  }
  return OriginProblem::kNone;
}

OriginProblem CheckScheme(absl::string_view scheme) {
  if (scheme.empty()) return OriginProblem::kMissingScheme;
  if (HasUppercase(scheme)) return OriginProblem::kUppercase;
  if (!absl::ascii_islower(static_cast<unsigned char>(scheme[0]))) return OriginProblem::kBadScheme;
  for (char c : scheme) {
    bool allowed = absl::ascii_islower(static_cast<unsigned char>(c)) ||
                   absl::ascii_isdigit(static_cast<unsigned char>(c)) || c == '+' || c == '-' ||
                   c == '.';
    if (!allowed) return OriginProblem::kBadScheme;
  }
  return OriginProblem::kNone;
}

OriginProblem CheckHost(absl::string_view host, HostKind* kind) {
  if (host.empty()) return OriginProblem::kMissingHost;
  if (host.front() == '[') {
    if (host.size() < 3 || host.back() != ']') return OriginProblem::kBadHost;
    *kind = HostKind::kIPv6;
    return CheckIPv6(host);
  }
  return CheckDomainOrIPv4(host, kind);
}

OriginProblem CheckPort(absl::string_view scheme, absl::string_view port) {
  uint32_t value;
  if (!ParseCanonicalDecimal(port, 65535, &value) || value == 0) return OriginProblem::kBadPort;
  if (port == DefaultPortFor(scheme)) return OriginProblem::kDefaultPort;
  return OriginProblem::kNone;
}

OriginProblem ParseSerializedOrigin(absl::string_view origin, SerializedOrigin* out) {
  if (origin.empty()) return OriginProblem::kEmpty;
  if (origin.size() > kMaxOriginBytes) return OriginProblem::kTooLong;
  if (OriginProblem p = CheckOriginBytes(origin); p != OriginProblem::kNone) return p;

  size_t scheme_end = origin.find("://");
  if (scheme_end == absl::string_view::npos) return OriginProblem::kMissingScheme;
  out->scheme = origin.substr(0, scheme_end);
  if (OriginProblem p = CheckScheme(out->scheme); p != OriginProblem::kNone) return p;

  size_t authority_start = scheme_end + 3;
  absl::string_view rest = origin.substr(authority_start);
  // One pass over the authority finds everything the checks below need.
  size_t first_colon = absl::string_view::npos;
  bool has_star = false;
  for (size_t i = 0; i < rest.size(); ++i) {
    switch (rest[i]) {
      case '/':
        return OriginProblem::kPath;
      case '?':
      case '#':
        return OriginProblem::kQueryOrFragment;
      case '@':
        return OriginProblem::kUserinfo;
      case ':':
        if (first_colon == absl::string_view::npos) first_colon = i;
        break;
      case '*':
        has_star = true;
        break;
      default:
        break;
    }
  }

  size_t host_end;
  if (!rest.empty() && rest.front() == '[') {
    size_t close = rest.find(']');
    host_end = close == absl::string_view::npos ? rest.size() : close + 1;
  } else {
    host_end = first_colon == absl::string_view::npos ? rest.size() : first_colon;
  }
  out->host = rest.substr(0, host_end);
  out->host_offset = authority_start;
  if (has_star && out->host.find('*') != absl::string_view::npos) return OriginProblem::kWildcard;
  if (OriginProblem p = CheckHost(out->host, &out->host_kind); p != OriginProblem::kNone) return p;

  absl::string_view after_host = rest.substr(host_end);
  out->port = absl::string_view();
  if (after_host.empty()) return OriginProblem::kNone;
  if (after_host.front() != ':') return OriginProblem::kBadHost;
  out->port = after_host.substr(1);
  if (out->port == "*") return OriginProblem::kWildcard;
  return CheckPort(out->scheme, out->port);
}

absl::string_view DescribeOriginProblem(OriginProblem problem) {
  switch (problem) {
    case OriginProblem::kNone:
      return "is a valid serialized origin";
    case OriginProblem::kEmpty:
      return "is empty";
    case OriginProblem::kTooLong:
      return "is longer than 1024 bytes";
    case OriginProblem::kControlCharacter:
      return "contains a control character (CR, LF, NUL, ...)";
    case OriginProblem::kWhitespace:
      return "contains whitespace";
    case OriginProblem::kNonAscii:
      return "contains non-ASCII bytes; browsers send internationalized hosts as punycode "
             "(xn--...)";
    case OriginProblem::kMissingScheme:
      return "has no scheme; write scheme://host, e.g. \"https://example.com\"";
    case OriginProblem::kBadScheme:
      return "has an invalid scheme (a letter, then letters, digits, '+', '-' or '.')";
    case OriginProblem::kUppercase:
      return "has uppercase letters; browsers send scheme and host in lowercase";
    case OriginProblem::kUserinfo:
      return "contains userinfo (user@); an origin is only scheme://host[:port]";
    case OriginProblem::kPath:
      return "has a path or trailing slash; an origin is only scheme://host[:port]";
    case OriginProblem::kQueryOrFragment:
      return "has a query or fragment; an origin is only scheme://host[:port]";
    case OriginProblem::kMissingHost:
      return "has no host";
    case OriginProblem::kBadHost:
      return "has an invalid host (labels of a-z, 0-9, '-', '_' of at most 63 bytes, 253 in "
             "total; or an IPv4 address; or a bracketed IPv6 address)";
    case OriginProblem::kNonCanonicalAddress:
      return "has an IP address written differently from how browsers send it (dotted "
             "decimal without leading zeros; compressed lowercase IPv6)";
    case OriginProblem::kBadPort:
      return "has an invalid port (1-65535, no leading zeros)";
    case OriginProblem::kDefaultPort:
      return "names the scheme's default port, which browsers omit";
    case OriginProblem::kWildcard:
      return "contains '*', which is not part of any origin a browser sends";
  }
  return "is not a serialized origin";
}

}  // namespace corsd::engine
