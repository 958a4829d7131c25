#include "service/server/ext_authz_request.h"

#include <cstdint>

#include "absl/strings/match.h"
#include "service/common/utf8.h"
#include "service/server/protobuf_wire.h"

namespace corsd::server {
namespace {

// Field numbers of Envoy's v3 messages (proto/envoy/service/auth/v3).
constexpr uint32_t kCheckRequestAttributes = 1;
constexpr uint32_t kAttributeContextRequest = 4;
constexpr uint32_t kAttributeContextContextExtensions = 10;
constexpr uint32_t kRequestHttp = 2;
constexpr uint32_t kHttpMethod = 2;
constexpr uint32_t kHttpHeaders = 3;
constexpr uint32_t kHttpPath = 4;
constexpr uint32_t kHttpHost = 5;
constexpr uint32_t kHttpHeaderMap = 13;
constexpr uint32_t kHeaderMapHeaders = 1;
constexpr uint32_t kHeaderValueKey = 1;
constexpr uint32_t kHeaderValueValue = 2;
constexpr uint32_t kHeaderValueRawValue = 3;

// Groups are legal (as unknown fields) though Envoy never sends them; nesting
// deeper than this is refused rather than followed.
constexpr int kMaxGroupDepth = 32;

constexpr std::array<absl::string_view, 3> kCorsRequestHeaders = {
    engine::kRequestMethodHeader, engine::kRequestHeadersHeader,
    engine::kRequestPrivateNetworkHeader};

// One pass over the fields of one message.
class FieldReader {
 public:
  explicit FieldReader(absl::string_view bytes) : rest_(bytes) {}

  // Reads the next field; false at the end or on malformed input (then
  // ok() is false). A field of the wrong wire type for its number is, as
  // protobuf treats it, an unknown field: callers check is_bytes().
  bool Next() {
    if (rest_.empty()) return false;
    if (!ReadTag()) return Fail();
    if (wire_type_ == kEndGroup) return Fail();  // no group is open at this level
    return SkipValue(field_, wire_type_, 0) || Fail();
  }

  uint32_t field() const { return field_; }
  bool is_bytes() const { return wire_type_ == kLengthDelimited; }
  absl::string_view bytes() const { return value_; }
  bool ok() const { return ok_; }

 private:
  // As protobuf reads tags: at most five bytes, kept to 32 bits.
  bool ReadTag() {
    uint32_t tag = 0;
    for (int i = 0;; ++i) {
      if (i == 5 || rest_.empty()) return false;
      const uint8_t byte = static_cast<uint8_t>(rest_.front());
      rest_.remove_prefix(1);
      tag |= static_cast<uint32_t>(byte & 0x7f) << (7 * i);
      if ((byte & 0x80) == 0) break;
    }
    field_ = tag >> 3;
    wire_type_ = tag & 7;
    return field_ != 0;
  }

  // Consumes the value of a field whose tag was just read; a
  // length-delimited one is kept in value_.
  bool SkipValue(uint32_t field, uint32_t wire_type, int depth) {
    switch (wire_type) {
      case kVarint: {
        uint64_t ignored;
        return ReadVarint(&ignored);
      }
      case kFixed64:
        return Skip(8);
      case kFixed32:
        return Skip(4);
      case kLengthDelimited: {
        uint64_t length;
        if (!ReadVarint(&length) || length > rest_.size()) return false;
        value_ = rest_.substr(0, length);
        rest_.remove_prefix(length);
        return true;
      }
      case kStartGroup:
        if (depth >= kMaxGroupDepth) return false;
        for (;;) {
          if (rest_.empty() || !ReadTag()) return false;
          if (wire_type_ == kEndGroup) return field_ == field;
          if (!SkipValue(field_, wire_type_, depth + 1)) return false;
        }
      default:
        return false;
    }
  }

  bool ReadVarint(uint64_t* out) {
    uint64_t value = 0;
    for (int shift = 0; shift < 64 && !rest_.empty(); shift += 7) {
      const uint8_t byte = static_cast<uint8_t>(rest_.front());
      rest_.remove_prefix(1);
      value |= static_cast<uint64_t>(byte & 0x7f) << shift;
      if ((byte & 0x80) == 0) {
        *out = value;
        return true;
      }
    }
    return false;
  }
  bool Skip(size_t n) {
    if (rest_.size() < n) return false;
    rest_.remove_prefix(n);
    return true;
  }
  bool Fail() {
    ok_ = false;
    rest_ = {};
    return false;
  }

  absl::string_view rest_;
  absl::string_view value_;
  uint32_t field_ = 0;
  uint32_t wire_type_ = 0;
  bool ok_ = true;
};

// A string field corsd reads: UTF-8, or the message is refused as protobuf
// would. Of another wire type it is an unknown field, and ignored.
bool ReadString(const FieldReader& reader, absl::string_view* out) {
  if (!reader.is_bytes()) return true;
  if (!IsValidUtf8(reader.bytes())) return false;
  *out = reader.bytes();
  return true;
}

// A map<string, string> entry: key 1, value 2, not yet checked for UTF-8
// (entries corsd skips need not be).
bool ReadMapEntry(absl::string_view entry, absl::string_view* key, absl::string_view* value) {
  *key = {};
  *value = {};
  FieldReader reader(entry);
  while (reader.Next()) {
    if (!reader.is_bytes()) continue;
    if (reader.field() == kMapEntryKey) *key = reader.bytes();
    if (reader.field() == kMapEntryValue) *value = reader.bytes();
  }
  return reader.ok();
}

// Records `value` when `name` is Origin or one of the
// Access-Control-Request-* headers; `replace` drops an earlier line of the
// same name first (map semantics).
void NoteHeader(absl::string_view name, absl::string_view value, bool replace,
                ExtAuthzRequestView* view) {
  if (absl::EqualsIgnoreCase(name, engine::kOriginHeader)) {
    view->origin = value;
    view->origin_lines = replace ? 1 : view->origin_lines + 1;
    return;
  }
  for (absl::string_view cors : kCorsRequestHeaders) {
    if (!absl::EqualsIgnoreCase(name, cors)) continue;
    if (replace) {
      for (engine::HeaderView& line : view->cors_headers) {
        if (line.name == cors) {
          line.value = value;
          return;
        }
      }
    }
    view->cors_headers.push_back(engine::HeaderView{cors, value});
  }
}

// Most of Envoy's header map is headers corsd does not read. An entry
// written key first (as every protobuf serializer does) whose key length is
// none of the four names' can be passed over without parsing it; any other
// entry is parsed in full.
bool SkipsAsNotCors(absl::string_view entry) {
  constexpr char kKeyTag = static_cast<char>(WireTag(kMapEntryKey, kLengthDelimited));
  if (entry.size() < 2 || entry[0] != kKeyTag || static_cast<uint8_t>(entry[1]) >= 0x80) {
    return false;
  }
  const size_t key_length = static_cast<uint8_t>(entry[1]);
  if (key_length == engine::kOriginHeader.size()) return false;
  for (absl::string_view cors : kCorsRequestHeaders) {
    if (key_length == cors.size()) return false;
  }
  return true;
}

bool IsCorsHeaderName(absl::string_view name) {
  if (absl::EqualsIgnoreCase(name, engine::kOriginHeader)) return true;
  for (absl::string_view cors : kCorsRequestHeaders) {
    if (absl::EqualsIgnoreCase(name, cors)) return true;
  }
  return false;
}

// envoy.config.core.v3.HeaderMap: repeated HeaderValue{key, value, raw_value}.
bool ReadHeaderMap(absl::string_view bytes, ExtAuthzRequestView* view) {
  FieldReader map(bytes);
  while (map.Next()) {
    if (map.field() != kHeaderMapHeaders || !map.is_bytes()) continue;
    FieldReader header(map.bytes());
    absl::string_view key, value, raw_value;
    while (header.Next()) {
      if (header.field() == kHeaderValueKey && header.is_bytes()) key = header.bytes();
      if (header.field() == kHeaderValueValue && header.is_bytes()) value = header.bytes();
      if (header.field() == kHeaderValueRawValue && header.is_bytes()) raw_value = header.bytes();
    }
    if (!header.ok()) return false;
    if (!IsCorsHeaderName(key)) continue;
    const absl::string_view chosen = raw_value.empty() ? value : raw_value;
    // raw_value is bytes, not a string: the engine judges what it holds.
    if (raw_value.empty() && !IsValidUtf8(chosen)) return false;
    NoteHeader(key, chosen, /*replace=*/false, view);
  }
  return map.ok();
}

bool ReadHttpRequest(absl::string_view bytes, ExtAuthzRequestView* view) {
  FieldReader http(bytes);
  while (http.Next()) {
    switch (http.field()) {
      case kHttpMethod:
        if (!ReadString(http, &view->method)) return false;
        break;
      case kHttpPath:
        if (!ReadString(http, &view->path)) return false;
        break;
      case kHttpHost:
        if (!ReadString(http, &view->host)) return false;
        break;
      case kHttpHeaders: {
        if (!http.is_bytes() || SkipsAsNotCors(http.bytes())) break;
        absl::string_view key, value;
        if (!ReadMapEntry(http.bytes(), &key, &value)) return false;
        if (!IsCorsHeaderName(key)) break;
        if (!IsValidUtf8(value)) return false;
        // A map holds each name once (Envoy joins repeated headers with ','):
        // a repeated key replaces, as protobuf's map parsing does.
        NoteHeader(key, value, /*replace=*/true, view);
        break;
      }
      case kHttpHeaderMap:
        if (http.is_bytes() && !ReadHeaderMap(http.bytes(), view)) return false;
        break;
      default:
        break;
    }
  }
  return http.ok();
}

}  // namespace

bool ReadExtAuthzRequest(absl::string_view bytes, ExtAuthzRequestView* view) {
  view->tenant = view->method = view->path = view->host = view->origin = {};
  view->cors_headers.clear();
  view->origin_lines = 0;
  FieldReader check(bytes);
  while (check.Next()) {
    if (check.field() != kCheckRequestAttributes || !check.is_bytes()) continue;
    FieldReader attributes(check.bytes());
    while (attributes.Next()) {
      if (!attributes.is_bytes()) continue;
      if (attributes.field() == kAttributeContextContextExtensions) {
        absl::string_view key, value;
        if (!ReadMapEntry(attributes.bytes(), &key, &value)) return false;
        if (key != kExtAuthzTenantKey) continue;
        if (!IsValidUtf8(value)) return false;
        view->tenant = value;
      } else if (attributes.field() == kAttributeContextRequest) {
        FieldReader request(attributes.bytes());
        while (request.Next()) {
          if (request.field() != kRequestHttp || !request.is_bytes()) continue;
          if (!ReadHttpRequest(request.bytes(), view)) return false;
        }
        if (!request.ok()) return false;
      }
    }
    if (!attributes.ok()) return false;
  }
  return check.ok();
}

}  // namespace corsd::server
