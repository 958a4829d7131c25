// corsd-bench-client: what a gateway and an operator see from corsd, measured
// against a running server (see modes.h for the measurements).
//
//   corsd-bench-client --data 127.0.0.1:50051 --admin 127.0.0.1:50052
//       --token $VIEWER_TOKEN --tenant bench local-vs-remote
//   corsd-bench-client --admin REPLICA_B --write-admin REPLICA_A ... propagation
//   corsd-bench-client --admin ... --token $EDITOR put-throughput --fsync-probe /var/lib/corsd
#include <cstdio>
#include <fstream>

#include "CLI/CLI.hpp"
#include "absl/time/time.h"
#include "bench/client_bench/modes.h"
#include "service/common/release_tuning.h"

namespace corsd::bench {
namespace {

int Finish(const absl::StatusOr<nlohmann::json>& result, const std::string& json_file) {
  if (!result.ok()) {
    fprintf(stderr, "corsd-bench-client: %s\n", result.status().ToString().c_str());
    return 1;
  }
  if (!json_file.empty()) std::ofstream(json_file) << result->dump(2) << "\n";
  return 0;
}

absl::Duration ParseDurationOr(const std::string& text, absl::Duration fallback) {
  absl::Duration parsed;
  return absl::ParseDuration(text, &parsed) ? parsed : fallback;
}

}  // namespace
}  // namespace corsd::bench

int main(int argc, char** argv) {
  corsd::TuneAbseilForRelease();
  using corsd::bench::ClientBenchTargets;
  ClientBenchTargets targets{.data = "127.0.0.1:50051", .admin = "127.0.0.1:50052"};
  std::string json_file;
  std::string duration = "4s";
  int rounds = 4;
  int updates = 200;
  int writers = 1;
  bool watch_all = false;
  std::string fsync_probe_dir;

  CLI::App app{
      "corsd-bench-client: local vs remote decisions, policy propagation and admin "
      "write throughput, measured against a running corsd.",
      "corsd-bench-client"};
  app.require_subcommand(1);
  app.add_option("--data", targets.data, "corsd data port")->capture_default_str();
  app.add_option("--admin", targets.admin, "admin port the watching client follows")
      ->capture_default_str();
  app.add_option("--write-admin", targets.write_admin,
                 "admin port writes go to (another replica; default --admin)");
  app.add_option("--token", targets.token, "admin token (env CORSD_TOKEN)")->envname("CORSD_TOKEN");
  app.add_option("--tenant", targets.tenant, "tenant with the corsd-bench-populate policy")
      ->capture_default_str();
  app.add_option("--json", json_file, "write the numbers here");

  CLI::App* local = app.add_subcommand(
      "local-vs-remote", "the same Checks decided in-process and through the data port");
  local->add_option("--duration", duration, "total, split over the rounds")->capture_default_str();
  local->add_option("--rounds", rounds, "alternations")
      ->check(CLI::Range(1, 1'000))
      ->capture_default_str();

  CLI::App* propagation = app.add_subcommand(
      "propagation", "PutPolicy -> a watching client and the server decide with the new revision");
  propagation->add_option("--updates", updates, "PutPolicy calls to time")
      ->check(CLI::Range(1, 1'000'000))
      ->capture_default_str();
  propagation->add_flag("--watch-all", watch_all,
                        "the client watches every tenant, not only --tenant");
  corsd::bench::ClientBenchTargets baseline;
  propagation
      ->add_option("--baseline-data", baseline.data,
                   "another corsd to alternate updates with (data port), for a side-by-side ratio")
      ->needs(propagation->add_option("--baseline-admin", baseline.admin,
                                      "its admin port (with --baseline-data)"));
  propagation->add_option("--baseline-token", baseline.token, "its admin token (default --token)");

  CLI::App* sync = app.add_subcommand(
      "sync", "a client watching every tenant: time to sync, its memory, writes meanwhile");

  CLI::App* put = app.add_subcommand("put-throughput", "PutPolicy rate and latency");
  put->add_option("--duration", duration, "how long to write")->capture_default_str();
  put->add_option("--writers", writers, "concurrent callers")
      ->check(CLI::Range(1, 256))
      ->capture_default_str();
  put->add_option("--fsync-probe", fsync_probe_dir,
                  "also time write+fdatasync in this directory (the database's)");
  std::string metrics;
  int set_tenants = 1000;
  int set_rounds = 5;
  CLI::App* originset = app.add_subcommand(
      "originset", "an origin set referenced by many tenants changed: store write and propagation");
  originset->add_option("--metrics", metrics, "corsd's metrics endpoint HOST:PORT")->required();
  originset->add_option("--tenants", set_tenants, "tenants referencing the set")
      ->check(CLI::Range(1, 100'000))
      ->capture_default_str();
  originset->add_option("--rounds", set_rounds, "set changes to time")
      ->check(CLI::Range(1, 1'000))
      ->capture_default_str();
  std::string without_tenant = "bench";
  int shadow_rounds = 200;
  CLI::App* shadow_cost = app.add_subcommand(
      "shadow-cost",
      "CheckLocal on --tenant (with a shadow) against --without (same policy, none)");
  shadow_cost->add_option("--without", without_tenant, "the tenant without a shadow")
      ->capture_default_str();
  shadow_cost->add_option("--duration", duration, "total, split over the rounds")
      ->capture_default_str();
  shadow_cost->add_option("--rounds", shadow_rounds, "alternations")
      ->check(CLI::Range(1, 100'000))
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  const absl::Duration parsed = corsd::bench::ParseDurationOr(duration, absl::ZeroDuration());
  if (parsed <= absl::ZeroDuration()) {
    fprintf(stderr, "corsd-bench-client: --duration takes a duration such as 4s or 500ms\n");
    return 2;
  }
  if (local->parsed()) {
    return corsd::bench::Finish(corsd::bench::MeasureLocalVsRemote(targets, parsed, rounds),
                                json_file);
  }
  if (propagation->parsed()) {
    if (baseline.token.empty()) baseline.token = targets.token;
    baseline.tenant = targets.tenant;
    return corsd::bench::Finish(
        corsd::bench::MeasurePropagation(targets, updates, watch_all,
                                         baseline.data.empty() ? nullptr : &baseline),
        json_file);
  }
  if (originset->parsed()) {
    return corsd::bench::Finish(
        corsd::bench::MeasureOriginSetChange(targets, metrics, set_tenants, set_rounds), json_file);
  }
  if (shadow_cost->parsed()) {
    return corsd::bench::Finish(
        corsd::bench::MeasureShadowCost(targets, without_tenant, parsed, shadow_rounds), json_file);
  }
  if (sync->parsed()) {
    return corsd::bench::Finish(corsd::bench::MeasureWatchSync(targets), json_file);
  }
  return corsd::bench::Finish(
      corsd::bench::MeasurePutThroughput(targets, parsed, writers, fsync_probe_dir), json_file);
}
