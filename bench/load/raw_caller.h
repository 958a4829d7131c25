// RawCaller starts one unary RPC per call through a generic stub, sending
// requests serialized once up front and counting responses without parsing
// them. The load generator's own cost per call is then the same for Check
// and for the empty Health/Check, so a throughput ratio between the two
// shows the server's difference, not the client's (on a 2-core machine the
// generator's core saturates first).
//
//   RawCaller check(channels, "/corsd.v1.CorsDecision/Check", SerializeAll(requests),
//                   CheckVerdictLabel);
//   RunLoad("check", [&](CallDone done) { check(std::move(done)); }, options, &histogram);
#ifndef CORSD_BENCH_LOAD_RAW_CALLER_H_
#define CORSD_BENCH_LOAD_RAW_CALLER_H_

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "bench/load/load_runner.h"
#include "google/protobuf/message.h"

namespace corsd::bench {

// Returns the label to count for a response ("" = none).
using ResponseLabeler = std::function<std::string(const grpc::ByteBuffer& response)>;

class RawCaller {
 public:
  // Calls go round-robin over `channels` and cycle through `requests`.
  RawCaller(const std::vector<std::shared_ptr<grpc::Channel>>& channels, std::string method,
            std::vector<grpc::ByteBuffer> requests, ResponseLabeler labeler = nullptr);

  void operator()(CallDone done);

 private:
  std::vector<std::unique_ptr<grpc::GenericStub>> stubs_;
  const std::string method_;
  const std::vector<grpc::ByteBuffer> requests_;
  const ResponseLabeler labeler_;
  std::atomic<uint64_t> next_{0};
};

std::vector<grpc::ByteBuffer> SerializeAll(
    const std::vector<const google::protobuf::Message*>& messages);

// The verdict name of a serialized corsd.v1.CheckResponse, read from its
// first field (verdict = 1; protobuf writes fields in number order).
std::string CheckVerdictLabel(const grpc::ByteBuffer& response);

}  // namespace corsd::bench

#endif  // CORSD_BENCH_LOAD_RAW_CALLER_H_
