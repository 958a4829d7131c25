#include "service/server/corsd_server.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <malloc.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "service/common/status_macros.h"
#include "service/convert/time_convert.h"
#include "service/ops/log.h"
#include "service/server/unparsable_request_interceptor.h"
#include "service/snapshot/snapshot_file.h"

namespace corsd::server {
namespace {

constexpr char kDecisionServiceName[] = "corsd.v1.CorsDecision";
constexpr char kAdminServiceName[] = "corsd.v1.CorsAdmin";

absl::StatusOr<std::string> ReadFile(const std::string& path, const char* what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::InvalidArgumentError(absl::StrCat("cannot read ", what, " file ", path));
  }
  std::stringstream contents;
  contents << in.rdbuf();
  return contents.str();
}

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> PortCredentials(const PortTls& tls) {
  const std::string cert_flag = absl::StrCat(tls.flag_prefix, "-cert");
  const std::string key_flag = absl::StrCat(tls.flag_prefix, "-key");
  const std::string ca_flag = absl::StrCat(tls.flag_prefix, "-client-ca");
  if (!tls.enabled()) {
    if (tls.mutual()) {
      return absl::InvalidArgumentError(
          absl::StrCat(ca_flag, " needs ", cert_flag, " and ", key_flag));
    }
    return grpc::InsecureServerCredentials();
  }
  if (tls.cert_file.empty() || tls.key_file.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(cert_flag, " and ", key_flag, " go together"));
  }
  grpc::SslServerCredentialsOptions ssl;
  grpc::SslServerCredentialsOptions::PemKeyCertPair pair;
  ASSIGN_OR_RETURN(pair.cert_chain, ReadFile(tls.cert_file, cert_flag.c_str()));
  ASSIGN_OR_RETURN(pair.private_key, ReadFile(tls.key_file, key_flag.c_str()));
  ssl.pem_key_cert_pairs.push_back(std::move(pair));
  if (tls.mutual()) {
    ASSIGN_OR_RETURN(ssl.pem_root_certs, ReadFile(tls.client_ca_file, ca_flag.c_str()));
    ssl.client_certificate_request = GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY;
  }
  return grpc::SslServerCredentials(ssl);
}

// "plaintext", "tls" or "mtls", for the start-up log line.
absl::string_view Describe(const PortTls& tls) {
  return !tls.enabled() ? "plaintext" : tls.mutual() ? "mtls" : "tls";
}

constexpr int kMaxConcurrentStreams = 1000;  // per connection

// --replica-name, else the host name.
std::string ReplicaName(const ServerOptions& options) {
  if (!options.replica_name.empty()) return options.replica_name;
  char host[256] = {};
  if (gethostname(host, sizeof(host) - 1) != 0) return "corsd";
  return host;
}

// Keepalive: ping idle connections so dead watchers are noticed, and let
// clients (gateways holding a watch open) ping every 10 s without being
// told off.
void ConfigureTransport(grpc::ServerBuilder* builder, int max_message_bytes) {
  // gRPC sets SO_REUSEPORT by default, which lets a second corsd bind the
  // same port and silently take half the traffic; a busy port must be an
  // error instead.
  builder->AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder->SetMaxReceiveMessageSize(max_message_bytes);
  builder->SetMaxSendMessageSize(max_message_bytes);
  builder->AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS, 60'000);
  builder->AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 20'000);
  builder->AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  builder->AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 10'000);
  builder->AddChannelArgument(GRPC_ARG_HTTP2_MAX_PING_STRIKES, 0);
  // gRPC's default is unlimited: an overloaded server would accept every
  // stream a client opens and queue it in memory. With a bound, excess calls
  // wait on the client, which also sees its own deadlines expire.
  builder->AddChannelArgument(GRPC_ARG_MAX_CONCURRENT_STREAMS, kMaxConcurrentStreams);
}

}  // namespace

absl::StatusOr<std::unique_ptr<CorsdServer>> CorsdServer::Start(
    const ServerOptions& options, std::unique_ptr<store::PolicyStore> store) {
  std::unique_ptr<CorsdServer> server(new CorsdServer(options));
  server->store_ = std::move(store);
  server->metrics_ = std::make_unique<ServerMetrics>(&server->registry_metrics_);
  server->authenticator_ = std::make_unique<Authenticator>(server->store_.get());
  CorsdServer* self = server.get();
  server->sync_ = std::make_unique<PolicySync>(
      server->store_.get(), &server->tenants_, &server->hub_, server->metrics_.get(),
      PolicySyncHooks{.on_published =
                          [self] {
                            if (snapshot::SnapshotWriter* writer =
                                    self->snapshot_writer_for_hooks_.load()) {
                              writer->MarkChanged();
                            }
                          },
                      .on_tokens_changed = [self] { return self->OnTokensChanged(); },
                      .on_store_health = [self](bool up) { self->OnStoreHealth(up); }});

  const absl::Time load_start = absl::Now();
  if (absl::Status s = server->sync_->LoadAll(); s.ok()) {
    ops::LogInfo("policies_loaded")
        .Field("tenants", static_cast<uint64_t>(server->tenants_.Read().size()))
        .Field("took", absl::Now() - load_start);
  } else {
    // Fail static: never exit for an unreachable store. Serve the snapshot
    // if there is one; keep retrying either way (the sync loop does).
    server->LoadSnapshotInstead(s);
  }
  // Loading read every stored policy at once; give that transient memory
  // back to the system instead of carrying it as RSS for the process's life.
  malloc_trim(0);

  server->shadow_recorder_ =
      std::make_unique<engine::ShadowRecorder>(engine::ShadowRecorder::Options{});
  server->shadow_reports_ = std::make_unique<ShadowReports>(
      &server->tenants_, server->shadow_recorder_.get(), ReplicaName(options));
  DecisionLogOptions decision_log{.sample_every = options.decision_log_sample_every};
  if (!options.decision_log_path.empty()) {
    ASSIGN_OR_RETURN(server->decision_log_, DecisionLogFile::Open(options.decision_log_path,
                                                                  options.decision_log_max_bytes));
    decision_log.file = server->decision_log_.get();
    if (decision_log.sample_every == 0) decision_log.sample_every = 1;
  }
  server->decision_path_ =
      std::make_unique<DecisionPath>(&server->tenants_, server->metrics_.get(), decision_log,
                                     server->sync_->loaded_flag(), server->shadow_recorder_.get());
  server->decision_service_ = std::make_unique<DecisionService>(server->decision_path_.get());
  server->ext_authz_service_ = std::make_unique<ExtAuthzService>(server->decision_path_.get());
  server->http_adapter_ =
      std::make_unique<HttpCheckAdapter>(server->decision_path_.get(), &server->data_serving_);
  server->writer_ = std::make_unique<PolicyWriter>(server->store_.get(), server->sync_.get(),
                                                   server->metrics_.get());
  server->origin_set_writer_ = std::make_unique<OriginSetWriter>(
      server->store_.get(), server->sync_.get(), server->metrics_.get());
  server->admin_service_ = std::make_unique<AdminService>(
      server->store_.get(), server->authenticator_.get(), server->writer_.get(),
      server->origin_set_writer_.get(), &server->hub_, server->metrics_.get(),
      server->shadow_reports_.get());
  server->StartSnapshotWriter();  // before any write can publish
  RETURN_IF_ERROR(server->StartServers());
  RETURN_IF_ERROR(server->StartHttpEndpoint());
  server->RegisterCollectors();
  if (!options.metrics_listen.empty()) {
    ASSIGN_OR_RETURN(
        server->metrics_http_,
        ops::MetricsHttpServer::Start(options.metrics_listen, &server->registry_metrics_));
  }
  server->sync_->StartPolling(options.poll_interval, options.resync_interval);
  if (RetentionLimitsAnything(options.retention)) {
    server->compactor_ = std::make_unique<Compactor>(
        server->store_.get(), options.retention, options.compact_interval, server->metrics_.get());
  }
  RETURN_IF_ERROR(server->WriteReadyFile());
  ops::LogInfo("serving")
      .Field("data", absl::StrCat(options.listen, " -> port ", server->data_port_))
      .Field("admin", absl::StrCat(options.admin_listen, " -> port ", server->admin_port_))
      .Field("metrics_port", static_cast<int64_t>(server->metrics_port()))
      .Field("http_port", static_cast<int64_t>(server->http_port()))
      .Field("data_transport", Describe(options.data_tls))
      .Field("admin_transport", Describe(options.admin_tls))
      .Field("store", server->store_->Describe())
      .Field("policies", !server->sync_->loaded()                 ? "none yet (store unreachable)"
                         : server->sync_->serving_from_snapshot() ? "from the snapshot"
                                                                  : "from the store");
  return server;
}

absl::Status CorsdServer::StartServers() {
  // Both are process-wide switches that apply to every server built after
  // them: each port gets grpc.health.v1 and server reflection.
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();

  ASSIGN_OR_RETURN(std::shared_ptr<grpc::ServerCredentials> data_credentials,
                   PortCredentials(options_.data_tls));
  ASSIGN_OR_RETURN(std::shared_ptr<grpc::ServerCredentials> admin_credentials,
                   PortCredentials(options_.admin_tls));
  grpc::ServerBuilder data;
  data.AddListeningPort(options_.listen, data_credentials, &data_port_);
  data.RegisterService(decision_service_.get());
  data.RegisterService(ext_authz_service_.get());
  ConfigureTransport(&data, kMaxDataMessageBytes);
  data_server_ = data.BuildAndStart();
  if (data_server_ == nullptr || data_port_ == 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", options_.listen,
                     " (data port): is another corsd running, or is the address not local?"));
  }

  grpc::ServerBuilder admin;
  admin.AddListeningPort(options_.admin_listen, admin_credentials, &admin_port_);
  admin.RegisterService(admin_service_.get());
  ConfigureTransport(&admin, kMaxAdminMessageBytes);
  admin.experimental().SetInterceptorCreators(UnparsableRequestInterceptors());
  admin_server_ = admin.BuildAndStart();
  if (admin_server_ == nullptr || admin_port_ == 0) {
    data_server_->Shutdown();
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", options_.admin_listen,
                     " (admin port): is another corsd running, or is the address not local?"));
  }

  RefreshDataHealth();
  SetAdminHealth(sync_->store_up());
  return absl::OkStatus();
}

void CorsdServer::RefreshDataHealth() {
  if (data_server_ == nullptr) return;
  {
    absl::MutexLock lock(&shutdown_mu_);
    if (shut_down_) return;  // draining: stays NOT_SERVING
    // Read under the lock: two refreshes racing end with the latest value.
    const bool serving = sync_->loaded();
    grpc::HealthCheckServiceInterface* health = data_server_->GetHealthCheckService();
    health->SetServingStatus("", serving);
    health->SetServingStatus(kDecisionServiceName, serving);
    health->SetServingStatus(ExtAuthzService::kServiceName, serving);
    data_serving_.store(serving, std::memory_order_release);
  }
}

void CorsdServer::OnStoreHealth(bool up) {
  SetAdminHealth(up);
  // The first load may come late (the store was unreachable at start).
  if (up && sync_ != nullptr) RefreshDataHealth();
}

void CorsdServer::LoadSnapshotInstead(const absl::Status& store_error) {
  if (options_.snapshot_path.empty()) {
    ops::LogError("store_unreachable_at_start")
        .Field("store", store_->Describe())
        .Field("error", store_error.message())
        .Field("serving", "nothing until the store answers (no --snapshot); retrying");
    return;
  }
  absl::StatusOr<v1::Snapshot> snapshot = snapshot::ReadSnapshotFile(options_.snapshot_path);
  if (!snapshot.ok()) {
    ops::LogError("store_unreachable_at_start")
        .Field("store", store_->Describe())
        .Field("error", store_error.message())
        .Field("snapshot", snapshot.status().message())
        .Field("serving", "nothing until the store answers; retrying");
    return;
  }
  if (absl::Status loaded = sync_->LoadSnapshot(*snapshot); !loaded.ok()) {
    ops::LogError("snapshot_unusable").Field("error", loaded.message());
    return;
  }
  ops::LogWarning("serving_from_snapshot")
      .Field("store", store_->Describe())
      .Field("error", store_error.message())
      .Field("snapshot", options_.snapshot_path)
      .Field("tenants", static_cast<uint64_t>(snapshot->tenants_size()))
      .Field("age", absl::Now() - FromTimestamp(snapshot->synced_at()))
      .Field("serving", "Check from the snapshot; admin calls fail until the store answers");
}

void CorsdServer::StartSnapshotWriter() {
  if (options_.snapshot_path.empty()) return;
  ServerMetrics* metrics = metrics_.get();
  snapshot_writer_ = std::make_unique<snapshot::SnapshotWriter>(
      options_.snapshot_path, [this] { return sync_->CaptureSnapshot(); },
      [metrics, path = options_.snapshot_path](const absl::Status& status, absl::Duration took) {
        metrics->snapshot_write_duration.ObserveDuration(took);
        if (status.ok()) {
          metrics->snapshot_writes_ok.Increment();
          return;
        }
        metrics->snapshot_writes_failed.Increment();
        ops::LogWarning("snapshot_write_failed")
            .Field("snapshot", path)
            .Field("error", status.message())
            .Field("action", "retrying at the next change");
      });
  snapshot_writer_for_hooks_.store(snapshot_writer_.get());
  // What the store gave at start is not on disk yet (a snapshot that was
  // just loaded is).
  if (sync_->loaded() && !sync_->serving_from_snapshot()) snapshot_writer_->MarkChanged();
}

absl::Status CorsdServer::StartHttpEndpoint() {
  if (options_.http_listen.empty()) return absl::OkStatus();
  // The HTTP endpoint is part of the data side: it takes the data port's
  // TLS settings.
  ServerMetrics* metrics = metrics_.get();
  http::HttpServerOptions http_options{
      .address = options_.http_listen,
      .on_refused = [metrics](int status) { metrics->RecordHttpRefusal(status); }};
  const PortTls& tls = options_.data_tls;
  if (tls.enabled()) {
    ASSIGN_OR_RETURN(http_options.tls_cert_pem, ReadFile(tls.cert_file, "--tls-cert"));
    ASSIGN_OR_RETURN(http_options.tls_key_pem, ReadFile(tls.key_file, "--tls-key"));
    if (tls.mutual()) {
      ASSIGN_OR_RETURN(http_options.tls_client_ca_pem,
                       ReadFile(tls.client_ca_file, "--tls-client-ca"));
    }
  }
  const HttpCheckAdapter* adapter = http_adapter_.get();
  absl::StatusOr<std::unique_ptr<http::HttpServer>> server = http::HttpServer::Start(
      http_options, [adapter](http::HttpRequest& request) { return adapter->Handle(request); });
  if (!server.ok()) {
    return absl::Status(server.status().code(),
                        absl::StrCat("--http-listen: ", server.status().message()));
  }
  http_server_ = *std::move(server);
  return absl::OkStatus();
}

void CorsdServer::SetAdminHealth(bool serving) {
  if (admin_server_ == nullptr) return;
  admin_server_->GetHealthCheckService()->SetServingStatus(kAdminServiceName, serving);
}

void CorsdServer::RegisterCollectors() {
  registry_metrics_.AddCollector(
      "corsd_policy_revision", "Revision of the policy each tenant is served with.", "gauge",
      [this](std::vector<ops::Sample>* out) {
        std::shared_ptr<const engine::TenantDirectory> directory = tenants_.Load();
        directory->tenants().ForEach([&](const engine::TenantDirectory::TenantMap::Entry& entry) {
          out->push_back({{{"tenant", std::string(entry.key)}},
                          static_cast<double>(entry.value->policy->revision())});
        });
      });
  registry_metrics_.AddCollector(
      "corsd_tenants", "Tenants this process serves.", "gauge",
      [this](std::vector<ops::Sample>* out) {
        out->push_back({{}, static_cast<double>(tenants_.Load()->size())});
      });
  registry_metrics_.AddCollector(
      "corsd_snapshot_age_seconds",
      "Seconds since this process last confirmed it holds every committed change.", "gauge",
      [this](std::vector<ops::Sample>* out) {
        out->push_back({{}, absl::ToDoubleSeconds(absl::Now() - sync_->last_synced())});
      });
  registry_metrics_.AddCollector(
      "corsd_serving_from_snapshot",
      "1 while serving the --snapshot file because the store has not answered since start.",
      "gauge", [this](std::vector<ops::Sample>* out) {
        out->push_back({{}, sync_->serving_from_snapshot() ? 1.0 : 0.0});
      });
  registry_metrics_.AddCollector(
      "corsd_shadow_decisions_total",
      "Decisions made again with a tenant's shadow policy, by active verdict, shadow verdict "
      "and shadow reason (agreements included), counted here and reported by gateways.",
      "counter", [this](std::vector<ops::Sample>* out) { shadow_reports_->CollectMetrics(out); });
  registry_metrics_.AddCollector(
      "corsd_shadow_dropped_total",
      "Decisions not decided again with a shadow because a thread's queue was full.", "counter",
      [this](std::vector<ops::Sample>* out) {
        out->push_back({{}, static_cast<double>(shadow_recorder_->dropped())});
      });
  registry_metrics_.AddCollector(
      "corsd_decision_log_dropped_total",
      "Decisions not written to --decision-log because its buffer was full or a write failed.",
      "counter", [this](std::vector<ops::Sample>* out) {
        out->push_back(
            {{}, decision_log_ != nullptr ? static_cast<double>(decision_log_->dropped()) : 0.0});
      });
  registry_metrics_.AddCollector("corsd_watchers", "Open WatchPolicies streams.", "gauge",
                                 [this](std::vector<ops::Sample>* out) {
                                   out->push_back({{}, static_cast<double>(hub_.watcher_count())});
                                 });
}

absl::Status CorsdServer::WriteReadyFile() const {
  if (options_.ready_file.empty()) return absl::OkStatus();
  const std::string tmp = options_.ready_file + ".tmp";
  FILE* f = fopen(tmp.c_str(), "w");
  if (f == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("cannot write --ready-file ", tmp));
  }
  fprintf(f,
          "{\"data_port\": %d, \"admin_port\": %d, \"metrics_port\": %d, \"http_port\": %d, "
          "\"pid\": %d}\n",
          data_port_, admin_port_, metrics_port(), http_port(), static_cast<int>(getpid()));
  fclose(f);
  if (rename(tmp.c_str(), options_.ready_file.c_str()) != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot write --ready-file ", options_.ready_file));
  }
  return absl::OkStatus();
}

void CorsdServer::Shutdown() {
  {
    absl::MutexLock lock(&shutdown_mu_);
    if (shut_down_) return;
    shut_down_ = true;
  }
  const absl::Time start = absl::Now();
  ops::LogInfo("shutting_down").Field("grace", options_.shutdown_grace);
  // Load balancers stop sending new calls once health says so.
  data_serving_.store(false, std::memory_order_release);
  if (data_server_) data_server_->GetHealthCheckService()->Shutdown();
  if (admin_server_) admin_server_->GetHealthCheckService()->Shutdown();
  hub_.Shutdown();  // watch streams end with UNAVAILABLE; clients reconnect elsewhere
  const gpr_timespec deadline = gpr_time_add(
      gpr_now(GPR_CLOCK_MONOTONIC),
      gpr_time_from_millis(absl::ToInt64Milliseconds(options_.shutdown_grace), GPR_TIMESPAN));
  std::thread admin_drain([&] {
    if (admin_server_) admin_server_->Shutdown(deadline);
  });
  std::thread http_drain([&] {
    if (http_server_) http_server_->Shutdown(absl::Now() + options_.shutdown_grace);
  });
  if (data_server_) data_server_->Shutdown(deadline);
  admin_drain.join();
  http_drain.join();
  compactor_.reset();
  sync_->Stop();
  // The last change is written before the process goes.
  snapshot_writer_for_hooks_.store(nullptr);
  snapshot_writer_.reset();
  if (metrics_http_) metrics_http_->Stop();
  ops::LogInfo("stopped").Field("took", absl::Now() - start);
}

CorsdServer::~CorsdServer() {
  Shutdown();
  if (data_server_) data_server_->Wait();
  if (admin_server_) admin_server_->Wait();
}

absl::Status CorsdServer::OnTokensChanged() {
  authenticator_->Invalidate();
  absl::StatusOr<std::vector<store::TokenRecord>> tokens = store_->ListTokens();
  if (!tokens.ok()) {
    // New calls with a revoked token are refused already (cache dropped);
    // PolicySync calls again after its next catch-up to end the streams.
    ops::LogWarning("token_recheck_failed")
        .Field("error", tokens.status().message())
        .Field("action", "retrying after the next sync");
    return tokens.status();
  }
  absl::flat_hash_set<int64_t> revoked;
  for (const store::TokenRecord& token : *tokens) {
    if (token.revoked()) revoked.insert(token.id);
  }
  const size_t ended = hub_.EndStreamsOfTokens(
      std::move(revoked),
      absl::UnauthenticatedError("the token this watch was opened with has been revoked; "
                                 "reconnect with a valid token"));
  if (ended > 0) ops::LogInfo("watches_ended_for_revoked_tokens").Field("streams", uint64_t{ended});
  return absl::OkStatus();
}

}  // namespace corsd::server
