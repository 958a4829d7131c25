// Policy propagation: how long until a client that follows the watch stream,
// and the server itself, decide with a revision PutPolicy wrote. The writer
// may talk to a different replica than the watcher (targets.write_admin),
// which adds the store's change notification to the path.
//
// Three clocks per update:
//   write_to_local   PutPolicy called -> the watching client decides with it
//   write_to_server  PutPolicy called -> a remote Check on the data port does
//   propagation      PutPolicy acknowledged -> the watching client decides
// The first two are the write as an operator sees it, store commit included.
// The last isolates the watch path; it is often ~0 because the event arrives
// before the acknowledgement, so its tail is set by when the polling thread
// happens to be scheduled.
//
// Each update flips max_age_seconds of the tenant's current policy, so the
// policy stays valid and the decisions keep their shape. The watcher is
// polled with local Checks every 20 us.
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "bench/client_bench/modes.h"
#include "bench/load/latency_histogram.h"
#include "bench/load/latency_report.h"
#include "corsd/client.h"

namespace corsd::bench {
namespace {

constexpr absl::Duration kPollInterval = absl::Microseconds(20);
constexpr absl::Duration kGiveUp = absl::Seconds(10);
// Spacing between updates, so each is measured on its own rather than
// coalesced with the previous one.
constexpr absl::Duration kSpacing = absl::Milliseconds(10);

// Polls `client` until it decides `probe` with `revision` or later.
absl::Status WaitForRevision(Client& client, const CorsRequest& probe, int64_t revision,
                             Decision::Source source, absl::Time since) {
  while (true) {
    absl::StatusOr<Decision> decision = client.Check(probe);
    if (!decision.ok()) return decision.status();
    if (decision->source == source && decision->policy_revision >= revision) {
      return absl::OkStatus();
    }
    if (absl::Now() - since > kGiveUp) {
      return absl::DeadlineExceededError(
          absl::StrCat("revision ", revision, " was not decided with within 10 s"));
    }
    absl::SleepFor(kPollInterval);
  }
}

}  // namespace

absl::StatusOr<nlohmann::json> MeasurePropagation(const ClientBenchTargets& targets, int updates,
                                                  bool watch_all) {
  std::unique_ptr<v1::CorsAdmin::Stub> writer =
      AdminStub(targets.write_admin.empty() ? targets.admin : targets.write_admin);
  absl::StatusOr<v1::Policy> policy = CurrentPolicy(*writer, targets);
  if (!policy.ok()) return policy.status();
  if (policy->rules_size() == 0) return absl::FailedPreconditionError("the policy has no rules");

  absl::StatusOr<std::unique_ptr<Client>> local =
      SyncedLocalClient(targets, watch_all, absl::Seconds(120));
  if (!local.ok()) return local.status();
  ClientOptions remote_options;
  remote_options.target = targets.data;
  remote_options.deadline = absl::Seconds(2);
  absl::StatusOr<std::unique_ptr<Client>> remote = Client::Create(remote_options);
  if (!remote.ok()) return remote.status();
  const CorsRequest probe{
      .tenant = targets.tenant, .origin = "https://app.example.com", .method = "GET", .path = "/"};

  LatencyHistogram after_ack, write_to_local, write_to_server;
  const int32_t max_age = policy->rules(0).max_age_seconds();
  for (int i = 0; i < updates; ++i) {
    v1::PutPolicyRequest request;
    request.set_tenant(targets.tenant);
    *request.mutable_policy() = *policy;
    request.mutable_policy()->mutable_rules(0)->set_max_age_seconds(max_age + (i % 2 == 0 ? 1 : 0));
    request.set_comment("corsd-bench-client propagation");
    grpc::ClientContext context;
    Authorize(context, targets.token);
    v1::PolicyVersion written;
    const absl::Time sent = absl::Now();
    grpc::Status status = writer->PutPolicy(&context, request, &written);
    const absl::Time acked = absl::Now();
    if (!status.ok()) return absl::UnavailableError("PutPolicy: " + status.error_message());
    if (absl::Status seen =
            WaitForRevision(**local, probe, written.revision(), Decision::Source::kLocal, acked);
        !seen.ok()) {
      return seen;
    }
    const absl::Time decided = absl::Now();
    after_ack.Record(decided - acked);
    write_to_local.Record(decided - sent);
    if (absl::Status seen =
            WaitForRevision(**remote, probe, written.revision(), Decision::Source::kRemote, acked);
        !seen.ok()) {
      return seen;
    }
    write_to_server.Record(absl::Now() - sent);
    absl::SleepFor(kSpacing);
  }
  printf("write -> watching client decides (%d updates): %s\n", updates,
         LatencySummaryText(write_to_local).c_str());
  printf("write -> server's Check decides: %s\n", LatencySummaryText(write_to_server).c_str());
  printf("acknowledged -> watching client decides: %s\n", LatencySummaryText(after_ack).c_str());
  return nlohmann::json{
      {"propagation", LatencySummaryJson(after_ack)},
      {"write_to_local", LatencySummaryJson(write_to_local)},
      {"write_to_server", LatencySummaryJson(write_to_server)},
      {"cross_replica", !targets.write_admin.empty() && targets.write_admin != targets.admin},
      {"watch_all", watch_all}};
}

}  // namespace corsd::bench
