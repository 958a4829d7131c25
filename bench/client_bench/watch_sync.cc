// Watch sync: how long a client that starts watching every tenant takes to
// hold all of them, compiled (Client::Create to WaitUntilSynced), how much
// memory that costs the client, and what a writer sees meanwhile: PutPolicy
// calls made while the server streams the initial state must not wait for
// it (the hub hands the state out from a shared copy, outside its lock).
// The writer calls every 20 ms, so it shows a stall without taking the CPU
// the sync is measured with.
#include <atomic>
#include <cstdio>
#include <fstream>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "bench/client_bench/modes.h"
#include "bench/load/latency_histogram.h"
#include "bench/load/latency_report.h"

namespace corsd::bench {
namespace {

constexpr absl::Duration kSyncGiveUp = absl::Seconds(120);
// The writer's pace: often enough to see a stall, not so often that it takes
// the CPU the sync is measured with.
constexpr absl::Duration kWriteInterval = absl::Milliseconds(20);

// This process's resident memory in KiB (0 if unknown).
long ResidentKib() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return 0;
}

}  // namespace

absl::StatusOr<nlohmann::json> MeasureWatchSync(const ClientBenchTargets& targets) {
  std::unique_ptr<v1::CorsAdmin::Stub> writer =
      AdminStub(targets.write_admin.empty() ? targets.admin : targets.write_admin);
  absl::StatusOr<v1::Policy> policy = CurrentPolicy(*writer, targets);
  if (!policy.ok()) return policy.status();

  std::atomic<bool> syncing{true};
  LatencyHistogram writes;
  std::string write_error;
  std::thread write_loop([&] {
    v1::PutPolicyRequest request;
    request.set_tenant(targets.tenant);
    *request.mutable_policy() = *policy;
    request.set_comment("corsd-bench-client sync");
    while (syncing.load()) {
      grpc::ClientContext context;
      Authorize(context, targets.token);
      v1::PolicyVersion written;
      const absl::Time start = absl::Now();
      grpc::Status status = writer->PutPolicy(&context, request, &written);
      if (!status.ok()) {
        write_error = status.error_message();
        return;
      }
      writes.Record(absl::Now() - start);
      absl::SleepFor(kWriteInterval);
    }
  });

  const long rss_before = ResidentKib();
  const absl::Time start = absl::Now();
  absl::StatusOr<std::unique_ptr<Client>> client =
      SyncedLocalClient(targets, /*watch_all=*/true, kSyncGiveUp);
  const absl::Duration sync = absl::Now() - start;
  syncing = false;
  write_loop.join();
  if (!client.ok()) return client.status();
  if (!write_error.empty()) return absl::UnavailableError("PutPolicy: " + write_error);
  const long rss_after = ResidentKib();
  const size_t tenants = (*client)->local_status().revisions.size();

  printf("watch sync: %zu tenants in %.0f ms, client RSS +%ld MiB; PutPolicy meanwhile: %s\n",
         tenants, absl::ToDoubleMilliseconds(sync), (rss_after - rss_before) / 1024,
         LatencySummaryText(writes).c_str());
  return nlohmann::json{{"tenants", tenants},
                        {"sync_ms", absl::ToDoubleMilliseconds(sync)},
                        {"client_rss_growth_kib", rss_after - rss_before},
                        {"writes_during_sync", LatencySummaryJson(writes)}};
}

}  // namespace corsd::bench
