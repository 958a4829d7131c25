#include "bench/load/raw_caller.h"

#include <algorithm>
#include <chrono>
#include <cstring>

#include "corsd/v1/corsd.pb.h"
#include "google/protobuf/io/coded_stream.h"

namespace corsd::bench {
namespace {

constexpr auto kDeadline = std::chrono::seconds(10);

}  // namespace

RawCaller::RawCaller(const std::vector<std::shared_ptr<grpc::Channel>>& channels,
                     std::string method, std::vector<grpc::ByteBuffer> requests,
                     ResponseLabeler labeler)
    : method_(std::move(method)), requests_(std::move(requests)), labeler_(std::move(labeler)) {
  for (const auto& channel : channels)
    stubs_.push_back(std::make_unique<grpc::GenericStub>(channel));
}

void RawCaller::operator()(CallDone done) {
  struct Call {
    grpc::ClientContext context;
    grpc::ByteBuffer response;
  };
  auto* call = new Call();
  call->context.set_deadline(std::chrono::system_clock::now() + kDeadline);
  const uint64_t n = next_.fetch_add(1, std::memory_order_relaxed);
  stubs_[n % stubs_.size()]->UnaryCall(
      &call->context, method_, grpc::StubOptions(), &requests_[n % requests_.size()],
      &call->response, [this, call, done = std::move(done)](grpc::Status status) {
        done(status.error_code(),
             status.ok() && labeler_ != nullptr ? labeler_(call->response) : std::string());
        delete call;
      });
}

std::vector<grpc::ByteBuffer> SerializeAll(
    const std::vector<const google::protobuf::Message*>& messages) {
  std::vector<grpc::ByteBuffer> buffers;
  for (const google::protobuf::Message* message : messages) {
    const std::string bytes = message->SerializeAsString();
    grpc::Slice slice(bytes);
    buffers.emplace_back(&slice, 1);
  }
  return buffers;
}

std::string CheckVerdictLabel(const grpc::ByteBuffer& response) {
  std::vector<grpc::Slice> slices;
  if (!response.Dump(&slices).ok()) return "UNPARSEABLE";
  // The verdict is in the first few bytes, which may span slices.
  uint8_t head[16];
  size_t size = 0;
  for (const grpc::Slice& slice : slices) {
    const size_t take = std::min(sizeof head - size, slice.size());
    memcpy(head + size, slice.begin(), take);
    size += take;
    if (size == sizeof head) break;
  }
  google::protobuf::io::CodedInputStream in(head, static_cast<int>(size));
  uint32_t verdict = 0;
  if (in.ReadTag() != (1 << 3 | 0) || !in.ReadVarint32(&verdict)) {
    return v1::Verdict_Name(v1::VERDICT_UNSPECIFIED);  // proto3 omits a zero verdict
  }
  return v1::Verdict_IsValid(static_cast<int>(verdict))
             ? v1::Verdict_Name(static_cast<v1::Verdict>(verdict))
             : "UNKNOWN_VERDICT";
}

}  // namespace corsd::bench
