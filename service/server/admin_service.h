// AdminService is corsd.v1.CorsAdmin on the admin port. Handlers are thin:
// Handle() authenticates the bearer token, checks the role against the
// tenant, audits and logs any denial, and maps absl::Status to gRPC; the work
// itself is PolicyWriter's (every write, published before the RPC returns),
// the engine's (validation) and the store's (reads).
//
// WatchPolicies uses the callback API (a stream holds no thread); every other
// method is a synchronous handler.
#ifndef CORSD_SERVICE_SERVER_ADMIN_SERVICE_H_
#define CORSD_SERVICE_SERVER_ADMIN_SERVICE_H_

#include <grpcpp/grpcpp.h>

#include <functional>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "corsd/v1/corsd.grpc.pb.h"
#include "service/server/authenticator.h"
#include "service/server/origin_set_writer.h"
#include "service/server/policy_writer.h"
#include "service/server/refusal_audit_limiter.h"
#include "service/server/server_metrics.h"
#include "service/server/shadow_reports.h"
#include "service/server/watch_hub.h"
#include "service/store/policy_store.h"

namespace corsd::server {

class AdminService final
    : public v1::CorsAdmin::WithRawCallbackMethod_WatchPolicies<v1::CorsAdmin::Service> {
 public:
  AdminService(store::PolicyStore* store, Authenticator* authenticator, PolicyWriter* writer,
               OriginSetWriter* origin_set_writer, WatchHub* hub, ServerMetrics* metrics,
               const ShadowReports* shadow_reports)
      : store_(store),
        authenticator_(authenticator),
        writer_(writer),
        origin_set_writer_(origin_set_writer),
        hub_(hub),
        metrics_(metrics),
        shadow_reports_(shadow_reports) {}

  grpc::Status CreateTenant(grpc::ServerContext* context, const v1::CreateTenantRequest* request,
                            v1::Tenant* response) override;
  grpc::Status GetTenant(grpc::ServerContext* context, const v1::GetTenantRequest* request,
                         v1::Tenant* response) override;
  grpc::Status ListTenants(grpc::ServerContext* context, const v1::ListTenantsRequest* request,
                           v1::ListTenantsResponse* response) override;
  grpc::Status UpdateTenant(grpc::ServerContext* context, const v1::UpdateTenantRequest* request,
                            v1::Tenant* response) override;
  grpc::Status DeleteTenant(grpc::ServerContext* context, const v1::DeleteTenantRequest* request,
                            google::protobuf::Empty* response) override;

  grpc::Status GetPolicy(grpc::ServerContext* context, const v1::GetPolicyRequest* request,
                         v1::PolicyVersion* response) override;
  grpc::Status PutPolicy(grpc::ServerContext* context, const v1::PutPolicyRequest* request,
                         v1::PolicyVersion* response) override;
  grpc::Status ValidatePolicy(grpc::ServerContext* context,
                              const v1::ValidatePolicyRequest* request,
                              v1::ValidatePolicyResponse* response) override;
  grpc::Status ListPolicyRevisions(grpc::ServerContext* context,
                                   const v1::ListPolicyRevisionsRequest* request,
                                   v1::ListPolicyRevisionsResponse* response) override;
  grpc::Status RollbackPolicy(grpc::ServerContext* context,
                              const v1::RollbackPolicyRequest* request,
                              v1::PolicyVersion* response) override;
  grpc::Status ListAuditEvents(grpc::ServerContext* context,
                               const v1::ListAuditEventsRequest* request,
                               v1::ListAuditEventsResponse* response) override;

  // Shadow policies (admin_shadows.cc).
  grpc::Status PutShadowPolicy(grpc::ServerContext* context,
                               const v1::PutShadowPolicyRequest* request,
                               v1::ShadowPolicy* response) override;
  grpc::Status GetShadowPolicy(grpc::ServerContext* context,
                               const v1::GetShadowPolicyRequest* request,
                               v1::ShadowPolicy* response) override;
  grpc::Status DeleteShadowPolicy(grpc::ServerContext* context,
                                  const v1::DeleteShadowPolicyRequest* request,
                                  google::protobuf::Empty* response) override;
  grpc::Status GetShadowReport(grpc::ServerContext* context,
                               const v1::GetShadowReportRequest* request,
                               v1::ShadowReport* response) override;
  grpc::Status PromoteShadowPolicy(grpc::ServerContext* context,
                                   const v1::PromoteShadowPolicyRequest* request,
                                   v1::PolicyVersion* response) override;
  grpc::Status ReportShadowCounts(grpc::ServerContext* context,
                                  const v1::ReportShadowCountsRequest* request,
                                  google::protobuf::Empty* response) override;

  // Shared origin sets (admin_origin_sets.cc).
  grpc::Status PutOriginSet(grpc::ServerContext* context, const v1::PutOriginSetRequest* request,
                            v1::OriginSet* response) override;
  grpc::Status GetOriginSet(grpc::ServerContext* context, const v1::GetOriginSetRequest* request,
                            v1::OriginSet* response) override;
  grpc::Status ListOriginSets(grpc::ServerContext* context,
                              const v1::ListOriginSetsRequest* request,
                              v1::ListOriginSetsResponse* response) override;
  grpc::Status DeleteOriginSet(grpc::ServerContext* context,
                               const v1::DeleteOriginSetRequest* request,
                               google::protobuf::Empty* response) override;

  // Raw: events go out as bytes serialized once for every watcher.
  grpc::ServerWriteReactor<grpc::ByteBuffer>* WatchPolicies(
      grpc::CallbackServerContext* context, const grpc::ByteBuffer* request_bytes) override;

 private:
  // Authenticates, authorizes `permission` on `tenant`, then runs `body`.
  grpc::Status Handle(grpc::ServerContextBase* context, absl::string_view method,
                      absl::string_view tenant, Permission permission,
                      const std::function<absl::Status(const Principal&)>& body);
  absl::StatusOr<Principal> Admit(grpc::ServerContextBase* context, absl::string_view method,
                                  absl::string_view tenant, Permission permission);
  void RecordDenied(grpc::ServerContextBase* context, absl::string_view method,
                    absl::string_view tenant, const std::string& actor, const absl::Status& status);

  store::PolicyStore* const store_;
  Authenticator* const authenticator_;
  PolicyWriter* const writer_;
  OriginSetWriter* const origin_set_writer_;
  WatchHub* const hub_;
  ServerMetrics* const metrics_;
  const ShadowReports* const shadow_reports_;

  // Denied calls are audited, but a flood of them must not become a flood
  // of durable writes.
  RefusalAuditLimiter denied_audits_;
};

}  // namespace corsd::server

#endif  // CORSD_SERVICE_SERVER_ADMIN_SERVICE_H_
