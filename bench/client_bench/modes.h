// The measurements corsd-bench-client makes against a running corsd. Each
// returns its numbers as JSON (durations in microseconds unless the key says
// otherwise) and prints a short text summary.
//
//   local-vs-remote  the same Check decided in-process by a local-evaluation
//                    client and remotely through the data port, alternated
//   propagation      PutPolicy ack -> a watching client decides with the new
//                    revision (write and watch may use different replicas)
//   put-throughput   PutPolicy rate and latency, plus a raw fsync probe of
//                    the database's directory to explain it
//   sync             a client starting to watch every tenant: time until it
//                    holds them all, its memory, and PutPolicy meanwhile
//   originset        an origin set referenced by many tenants changed: the
//                    store transaction and until every tenant decides with it
//   shadow-cost      CheckLocal on a tenant with a shadow policy against one
//                    without (same policy), alternated in one process
#ifndef CORSD_BENCH_CLIENT_BENCH_MODES_H_
#define CORSD_BENCH_CLIENT_BENCH_MODES_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "corsd/client.h"
#include "corsd/v1/corsd.grpc.pb.h"
#include "nlohmann/json.hpp"

namespace corsd::bench {

struct ClientBenchTargets {
  std::string data;         // corsd data port
  std::string admin;        // admin port the watching client follows
  std::string write_admin;  // admin port PutPolicy goes to ("" = admin)
  std::string token;        // admin token (editor of the tenant at least)
  std::string tenant = "bench";
};

absl::StatusOr<nlohmann::json> MeasureLocalVsRemote(const ClientBenchTargets& targets,
                                                    absl::Duration duration, int rounds);
// `watch_all`: the client watches every tenant, not only targets.tenant.
// With `baseline`, updates alternate between the two servers (see
// propagation.cc) and the result has the baseline's numbers too.
absl::StatusOr<nlohmann::json> MeasurePropagation(const ClientBenchTargets& targets, int updates,
                                                  bool watch_all,
                                                  const ClientBenchTargets* baseline = nullptr);
absl::StatusOr<nlohmann::json> MeasureWatchSync(const ClientBenchTargets& targets);
// `fsync_probe_dir` "" skips the probe.
absl::StatusOr<nlohmann::json> MeasurePutThroughput(const ClientBenchTargets& targets,
                                                    absl::Duration duration, int writers,
                                                    const std::string& fsync_probe_dir);

// A set referenced by `tenants` tenants changed `rounds` times: the store
// transaction (from `metrics`, corsd's metrics HOST:PORT), the call, and
// until every tenant decides with it by Check and in a local client.
absl::StatusOr<nlohmann::json> MeasureOriginSetChange(const ClientBenchTargets& targets,
                                                      const std::string& metrics, int tenants,
                                                      int rounds);

// With `without_tenant` holding the same policy as targets.tenant but no
// shadow, what the shadow adds to CheckLocal per request kind.
absl::StatusOr<nlohmann::json> MeasureShadowCost(const ClientBenchTargets& targets,
                                                 const std::string& without_tenant,
                                                 absl::Duration duration, int rounds);

// Shared by the modes (helpers.cc).

// The requests the local modes decide against a corsd-bench-populate policy:
// an allowed actual request, an allowed preflight for PUT with two headers
// (the costliest common case), and an actual request from an origin the
// policy does not list.
struct BenchRequest {
  const char* name;
  CorsRequest request;
  Verdict expected;
};
std::vector<BenchRequest> BenchRequests(const std::string& tenant);

// A request as views (what a gateway builds from its own buffers).
// Moves keep `view` valid; a copy would view the original's headers.
struct ViewRequest {
  explicit ViewRequest(const CorsRequest& r);
  ViewRequest(const ViewRequest&) = delete;
  ViewRequest& operator=(const ViewRequest&) = delete;
  ViewRequest(ViewRequest&&) = default;
  ViewRequest& operator=(ViewRequest&&) = default;
  std::vector<HeaderRef> headers;
  CorsRequestView view;
};

// An admin stub for `target` and the metadata every call needs.
std::unique_ptr<v1::CorsAdmin::Stub> AdminStub(const std::string& target);
void Authorize(grpc::ClientContext& context, const std::string& token,
               absl::Duration deadline = absl::Seconds(10));
// The tenant's current policy, through `admin`.
absl::StatusOr<v1::Policy> CurrentPolicy(v1::CorsAdmin::Stub& admin,
                                         const ClientBenchTargets& targets);
// A client deciding locally from targets.admin's watch stream for
// targets.tenant (every tenant with `watch_all`), once it holds the
// complete state.
absl::StatusOr<std::unique_ptr<Client>> SyncedLocalClient(
    const ClientBenchTargets& targets, bool watch_all = false,
    absl::Duration sync_within = absl::Seconds(10));

}  // namespace corsd::bench

#endif  // CORSD_BENCH_CLIENT_BENCH_MODES_H_
