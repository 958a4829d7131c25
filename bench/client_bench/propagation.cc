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
// With a baseline (another corsd, say with one tenant), updates alternate
// between the two servers, so both sets of samples see the same machine at
// the same time and their ratio is not a comparison of two noisy minutes.
//
// Each update flips max_age_seconds of the tenant's current policy, so the
// policy stays valid and the decisions keep their shape. The watcher is
// polled with local Checks every 20 us.
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "bench/client_bench/modes.h"
#include "bench/load/latency_histogram.h"
#include "bench/load/latency_report.h"
#include "corsd/client.h"
#include "service/common/status_macros.h"

namespace corsd::bench {
namespace {

constexpr absl::Duration kPollInterval = absl::Microseconds(20);
constexpr absl::Duration kPropagationGiveUp = absl::Seconds(10);
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
    if (absl::Now() - since > kPropagationGiveUp) {
      return absl::DeadlineExceededError(
          absl::StrCat("revision ", revision, " was not decided with within 10 s"));
    }
    absl::SleepFor(kPollInterval);
  }
}

// One server under measurement: its writer, watching client and remote
// client, and what was measured against it.
struct Subject {
  ClientBenchTargets targets;
  std::unique_ptr<v1::CorsAdmin::Stub> writer;
  v1::Policy policy;
  std::unique_ptr<Client> local;
  std::unique_ptr<Client> remote;
  LatencyHistogram after_ack, write_to_local, write_to_server;
  int updates = 0;

  absl::Status Open(const ClientBenchTargets& to, bool watch_all) {
    targets = to;
    writer = AdminStub(targets.write_admin.empty() ? targets.admin : targets.write_admin);
    absl::StatusOr<v1::Policy> current = CurrentPolicy(*writer, targets);
    if (!current.ok()) return current.status();
    if (current->rules_size() == 0) {
      return absl::FailedPreconditionError("the policy has no rules");
    }
    policy = *std::move(current);
    absl::StatusOr<std::unique_ptr<Client>> watching =
        SyncedLocalClient(targets, watch_all, absl::Seconds(120));
    if (!watching.ok()) return watching.status();
    local = *std::move(watching);
    ClientOptions remote_options;
    remote_options.target = targets.data;
    remote_options.deadline = absl::Seconds(2);
    absl::StatusOr<std::unique_ptr<Client>> checking = Client::Create(remote_options);
    if (!checking.ok()) return checking.status();
    remote = *std::move(checking);
    return absl::OkStatus();
  }

  absl::Status Update() {
    const CorsRequest probe{.tenant = targets.tenant,
                            .origin = "https://app.example.com",
                            .method = "GET",
                            .path = "/"};
    v1::PutPolicyRequest request;
    request.set_tenant(targets.tenant);
    *request.mutable_policy() = policy;
    const int32_t max_age = policy.rules(0).max_age_seconds();
    request.mutable_policy()->mutable_rules(0)->set_max_age_seconds(max_age +
                                                                    (updates++ % 2 == 0 ? 1 : 0));
    request.set_comment("corsd-bench-client propagation");
    // The server is polled on its own thread, started before the write, so
    // neither clock waits for the other's polling.
    absl::Notification written_known;
    int64_t revision = 0;
    absl::Time sent;
    absl::Time acked;
    absl::Status server_status;
    std::thread server_poller([&] {
      written_known.WaitForNotification();
      if (revision == 0) return;  // the write failed
      server_status = WaitForRevision(*remote, probe, revision, Decision::Source::kRemote, acked);
      if (server_status.ok()) write_to_server.Record(absl::Now() - sent);
    });
    grpc::ClientContext context;
    Authorize(context, targets.token);
    v1::PolicyVersion written;
    sent = absl::Now();
    grpc::Status status = writer->PutPolicy(&context, request, &written);
    acked = absl::Now();
    if (status.ok()) revision = written.revision();
    written_known.Notify();
    absl::Status local_status =
        status.ok() ? WaitForRevision(*local, probe, revision, Decision::Source::kLocal, acked)
                    : absl::UnavailableError("PutPolicy: " + status.error_message());
    if (local_status.ok()) {
      const absl::Time decided = absl::Now();
      after_ack.Record(decided - acked);
      write_to_local.Record(decided - sent);
    }
    server_poller.join();
    RETURN_IF_ERROR(local_status);
    RETURN_IF_ERROR(server_status);
    return absl::OkStatus();
  }

  nlohmann::json Json(const char* label) const {
    printf("%s: write -> watching client decides (%d updates): %s\n", label, updates,
           LatencySummaryText(write_to_local).c_str());
    printf("%s: write -> server's Check decides: %s\n", label,
           LatencySummaryText(write_to_server).c_str());
    printf("%s: acknowledged -> watching client decides: %s\n", label,
           LatencySummaryText(after_ack).c_str());
    return nlohmann::json{{"propagation", LatencySummaryJson(after_ack)},
                          {"write_to_local", LatencySummaryJson(write_to_local)},
                          {"write_to_server", LatencySummaryJson(write_to_server)}};
  }
};

}  // namespace

absl::StatusOr<nlohmann::json> MeasurePropagation(const ClientBenchTargets& targets, int updates,
                                                  bool watch_all,
                                                  const ClientBenchTargets* baseline) {
  Subject measured;
  RETURN_IF_ERROR(measured.Open(targets, watch_all));
  Subject compared;
  if (baseline != nullptr) RETURN_IF_ERROR(compared.Open(*baseline, watch_all));
  for (int i = 0; i < updates; ++i) {
    RETURN_IF_ERROR(measured.Update());
    absl::SleepFor(kSpacing);
    if (baseline != nullptr) {
      RETURN_IF_ERROR(compared.Update());
      absl::SleepFor(kSpacing);
    }
  }
  nlohmann::json result = measured.Json("measured");
  result["cross_replica"] = !targets.write_admin.empty() && targets.write_admin != targets.admin;
  result["watch_all"] = watch_all;
  if (baseline != nullptr) result["baseline"] = compared.Json("baseline");
  return result;
}

}  // namespace corsd::bench
