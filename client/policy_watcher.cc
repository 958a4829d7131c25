#include "client/policy_watcher.h"

#include <algorithm>
#include <cstdio>

#include "absl/container/flat_hash_set.h"
#include "absl/random/random.h"
#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "service/common/parallel_for.h"
#include "service/convert/origin_set_resolution.h"
#include "service/convert/policy_convert.h"
#include "service/convert/shadow_convert.h"
#include "service/convert/time_convert.h"
#include "service/convert/wire_metadata.h"
#include "service/engine/policy_compiler.h"

namespace corsd::client_internal {
namespace {

constexpr absl::Duration kFirstBackoff = absl::Milliseconds(100);

}  // namespace

PolicyWatcher::PolicyWatcher(std::shared_ptr<grpc::Channel> admin_channel,
                             const ClientOptions& options)
    : admin_(v1::CorsAdmin::NewStub(std::move(admin_channel))), options_(options) {
  if (!options_.snapshot_path.empty()) {
    LoadSnapshotFile();
    snapshot_writer_ = std::make_unique<snapshot::SnapshotWriter>(
        options_.snapshot_path, [this] { return CaptureSnapshot(); },
        [this](const absl::Status& status, absl::Duration) {
          if (!status.ok()) {
            Log(absl::StrCat("corsd client: cannot write the policy snapshot: ", status.message(),
                             " (retrying at the next change)"));
          }
        });
  }
  thread_ = std::thread([this] { Run(); });
}

PolicyWatcher::~PolicyWatcher() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
    if (active_ != nullptr) active_->TryCancel();
  }
  thread_.join();
  snapshot_writer_.reset();  // writes the last change
}

void PolicyWatcher::Log(absl::string_view line) const {
  if (options_.log) {
    options_.log(line);
  } else {
    fprintf(stderr, "%.*s\n", static_cast<int>(line.size()), line.data());
  }
}

void PolicyWatcher::LoadSnapshotFile() {
  absl::StatusOr<v1::Snapshot> loaded = snapshot::ReadSnapshotFile(options_.snapshot_path);
  if (!loaded.ok()) {
    // No file yet is the first start, not worth a line.
    if (loaded.status().code() != absl::StatusCode::kNotFound) {
      Log(absl::StrCat("corsd client: ignoring the policy snapshot: ", loaded.status().message()));
    }
    return;
  }
  const absl::flat_hash_set<std::string> watched(options_.tenants.begin(), options_.tenants.end());
  std::vector<std::shared_ptr<const engine::TenantSnapshot>> state;
  const std::shared_ptr<const engine::TenantDirectory> serving = registry_.Load();
  for (const v1::PolicyEvent& event : loaded->policies()) {
    if (event.deleted() || (!watched.empty() && !watched.contains(event.tenant()))) continue;
    state.push_back(Snapshot(event, *serving));
    compiled_from_[event.tenant()] = StampOf(event.version());
    RememberForSnapshot(event);
  }
  registry_.Replace(state);
  {
    absl::MutexLock lock(&mu_);
    synced_at_ = FromTimestamp(loaded->synced_at());
    disconnected_at_ = synced_at_;
  }
  serving_snapshot_.store(true, std::memory_order_release);
}

void PolicyWatcher::RememberForSnapshot(const v1::PolicyEvent& event) {
  if (options_.snapshot_path.empty()) return;
  auto bytes = std::make_shared<const std::string>(event.SerializeAsString());
  absl::MutexLock lock(&events_mu_);
  if (event.deleted()) {
    events_.erase(event.tenant());
  } else {
    events_[event.tenant()] = std::move(bytes);
  }
}

std::optional<snapshot::SnapshotContent> PolicyWatcher::CaptureSnapshot() {
  snapshot::SnapshotContent content;
  {
    absl::MutexLock lock(&mu_);
    if (synced_at_ == absl::InfinitePast()) return std::nullopt;
    // Complete until now while connected, until the disconnection otherwise
    // (or as old as the snapshot it started from).
    const absl::Time in_sync_until = connected_           ? absl::Now()
                                     : serving_snapshot() ? synced_at_
                                                          : disconnected_at_;
    ToTimestamp(in_sync_until, content.head.mutable_synced_at());
  }
  auto events = std::make_shared<std::vector<std::shared_ptr<const std::string>>>();
  {
    absl::MutexLock lock(&events_mu_);
    events->reserve(events_.size());
    for (const auto& [tenant, bytes] : events_) events->push_back(bytes);
  }
  content.policy_count = events->size();
  content.policy_event = [events](size_t i) { return *(*events)[i]; };
  return content;
}

void PolicyWatcher::Run() {
  absl::Duration backoff = kFirstBackoff;
  absl::BitGen random;
  while (true) {
    const absl::Time started = absl::Now();
    WatchOnce();
    SetConnected(false);
    // A stream that stayed up for a while resets the backoff.
    if (absl::Now() - started > absl::Seconds(10)) backoff = kFirstBackoff;
    absl::Duration wait = backoff * absl::Uniform(random, 0.5, 1.5);
    backoff = std::min(backoff * 2, options_.reconnect_backoff_max);
    absl::MutexLock lock(&mu_);
    if (mu_.AwaitWithTimeout(absl::Condition(&stopping_), wait)) return;
  }
}

std::shared_ptr<const engine::TenantSnapshot> PolicyWatcher::Snapshot(
    const v1::PolicyEvent& event, const engine::TenantDirectory& directory) const {
  const v1::PolicyVersion& version = event.version();
  auto snapshot = std::make_shared<engine::TenantSnapshot>();
  snapshot->name = event.tenant();
  snapshot->hosts.assign(event.hosts().begin(), event.hosts().end());
  // The same revision written at the same moment is the same policy (a
  // tenant update repeats it with new hosts): keep what was compiled for it.
  // A tenant deleted and re-created under the same name, even at the same
  // revision number, was written at another time.
  const engine::TenantSnapshot* serving = directory.FindByName(event.tenant());
  auto compiled_from = compiled_from_.find(event.tenant());
  snapshot->shadow = Shadow(event, serving);
  if (serving != nullptr && compiled_from != compiled_from_.end() &&
      compiled_from->second == StampOf(version) &&
      serving->policy->revision() == version.revision()) {
    snapshot->policy = serving->policy;
    return snapshot;
  }
  engine::PolicyCompilation compiled =
      engine::CompilePolicy(ToPolicySpec(DecidingPolicy(version), PolicyParts::kRulesOnly),
                            version.revision(), engine::PolicySource::kStored);
  // corsd validated it; if this build's rules disagree, deny rather than guess.
  snapshot->policy = compiled.policy != nullptr ? compiled.policy
                                                : engine::CompiledPolicy::Empty(version.revision());
  return snapshot;
}

std::shared_ptr<const engine::ShadowPolicy> PolicyWatcher::Shadow(
    const v1::PolicyEvent& event, const engine::TenantSnapshot* serving) {
  if (!event.has_shadow()) return nullptr;
  // Null when this build cannot decide it: then it is not counted here.
  return ToShadowPolicy(event.shadow(), serving != nullptr ? serving->shadow : nullptr);
}

PolicyWatcher::VersionStamp PolicyWatcher::StampOf(const v1::PolicyVersion& version) {
  return {version.revision(), FromTimestamp(version.updated_at())};
}

void PolicyWatcher::WatchOnce() {
  grpc::ClientContext context;
  context.AddMetadata("authorization", "Bearer " + options_.admin_token);
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) return;
    active_ = &context;
  }
  v1::WatchPoliciesRequest request;
  for (const std::string& tenant : options_.tenants) request.add_tenants(tenant);
  std::unique_ptr<grpc::ClientReader<v1::PolicyEvent>> reader =
      admin_->WatchPolicies(&context, request);
  reader->WaitForInitialMetadata();
  // No announcement: the call failed before it started (refused, TLS
  // handshake, unreachable), or a server that does not announce its initial
  // state; then events apply as they come and the first one proves the
  // stream is up.
  const std::optional<size_t> initial = AnnouncedInitialEvents(context);
  if (initial.has_value() && !ReadInitialState(reader.get(), *initial)) {
    RecordStreamEnd(reader->Finish());
    return Finished();
  }
  v1::PolicyEvent event;
  while (reader->Read(&event)) {
    if (!initial.has_value()) SetConnected(true);
    ApplyLiveEvent(event);
  }
  RecordStreamEnd(reader->Finish());
  Finished();
}

std::optional<size_t> PolicyWatcher::AnnouncedInitialEvents(const grpc::ClientContext& context) {
  const auto& metadata = context.GetServerInitialMetadata();
  auto it = metadata.find(kInitialEventsMetadata);
  if (it == metadata.end()) return std::nullopt;
  size_t initial = 0;
  if (!absl::SimpleAtoi(absl::string_view(it->second.data(), it->second.size()), &initial)) {
    return std::nullopt;
  }
  return initial;
}

bool PolicyWatcher::ReadInitialState(grpc::ClientReader<v1::PolicyEvent>* reader, size_t count) {
  std::vector<std::shared_ptr<const engine::TenantSnapshot>> state;
  absl::flat_hash_map<std::string, VersionStamp> compiled_from;
  // For the snapshot file: the events as bytes, swapped in whole below.
  absl::flat_hash_map<std::string, std::shared_ptr<const std::string>> events;
  const std::shared_ptr<const engine::TenantDirectory> serving = registry_.Load();
  // Read a chunk, compile it on every core, repeat: an initial state of
  // 100,000 tenants is compiled in parallel, in bounded memory (a chunk
  // ends at 4,096 events or 64 MiB of them). `count` comes from the server:
  // nothing is allocated in proportion to it.
  constexpr size_t kChunkEvents = 4096;
  constexpr size_t kChunkBytes = 64 << 20;
  std::vector<v1::PolicyEvent> chunk;
  std::vector<std::shared_ptr<const engine::TenantSnapshot>> compiled;
  for (size_t received = 0; received < count;) {
    chunk.clear();
    for (size_t bytes = 0; received < count && chunk.size() < kChunkEvents && bytes < kChunkBytes;
         ++received) {
      if (!reader->Read(&chunk.emplace_back())) return false;  // keep serving what we had
      bytes += chunk.back().ByteSizeLong();
    }
    compiled.assign(chunk.size(), nullptr);
    ParallelFor(chunk.size(), [&](size_t i) {
      if (!chunk[i].deleted()) compiled[i] = Snapshot(chunk[i], *serving);
    });
    for (size_t i = 0; i < chunk.size(); ++i) {
      const v1::PolicyEvent& event = chunk[i];
      if (event.deleted()) continue;
      state.push_back(std::move(compiled[i]));
      compiled_from[event.tenant()] = StampOf(event.version());
      if (snapshot_writer_ != nullptr) {
        events[event.tenant()] = std::make_shared<const std::string>(event.SerializeAsString());
      }
    }
  }
  registry_.Replace(state);
  compiled_from_ = std::move(compiled_from);
  serving_snapshot_.store(false, std::memory_order_release);
  SetConnected(true);
  if (snapshot_writer_ != nullptr) {
    {
      absl::MutexLock lock(&events_mu_);
      events_.swap(events);
    }
    snapshot_writer_->MarkChanged();
  }
  return true;
}

void PolicyWatcher::ApplyLiveEvent(const v1::PolicyEvent& event) {
  if (event.deleted()) {
    compiled_from_.erase(event.tenant());
    registry_.Apply({engine::TenantUpdate::Remove(event.tenant())});
  } else {
    registry_.Apply({engine::TenantUpdate::Upsert(Snapshot(event, *registry_.Load()))});
    compiled_from_[event.tenant()] = StampOf(event.version());
  }
  serving_snapshot_.store(false, std::memory_order_release);
  if (snapshot_writer_ != nullptr) {
    RememberForSnapshot(event);
    snapshot_writer_->MarkChanged();
  }
}

void PolicyWatcher::Finished() {
  absl::MutexLock lock(&mu_);
  active_ = nullptr;
}

void PolicyWatcher::SetConnected(bool connected) {
  absl::MutexLock lock(&mu_);
  if (connected) {
    connected_ = true;
    synced_at_ = absl::Now();
  } else if (connected_) {
    connected_ = false;
    disconnected_at_ = absl::Now();
  }
}

void PolicyWatcher::RecordStreamEnd(const grpc::Status& status) {
  absl::MutexLock lock(&mu_);
  watch_error_ = status.ok() ? "the server ended the stream"
                             : absl::StrCat(absl::StatusCodeToString(
                                                static_cast<absl::StatusCode>(status.error_code())),
                                            ": ", status.error_message());
}

LocalPolicyStatus PolicyWatcher::status() const {
  LocalPolicyStatus status;
  status.watching = true;
  {
    absl::MutexLock lock(&mu_);
    status.connected = connected_;
    status.synced_at = connected_ ? absl::Now() : synced_at_;
    status.staleness = connected_                           ? absl::ZeroDuration()
                       : synced_at_ == absl::InfinitePast() ? absl::InfiniteDuration()
                                                            : absl::Now() - disconnected_at_;
    status.from_snapshot = serving_snapshot();
    if (!connected_) status.watch_error = watch_error_;
  }
  std::shared_ptr<const engine::TenantDirectory> directory = registry_.Load();
  directory->tenants().ForEach([&](const engine::TenantDirectory::TenantMap::Entry& entry) {
    status.revisions[std::string(entry.key)] = entry.value->policy->revision();
  });
  return status;
}

bool PolicyWatcher::WaitUntilSynced(absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  return mu_.AwaitWithTimeout(absl::Condition(&connected_), timeout);
}

}  // namespace corsd::client_internal
