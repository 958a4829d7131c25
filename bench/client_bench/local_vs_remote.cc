// Local evaluation against the remote round trip, alternated in short rounds
// so both see the same machine noise. Local calls are timed in batches (a
// clock read costs about as much as a decision); remote calls one by one,
// sequentially, which is the latency a gateway request pays.
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "bench/client_bench/modes.h"
#include "bench/load/latency_histogram.h"
#include "bench/load/latency_report.h"
#include "corsd/client.h"

namespace corsd::bench {
namespace {

constexpr int kLocalBatch = 1000;

// The two requests both modes decide in turn: an allowed actual request and
// an allowed preflight for PUT with two headers (the costliest common case).
std::vector<CorsRequest> Requests(const std::string& tenant) {
  CorsRequest actual{.tenant = tenant,
                     .origin = "https://app.example.com",
                     .method = "GET",
                     .path = "/api/items"};
  CorsRequest preflight = actual;
  preflight.method = "OPTIONS";
  preflight.headers = {{"Access-Control-Request-Method", "PUT"},
                       {"Access-Control-Request-Headers", "content-type,x-request-id"}};
  return {actual, preflight};
}

absl::Status CheckSameAnswers(Client& local, Client& remote,
                              const std::vector<CorsRequest>& requests) {
  for (const CorsRequest& request : requests) {
    absl::StatusOr<Decision> a = local.Check(request);
    absl::StatusOr<Decision> b = remote.Check(request);
    if (!a.ok()) return a.status();
    if (!b.ok()) return b.status();
    if (a->source != Decision::Source::kLocal || b->source != Decision::Source::kRemote) {
      return absl::FailedPreconditionError(
          "the local client did not decide locally or the remote one could not reach corsd");
    }
    if (a->verdict != Verdict::kAllow || !a->SameAnswer(*b)) {
      return absl::FailedPreconditionError(absl::StrCat(
          "local and remote answers differ or deny for ", request.method,
          " (does tenant ", request.tenant, " have the corsd-bench-populate policy?)"));
    }
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
  const std::vector<CorsRequest> requests = Requests(targets.tenant);
  if (absl::Status same = CheckSameAnswers(**local, **remote, requests); !same.ok()) return same;

  // Per request kind, because an allowed preflight costs the engine about
  // three times what an actual request does.
  const char* const kinds[] = {"actual", "preflight"};
  const absl::Duration slice = duration / (2 * rounds * requests.size());
  std::vector<uint64_t> local_calls(requests.size());
  std::vector<absl::Duration> local_time(requests.size());
  std::vector<LatencyHistogram> remote_latency(requests.size());
  for (int round = 0; round < rounds; ++round) {
    for (size_t k = 0; k < requests.size(); ++k) {
      const absl::Time local_end = absl::Now() + slice;
      while (absl::Now() < local_end) {
        const absl::Time start = absl::Now();
        for (int i = 0; i < kLocalBatch; ++i) {
          absl::StatusOr<Decision> decision = (*local)->Check(requests[k]);
          if (!decision.ok()) return decision.status();
        }
        local_time[k] += absl::Now() - start;
        local_calls[k] += kLocalBatch;
      }
      const absl::Time remote_end = absl::Now() + slice;
      while (absl::Now() < remote_end) {
        const absl::Time start = absl::Now();
        absl::StatusOr<Decision> decision = (*remote)->Check(requests[k]);
        if (!decision.ok()) return decision.status();
        remote_latency[k].Record(absl::Now() - start);
      }
    }
  }
  nlohmann::json out = nlohmann::json::object();
  double local_sum = 0, remote_sum = 0;
  for (size_t k = 0; k < requests.size(); ++k) {
    const double local_ns = absl::ToDoubleNanoseconds(local_time[k]) / local_calls[k];
    const double remote_ns = absl::ToDoubleNanoseconds(remote_latency[k].Mean());
    local_sum += local_ns;
    remote_sum += remote_ns;
    printf("%-9s local %.0f ns per decision; remote mean %.0f us, %s; ratio %.0f\n", kinds[k],
           local_ns, remote_ns / 1000, LatencySummaryText(remote_latency[k]).c_str(),
           remote_ns / local_ns);
    out[kinds[k]] = {{"local_ns_per_decision", local_ns},
                     {"local_decisions", local_calls[k]},
                     {"remote", LatencySummaryJson(remote_latency[k])},
                     {"ratio", remote_ns / local_ns}};
  }
  // Both kinds weighted equally.
  out["local_ns_per_decision"] = local_sum / requests.size();
  out["ratio"] = remote_sum / local_sum;
  printf("ratio: %.0f   (remote mean / local, both kinds)\n", remote_sum / local_sum);
  return out;
}

}  // namespace corsd::bench
