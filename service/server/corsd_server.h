// CorsdServer is one running corsd: the store, the snapshot registry and its
// sync loop, the watch hub, the data and admin gRPC servers (each with
// grpc.health.v1 and reflection) and the optional metrics endpoint.
//
//   ASSIGN_OR_RETURN(auto server, CorsdServer::Start(options, std::move(store)));
//   ... wait for SIGTERM ...
//   server->Shutdown();  // health NOT_SERVING, end watches, drain, stop
//
// Health: the data port reports "" and "corsd.v1.CorsDecision" SERVING once
// policies are loaded (from the store or, with --snapshot, from the snapshot
// when the store cannot be reached at start); the admin port reports
// "corsd.v1.CorsAdmin" NOT_SERVING whenever the store is unreachable (Check
// keeps answering from memory, admin calls fail with UNAVAILABLE).
//
// `store` may be a store::LazyStore that is not open yet: corsd then starts
// anyway, serves the snapshot if there is one, and keeps retrying.
#ifndef CORSD_SERVICE_SERVER_CORSD_SERVER_H_
#define CORSD_SERVICE_SERVER_CORSD_SERVER_H_

#include <grpcpp/grpcpp.h>

#include <memory>

#include "absl/status/statusor.h"
#include "service/engine/tenant_directory.h"
#include "service/http/http_server.h"
#include "service/ops/metrics.h"
#include "service/ops/metrics_http_server.h"
#include "service/server/admin_service.h"
#include "service/server/authenticator.h"
#include "service/server/compactor.h"
#include "service/server/decision_path.h"
#include "service/server/decision_service.h"
#include "service/server/ext_authz_service.h"
#include "service/server/http_check_adapter.h"
#include "service/server/policy_sync.h"
#include "service/server/policy_writer.h"
#include "service/server/server_metrics.h"
#include "service/server/server_options.h"
#include "service/server/shadow_reports.h"
#include "service/server/watch_hub.h"
#include "service/snapshot/snapshot_writer.h"
#include "service/store/policy_store.h"

namespace corsd::server {

class CorsdServer {
 public:
  static absl::StatusOr<std::unique_ptr<CorsdServer>> Start(
      const ServerOptions& options, std::unique_ptr<store::PolicyStore> store);
  ~CorsdServer();

  // Graceful: stop accepting, end watches, let in-flight calls finish within
  // the grace period, stop the sync loop. Idempotent.
  void Shutdown();

  int data_port() const { return data_port_; }
  int admin_port() const { return admin_port_; }
  int metrics_port() const { return metrics_http_ ? metrics_http_->port() : 0; }
  int http_port() const { return http_server_ ? http_server_->port() : 0; }

 private:
  explicit CorsdServer(const ServerOptions& options) : options_(options) {}
  absl::Status StartServers();
  absl::Status StartHttpEndpoint();
  void RegisterCollectors();
  void SetAdminHealth(bool serving);
  // Data port health from whether policies are loaded (never while draining).
  void RefreshDataHealth();
  // The store answered (or stopped answering) PolicySync.
  void OnStoreHealth(bool up);
  // Start-up without the store: the snapshot, if there is a usable one.
  void LoadSnapshotInstead(const absl::Status& store_error);
  void StartSnapshotWriter();
  // A token was created or revoked somewhere: forget cached tokens and end
  // the watch streams of revoked ones (a stream must not outlive its token).
  absl::Status OnTokensChanged();
  absl::Status WriteReadyFile() const;

  const ServerOptions options_;
  std::unique_ptr<store::PolicyStore> store_;
  ops::MetricsRegistry registry_metrics_;
  std::unique_ptr<ServerMetrics> metrics_;
  engine::TenantRegistry tenants_;
  WatchHub hub_;
  std::unique_ptr<Authenticator> authenticator_;
  std::unique_ptr<PolicySync> sync_;
  // Keeps options_.snapshot_path current; before sync_ is stopped, it is
  // flushed and destroyed (it reads sync_).
  std::unique_ptr<snapshot::SnapshotWriter> snapshot_writer_;
  // What PolicySync's on_published hook calls. A raw pointer is enough: the
  // hook runs on the sync thread or in admin writes, and Shutdown stops both
  // (admin server drained, sync_->Stop()) before it clears this and destroys
  // the writer.
  std::atomic<snapshot::SnapshotWriter*> snapshot_writer_for_hooks_{nullptr};
  std::unique_ptr<PolicyWriter> writer_;
  std::unique_ptr<OriginSetWriter> origin_set_writer_;
  std::unique_ptr<Compactor> compactor_;  // only when retention limits anything
  // Decides with shadow policies off the Check path; reports read its tallies.
  std::unique_ptr<engine::ShadowRecorder> shadow_recorder_;
  std::unique_ptr<ShadowReports> shadow_reports_;
  std::unique_ptr<DecisionLogFile> decision_log_;  // only with --decision-log
  std::unique_ptr<DecisionPath> decision_path_;
  std::unique_ptr<DecisionService> decision_service_;
  std::unique_ptr<ExtAuthzService> ext_authz_service_;
  // The data port's health, read by the HTTP endpoint's /healthz.
  std::atomic<bool> data_serving_{false};
  std::unique_ptr<HttpCheckAdapter> http_adapter_;
  std::unique_ptr<http::HttpServer> http_server_;  // only with --http-listen
  std::unique_ptr<AdminService> admin_service_;
  std::unique_ptr<grpc::Server> data_server_;
  std::unique_ptr<grpc::Server> admin_server_;
  std::unique_ptr<ops::MetricsHttpServer> metrics_http_;
  int data_port_ = 0;
  int admin_port_ = 0;
  absl::Mutex shutdown_mu_;
  bool shut_down_ ABSL_GUARDED_BY(shutdown_mu_) = false;
};

}  // namespace corsd::server

#endif  // CORSD_SERVICE_SERVER_CORSD_SERVER_H_
