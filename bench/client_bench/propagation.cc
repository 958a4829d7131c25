// Policy propagation: how long after PutPolicy returns does a client that
// follows the watch stream decide with the new revision? The writer may talk
// to a different replica than the watcher (targets.write_admin), which adds
// the store's change notification to the path.
//
// Each update flips max_age_seconds of the tenant's current policy, so the
// policy stays valid and the decisions keep their shape. The watcher is
// polled with local Checks every 20 us; that resolution is far below the
// 100 ms target.
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

}  // namespace

absl::StatusOr<nlohmann::json> MeasurePropagation(const ClientBenchTargets& targets, int updates,
                                                  bool watch_all) {
  std::unique_ptr<v1::CorsAdmin::Stub> writer =
      AdminStub(targets.write_admin.empty() ? targets.admin : targets.write_admin);
  absl::StatusOr<v1::Policy> policy = CurrentPolicy(*writer, targets);
  if (!policy.ok()) return policy.status();
  if (policy->rules_size() == 0) return absl::FailedPreconditionError("the policy has no rules");

  absl::StatusOr<std::unique_ptr<Client>> client =
      SyncedLocalClient(targets, watch_all, absl::Seconds(120));
  if (!client.ok()) return client.status();
  const CorsRequest probe{
      .tenant = targets.tenant, .origin = "https://app.example.com", .method = "GET", .path = "/"};

  LatencyHistogram latency;
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
    grpc::Status status = writer->PutPolicy(&context, request, &written);
    const absl::Time acked = absl::Now();
    if (!status.ok()) return absl::UnavailableError("PutPolicy: " + status.error_message());
    while (true) {
      absl::StatusOr<Decision> decision = (*client)->Check(probe);
      if (!decision.ok()) return decision.status();
      if (decision->source == Decision::Source::kLocal &&
          decision->policy_revision >= written.revision()) {
        break;
      }
      if (absl::Now() - acked > kGiveUp) {
        return absl::DeadlineExceededError(
            absl::StrCat("revision ", written.revision(), " did not reach the watcher in 10 s"));
      }
      absl::SleepFor(kPollInterval);
    }
    latency.Record(absl::Now() - acked);
    absl::SleepFor(kSpacing);
  }
  printf("propagation (%d updates): %s\n", updates, LatencySummaryText(latency).c_str());
  return nlohmann::json{
      {"propagation", LatencySummaryJson(latency)},
      {"cross_replica", !targets.write_admin.empty() && targets.write_admin != targets.admin},
      {"watch_all", watch_all}};
}

}  // namespace corsd::bench
