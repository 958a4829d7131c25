#include "service/server/policy_sync.h"

#include <algorithm>
#include <deque>
#include <iterator>
#include <optional>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/time/clock.h"
#include "service/common/batch_pipeline.h"
#include "service/common/large_heap_steps.h"
#include "service/common/status_macros.h"
#include "service/convert/origin_set_resolution.h"
#include "service/convert/policy_convert.h"
#include "service/convert/shadow_convert.h"
#include "service/convert/time_convert.h"
#include "service/engine/policy_compiler.h"
#include "service/ops/log.h"
#include "service/server/proto_records.h"

namespace corsd::server {
namespace {

constexpr int kChangeBatch = 1000;
// Loading every tenant: tenants read per batch, and batches read ahead of
// the compiling threads at most (about 2 MiB of stored policies each).
constexpr size_t kLoadBatch = 512;
constexpr size_t kLoadBatchesInFlight = 8;

WatchEventPtr PolicyEvent(v1::PolicyVersion version, const std::vector<std::string>& hosts,
                          const v1::ShadowPolicy* shadow) {
  v1::PolicyEvent event;
  event.set_tenant(version.tenant());
  *event.mutable_version() = std::move(version);
  for (const std::string& host : hosts) event.add_hosts(host);
  if (shadow != nullptr) *event.mutable_shadow() = *shadow;
  return MakeWatchEvent(event);
}

// The shadow as watchers see it; nullopt (logged) when there is none or its
// bytes do not parse.
std::optional<v1::ShadowPolicy> ShadowProto(
    const std::optional<store::ShadowPolicyRecord>& record) {
  if (!record.has_value()) return std::nullopt;
  v1::ShadowPolicy shadow;
  if (absl::Status s = ToShadowPolicyProto(*record, &shadow); !s.ok()) {
    ops::LogError("shadow_policy_unreadable")
        .Field("tenant", record->tenant)
        .Field("error", s.message());
    return std::nullopt;
  }
  return shadow;
}

// The event for a stored revision, with the tenant's shadow; null (logged)
// if its bytes do not parse.
WatchEventPtr PolicyEvent(const store::PolicyRevisionRecord& record,
                          const std::vector<std::string>& hosts,
                          const std::optional<v1::ShadowPolicy>& shadow) {
  v1::PolicyVersion version;
  if (absl::Status s = ToPolicyVersionProto(record, &version); !s.ok()) {
    ops::LogError("policy_unreadable")
        .Field("tenant", record.tenant)
        .Field("revision", record.revision)
        .Field("error", s.message());
    return nullptr;
  }
  return PolicyEvent(std::move(version), hosts, shadow.has_value() ? &*shadow : nullptr);
}

// The store's creation time of a tenant, as TenantSnapshot::incarnation.
int64_t IncarnationOf(absl::Time tenant_created_at) {
  return absl::ToUnixMicros(tenant_created_at);
}

// The tenant as stored, without its policy yet.
std::shared_ptr<engine::TenantSnapshot> TenantWithoutPolicy(const store::TenantState& state) {
  auto snapshot = std::make_shared<engine::TenantSnapshot>();
  snapshot->name = state.tenant.name;
  snapshot->hosts = state.tenant.hosts;
  snapshot->incarnation = IncarnationOf(state.tenant.created_at);
  return snapshot;
}

WatchEventPtr DeletedEvent(const std::string& tenant) {
  v1::PolicyEvent event;
  event.set_tenant(tenant);
  event.set_deleted(true);
  return MakeWatchEvent(event);
}

}  // namespace

PolicySync::PolicySync(store::PolicyStore* store, engine::TenantRegistry* registry, WatchHub* hub,
                       ServerMetrics* metrics, PolicySyncHooks hooks)
    : store_(store), registry_(registry), hub_(hub), metrics_(metrics), hooks_(std::move(hooks)) {
  metrics_->store_up.Set(1);
  hub_->SetCurrent(false);  // until the store was read
}

PolicySync::~PolicySync() { Stop(); }

std::shared_ptr<const engine::CompiledPolicy> PolicySync::Compile(
    const store::PolicyRevisionRecord& record) {
  // Decided with the resolved policy when it references origin sets.
  absl::StatusOr<v1::Policy> parsed =
      ParseStoredPolicy(record.resolved_policy.empty() ? record.policy : record.resolved_policy);
  if (!parsed.ok()) return DenyAll(record.tenant, record.revision, parsed.status());
  return Compile(record.tenant, record.revision, *parsed);
}

std::shared_ptr<const engine::CompiledPolicy> PolicySync::Compile(absl::string_view tenant,
                                                                  int64_t revision,
                                                                  const v1::Policy& policy) {
  return Compile(tenant, revision, ToPolicySpec(policy, PolicyParts::kRulesOnly), nullptr);
}

std::shared_ptr<const engine::CompiledPolicy> PolicySync::Compile(
    absl::string_view tenant, int64_t revision, const engine::PolicySpec& spec,
    const engine::BorrowableText* origin_text) {
  engine::PolicyCompilation compiled =
      engine::CompilePolicy(spec, revision, engine::PolicySource::kStored, origin_text);
  if (compiled.policy != nullptr) return compiled.policy;
  return DenyAll(tenant, revision, absl::FailedPreconditionError(compiled.diagnostics.Summary(3)));
}

std::shared_ptr<const engine::CompiledPolicy> PolicySync::DenyAll(absl::string_view tenant,
                                                                  int64_t revision,
                                                                  const absl::Status& why) {
  // Validated when written, so this means the rules changed under a stored
  // policy (e.g. a newer public-suffix list). Deny rather than guess.
  metrics_->policy_compile_errors.Increment();
  ops::LogError("policy_compile_failed")
      .Field("tenant", tenant)
      .Field("revision", revision)
      .Field("error", why.message())
      .Field("serving", "deny-all until a valid revision is stored");
  return engine::CompiledPolicy::Empty(revision);
}

std::shared_ptr<const engine::TenantSnapshot> PolicySync::BuildSnapshot(
    const store::TenantState& state, const engine::TenantSnapshot* serving) {
  std::shared_ptr<engine::TenantSnapshot> snapshot = TenantWithoutPolicy(state);
  if (!state.policy.has_value()) {
    snapshot->policy = engine::CompiledPolicy::Empty(0);
  } else if (serving != nullptr && serving->incarnation == snapshot->incarnation &&
             serving->policy->revision() == state.policy->revision) {
    snapshot->policy = serving->policy;
  } else {
    snapshot->policy = Compile(*state.policy);
  }
  if (std::optional<v1::ShadowPolicy> shadow = ShadowProto(state.shadow)) {
    const bool same_tenant = serving != nullptr && serving->incarnation == snapshot->incarnation;
    snapshot->shadow = BuildShadow(*shadow, same_tenant ? serving->shadow : nullptr);
  }
  return snapshot;
}

std::shared_ptr<const engine::ShadowPolicy> PolicySync::BuildShadow(
    const v1::ShadowPolicy& shadow, const std::shared_ptr<const engine::ShadowPolicy>& serving) {
  std::string error;
  std::shared_ptr<const engine::ShadowPolicy> built = ToShadowPolicy(shadow, serving, &error);
  if (built == nullptr) {
    metrics_->policy_compile_errors.Increment();
    ops::LogError("shadow_policy_compile_failed")
        .Field("tenant", shadow.tenant())
        .Field("error", error)
        .Field("serving", "the active policy; the shadow is not decided until it is replaced");
  }
  return built;
}

std::pair<std::shared_ptr<const engine::TenantSnapshot>, WatchEventPtr> PolicySync::BuildLoaded(
    const store::TenantState& state, const engine::TenantDirectory& serving) {
  std::shared_ptr<engine::TenantSnapshot> snapshot = TenantWithoutPolicy(state);
  const std::optional<v1::ShadowPolicy> shadow = ShadowProto(state.shadow);
  if (shadow.has_value()) {
    const engine::TenantSnapshot* now = serving.FindByName(state.tenant.name);
    const bool same_tenant = now != nullptr && now->incarnation == snapshot->incarnation;
    snapshot->shadow = BuildShadow(*shadow, same_tenant ? now->shadow : nullptr);
  }
  if (!state.policy.has_value()) {
    // No event: watchers hear of a tenant once it has a policy, and a
    // gateway asks corsd for tenants without one (counted here).
    snapshot->policy = engine::CompiledPolicy::Empty(0);
    return {std::move(snapshot), nullptr};
  }
  const store::PolicyRevisionRecord& record = *state.policy;
  v1::PolicyVersion version;
  if (absl::Status parsed = ToPolicyVersionProto(record, &version); !parsed.ok()) {
    snapshot->policy = DenyAll(record.tenant, record.revision, parsed);
    return {std::move(snapshot), nullptr};
  }
  // The event first: the compiled policy views its origins in the event's
  // bytes, which the hub keeps anyway, instead of holding a second copy
  // (about 500 bytes a tenant with 20 origins).
  const engine::PolicySpec spec = ToPolicySpec(DecidingPolicy(version), PolicyParts::kRulesOnly);
  WatchEventPtr event =
      PolicyEvent(std::move(version), state.tenant.hosts, shadow.has_value() ? &*shadow : nullptr);
  const engine::BorrowableText event_bytes{event, WatchEventView(*event)};
  snapshot->policy = Compile(record.tenant, record.revision, spec, &event_bytes);
  return {std::move(snapshot), std::move(event)};
}

absl::Status PolicySync::PublishCommitted(const v1::PolicyVersion& version,
                                          absl::Time tenant_created_at,
                                          std::shared_ptr<const engine::CompiledPolicy> policy) {
  {
    absl::MutexLock lock(&mu_);
    std::shared_ptr<const engine::TenantDirectory> directory = registry_->Load();
    const engine::TenantSnapshot* serving = directory->FindByName(version.tenant());
    // Only the tenant the write went to, as this process knows it: another
    // incarnation under the same name has other hosts and other revisions.
    // A tenant with a shadow: its event must carry the shadow too, which
    // the store has (shadows are rare; the feed path reads it).
    if (serving != nullptr && serving->incarnation == IncarnationOf(tenant_created_at) &&
        serving->shadow == nullptr) {
      auto published = published_.find(version.tenant());
      const int64_t sent = published == published_.end() ? 0 : published->second;
      const int64_t served = serving->policy->revision();
      if (served >= version.revision() && sent >= version.revision()) {
        return absl::OkStatus();  // the feed got there first
      }
      // Both behind: publish. Comparing with what is served as well as with
      // what was sent keeps a slower writer from moving a tenant back from
      // N+1 (loaded from the store) to its own N.
      if (served < version.revision() && sent < version.revision()) {
        auto snapshot = std::make_shared<const engine::TenantSnapshot>(engine::TenantSnapshot{
            serving->name, serving->hosts, std::move(policy), serving->incarnation});
        registry_->Apply({engine::TenantUpdate::Upsert(snapshot)});
        hub_->Publish({PolicyEvent(version, snapshot->hosts, nullptr)});
        published_[version.tenant()] = version.revision();
        if (hooks_.on_published) hooks_.on_published();
        return absl::OkStatus();
      }
    }
  }
  // This process has not seen the tenant as the write found it (a newer
  // incarnation, or one it does not know yet), or only part of it has this
  // revision: the feed has all of it, in order.
  return CatchUp();
}

absl::Status PolicySync::LoadAll() {
  absl::MutexLock lock(&mu_);
  if (absl::Status s = ReloadAll(); !s.ok()) {
    SetStoreUp(false, s);
    return s;
  }
  MarkSynced();
  return absl::OkStatus();
}

absl::Status PolicySync::LoadSnapshot(const v1::Snapshot& snapshot) {
  absl::MutexLock lock(&mu_);
  absl::flat_hash_map<std::string, const v1::PolicyEvent*> policies;
  for (const v1::PolicyEvent& event : snapshot.policies()) policies[event.tenant()] = &event;
  std::vector<std::shared_ptr<const engine::TenantSnapshot>> snapshots;
  std::vector<WatchEventPtr> events;
  absl::flat_hash_map<std::string, int64_t> published;
  for (const v1::SnapshotTenant& tenant : snapshot.tenants()) {
    auto built = std::make_shared<engine::TenantSnapshot>();
    built->name = tenant.name();
    built->hosts.assign(tenant.hosts().begin(), tenant.hosts().end());
    built->incarnation = IncarnationOf(FromTimestamp(tenant.created_at()));
    built->policy = engine::CompiledPolicy::Empty(0);
    if (auto it = policies.find(tenant.name()); it != policies.end()) {
      const v1::PolicyVersion& version = it->second->version();
      built->policy = Compile(tenant.name(), version.revision(), DecidingPolicy(version));
      if (it->second->has_shadow()) built->shadow = BuildShadow(it->second->shadow(), nullptr);
      events.push_back(MakeWatchEvent(*it->second));
      published[tenant.name()] = version.revision();
    }
    snapshots.push_back(std::move(built));
  }
  registry_->Replace(snapshots);
  hub_->Publish(events);
  published_ = std::move(published);
  last_seq_ = snapshot.change_seq();
  {
    absl::MutexLock time_lock(&time_mu_);
    last_synced_ = FromTimestamp(snapshot.synced_at());
  }
  from_snapshot_ = true;
  loaded_ = true;
  return absl::OkStatus();
}

std::optional<snapshot::SnapshotContent> PolicySync::CaptureSnapshot() {
  if (!loaded_) return std::nullopt;
  snapshot::SnapshotContent content;
  std::shared_ptr<const engine::TenantDirectory> directory;
  CurrentEvents current;
  {
    // Registry and hub are published together under mu_: one consistent
    // view, as of last_seq_. Both copies are O(1); the work is done below,
    // with writers free to go on.
    absl::MutexLock lock(&mu_);
    directory = registry_->Load();
    current = hub_->Current();
    content.head.set_change_seq(last_seq_);
  }
  auto events = std::make_shared<std::vector<WatchEventPtr>>();
  events->reserve(current.size());
  current.ForEach([&](const CurrentEvents::Entry& entry) { events->push_back(entry.value); });
  ToTimestamp(last_synced(), content.head.mutable_synced_at());
  directory->tenants().ForEach([&](const engine::TenantDirectory::TenantMap::Entry& entry) {
    v1::SnapshotTenant* out = content.head.add_tenants();
    out->set_name(std::string(entry.key));
    for (const std::string& host : entry.value->hosts) out->add_hosts(host);
    ToTimestamp(absl::FromUnixMicros(entry.value->incarnation), out->mutable_created_at());
  });
  content.policy_count = events->size();
  content.policy_event = [events](size_t i) { return WatchEventBytes(*(*events)[i]); };
  return content;
}

absl::Status PolicySync::ReloadAll() {
  // Read the feed position first: anything committed while loading shows up
  // again in the feed and is deduplicated by revision.
  const absl::Time started = absl::Now();
  ASSIGN_OR_RETURN(const int64_t seq, store_->LatestChangeSeq());
  // Every tenant compiled on every core, each batch while the store reads
  // the next. Nothing compiled before is reused: after a gap in the feed, a
  // tenant may be a new one under an old name.
  struct LoadBatch {
    store::PolicyStore::TenantStateBatch states;
    std::vector<std::shared_ptr<const engine::TenantSnapshot>> snapshots;
    std::vector<WatchEventPtr> events;
  };
  // Only shadows carry on (their counts), and only for the same tenant.
  const std::shared_ptr<const engine::TenantDirectory> serving = registry_->Load();
  BatchPipeline<LoadBatch> pipeline(
      [this, &serving](LoadBatch& batch) {
        batch.snapshots.reserve(batch.states.size());
        batch.events.reserve(batch.states.size());
        for (store::TenantState& state : batch.states) {
          auto [snapshot, event] = BuildLoaded(state, *serving);
          batch.snapshots.push_back(std::move(snapshot));
          if (event != nullptr) batch.events.push_back(std::move(event));
          // Freed as it goes, so what is compiled next reuses that memory.
          state = store::TenantState();
        }
        batch.states = {};
      },
      kLoadBatchesInFlight);
  absl::Duration read_waited;  // for compiling threads: then loading is compile-bound
  std::optional<LargeHeapSteps> heap_steps;
  RETURN_IF_ERROR(
      store_->ScanAllTenantStates(kLoadBatch, [&](store::PolicyStore::TenantStateBatch states) {
        // A full batch of the first load (before serving): more follow, so
        // this is a bulk load worth large heap steps.
        if (!loaded_ && states.size() == kLoadBatch && !heap_steps.has_value()) {
          heap_steps.emplace();
        }
        const absl::Time adding = absl::Now();
        pipeline.Add(LoadBatch{.states = std::move(states)});
        read_waited += absl::Now() - adding;
        return absl::OkStatus();
      }));
  const absl::Time read = absl::Now();
  std::deque<LoadBatch> batches = std::move(pipeline).Finish();
  std::vector<std::shared_ptr<const engine::TenantSnapshot>> snapshots;
  std::vector<WatchEventPtr> events;
  for (LoadBatch& batch : batches) {
    std::move(batch.snapshots.begin(), batch.snapshots.end(), std::back_inserter(snapshots));
    std::move(batch.events.begin(), batch.events.end(), std::back_inserter(events));
  }
  batches.clear();
  absl::flat_hash_map<std::string, int64_t> published;
  published.reserve(events.size());
  for (const auto& snapshot : snapshots) {
    if (snapshot->policy->revision() > 0) published[snapshot->name] = snapshot->policy->revision();
  }
  // Watched tenants that are gone (deleted while the feed was out of reach).
  for (const auto& [tenant, revision] : published_) {
    if (!published.contains(tenant)) events.push_back(DeletedEvent(tenant));
  }
  const absl::Time compiled = absl::Now();
  // Registry first, then watchers: a replica never tells a watcher about a
  // revision its own Check does not serve yet.
  registry_->Replace(snapshots);
  hub_->Publish(events);
  ops::LogInfo("tenants_loaded")
      .Field("tenants", static_cast<uint64_t>(snapshots.size()))
      // Compiling runs while the store is read; compile_ms is what was left.
      .Field("read_ms", absl::ToInt64Milliseconds(read - started))
      .Field("compile_ms", absl::ToInt64Milliseconds(compiled - read))
      .Field("read_waited_ms", absl::ToInt64Milliseconds(read_waited))
      .Field("publish_ms", absl::ToInt64Milliseconds(absl::Now() - compiled));
  published_ = std::move(published);
  last_seq_ = seq;
  loaded_ = true;
  hub_->SetCurrent(true);
  if (hooks_.on_published) hooks_.on_published();
  // Token revocations may be among the changes that were never read.
  tokens_recheck_pending_ = true;
  return absl::OkStatus();
}

void PolicySync::MarkSynced() {
  {
    absl::MutexLock time_lock(&time_mu_);
    last_synced_ = absl::Now();
  }
  SetStoreUp(true, absl::OkStatus());
}

absl::Status PolicySync::CatchUp() {
  absl::MutexLock lock(&mu_);
  if (absl::Status status = StartFromWhatWasLoaded(); !status.ok()) {
    metrics_->sync_errors.Increment();
    SetStoreUp(false, status);
    return status;
  }
  while (true) {
    absl::StatusOr<std::vector<store::ChangeRecord>> changes =
        store_->ListChanges(last_seq_, kChangeBatch);
    absl::Status status;
    if (changes.status().code() == absl::StatusCode::kOutOfRange) {
      // Compaction pruned changes this process had not read (it was down or
      // cut off for longer than the feed's retention): start over.
      metrics_->feed_reloads.Increment();
      ops::LogWarning("change_feed_gap")
          .Field("error", changes.status().message())
          .Field("action", "reloading every tenant");
      status = ReloadAll();
      if (status.ok()) continue;
    } else {
      status = changes.ok() ? ApplyChanges(*changes) : changes.status();
    }
    if (!status.ok()) {
      metrics_->sync_errors.Increment();
      SetStoreUp(false, status);
      return status;
    }
    if (changes->size() < static_cast<size_t>(kChangeBatch)) break;
  }
  if (from_snapshot_) {
    // Everything since the snapshot is applied: what is served is current.
    from_snapshot_ = false;
    hub_->SetCurrent(true);
    ops::LogInfo("snapshot_caught_up").Field("store", store_->Describe());
  }
  RecheckTokensIfPending();
  MarkSynced();
  return absl::OkStatus();
}

absl::Status PolicySync::StartFromWhatWasLoaded() {
  if (!loaded_) return ReloadAll();  // nothing yet: the store could not be read at start
  if (!from_snapshot_) return absl::OkStatus();
  // First contact after serving a snapshot. A feed that ends before the
  // snapshot's position is another database (restored, or a new one): only
  // a full reload tells what it holds.
  ASSIGN_OR_RETURN(const int64_t latest, store_->LatestChangeSeq());
  if (latest < last_seq_) {
    ops::LogWarning("snapshot_ahead_of_store")
        .Field("snapshot_change_seq", last_seq_)
        .Field("store_change_seq", latest)
        .Field("action", "reloading every tenant");
    RETURN_IF_ERROR(ReloadAll());
  }
  return absl::OkStatus();
}

void PolicySync::RecheckTokensIfPending() {
  if (!tokens_recheck_pending_ || !hooks_.on_tokens_changed) return;
  // Kept pending until the re-check succeeds: a revocation must end its
  // streams even if the first look at the tokens failed.
  tokens_recheck_pending_ = !hooks_.on_tokens_changed().ok();
}

// One batch of the change feed, sorted before anything is read.
struct PolicySync::Batch {
  // Policy revisions not published yet, and deletions, in commit order.
  std::vector<const store::ChangeRecord*> events;
  // Tenants whose state is loaded again, in the order first seen.
  std::vector<std::string> reload;
  absl::flat_hash_set<std::string> reload_seen;
  absl::flat_hash_set<std::string> updated;  // had a tenant change (hosts may differ)
  absl::flat_hash_set<std::string> deleted;  // deleted, maybe re-created since
  // What this batch publishes (nullopt: the tenant was deleted). It becomes
  // published_ only once the registry and the hub have it: if a read fails,
  // the batch is retried from the same feed position and must publish these
  // revisions then, not skip them as already published.
  absl::flat_hash_map<std::string, std::optional<int64_t>> revisions;
  bool tokens_changed = false;

  void Reload(const std::string& tenant) {
    if (reload_seen.insert(tenant).second) reload.push_back(tenant);
  }
};

PolicySync::Batch PolicySync::SortChanges(const std::vector<store::ChangeRecord>& changes) {
  Batch batch;
  auto published_revision = [&](const std::string& tenant)
                                ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) -> std::optional<int64_t> {
    if (auto it = batch.revisions.find(tenant); it != batch.revisions.end()) return it->second;
    if (auto it = published_.find(tenant); it != published_.end()) return it->second;
    return std::nullopt;
  };
  for (const store::ChangeRecord& change : changes) {
    switch (change.kind) {
      case store::ChangeKind::kTenant:
        batch.Reload(change.tenant);
        batch.updated.insert(change.tenant);
        break;
      case store::ChangeKind::kPolicy: {
        // This process's own writes were published when committed.
        std::optional<int64_t> published = published_revision(change.tenant);
        if (published.has_value() && *published >= change.revision) break;
        batch.Reload(change.tenant);
        batch.events.push_back(&change);
        batch.revisions[change.tenant] = change.revision;
        break;
      }
      case store::ChangeKind::kDeleted:
        batch.Reload(change.tenant);
        batch.deleted.insert(change.tenant);
        batch.events.push_back(&change);
        batch.revisions[change.tenant] = std::nullopt;
        break;
      case store::ChangeKind::kTokens:
        batch.tokens_changed = true;
        break;
    }
  }
  return batch;
}

absl::StatusOr<std::vector<WatchEventPtr>> PolicySync::BatchEvents(
    Batch& batch, const absl::flat_hash_map<std::string, store::TenantState>& states) {
  std::vector<WatchEventPtr> events;
  absl::flat_hash_set<std::string> sent;  // tenants whose hosts an event carried
  for (const store::ChangeRecord* change : batch.events) {
    if (change->kind == store::ChangeKind::kDeleted) {
      events.push_back(DeletedEvent(change->tenant));
      continue;
    }
    auto state = states.find(change->tenant);
    if (state == states.end()) continue;  // deleted since: its deletion follows
    const store::TenantState& now = state->second;
    const std::optional<v1::ShadowPolicy> shadow = ShadowProto(now.shadow);
    WatchEventPtr event;
    if (now.policy.has_value() && now.policy->revision == change->revision) {
      event = PolicyEvent(*now.policy, now.tenant.hosts, shadow);
    } else {
      absl::StatusOr<store::PolicyRevisionRecord> record =
          store_->GetPolicyRevision(change->tenant, change->revision);
      if (record.status().code() == absl::StatusCode::kNotFound) continue;  // deleted since
      RETURN_IF_ERROR(record.status());
      event = PolicyEvent(*record, now.tenant.hosts, shadow);
    }
    if (event != nullptr) events.push_back(std::move(event));
    sent.insert(change->tenant);
  }
  // A tenant update: watchers get the current version again, with the
  // tenant's hosts as they are now, unless a revision above carried them.
  for (const std::string& tenant : batch.reload) {
    if (!batch.updated.contains(tenant) || sent.contains(tenant)) continue;
    auto state = states.find(tenant);
    if (state == states.end() || !state->second.policy.has_value()) continue;
    const store::TenantState& now = state->second;
    if (WatchEventPtr event = PolicyEvent(*now.policy, now.tenant.hosts, ShadowProto(now.shadow))) {
      events.push_back(std::move(event));
    }
    batch.revisions[tenant] = now.policy->revision;
  }
  return events;
}

absl::Status PolicySync::ApplyChanges(const std::vector<store::ChangeRecord>& changes) {
  if (changes.empty()) return absl::OkStatus();
  Batch batch = SortChanges(changes);

  const std::shared_ptr<const engine::TenantDirectory> serving = registry_->Load();
  absl::flat_hash_map<std::string, store::TenantState> states;
  std::vector<engine::TenantUpdate> updates;
  for (const std::string& tenant : batch.reload) {
    absl::StatusOr<store::TenantState> state = store_->LoadTenantState(tenant);
    if (state.status().code() == absl::StatusCode::kNotFound) {
      updates.push_back(engine::TenantUpdate::Remove(tenant));
      continue;
    }
    RETURN_IF_ERROR(state.status());
    // A tenant deleted in this batch may be a new one under the same name
    // now: nothing compiled for the old one is reused.
    const engine::TenantSnapshot* reusable =
        batch.deleted.contains(tenant) ? nullptr : serving->FindByName(tenant);
    updates.push_back(engine::TenantUpdate::Upsert(BuildSnapshot(*state, reusable)));
    states.emplace(tenant, *std::move(state));
  }
  ASSIGN_OR_RETURN(std::vector<WatchEventPtr> events, BatchEvents(batch, states));

  registry_->Apply(updates);
  hub_->Publish(events);
  if (hooks_.on_published) hooks_.on_published();
  for (const auto& [tenant, revision] : batch.revisions) {
    if (revision.has_value()) {
      published_[tenant] = *revision;
    } else {
      published_.erase(tenant);
    }
  }
  last_seq_ = changes.back().seq;
  if (batch.tokens_changed) tokens_recheck_pending_ = true;
  return absl::OkStatus();
}

void PolicySync::SetStoreUp(bool up, const absl::Status& why) {
  if (store_up_.exchange(up) == up) return;
  metrics_->store_up.Set(up ? 1 : 0);
  if (up) {
    ops::LogInfo("store_reachable").Field("store", store_->Describe());
  } else {
    ops::LogError("store_unreachable")
        .Field("store", store_->Describe())
        .Field("error", why.message())
        .Field("serving", "last known policies; admin writes fail until it is back");
  }
  if (hooks_.on_store_health) hooks_.on_store_health(up);
}

absl::Time PolicySync::last_synced() const {
  absl::MutexLock lock(&time_mu_);
  return last_synced_;
}

void PolicySync::StartPolling(absl::Duration poll_interval, absl::Duration resync_interval) {
  poller_ = std::thread(
      [this, poll_interval, resync_interval] { PollLoop(poll_interval, resync_interval); });
}

void PolicySync::Nudge() {
  absl::MutexLock lock(&poll_mu_);
  nudged_ = true;
}

void PolicySync::PollLoop(absl::Duration poll_interval, absl::Duration resync_interval) {
  // While the store is down, retry about once a second rather than on every
  // poll tick, so an outage does not turn into a connection storm.
  const absl::Duration retry_interval = std::min(resync_interval, absl::Seconds(1));
  absl::Time next_resync = absl::Now() + resync_interval;
  absl::Time next_retry = absl::InfinitePast();
  while (true) {
    bool nudged;
    {
      absl::MutexLock lock(&poll_mu_);
      auto woken = [this]()
                       ABSL_EXCLUSIVE_LOCKS_REQUIRED(poll_mu_) { return stopping_ || nudged_; };
      poll_mu_.AwaitWithTimeout(absl::Condition(&woken), poll_interval);
      if (stopping_) return;
      nudged = nudged_;
      nudged_ = false;
    }
    const absl::Time now = absl::Now();
    bool run;
    if (!store_up()) {
      run = now >= next_retry;
      if (run) next_retry = now + retry_interval;
    } else {
      run = nudged || now >= next_resync;
      if (!run) {
        absl::StatusOr<bool> changed = store_->HasExternalChanges();
        run = !changed.ok() || *changed;  // an error is reported by CatchUp
      }
    }
    if (now >= next_resync) next_resync = now + resync_interval;
    if (run) CatchUp().IgnoreError();  // failures are logged on the up -> down transition
  }
}

void PolicySync::Stop() {
  {
    absl::MutexLock lock(&poll_mu_);
    stopping_ = true;
  }
  if (poller_.joinable()) poller_.join();
}

}  // namespace corsd::server
