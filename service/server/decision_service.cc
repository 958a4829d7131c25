#include "service/server/decision_service.h"

#include "service/convert/check_convert.h"
#include "service/engine/decision.h"
#include "service/server/grpc_status.h"
#include "service/server/raw_message_io.h"

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
  StackArena<4096> arena;
  auto* request = arena.Create<v1::CheckRequest>();
  auto* response = arena.Create<v1::CheckResponse>();
  absl::Status status;
  {
    grpc::Slice flat;
    absl::string_view bytes;
    if (!FlattenRequest(*request_bytes, &flat, &bytes) ||
        !request->ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
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
  SerializeToByteBuffer(*response, response_bytes);
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

}  // namespace corsd::server
