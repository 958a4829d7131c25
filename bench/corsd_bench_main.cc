// corsd-bench: load generator for corsd's data port.
//
//   corsd-bench --target 127.0.0.1:50051 --tenant bench --scenario mixed --duration 20s
//               --concurrency 32 --connections 2 --compare --json results.json
//
// --compare alternates Check and the empty grpc.health.v1 Health/Check on the
// same server with the same settings, in short rounds so both see the same
// machine noise, and prints `ratio: X.XX` (Check throughput / Health
// throughput). --rps switches from closed loop to open loop at that rate.
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <fstream>
#include <memory>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "bench/load/envoy_requests.h"
#include "bench/load/load_runner.h"
#include "bench/load/raw_caller.h"
#include "bench/load/scenarios.h"
#include "corsd/v1/corsd.grpc.pb.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "nlohmann/json.hpp"
#include "service/common/release_tuning.h"

namespace corsd::bench {
namespace {

struct Flags {
  std::string target = "127.0.0.1:50051";
  std::string tenant = "bench";
  std::string scenario = "mixed";
  std::string scenario_file;
  bool compare = false;
  std::string rpc = "check";  // without --compare: which RPC to load
  std::string api = "grpc";   // grpc: corsd.v1 Check; ext_authz: Envoy's Authorization/Check
  std::string duration = "10s";
  int64_t requests = 0;
  int concurrency = 16;
  int connections = 2;
  double rps = 0;
  std::string warmup = "2s";
  std::string json_file;
  int tenants = 0;
  int rounds = 4;
};

// Each channel gets its own TCP connection (gRPC would otherwise share one
// subchannel between identical channels).
std::vector<std::shared_ptr<grpc::Channel>> Connect(const Flags& flags) {
  std::vector<std::shared_ptr<grpc::Channel>> channels;
  for (int i = 0; i < flags.connections; ++i) {
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    args.SetInt("corsd-bench.connection", i);
    channels.push_back(
        grpc::CreateCustomChannel(flags.target, grpc::InsecureChannelCredentials(), args));
  }
  return channels;
}

std::string Us(absl::Duration d) {
  return absl::StrFormat("%.0f us", absl::ToDoubleMicroseconds(d));
}

void Print(const LoadResult& r) {
  printf("%-6s %llu calls in %.1f s: %.1f/s%s\n", r.name.c_str(),
         static_cast<unsigned long long>(r.completed), absl::ToDoubleSeconds(r.elapsed),
         r.throughput, r.overloaded ? " (OVERLOADED: open loop stopped issuing)" : "");
  printf("       latency p50 %s  p90 %s  p99 %s  p99.9 %s  max %s\n", Us(r.p50).c_str(),
         Us(r.p90).c_str(), Us(r.p99).c_str(), Us(r.p999).c_str(), Us(r.max).c_str());
  std::string statuses;
  for (const auto& [code, n] : r.status_counts) {
    absl::StrAppend(&statuses, statuses.empty() ? "" : ", ",
                    code == 0 ? "OK" : absl::StrCat("code ", code), " ", n);
  }
  std::string labels;
  for (const auto& [label, n] : r.labels) {
    absl::StrAppend(&labels, labels.empty() ? "" : ", ", label, " ", n);
  }
  printf("       status: %s%s%s\n", statuses.c_str(), labels.empty() ? "" : " | ", labels.c_str());
}

nlohmann::json ToJson(const LoadResult& r) {
  nlohmann::json statuses = nlohmann::json::object();
  for (const auto& [code, n] : r.status_counts) statuses[std::to_string(code)] = n;
  return {{"calls", r.completed},
          {"seconds", absl::ToDoubleSeconds(r.elapsed)},
          {"throughput", r.throughput},
          {"p50_us", absl::ToDoubleMicroseconds(r.p50)},
          {"p90_us", absl::ToDoubleMicroseconds(r.p90)},
          {"p99_us", absl::ToDoubleMicroseconds(r.p99)},
          {"p999_us", absl::ToDoubleMicroseconds(r.p999)},
          {"max_us", absl::ToDoubleMicroseconds(r.max)},
          {"mean_us", absl::ToDoubleMicroseconds(r.mean)},
          {"status_counts", statuses},
          {"labels", r.labels},
          {"overloaded", r.overloaded}};
}

int Run(const Flags& flags) {
  absl::Duration duration, warmup;
  if (!absl::ParseDuration(flags.duration, &duration) ||
      !absl::ParseDuration(flags.warmup, &warmup)) {
    fprintf(stderr, "corsd-bench: --duration/--warmup take durations such as 10s or 500ms\n");
    return 2;
  }
  absl::StatusOr<std::vector<WeightedRequest>> scenario =
      flags.scenario_file.empty() ? BuiltinScenario(flags.scenario, flags.tenant, flags.tenants)
                                  : ScenarioFromFile(flags.scenario_file);
  if (!scenario.ok()) {
    fprintf(stderr, "corsd-bench: %s\n", std::string(scenario.status().message()).c_str());
    return 2;
  }
  std::vector<std::shared_ptr<grpc::Channel>> channels = Connect(flags);
  for (const auto& channel : channels) {
    if (!channel->WaitForConnected(std::chrono::system_clock::now() + std::chrono::seconds(5))) {
      fprintf(stderr, "corsd-bench: cannot connect to %s (is corsd serving there?)\n",
              flags.target.c_str());
      return 6;
    }
  }
  const std::vector<v1::CheckRequest> requests = Expand(*scenario);
  std::vector<const google::protobuf::Message*> messages;
  for (const v1::CheckRequest& request : requests) messages.push_back(&request);
  const grpc::health::v1::HealthCheckRequest health_request;
  // Envoy-shaped requests for the ext_authz door; kept alive for SerializeAll.
  std::vector<envoy::service::auth::v3::CheckRequest> envoy_requests;
  if (flags.api == "ext_authz") {
    for (const v1::CheckRequest& request : requests) envoy_requests.push_back(EnvoyShaped(request));
    messages.clear();
    for (const auto& request : envoy_requests) messages.push_back(&request);
  }
  RawCaller check(
      channels,
      flags.api == "ext_authz" ? "/envoy.service.auth.v3.Authorization/Check"
                               : "/corsd.v1.CorsDecision/Check",
      SerializeAll(messages),
      flags.api == "ext_authz" ? ResponseLabeler() : ResponseLabeler(CheckVerdictLabel));
  RawCaller health(channels, "/grpc.health.v1.Health/Check", SerializeAll({&health_request}));
  AsyncCall check_call = [&check](CallDone done) { check(std::move(done)); };
  AsyncCall health_call = [&health](CallDone done) { health(std::move(done)); };

  // One synchronous Check first: a wrong tenant or policy should say so now.
  {
    grpc::ClientContext context;
    v1::CheckResponse response;
    grpc::Status status =
        v1::CorsDecision::NewStub(channels[0])->Check(&context, requests.front(), &response);
    if (!status.ok()) {
      fprintf(stderr,
              "corsd-bench: Check fails: %s (create the tenant with corsd-bench-populate)\n",
              status.error_message().c_str());
      return 1;
    }
  }

  LoadOptions options{.concurrency = flags.concurrency, .rps = flags.rps};
  LatencyHistogram scratch;
  if (warmup > absl::ZeroDuration()) {
    LoadOptions warm = options;
    warm.duration = warmup;
    warm.requests = 0;
    if (flags.compare || flags.rpc == "check") RunLoad("warmup", check_call, warm, &scratch);
    if (flags.compare || flags.rpc == "health") RunLoad("warmup", health_call, warm, &scratch);
  }

  printf("target %s, tenant %s, scenario %s, %s, %d connections\n", flags.target.c_str(),
         flags.tenant.c_str(),
         flags.scenario_file.empty() ? flags.scenario.c_str() : flags.scenario_file.c_str(),
         flags.rps > 0 ? absl::StrFormat("open loop at %.0f/s", flags.rps).c_str()
                       : absl::StrFormat("closed loop, %d in flight", flags.concurrency).c_str(),
         flags.connections);
  nlohmann::json out;
  if (!flags.compare) {
    options.duration = flags.requests > 0 ? absl::InfiniteDuration() : duration;
    options.requests = flags.requests;
    LatencyHistogram histogram;
    const bool health_only = flags.rpc == "health";
    LoadResult result =
        RunLoad(flags.rpc, health_only ? health_call : check_call, options, &histogram);
    Print(result);
    out[flags.rpc] = ToJson(result);
  } else {
    // Short alternating rounds, so a burst of noise hits both sides.
    LatencyHistogram check_histogram, health_histogram;
    LoadResult check_total{.name = "check"}, health_total{.name = "health"};
    options.duration = duration / (2 * flags.rounds);
    if (flags.requests > 0) {
      options.duration = absl::InfiniteDuration();
      options.requests = std::max<int64_t>(1, flags.requests / flags.rounds);
    }
    // ABBA order (check first in even rounds, health first in odd ones), so
    // whatever favours the first or second run of a round cancels out.
    auto run_check = [&] {
      check_total.Merge(RunLoad("check", check_call, options, &check_histogram), check_histogram);
    };
    auto run_health = [&] {
      health_total.Merge(RunLoad("health", health_call, options, &health_histogram),
                         health_histogram);
    };
    for (int round = 0; round < flags.rounds; ++round) {
      if (round % 2 == 0) {
        run_check();
        run_health();
      } else {
        run_health();
        run_check();
      }
    }
    Print(check_total);
    Print(health_total);
    const double ratio = check_total.throughput / health_total.throughput;
    printf("ratio: %.2f   (Check throughput / Health throughput, same server and settings)\n",
           ratio);
    out["check"] = ToJson(check_total);
    out["health"] = ToJson(health_total);
    out["ratio"] = ratio;
  }
  out["settings"] = {{"target", flags.target},     {"tenant", flags.tenant},
                     {"scenario", flags.scenario}, {"concurrency", flags.concurrency},
                     {"api", flags.api},           {"connections", flags.connections},
                     {"rps", flags.rps},           {"duration", flags.duration}};
  if (!flags.json_file.empty()) std::ofstream(flags.json_file) << out.dump(2) << "\n";
  return 0;
}

}  // namespace
}  // namespace corsd::bench

int main(int argc, char** argv) {
  corsd::TuneAbseilForRelease();
  corsd::bench::Flags flags;
  CLI::App app{
      "corsd-bench: load generator for corsd.v1.CorsDecision/Check.\n\n"
      "Examples:\n"
      "  corsd-bench --target 127.0.0.1:50051 --tenant bench --compare --duration 20s\n"
      "  corsd-bench --target 127.0.0.1:50051 --tenant bench --rps 2000 --duration 10s\n"
      "Scenarios expect the policy corsd-bench-populate creates (see bench/load/scenarios.h).",
      "corsd-bench"};
  app.add_option("--target", flags.target, "corsd data port")->capture_default_str();
  app.add_option("--tenant", flags.tenant, "tenant to check against")->capture_default_str();
  app.add_option("--api", flags.api,
                 "which door Check goes through: grpc (corsd.v1.CorsDecision/Check) or ext_authz "
                 "(envoy.service.auth.v3.Authorization/Check with Envoy-shaped requests)")
      ->check(CLI::IsMember({"grpc", "ext_authz"}))
      ->capture_default_str();
  app.add_option("--scenario", flags.scenario,
                 "actual-allowed, actual-denied, preflight-allowed, preflight-denied, "
                 "unknown-origin, mixed, many-tenants")
      ->capture_default_str();
  app.add_option("--scenario-file", flags.scenario_file,
                 "JSON array of CheckRequests ([{\"weight\": 3, \"request\": {...}}])");
  app.add_option("--tenants", flags.tenants, "tenant count for many-tenants (bench-0..N-1)")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--rpc", flags.rpc, "without --compare: load check or health (the baseline alone)")
      ->check(CLI::IsMember({"check", "health"}))
      ->capture_default_str();
  app.add_flag("--compare", flags.compare,
               "alternate Check and grpc.health.v1 Health/Check and print the ratio");
  auto* duration =
      app.add_option("--duration", flags.duration, "how long to measure")->capture_default_str();
  app.add_option("--requests", flags.requests, "stop after N calls instead")
      ->check(CLI::PositiveNumber)
      ->excludes(duration);
  app.add_option("--concurrency", flags.concurrency, "calls in flight (closed loop)")
      ->check(CLI::Range(1, 100'000))
      ->capture_default_str();
  app.add_option("--connections", flags.connections, "TCP connections to spread calls over")
      ->check(CLI::Range(1, 1'000))
      ->capture_default_str();
  app.add_option("--rps", flags.rps, "open loop: start calls at this rate (latency from due time)")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--warmup", flags.warmup, "unmeasured load first")->capture_default_str();
  app.add_option("--rounds", flags.rounds, "alternations for --compare")
      ->check(CLI::Range(1, 1'000))
      ->capture_default_str();
  app.add_option("--json", flags.json_file, "write throughput and percentiles (us) here");
  CLI11_PARSE(app, argc, argv);
  return corsd::bench::Run(flags);
}
