// PolicySync keeps this process's view of the store current: it loads every
// tenant at start-up, then follows the store's change feed and, for each
// batch of commits, compiles the new policies, publishes one new
// TenantDirectory (what Check reads) and hands the events, in commit order,
// to the WatchHub. Every event carries the tenant's hosts; a tenant update
// sends one too, so watchers follow hosts moving between tenants.
//
// Two ways in:
// - PublishCommitted: a policy revision this process's PolicyWriter just
//   committed, with the policy it compiled. Published at once, nothing read
//   back; the feed later skips that revision.
// - CatchUp: everything else in the feed: other processes' commits (SQLite:
//   PRAGMA data_version polled every poll_interval; PostgreSQL:
//   LISTEN/NOTIFY), this process's tenant writes, and a periodic resync that
//   heals anything a trigger missed. While the store is unreachable, the last
//   snapshots keep being served and store_up() turns false.
//
//   PolicySync sync(store, &registry, &hub, &metrics, hooks);
//   RETURN_IF_ERROR(sync.LoadAll());
//   sync.StartPolling(/*poll_interval=*/absl::Milliseconds(20),
//                     /*resync_interval=*/absl::Seconds(5));
//   sync.PublishCommitted(version, compiled);   // after a local policy write
//   sync.Stop();
#ifndef CORSD_SERVICE_SERVER_POLICY_SYNC_H_
#define CORSD_SERVICE_SERVER_POLICY_SYNC_H_

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "corsd/v1/corsd.pb.h"
#include "service/engine/compiled_policy.h"
#include "service/engine/origin_matcher.h"
#include "service/engine/policy_spec.h"
#include "service/engine/tenant_directory.h"
#include "service/server/server_metrics.h"
#include "service/server/watch_hub.h"
#include "service/snapshot/snapshot_file.h"
#include "service/store/policy_store.h"

namespace corsd::server {

struct PolicySyncHooks {
  // Something new was published (the snapshot writer's cue).
  std::function<void()> on_published;
  // A token was revoked somewhere (or may have been, after a gap in the
  // change feed). Called again after the next catch-up until it succeeds.
  std::function<absl::Status()> on_tokens_changed;
  std::function<void(bool up)> on_store_health;  // store became reachable / unreachable
};

class PolicySync {
 public:
  PolicySync(store::PolicyStore* store, engine::TenantRegistry* registry, WatchHub* hub,
             ServerMetrics* metrics, PolicySyncHooks hooks);
  ~PolicySync();

  // Start-up: every tenant, compiled and published at once.
  absl::Status LoadAll();
  // Start-up with the store unreachable: serves what `snapshot` holds, as
  // of its change-feed position, until a catch-up reaches the store; that
  // catch-up continues from the snapshot's position (or reloads everything
  // when the feed no longer reaches back to it) and tells watchers.
  absl::Status LoadSnapshot(const v1::Snapshot& snapshot);
  // What is served now, for the snapshot file (see snapshot_file.h).
  // Thread-safe; the policy bytes are read later, outside any lock.
  // nullopt while nothing is loaded.
  std::optional<snapshot::SnapshotContent> CaptureSnapshot();
  // True once something (the store or a snapshot) was loaded.
  bool loaded() const { return loaded_.load(); }
  // The same, for the decision path's hot check (DecisionPath).
  const std::atomic<bool>* loaded_flag() const { return &loaded_; }
  // True from LoadSnapshot until the store answered a catch-up.
  bool serving_from_snapshot() const { return from_snapshot_.load(); }
  // Applies every change committed since the last call (everything, when
  // nothing was loaded yet). Thread-safe.
  absl::Status CatchUp();
  // Publishes `version`, just committed by this process to the tenant
  // created at `tenant_created_at`, compiled as `policy` (whose revision is
  // version.revision()). Revisions of a tenant are published in increasing
  // order: what is served or was sent never moves back to an older one.
  // When this process does not know that tenant (created or re-created
  // elsewhere since the last sync), it catches up from the feed instead.
  // Thread-safe.
  absl::Status PublishCommitted(const v1::PolicyVersion& version, absl::Time tenant_created_at,
                                std::shared_ptr<const engine::CompiledPolicy> policy);

  // Background thread: cheap external-change check every `poll_interval`,
  // full CatchUp (and store health check) at least every `resync_interval`.
  void StartPolling(absl::Duration poll_interval, absl::Duration resync_interval);
  // Wakes the polling thread now (PostgreSQL notifications).
  void Nudge();
  void Stop();

  bool store_up() const { return store_up_.load(); }
  // When this process last confirmed it had every committed change.
  absl::Time last_synced() const;

 private:
  struct Batch;
  // Every tenant from the store, published at once; watchers get every
  // current version and a deletion for each tenant that is gone. Start-up,
  // and recovery when compaction pruned changes this process had not read.
  absl::Status ReloadAll() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void MarkSynced();
  // Before reading the feed: a full load if nothing was loaded, and the
  // first-contact check after a snapshot.
  absl::Status StartFromWhatWasLoaded() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void RecheckTokensIfPending() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // One batch of the feed: sort, load the touched tenants, build the events,
  // publish registry and events together.
  absl::Status ApplyChanges(const std::vector<store::ChangeRecord>& changes)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  Batch SortChanges(const std::vector<store::ChangeRecord>& changes)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<std::vector<WatchEventPtr>> BatchEvents(
      Batch& batch, const absl::flat_hash_map<std::string, store::TenantState>& states)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The builders below touch no state but the metrics: ReloadAll runs them
  // on every core at once.
  //
  // `serving`: what the registry serves for this tenant now, whose compiled
  // policy is reused when it has the state's revision (a host change does
  // not recompile); null when nothing of it may be reused.
  std::shared_ptr<const engine::TenantSnapshot> BuildSnapshot(
      const store::TenantState& state, const engine::TenantSnapshot* serving);
  // A stored tenant as loaded at start-up: compiled, and its event (null
  // without a policy, or when the policy is unreadable), parsed once for both.
  // `serving`: what is served now, whose shadows keep counting when the
  // same tenant still has the same shadow.
  std::pair<std::shared_ptr<const engine::TenantSnapshot>, WatchEventPtr> BuildLoaded(
      const store::TenantState& state, const engine::TenantDirectory& serving);
  // A tenant's shadow, compiled; `serving` (null: none) is returned as is
  // when it is the same shadow, so its tally keeps counting. Null (counted
  // and logged) when the shadow does not compile with this build's rules.
  std::shared_ptr<const engine::ShadowPolicy> BuildShadow(
      const v1::ShadowPolicy& shadow, const std::shared_ptr<const engine::ShadowPolicy>& serving);
  std::shared_ptr<const engine::CompiledPolicy> Compile(const store::PolicyRevisionRecord& record);
  // `policy` compiled, or deny-all (counted and logged) when it does not
  // compile with this build's rules.
  std::shared_ptr<const engine::CompiledPolicy> Compile(absl::string_view tenant, int64_t revision,
                                                        const v1::Policy& policy);
  // The same from the engine's form, viewing origins in `origin_text` when
  // not null (see engine::CompilePolicy).
  std::shared_ptr<const engine::CompiledPolicy> Compile(absl::string_view tenant, int64_t revision,
                                                        const engine::PolicySpec& spec,
                                                        const engine::BorrowableText* origin_text);
  // Deny-all for a policy that could not be read or compiled, counted and logged.
  std::shared_ptr<const engine::CompiledPolicy> DenyAll(absl::string_view tenant, int64_t revision,
                                                        const absl::Status& why);
  void SetStoreUp(bool up, const absl::Status& why);
  void PollLoop(absl::Duration poll_interval, absl::Duration resync_interval);

  store::PolicyStore* const store_;
  engine::TenantRegistry* const registry_;
  WatchHub* const hub_;
  ServerMetrics* const metrics_;
  const PolicySyncHooks hooks_;

  absl::Mutex mu_;
  int64_t last_seq_ ABSL_GUARDED_BY(mu_) = 0;
  // Newest revision handed to watchers, per tenant (dedupes replays).
  absl::flat_hash_map<std::string, int64_t> published_ ABSL_GUARDED_BY(mu_);
  // A token change (or a gap that may hide one) not yet handed to
  // on_tokens_changed successfully.
  bool tokens_recheck_pending_ ABSL_GUARDED_BY(mu_) = false;

  std::atomic<bool> store_up_{true};
  std::atomic<bool> loaded_{false};
  std::atomic<bool> from_snapshot_{false};
  mutable absl::Mutex time_mu_;
  absl::Time last_synced_ ABSL_GUARDED_BY(time_mu_) = absl::InfinitePast();

  absl::Mutex poll_mu_;
  bool stopping_ ABSL_GUARDED_BY(poll_mu_) = false;
  bool nudged_ ABSL_GUARDED_BY(poll_mu_) = false;
  std::thread poller_;
};

}  // namespace corsd::server

#endif  // CORSD_SERVICE_SERVER_POLICY_SYNC_H_
