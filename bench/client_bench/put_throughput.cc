// PutPolicy throughput and latency with `writers` concurrent callers, and a
// probe of what one durable write costs in the database's directory: write
// 4 KiB, fdatasync, repeat. With synchronous=FULL every acknowledged
// PutPolicy waits for at least one WAL fsync, so the probe's rate is roughly
// the ceiling for sequential writes on that disk.
#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "bench/client_bench/modes.h"
#include "bench/load/latency_histogram.h"
#include "bench/load/latency_report.h"

namespace corsd::bench {
namespace {

constexpr absl::Duration kFsyncProbe = absl::Seconds(1);

absl::StatusOr<nlohmann::json> ProbeFsync(const std::string& dir) {
  const std::string path = absl::StrCat(dir, "/corsd-bench-fsync-probe.", getpid());
  const int fd = open(path.c_str(), O_CREAT | O_WRONLY | O_TRUNC, 0600);
  if (fd < 0) return absl::InvalidArgumentError(absl::StrCat("cannot create ", path));
  unlink(path.c_str());
  const std::string block(4096, 'x');
  LatencyHistogram latency;
  const absl::Time end = absl::Now() + kFsyncProbe;
  while (absl::Now() < end) {
    const absl::Time start = absl::Now();
    if (pwrite(fd, block.data(), block.size(), 0) != static_cast<ssize_t>(block.size()) ||
        fdatasync(fd) != 0) {
      close(fd);
      return absl::InternalError(absl::StrCat("write/fdatasync failed in ", dir));
    }
    latency.Record(absl::Now() - start);
  }
  close(fd);
  printf("fsync probe in %s: %s\n", dir.c_str(), LatencySummaryText(latency).c_str());
  return LatencySummaryJson(latency);
}

}  // namespace

absl::StatusOr<nlohmann::json> MeasurePutThroughput(const ClientBenchTargets& targets,
                                                    absl::Duration duration, int writers,
                                                    const std::string& fsync_probe_dir) {
  std::unique_ptr<v1::CorsAdmin::Stub> admin =
      AdminStub(targets.write_admin.empty() ? targets.admin : targets.write_admin);
  absl::StatusOr<v1::Policy> current = CurrentPolicy(*admin, targets);
  if (!current.ok()) return current.status();
  v1::PutPolicyRequest request;
  request.set_tenant(targets.tenant);
  *request.mutable_policy() = *current;
  request.set_comment("corsd-bench-client put-throughput");

  LatencyHistogram latency;
  std::atomic<int> failures{0};
  std::string first_error;
  std::atomic<bool> error_taken{false};
  const absl::Time start = absl::Now();
  const absl::Time end = start + duration;
  std::vector<std::thread> threads;
  for (int w = 0; w < writers; ++w) {
    threads.emplace_back([&] {
      while (absl::Now() < end) {
        grpc::ClientContext context;
        Authorize(context, targets.token);
        v1::PolicyVersion written;
        const absl::Time call_start = absl::Now();
        grpc::Status status = admin->PutPolicy(&context, request, &written);
        if (!status.ok()) {
          if (!error_taken.exchange(true)) first_error = status.error_message();
          ++failures;
          return;
        }
        latency.Record(absl::Now() - call_start);
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  if (failures > 0) return absl::UnavailableError("PutPolicy: " + first_error);
  const double elapsed = absl::ToDoubleSeconds(absl::Now() - start);
  const double throughput = latency.count() / elapsed;
  printf("PutPolicy, %d writer(s): %.0f/s, %s\n", writers, throughput,
         LatencySummaryText(latency).c_str());
  nlohmann::json out{
      {"writers", writers}, {"throughput", throughput}, {"latency", LatencySummaryJson(latency)}};
  if (!fsync_probe_dir.empty()) {
    absl::StatusOr<nlohmann::json> probe = ProbeFsync(fsync_probe_dir);
    if (!probe.ok()) return probe.status();
    out["fsync"] = *probe;
  }
  return out;
}

}  // namespace corsd::bench
