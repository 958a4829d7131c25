#include "client/policy_watcher.h"

#include <algorithm>

#include "absl/random/random.h"
#include "absl/strings/numbers.h"
#include "absl/time/clock.h"
#include "service/convert/policy_convert.h"
#include "service/convert/wire_metadata.h"
#include "service/engine/policy_compiler.h"

namespace corsd::client_internal {
namespace {

constexpr absl::Duration kFirstBackoff = absl::Milliseconds(100);

}  // namespace

PolicyWatcher::PolicyWatcher(std::shared_ptr<grpc::Channel> admin_channel,
                             const ClientOptions& options)
    : admin_(v1::CorsAdmin::NewStub(std::move(admin_channel))), options_(options) {
  thread_ = std::thread([this] { Run(); });
}

PolicyWatcher::~PolicyWatcher() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
    if (active_ != nullptr) active_->TryCancel();
  }
  thread_.join();
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

std::vector<std::string> PolicyWatcher::HostsOf(const std::string& tenant) {
  grpc::ClientContext context;
  context.AddMetadata("authorization", "Bearer " + options_.admin_token);
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
  v1::GetTenantRequest request;
  request.set_name(tenant);
  v1::Tenant response;
  if (!admin_->GetTenant(&context, request, &response).ok()) return {};
  return {response.hosts().begin(), response.hosts().end()};
}

std::shared_ptr<const engine::TenantSnapshot> PolicyWatcher::Snapshot(
    const v1::PolicyVersion& version) {
  engine::PolicyCompilation compiled = engine::CompilePolicy(
      ToPolicySpec(version.policy()), version.revision(), engine::PolicySource::kStored);
  auto snapshot = std::make_shared<engine::TenantSnapshot>();
  snapshot->name = version.tenant();
  snapshot->hosts = HostsOf(version.tenant());
  // corsd validated it; if this build's rules disagree, deny rather than guess.
  snapshot->policy = compiled.policy != nullptr ? compiled.policy
                                                : engine::CompiledPolicy::Empty(version.revision());
  return snapshot;
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
  size_t initial = 0;
  const auto& metadata = context.GetServerInitialMetadata();
  if (auto it = metadata.find(kInitialEventsMetadata); it != metadata.end()) {
    (void)absl::SimpleAtoi(absl::string_view(it->second.data(), it->second.size()), &initial);
  }
  std::vector<std::shared_ptr<const engine::TenantSnapshot>> state;
  auto publish_state = [&] {
    registry_.Replace(state);
    SetConnected(true);
  };
  if (metadata.count(kInitialEventsMetadata) == 0) {
    // A server that does not announce its initial state: apply everything
    // as it comes (tenants deleted while disconnected then linger).
    SetConnected(true);
  } else if (initial == 0) {
    publish_state();
  }

  v1::PolicyEvent event;
  size_t received = 0;
  while (reader->Read(&event)) {
    ++received;
    if (received <= initial) {
      if (!event.deleted()) state.push_back(Snapshot(event.version()));
      if (received == initial) publish_state();
      continue;
    }
    if (event.deleted()) {
      registry_.Apply({engine::TenantUpdate::Remove(event.tenant())});
    } else {
      registry_.Apply({engine::TenantUpdate::Upsert(Snapshot(event.version()))});
    }
  }
  reader->Finish().IgnoreError();
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
  }
  std::shared_ptr<const engine::TenantDirectory> directory = registry_.Load();
  for (const auto& [name, tenant] : directory->tenants()) {
    status.revisions[name] = tenant->policy->revision();
  }
  return status;
}

bool PolicyWatcher::WaitUntilSynced(absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  return mu_.AwaitWithTimeout(absl::Condition(&connected_), timeout);
}

}  // namespace corsd::client_internal
