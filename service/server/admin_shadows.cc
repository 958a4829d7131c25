// AdminService: shadow policy RPCs.
#include "service/common/status_macros.h"
#include "service/server/admin_service.h"
#include "service/server/proto_records.h"

namespace corsd::server {

grpc::Status AdminService::PutShadowPolicy(grpc::ServerContext* context,
                                           const v1::PutShadowPolicyRequest* request,
                                           v1::ShadowPolicy* response) {
  return Handle(context, "PutShadowPolicy", request->tenant(), Permission::kWrite,
                [&](const Principal& who) -> absl::Status {
                  ASSIGN_OR_RETURN(*response,
                                   writer_->PutShadowPolicy({.tenant = request->tenant(),
                                                             .policy = &request->policy(),
                                                             .comment = request->comment()},
                                                            {who.label}));
                  return absl::OkStatus();
                });
}

grpc::Status AdminService::GetShadowPolicy(grpc::ServerContext* context,
                                           const v1::GetShadowPolicyRequest* request,
                                           v1::ShadowPolicy* response) {
  return Handle(context, "GetShadowPolicy", request->tenant(), Permission::kRead,
                [&](const Principal&) -> absl::Status {
                  ASSIGN_OR_RETURN(store::ShadowPolicyRecord record,
                                   store_->GetShadowPolicy(request->tenant()));
                  return ToShadowPolicyProto(record, response);
                });
}

grpc::Status AdminService::DeleteShadowPolicy(grpc::ServerContext* context,
                                              const v1::DeleteShadowPolicyRequest* request,
                                              google::protobuf::Empty*) {
  return Handle(context, "DeleteShadowPolicy", request->tenant(), Permission::kWrite,
                [&](const Principal& who) {
                  return writer_->DeleteShadowPolicy(request->tenant(), {who.label});
                });
}

grpc::Status AdminService::GetShadowReport(grpc::ServerContext* context,
                                           const v1::GetShadowReportRequest* request,
                                           v1::ShadowReport* response) {
  return Handle(context, "GetShadowReport", request->tenant(), Permission::kRead,
                [&](const Principal&) -> absl::Status {
                  ASSIGN_OR_RETURN(*response, shadow_reports_->Report(request->tenant()));
                  return absl::OkStatus();
                });
}

grpc::Status AdminService::PromoteShadowPolicy(grpc::ServerContext* context,
                                               const v1::PromoteShadowPolicyRequest* request,
                                               v1::PolicyVersion* response) {
  return Handle(context, "PromoteShadowPolicy", request->tenant(), Permission::kWrite,
                [&](const Principal& who) -> absl::Status {
                  PromoteWrite write{.tenant = request->tenant(), .comment = request->comment()};
                  if (request->has_expected_revision()) {
                    write.expected_revision = request->expected_revision();
                  }
                  ASSIGN_OR_RETURN(*response, writer_->PromoteShadowPolicy(write, {who.label}));
                  return absl::OkStatus();
                });
}

grpc::Status AdminService::ReportShadowCounts(grpc::ServerContext* context,
                                              const v1::ReportShadowCountsRequest* request,
                                              google::protobuf::Empty*) {
  return Handle(context, "ReportShadowCounts", request->tenant(), Permission::kRead,
                [&](const Principal&) { return shadow_reports_->AddReported(*request); });
}

}  // namespace corsd::server
