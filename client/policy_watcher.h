// PolicyWatcher keeps a local, compiled copy of tenants' policies and hosts
// by following CorsAdmin.WatchPolicies on a thread of its own (every event
// carries the tenant's hosts, and a tenant update sends one): it reconnects
// with jittered backoff, keeps the last policies while disconnected, and
// after each (re)connection replaces its state with the stream's initial
// state once all of it has arrived (the server announces its size in the
// `corsd-initial-events` initial metadata), so tenants deleted meanwhile do
// not linger.
//
// With ClientOptions::snapshot_path, what it holds is also kept in that file
// (by a SnapshotWriter thread), and the file is loaded at construction, so a
// client started while corsd is unreachable decides at once.
#ifndef CORSD_CLIENT_POLICY_WATCHER_H_
#define CORSD_CLIENT_POLICY_WATCHER_H_

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "corsd/client.h"
#include "corsd/v1/corsd.grpc.pb.h"
#include "service/engine/tenant_directory.h"
#include "service/snapshot/snapshot_writer.h"

namespace corsd::client_internal {

class PolicyWatcher {
 public:
  PolicyWatcher(std::shared_ptr<grpc::Channel> admin_channel, const ClientOptions& options);
  ~PolicyWatcher();

  // Hot path: the current policies (see SnapshotCell::Read for lifetimes).
  const engine::TenantRegistry& registry() const { return registry_; }
  LocalPolicyStatus status() const;
  // True while the policies come from the snapshot file (no live state yet).
  bool serving_snapshot() const { return serving_snapshot_.load(std::memory_order_acquire); }
  bool WaitUntilSynced(absl::Duration timeout);

 private:
  void Run();
  // Loads ClientOptions::snapshot_path if it holds a usable snapshot.
  void LoadSnapshotFile();
  // nullopt while the client holds nothing (never synced, no snapshot).
  std::optional<snapshot::SnapshotContent> CaptureSnapshot();
  // Keeps the serialized event a tenant is served from, for the snapshot
  // (only with a snapshot_path). Watcher thread.
  void RememberForSnapshot(const v1::PolicyEvent& event);
  void Log(absl::string_view line) const;
  // One connection: returns when the stream ends.
  void WatchOnce();
  // The size of the stream's initial state, from its initial metadata;
  // nullopt when the server does not announce it.
  static std::optional<size_t> AnnouncedInitialEvents(const grpc::ClientContext& context);
  // Reads `count` events and replaces the whole local state with them (so
  // tenants deleted while disconnected go). False if the stream ended first.
  bool ReadInitialState(grpc::ClientReader<v1::PolicyEvent>* reader, size_t count);
  void ApplyLiveEvent(const v1::PolicyEvent& event);
  // The stream is over: nothing is left to cancel.
  void Finished();
  // The tenant as `event` describes it. An event that repeats the version
  // `serving` has (a tenant update with new hosts, or a reconnection's
  // initial state) keeps its compiled policy. Safe to call from several
  // threads at once while compiled_from_ does not change (ReadInitialState
  // compiles a chunk of events on every core).
  std::shared_ptr<const engine::TenantSnapshot> Snapshot(
      const v1::PolicyEvent& event, const engine::TenantDirectory& serving) const;
  // The event's shadow policy, compiled (null without one); `serving`'s when
  // it is the same shadow, so its counts go on.
  static std::shared_ptr<const engine::ShadowPolicy> Shadow(const v1::PolicyEvent& event,
                                                            const engine::TenantSnapshot* serving);
  void SetConnected(bool connected);
  // How a stream ended, for LocalPolicyStatus::watch_error.
  void RecordStreamEnd(const grpc::Status& status);

  std::unique_ptr<v1::CorsAdmin::Stub> admin_;
  const ClientOptions options_;
  engine::TenantRegistry registry_;
  // Which version each served tenant's policy was compiled from, recorded
  // when the registry is given that policy. Watcher thread only.
  struct VersionStamp {
    int64_t revision = 0;
    absl::Time updated_at;
    bool operator==(const VersionStamp&) const = default;
  };
  static VersionStamp StampOf(const v1::PolicyVersion& version);
  absl::flat_hash_map<std::string, VersionStamp> compiled_from_;

  mutable absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  grpc::ClientContext* active_ ABSL_GUARDED_BY(mu_) = nullptr;
  bool connected_ ABSL_GUARDED_BY(mu_) = false;
  absl::Time synced_at_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  absl::Time disconnected_at_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  std::string watch_error_ ABSL_GUARDED_BY(mu_);
  std::atomic<bool> serving_snapshot_{false};
  // With a snapshot_path: each tenant's serialized event, and the writer.
  mutable absl::Mutex events_mu_;
  absl::flat_hash_map<std::string, std::shared_ptr<const std::string>> events_
      ABSL_GUARDED_BY(events_mu_);
  std::unique_ptr<snapshot::SnapshotWriter> snapshot_writer_;
  std::thread thread_;
};

}  // namespace corsd::client_internal

#endif  // CORSD_CLIENT_POLICY_WATCHER_H_
