#include "service/server/decision_service.h"

#include <grpcpp/support/byte_buffer.h>
#include <grpcpp/support/slice.h>

#include <array>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "google/protobuf/arena.h"
#include "service/convert/check_convert.h"
#include "service/engine/decision.h"
#include "service/engine/diagnostics.h"
#include "service/engine/limits.h"
#include "service/ops/log.h"
#include "service/server/grpc_status.h"

namespace corsd::server {
namespace {}  // namespace

absl::Status DecisionService::Decide(const v1::CheckRequest& request, v1::CheckResponse* response,
                                     engine::Verdict* verdict, engine::Reason* reason) {
  const engine::TenantDirectory& directory = registry_->Read();
  const engine::TenantSnapshot* tenant = nullptr;
  if (!request.tenant().empty()) {
    if (request.tenant().size() > engine::kMaxTenantNameBytes) {
      return absl::InvalidArgumentError(
          absl::StrCat("tenant is longer than ", engine::kMaxTenantNameBytes, " bytes"));
    }
    tenant = directory.FindByName(request.tenant());
    if (tenant == nullptr) {
      return absl::NotFoundError(absl::StrCat("no tenant named ",
                                              engine::QuoteForMessage(request.tenant()),
                                              " (create it with `corsctl tenant create`)"));
    }
  } else if (!request.host().empty()) {
    if (request.host().size() > engine::kMaxRequestHostBytes) {
      return absl::InvalidArgumentError(
          absl::StrCat("host is longer than ", engine::kMaxRequestHostBytes, " bytes"));
    }
    tenant = directory.FindByHost(request.host());
    if (tenant == nullptr) {
      return absl::NotFoundError(absl::StrCat("no tenant serves host ",
                                              engine::QuoteForMessage(request.host()),
                                              " (add it with `corsctl tenant update --host`)"));
    }
  } else {
    return absl::InvalidArgumentError("set tenant, or host so corsd can find the tenant");
  }

  CheckRequestView views(request);
  engine::Decision decision;
  engine::Decide(*tenant->policy, views.request(),
                 engine::DecideOptions{.explain = request.explain()}, &decision);
  FillCheckResponse(decision, tenant->name, response);
  *verdict = decision.verdict;
  *reason = decision.reason;
  return absl::OkStatus();
}

grpc::ServerUnaryReactor* DecisionService::Check(grpc::CallbackServerContext* context,
                                                 const grpc::ByteBuffer* request_bytes,
                                                 grpc::ByteBuffer* response_bytes) {
  const absl::Time start = absl::Now();
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
  engine::Verdict verdict = engine::Verdict::kDeny;
  engine::Reason reason = engine::Reason::kMalformedRequest;
  if (status.ok()) status = Decide(*request, response, &verdict, &reason);
  if (!status.ok()) {
    metrics_->RecordCheckError(status.code());
    reactor->Finish(ToGrpcStatus(status));
    return reactor;
  }

  // Serialized straight into one slice of the exact size (gRPC's generic
  // path streams anything over 23 bytes through a ZeroCopyOutputStream).
  grpc::Slice slice(response->ByteSizeLong());
  response->SerializeWithCachedSizesToArray(const_cast<uint8_t*>(slice.begin()));
  grpc::ByteBuffer serialized(&slice, 1);
  response_bytes->Swap(&serialized);
  metrics_->RecordCheck(verdict, reason, absl::Now() - start);
  if (log_options_.sample_every > 0) MaybeLogDecision(*request, *response);
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

void DecisionService::MaybeLogDecision(const v1::CheckRequest& request,
                                       const v1::CheckResponse& response) {
  thread_local int countdown = 0;
  if (--countdown > 0) return;
  countdown = log_options_.sample_every;
  // The path is logged without its query, which may carry secrets.
  std::string path = request.path().substr(0, request.path().find_first_of("?#"));
  ops::LogInfo("decision")
      .Field("tenant", response.tenant())
      .Field("origin", request.origin())
      .Field("method", request.method())
      .Field("path", path)
      .Field("kind", v1::RequestKind_Name(response.kind()))
      .Field("verdict", v1::Verdict_Name(response.verdict()))
      .Field("reason", v1::Reason_Name(response.reason()))
      .Field("revision", response.policy_revision());
}

}  // namespace corsd::server
