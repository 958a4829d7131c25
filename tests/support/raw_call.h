// Calls that bypass the typed stubs, so a test can send bytes the generated
// API would refuse to build (a string field that is not UTF-8, say).
//
//   std::string bytes = WithInvalidUtf8(request);           // first 'x' -> 0xff
//   grpc::Status s = RawUnaryCall(channel, "/corsd.v1.CorsAdmin/GetTenant", bytes, token);
#ifndef CORSD_TESTS_SUPPORT_RAW_CALL_H_
#define CORSD_TESTS_SUPPORT_RAW_CALL_H_

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <condition_variable>
#include <mutex>
#include <string>

#include "google/protobuf/message_lite.h"
#include "gtest/gtest.h"
#include "tests/support/corsd_process.h"

namespace corsd::testing {

// `message` serialized, with its first `marker` byte replaced by 0xff.
inline std::string WithInvalidUtf8(const google::protobuf::MessageLite& message,
                                   char marker = 'x') {
  std::string bytes = message.SerializeAsString();
  const size_t at = bytes.find(marker);
  EXPECT_NE(at, std::string::npos) << "the message holds no marker byte to corrupt";
  if (at != std::string::npos) bytes[at] = '\xff';
  return bytes;
}

// One unary call of `method` with `request_bytes` as the request; with a
// bearer token when `token` is set. Blocks until the call ends; the answer's
// bytes go to `response_bytes` when given.
inline grpc::Status RawUnaryCall(const std::shared_ptr<grpc::Channel>& channel,
                                 const std::string& method, const std::string& request_bytes,
                                 const std::string& token = "",
                                 std::string* response_bytes = nullptr) {
  grpc::GenericStub generic(channel);
  grpc::ClientContext context;
  if (token.empty()) {
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  } else {
    Authorize(&context, token);
  }
  grpc::Slice slice(request_bytes);
  grpc::ByteBuffer in(&slice, 1);
  grpc::ByteBuffer out;
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  grpc::Status status;
  generic.UnaryCall(&context, method, grpc::StubOptions(), &in, &out, [&](grpc::Status s) {
    std::lock_guard<std::mutex> lock(mu);
    status = std::move(s);
    done = true;
    cv.notify_one();
  });
  std::unique_lock<std::mutex> lock(mu);
  cv.wait(lock, [&] { return done; });
  if (response_bytes != nullptr && status.ok()) {
    std::vector<grpc::Slice> slices;
    (void)out.Dump(&slices);
    response_bytes->clear();
    for (const grpc::Slice& slice : slices) {
      response_bytes->append(reinterpret_cast<const char*>(slice.begin()), slice.size());
    }
  }
  return status;
}

}  // namespace corsd::testing

#endif  // CORSD_TESTS_SUPPORT_RAW_CALL_H_
