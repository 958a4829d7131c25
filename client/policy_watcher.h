// PolicyWatcher keeps a local, compiled copy of tenants' policies by
// following CorsAdmin.WatchPolicies on a thread of its own: it reconnects
// with jittered backoff, keeps the last policies while disconnected, and
// after each (re)connection replaces its state with the stream's initial
// state once all of it has arrived (the server announces its size in the
// `corsd-initial-events` initial metadata), so tenants deleted meanwhile do
// not linger.
#ifndef CORSD_CLIENT_POLICY_WATCHER_H_
#define CORSD_CLIENT_POLICY_WATCHER_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "corsd/client.h"
#include "corsd/v1/corsd.grpc.pb.h"
#include "service/engine/tenant_directory.h"

namespace corsd::client_internal {

class PolicyWatcher {
 public:
  PolicyWatcher(std::shared_ptr<grpc::Channel> admin_channel, const ClientOptions& options);
  ~PolicyWatcher();

  // Hot path: the current policies (see SnapshotCell::Read for lifetimes).
  const engine::TenantRegistry& registry() const { return registry_; }
  LocalPolicyStatus status() const;
  bool WaitUntilSynced(absl::Duration timeout);

 private:
  void Run();
  // One connection: returns when the stream ends.
  void WatchOnce();
  std::shared_ptr<const engine::TenantSnapshot> Snapshot(const v1::PolicyVersion& version);
  std::vector<std::string> HostsOf(const std::string& tenant);
  void SetConnected(bool connected);

  std::unique_ptr<v1::CorsAdmin::Stub> admin_;
  const ClientOptions options_;
  engine::TenantRegistry registry_;

  mutable absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  grpc::ClientContext* active_ ABSL_GUARDED_BY(mu_) = nullptr;
  bool connected_ ABSL_GUARDED_BY(mu_) = false;
  absl::Time synced_at_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  absl::Time disconnected_at_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  std::thread thread_;
};

}  // namespace corsd::client_internal

#endif  // CORSD_CLIENT_POLICY_WATCHER_H_
