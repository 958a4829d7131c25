// Local evaluation against the remote round trip, alternated in short rounds
// so all modes see the same machine noise:
//
//   view    Client::CheckLocal into a DecisionView on the stack, reading every
//           response header: what a gateway on the zero-copy API pays
//   local   Client::Check decided in-process: the owning Decision (strings)
//   remote  Client::Check through the data port, one call at a time: the
//           latency a gateway request pays for a remote decision
//
// Local calls are timed in batches (a clock read costs about as much as a
// decision); remote calls one by one. Heap allocations of the local modes are
// counted on the measuring thread (allocation_counter.h).
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "bench/allocation_counter.h"
#include "bench/client_bench/modes.h"
#include "bench/load/latency_histogram.h"
#include "bench/load/latency_report.h"
#include "corsd/client.h"

namespace corsd::bench {
namespace {

constexpr int kLocalBatch = 1000;

absl::Status CheckSameAnswers(Client& local, Client& remote,
                              const std::vector<BenchRequest>& kinds) {
  for (const BenchRequest& kind : kinds) {
    absl::StatusOr<Decision> a = local.Check(kind.request);
    absl::StatusOr<Decision> b = remote.Check(kind.request);
    if (!a.ok()) return a.status();
    if (!b.ok()) return b.status();
    if (a->source != Decision::Source::kLocal || b->source != Decision::Source::kRemote) {
      return absl::FailedPreconditionError(
          "the local client did not decide locally or the remote one could not reach corsd");
    }
    ViewRequest view_request(kind.request);
    DecisionView view;
    if (!local.CheckLocal(view_request.view, &view) || !view.ToDecision().SameAnswer(*b)) {
      return absl::FailedPreconditionError(
          absl::StrCat("CheckLocal and remote Check differ for the ", kind.name, " request"));
    }
    if (a->verdict != kind.expected || !a->SameAnswer(*b)) {
      return absl::FailedPreconditionError(
          absl::StrCat("local and remote answers differ or are not as expected for the ", kind.name,
                       " request (does tenant ", kind.request.tenant,
                       " have the corsd-bench-populate policy?)"));
    }
  }
  return absl::OkStatus();
}

// Time and allocations of local decisions, summed over batches.
struct LocalTally {
  uint64_t calls = 0;
  uint64_t allocations = 0;
  absl::Duration time;
  double ns() const { return absl::ToDoubleNanoseconds(time) / calls; }
  double allocs() const { return static_cast<double>(allocations) / calls; }
};

// Runs `batch` until `slice` has passed, adding to `tally`.
template <typename Batch>
absl::Status TimeLocal(absl::Duration slice, LocalTally* tally, Batch batch) {
  const absl::Time end = absl::Now() + slice;
  while (absl::Now() < end) {
    const uint64_t allocations = ThreadAllocations();
    const absl::Time start = absl::Now();
    if (absl::Status status = batch(); !status.ok()) return status;
    tally->time += absl::Now() - start;
    tally->allocations += ThreadAllocations() - allocations;
    tally->calls += kLocalBatch;
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<nlohmann::json> MeasureLocalVsRemote(const ClientBenchTargets& targets,
                                                    absl::Duration duration, int rounds) {
  ClientOptions remote_options;
  remote_options.target = targets.data;
  remote_options.deadline = absl::Seconds(2);
  absl::StatusOr<std::unique_ptr<Client>> remote = Client::Create(remote_options);
  if (!remote.ok()) return remote.status();
  absl::StatusOr<std::unique_ptr<Client>> local = SyncedLocalClient(targets);
  if (!local.ok()) return local.status();
  const std::vector<BenchRequest> kinds = BenchRequests(targets.tenant);
  if (absl::Status same = CheckSameAnswers(**local, **remote, kinds); !same.ok()) return same;
  std::vector<ViewRequest> view_requests;
  for (const BenchRequest& kind : kinds) view_requests.emplace_back(kind.request);

  const absl::Duration slice = duration / (3 * rounds * kinds.size());
  std::vector<LocalTally> view(kinds.size()), owning(kinds.size());
  std::vector<LatencyHistogram> remote_latency(kinds.size());
  size_t headers_read = 0;  // keeps the view loop from being optimized away
  for (int round = 0; round < rounds; ++round) {
    for (size_t k = 0; k < kinds.size(); ++k) {
      absl::Status status = TimeLocal(slice, &view[k], [&]() -> absl::Status {
        for (int i = 0; i < kLocalBatch; ++i) {
          DecisionView decision;  // per request, as a gateway would
          if (!(*local)->CheckLocal(view_requests[k].view, &decision)) {
            return absl::InternalError("CheckLocal did not decide locally");
          }
          for (const HeaderRef& h : decision.response_headers()) headers_read += h.value.size();
        }
        return absl::OkStatus();
      });
      if (!status.ok()) return status;
      status = TimeLocal(slice, &owning[k], [&]() -> absl::Status {
        for (int i = 0; i < kLocalBatch; ++i) {
          absl::StatusOr<Decision> decision = (*local)->Check(kinds[k].request);
          if (!decision.ok()) return decision.status();
        }
        return absl::OkStatus();
      });
      if (!status.ok()) return status;
      const absl::Time remote_end = absl::Now() + slice;
      while (absl::Now() < remote_end) {
        const absl::Time start = absl::Now();
        absl::StatusOr<Decision> decision = (*remote)->Check(kinds[k].request);
        if (!decision.ok()) return decision.status();
        remote_latency[k].Record(absl::Now() - start);
      }
    }
  }
  nlohmann::json out = nlohmann::json::object();
  for (size_t k = 0; k < kinds.size(); ++k) {
    const double remote_ns = absl::ToDoubleNanoseconds(remote_latency[k].Mean());
    printf(
        "%-9s view %.0f ns (%.2f allocs), owning %.0f ns (%.2f allocs); remote mean %.0f us, "
        "%s; remote/view %.0f\n",
        kinds[k].name, view[k].ns(), view[k].allocs(), owning[k].ns(), owning[k].allocs(),
        remote_ns / 1000, LatencySummaryText(remote_latency[k]).c_str(), remote_ns / view[k].ns());
    out[kinds[k].name] = {{"view_ns_per_decision", view[k].ns()},
                          {"view_allocs_per_decision", view[k].allocs()},
                          {"view_decisions", view[k].calls},
                          {"local_ns_per_decision", owning[k].ns()},
                          {"local_allocs_per_decision", owning[k].allocs()},
                          {"local_decisions", owning[k].calls},
                          {"remote", LatencySummaryJson(remote_latency[k])},
                          {"ratio", remote_ns / view[k].ns()}};
  }
  // The headline ratio: remote against the zero-copy path, over the two
  // allowed requests (a denied one is cheaper on both sides).
  double view_sum = 0, remote_sum = 0;
  for (size_t k = 0; k < 2; ++k) {
    view_sum += view[k].ns();
    remote_sum += absl::ToDoubleNanoseconds(remote_latency[k].Mean());
  }
  out["ratio"] = remote_sum / view_sum;
  out["headers_read"] = headers_read;
  printf("ratio: %.0f   (remote mean / view, allowed GET and preflight)\n", remote_sum / view_sum);
  return out;
}

}  // namespace corsd::bench
