// What the raw (ByteBuffer) callback handlers of the data port share: a
// protobuf arena whose first block is on the stack, the request as one flat
// slice, and the answer serialized into one slice of the exact size. gRPC's
// generic path would stream anything over 23 bytes through a zero-copy
// stream; on the hot path these are cheaper.
//
//   StackArena<4096> arena;
//   auto* response = arena.Create<v1::CheckResponse>();
//   grpc::Slice flat;
//   absl::string_view bytes;
//   if (!FlattenRequest(*request_bytes, &flat, &bytes)) ...;
//   SerializeToByteBuffer(*response, response_bytes);
#ifndef CORSD_SERVICE_SERVER_RAW_MESSAGE_IO_H_
#define CORSD_SERVICE_SERVER_RAW_MESSAGE_IO_H_

#include <grpcpp/support/byte_buffer.h>
#include <grpcpp/support/slice.h>

#include <array>
#include <cstddef>

#include "absl/strings/string_view.h"
#include "google/protobuf/arena.h"
#include "google/protobuf/message_lite.h"

namespace corsd::server {

// Not movable: the arena points into the object itself.
template <size_t kInitialBytes>
class StackArena {
 public:
  StackArena() : arena_(Options(block_)) {}
  StackArena(const StackArena&) = delete;
  StackArena& operator=(const StackArena&) = delete;

  template <typename Message>
  Message* Create() {
    return google::protobuf::Arena::CreateMessage<Message>(&arena_);
  }

 private:
  static google::protobuf::ArenaOptions Options(std::array<char, kInitialBytes>& block) {
    google::protobuf::ArenaOptions options;
    options.initial_block = block.data();
    options.initial_block_size = block.size();
    return options;
  }

  std::array<char, kInitialBytes> block_;
  google::protobuf::Arena arena_;
};

// The request's bytes, as a view into `flat` (a request arrives as one slice
// in practice, and then this only takes a reference). False when gRPC cannot
// give them.
inline bool FlattenRequest(const grpc::ByteBuffer& request, grpc::Slice* flat,
                           absl::string_view* bytes) {
  if (!request.DumpToSingleSlice(flat).ok()) return false;
  *bytes = absl::string_view(reinterpret_cast<const char*>(flat->begin()), flat->size());
  return true;
}

inline void SerializeToByteBuffer(const google::protobuf::MessageLite& message,
                                  grpc::ByteBuffer* out) {
  grpc::Slice slice(message.ByteSizeLong());
  message.SerializeWithCachedSizesToArray(const_cast<uint8_t*>(slice.begin()));
  grpc::ByteBuffer serialized(&slice, 1);
  out->Swap(&serialized);
}

}  // namespace corsd::server

#endif  // CORSD_SERVICE_SERVER_RAW_MESSAGE_IO_H_
