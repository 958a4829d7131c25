#include "service/server/ext_authz_answer.h"

#include <cstring>

#include "service/engine/decision.h"
#include "service/server/protobuf_wire.h"

namespace corsd::server {
namespace {

// Field numbers (proto/envoy/service/auth/v3/external_auth.proto and the
// messages it uses).
constexpr uint32_t kResponseStatus = 1;
constexpr uint32_t kResponseDenied = 2;
constexpr uint32_t kResponseOk = 3;
constexpr uint32_t kResponseDynamicMetadata = 4;
constexpr uint32_t kRpcStatusCode = 1;
constexpr uint32_t kRpcStatusMessage = 2;
constexpr uint32_t kDeniedStatus = 1;
constexpr uint32_t kDeniedHeaders = 2;
constexpr uint32_t kHttpStatusCode = 1;
constexpr uint32_t kOkResponseHeadersToAdd = 6;
constexpr uint32_t kOptionHeader = 1;
constexpr uint32_t kOptionAppend = 2;
constexpr uint32_t kHeaderKey = 1;
constexpr uint32_t kHeaderValue = 2;
constexpr uint32_t kBoolValueValue = 1;
// google.protobuf.Struct / Value.
constexpr uint32_t kStructFields = 1;
constexpr uint32_t kValueNumber = 2;
constexpr uint32_t kValueString = 3;
constexpr uint32_t kValueStruct = 5;

class Writer {
 public:
  explicit Writer(std::string* out) : out_(out) {}

  void Varint(uint64_t value) {
    while (value >= 0x80) {
      out_->push_back(static_cast<char>(value | 0x80));
      value >>= 7;
    }
    out_->push_back(static_cast<char>(value));
  }
  void Tag(uint32_t field, WireType type) { Varint(WireTag(field, type)); }
  void VarintField(uint32_t field, uint64_t value) {
    Tag(field, kVarint);
    Varint(value);
  }
  void BytesField(uint32_t field, absl::string_view bytes) {
    Tag(field, kLengthDelimited);
    Varint(bytes.size());
    out_->append(bytes.data(), bytes.size());
  }
  void DoubleField(uint32_t field, double value) {
    Tag(field, kFixed64);
    char bytes[8];
    std::memcpy(bytes, &value, 8);  // little-endian, as protobuf's fixed64
    out_->append(bytes, 8);
  }
  // A length-delimited field whose content is written next; End() puts the
  // length in front of it.
  size_t Begin(uint32_t field) {
    Tag(field, kLengthDelimited);
    return out_->size();
  }
  void End(size_t start) {
    const size_t length = out_->size() - start;
    char prefix[10];
    size_t n = 0;
    for (uint64_t v = length;; v >>= 7) {
      prefix[n++] = static_cast<char>(v < 0x80 ? v : (v & 0x7f) | 0x80);
      if (v < 0x80) break;
    }
    out_->insert(start, prefix, n);
  }

 private:
  std::string* out_;
};

// One entry of a Struct's map, with a string Value.
void StringEntry(Writer& w, absl::string_view key, absl::string_view value) {
  if (value.empty()) return;
  const size_t entry = w.Begin(kStructFields);
  w.BytesField(kMapEntryKey, key);
  const size_t value_start = w.Begin(kMapEntryValue);
  w.BytesField(kValueString, value);
  w.End(value_start);
  w.End(entry);
}

void Headers(Writer& w, uint32_t field, const ExtAuthzAnswer& answer) {
  for (const engine::HeaderView& header : answer.headers) {
    const size_t option = w.Begin(field);
    const size_t header_value = w.Begin(kOptionHeader);
    w.BytesField(kHeaderKey, header.name);
    w.BytesField(kHeaderValue, header.value);
    w.End(header_value);
    // `append` always explicit: Envoy releases disagree on what an unset
    // one means. BoolValue{false} is the empty message.
    const bool append = !answer.denied && header.name == engine::kVaryHeader;
    const size_t flag = w.Begin(kOptionAppend);
    if (append) w.VarintField(kBoolValueValue, 1);
    w.End(flag);
    w.End(option);
  }
}

}  // namespace

void SerializeExtAuthzAnswer(const ExtAuthzAnswer& answer, std::string* out) {
  out->clear();
  Writer w(out);
  const size_t status = w.Begin(kResponseStatus);
  if (answer.grpc_code != 0) w.VarintField(kRpcStatusCode, static_cast<uint64_t>(answer.grpc_code));
  if (!answer.grpc_message.empty()) w.BytesField(kRpcStatusMessage, answer.grpc_message);
  w.End(status);

  if (answer.denied) {
    const size_t denied = w.Begin(kResponseDenied);
    const size_t http_status = w.Begin(kDeniedStatus);
    if (answer.http_status != 0) {
      w.VarintField(kHttpStatusCode, static_cast<uint64_t>(answer.http_status));
    }
    w.End(http_status);
    Headers(w, kDeniedHeaders, answer);
    w.End(denied);
  } else {
    const size_t ok = w.Begin(kResponseOk);
    Headers(w, kOkResponseHeadersToAdd, answer);
    w.End(ok);
  }

  const size_t metadata = w.Begin(kResponseDynamicMetadata);
  const size_t entry = w.Begin(kStructFields);
  w.BytesField(kMapEntryKey, kExtAuthzMetadataKey);
  const size_t value = w.Begin(kMapEntryValue);
  const size_t fields = w.Begin(kValueStruct);
  StringEntry(w, "verdict", answer.verdict);
  StringEntry(w, "reason", answer.reason);
  StringEntry(w, "tenant", answer.tenant);
  StringEntry(w, "error", answer.error);
  if (answer.revision.has_value()) {
    const size_t revision = w.Begin(kStructFields);
    w.BytesField(kMapEntryKey, "revision");
    const size_t number = w.Begin(kMapEntryValue);
    w.DoubleField(kValueNumber, static_cast<double>(*answer.revision));
    w.End(number);
    w.End(revision);
  }
  w.End(fields);
  w.End(value);
  w.End(entry);
  w.End(metadata);
}

}  // namespace corsd::server
