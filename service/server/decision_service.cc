#include "service/server/decision_service.h"

#include <grpcpp/support/byte_buffer.h>
#include <grpcpp/support/slice.h>

#include <array>

#include "google/protobuf/arena.h"
#include "service/convert/check_convert.h"
#include "service/engine/decision.h"
#include "service/server/grpc_status.h"

namespace corsd::server {

absl::Status DecideCheckRequest(const DecisionPath& path, Api api, const v1::CheckRequest& request,
                                v1::CheckResponse* response) {
  CheckRequestView views(request);
  engine::Decision decision;
  const engine::TenantSnapshot* tenant = nullptr;
  absl::Status status = path.Decide(api,
                                    DecisionInput{.tenant = request.tenant(),
                                                  .host = request.host(),
                                                  .request = views.request(),
                                                  .explain = request.explain()},
                                    &decision, &tenant);
  if (status.ok()) FillCheckResponse(decision, tenant->name, response);
  return status;
}

grpc::ServerUnaryReactor* DecisionService::Check(grpc::CallbackServerContext* context,
                                                 const grpc::ByteBuffer* request_bytes,
                                                 grpc::ByteBuffer* response_bytes) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();

  // Most requests and answers fit in the first block: no heap allocation for
  // the messages themselves.
  std::array<char, 4096> initial_block;
  google::protobuf::ArenaOptions arena_options;
  arena_options.initial_block = initial_block.data();
  arena_options.initial_block_size = initial_block.size();
  google::protobuf::Arena arena(arena_options);
  auto* request = google::protobuf::Arena::CreateMessage<v1::CheckRequest>(&arena);
  auto* response = google::protobuf::Arena::CreateMessage<v1::CheckResponse>(&arena);

  absl::Status status;
  {
    // A request arrives as one slice in practice (then this only takes a
    // reference); parsing a flat array is cheaper than a zero-copy stream.
    grpc::Slice flat;
    if (!request_bytes->DumpToSingleSlice(&flat).ok() ||
        !request->ParseFromArray(flat.begin(), static_cast<int>(flat.size()))) {
      status = absl::InvalidArgumentError(
          "request is not a valid corsd.v1.CheckRequest (string fields must be UTF-8)");
    }
  }
  if (status.ok()) {
    status = DecideCheckRequest(*path_, Api::kGrpc, *request, response);
  } else {
    path_->RecordUnparsableRequest(Api::kGrpc);
  }
  if (!status.ok()) {
    reactor->Finish(ToGrpcStatus(status));
    return reactor;
  }

  // Serialized straight into one slice of the exact size (gRPC's generic
  // path streams anything over 23 bytes through a ZeroCopyOutputStream).
  grpc::Slice slice(response->ByteSizeLong());
  response->SerializeWithCachedSizesToArray(const_cast<uint8_t*>(slice.begin()));
  grpc::ByteBuffer serialized(&slice, 1);
  response_bytes->Swap(&serialized);
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

}  // namespace corsd::server
