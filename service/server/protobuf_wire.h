// The protobuf wire format's wire types (the low three bits of a tag), for
// the ext_authz reader and writer, which handle Envoy's messages as bytes.
// https://protobuf.dev/programming-guides/encoding/
#ifndef CORSD_SERVICE_SERVER_PROTOBUF_WIRE_H_
#define CORSD_SERVICE_SERVER_PROTOBUF_WIRE_H_

#include <cstdint>

namespace corsd::server {

enum WireType : uint32_t {
  kVarint = 0,
  kFixed64 = 1,
  kLengthDelimited = 2,
  kStartGroup = 3,
  kEndGroup = 4,
  kFixed32 = 5,
};

// Every map<K, V> entry on the wire is a message {K key = 1; V value = 2;}.
inline constexpr uint32_t kMapEntryKey = 1;
inline constexpr uint32_t kMapEntryValue = 2;

// The tag that starts field `field` of wire type `type`.
constexpr uint32_t WireTag(uint32_t field, WireType type) { return (field << 3) | type; }

}  // namespace corsd::server

#endif  // CORSD_SERVICE_SERVER_PROTOBUF_WIRE_H_
