// Engine microbenchmarks: Decide() on policies with 10, 1,000 and 100,000
// origins (plus 100 subdomain wildcards; the largest case is the policy
// limit: 99,900 exact + 100 wildcards), for the four answers that
// matter (actual allowed/denied, preflight allowed/denied). Each case also
// reports heap allocations per decision (bench/allocation_counter.h).
//
//   build/bin/corsd-engine-bench --benchmark_min_time=0.2
#include <benchmark/benchmark.h>

#include <algorithm>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "bench/allocation_counter.h"
#include "service/engine/decision.h"
#include "service/engine/limits.h"
#include "service/engine/policy_compiler.h"
#include "service/engine/shadow_recorder.h"
#include "service/engine/tenant_directory.h"

namespace corsd::engine {
namespace {

const CompiledPolicy& PolicyWithOrigins(int exact) {
  static auto* cache = new std::map<int, std::shared_ptr<const CompiledPolicy>>();
  const int key = exact;
  auto it = cache->find(key);
  if (it != cache->end()) return *it->second;
  PolicySpec spec;
  RuleSpec& rule = spec.rules.emplace_back();
  exact = std::min(exact, static_cast<int>(kMaxOriginsPerPolicy) - 100);
  for (int i = 0; i < exact; ++i) {
    rule.allowed_origins.push_back(absl::StrCat("https://app", i, ".example.com"));
  }
  for (int i = 0; i < 100; ++i) {
    rule.allowed_origins.push_back(absl::StrCat("https://*.tenant", i, ".example.net"));
  }
  rule.allowed_methods = {"PUT", "DELETE", "PATCH"};
  rule.allowed_headers = {"content-type", "x-request-id", "x-trace-id", "authorization"};
  rule.exposed_headers = {"x-request-id"};
  rule.allow_credentials = true;
  rule.max_age_seconds = 600;
  PolicyCompilation compiled = CompilePolicy(spec, 1);
  if (compiled.policy == nullptr) abort();
  (*cache)[key] = compiled.policy;
  return *compiled.policy;
}

// The origin that matches is the last exact entry, so hash placement, not
// list position, decides the cost.
std::string AllowedOrigin(int exact) {
  exact = std::min(exact, static_cast<int>(kMaxOriginsPerPolicy) - 100);
  return absl::StrCat("https://app", exact - 1, ".example.com");
}

void Run(benchmark::State& state, const Request& request, Verdict expected) {
  const CompiledPolicy& policy = PolicyWithOrigins(static_cast<int>(state.range(0)));
  Decision decision;
  Decide(policy, request, {}, &decision);
  if (decision.verdict != expected) {
    state.SkipWithError("unexpected verdict");
    return;
  }
  const uint64_t before = bench::ThreadAllocations();
  for (auto _ : state) {
    Decide(policy, request, {}, &decision);
    benchmark::DoNotOptimize(decision.response_headers().data());
  }
  state.counters["allocs_per_op"] = benchmark::Counter(
      static_cast<double>(bench::ThreadAllocations() - before), benchmark::Counter::kAvgIterations);
}

void BM_ActualAllowed(benchmark::State& state) {
  const std::string origin = AllowedOrigin(static_cast<int>(state.range(0)));
  Run(state, Request{.origin = origin, .method = "GET", .path = "/api/items"}, Verdict::kAllow);
}

void BM_ActualAllowedWildcard(benchmark::State& state) {
  Run(state,
      Request{
          .origin = "https://eu.shop.tenant57.example.net", .method = "GET", .path = "/api/items"},
      Verdict::kAllow);
}

void BM_ActualDenied(benchmark::State& state) {
  Run(state, Request{.origin = "https://evil.example.org", .method = "GET", .path = "/api/items"},
      Verdict::kDeny);
}

void BM_PreflightAllowed3Headers(benchmark::State& state) {
  const std::string origin = AllowedOrigin(static_cast<int>(state.range(0)));
  const HeaderView headers[] = {
      {"Access-Control-Request-Method", "PUT"},
      {"Access-Control-Request-Headers", "content-type,x-request-id,x-trace-id"}};
  Run(state,
      Request{.origin = origin, .method = "OPTIONS", .path = "/api/items", .headers = headers},
      Verdict::kAllow);
}

void BM_PreflightDenied(benchmark::State& state) {
  const HeaderView headers[] = {
      {"Access-Control-Request-Method", "PUT"},
      {"Access-Control-Request-Headers", "content-type,x-request-id,x-trace-id"}};
  Run(state,
      Request{.origin = "https://evil.example.org",
              .method = "OPTIONS",
              .path = "/api/items",
              .headers = headers},
      Verdict::kDeny);
}

// A server's Check of a tenant with and without a shadow policy (range(1)):
// the tenant looked up, Decide, and with a shadow the request recorded for
// the background thread that decides it again (what the Check path pays:
// counting a request shape the thread's memo holds). The shadow decides
// like the active policy (agreements, the common case).
// range(0): 0 = actual allowed, 1 = preflight allowed.
void BM_CheckShadow(benchmark::State& state) {
  static ShadowRecorder* recorder = new ShadowRecorder(ShadowRecorder::Options{});
  const CompiledPolicy& active = PolicyWithOrigins(1000);
  auto shadow =
      std::make_shared<const ShadowPolicy>(ShadowPolicy{.policy = active.WithRevision(1),
                                                        .updated_at_us = 1,
                                                        .tally = std::make_shared<ShadowTally>()});
  TenantRegistry registry;
  auto tenant = std::make_shared<TenantSnapshot>();
  tenant->name = "shop";
  tenant->policy = active.WithRevision(1);
  if (state.range(1) == 1) tenant->shadow = shadow;
  registry.Apply({TenantUpdate::Upsert(tenant)});
  const std::string origin = AllowedOrigin(1000);
  const HeaderView headers[] = {
      {"Access-Control-Request-Method", "PUT"},
      {"Access-Control-Request-Headers", "content-type,x-request-id,x-trace-id"}};
  const Request request =
      state.range(0) == 0
          ? Request{.origin = origin, .method = "GET", .path = "/api/items"}
          : Request{
                .origin = origin, .method = "OPTIONS", .path = "/api/items", .headers = headers};
  Decision decision;
  for (auto _ : state) {
    const TenantSnapshot* found = registry.FindByName("shop");
    if (found->shadow == nullptr) {
      Decide(*found->policy, request, {}, &decision);
    } else {
      const CorsRequestHeaders cors = ScanCorsRequestHeaders(request.headers);
      Decide(*found->policy, request, cors, {}, &decision);
      recorder->Record(found->shadow, request, cors, decision.verdict, decision.reason);
    }
    benchmark::DoNotOptimize(decision.response_headers().data());
  }
  recorder->Flush();
  if (state.range(1) == 1 && shadow->tally->Counts().empty()) state.SkipWithError("not counted");
}
BENCHMARK(BM_CheckShadow)->ArgsProduct({{0, 1}, {0, 1}})->ArgNames({"preflight", "shadow"});

// Start-up and every policy write pay this once per policy: 20 exact origins
// and one wildcard, the shape of the fleet-size benchmark's tenants.
void BM_CompilePolicy20Origins(benchmark::State& state) {
  PolicySpec spec;
  RuleSpec& rule = spec.rules.emplace_back();
  rule.allowed_origins.push_back("https://app.example.com");
  for (int i = 1; i < 20; ++i) {
    rule.allowed_origins.push_back(absl::StrCat("https://app-", i, ".example.com"));
  }
  rule.allowed_origins.push_back("https://*.cdn.example.com");
  rule.allowed_methods = {"PUT"};
  rule.allowed_headers = {"content-type", "x-request-id"};
  rule.exposed_headers = {"x-request-id"};
  rule.max_age_seconds = 600;
  for (auto _ : state) {
    PolicyCompilation compiled = CompilePolicy(spec, 1, PolicySource::kStored);
    if (compiled.policy == nullptr) abort();
    benchmark::DoNotOptimize(compiled.policy);
  }
}
BENCHMARK(BM_CompilePolicy20Origins);

// Publishing a change to one tenant of a registry of N: a new policy, a new
// host, or a tenant created and deleted again. Each must cost the same at
// 100,000 tenants as at 10 (before: a copy of the whole directory per write).
std::shared_ptr<const TenantSnapshot> FleetTenant(int i, std::string host, int64_t revision) {
  return std::make_shared<const TenantSnapshot>(
      TenantSnapshot{absl::StrCat("t-", i), {std::move(host)}, CompiledPolicy::Empty(revision)});
}

TenantRegistry& FleetRegistry(int tenants) {
  static auto* registries = new std::map<int, std::unique_ptr<TenantRegistry>>();
  std::unique_ptr<TenantRegistry>& registry = (*registries)[tenants];
  if (registry == nullptr) {
    registry = std::make_unique<TenantRegistry>();
    std::vector<std::shared_ptr<const TenantSnapshot>> all;
    for (int i = 0; i < tenants; ++i) {
      all.push_back(FleetTenant(i, absl::StrCat("t-", i, ".api.example"), 1));
    }
    registry->Replace(all);
  }
  return *registry;
}

void BM_RegistryPolicyChange(benchmark::State& state) {
  const int tenants = static_cast<int>(state.range(0));
  TenantRegistry& registry = FleetRegistry(tenants);
  int64_t revision = 2;
  for (auto _ : state) {
    const int i = static_cast<int>(revision % tenants);
    registry.Apply(
        {TenantUpdate::Upsert(FleetTenant(i, absl::StrCat("t-", i, ".api.example"), revision++))});
  }
}
BENCHMARK(BM_RegistryPolicyChange)->Arg(10)->Arg(100000);

void BM_RegistryHostChange(benchmark::State& state) {
  const int tenants = static_cast<int>(state.range(0));
  TenantRegistry& registry = FleetRegistry(tenants);
  int64_t round = 0;
  for (auto _ : state) {
    // The tenant's host moves to a new name and back on the next round.
    registry.Apply({TenantUpdate::Upsert(
        FleetTenant(0, round % 2 == 0 ? "moved.api.example" : "t-0.api.example", round + 2))});
    ++round;
  }
}
BENCHMARK(BM_RegistryHostChange)->Arg(10)->Arg(100000);

void BM_RegistryCreateAndDelete(benchmark::State& state) {
  const int tenants = static_cast<int>(state.range(0));
  TenantRegistry& registry = FleetRegistry(tenants);
  for (auto _ : state) {
    registry.Apply({TenantUpdate::Upsert(FleetTenant(-1, "new.api.example", 1))});
    registry.Apply({TenantUpdate::Remove("t--1")});
  }
}
BENCHMARK(BM_RegistryCreateAndDelete)->Arg(10)->Arg(100000);

BENCHMARK(BM_ActualAllowed)->Arg(10)->Arg(1000)->Arg(100000);
BENCHMARK(BM_ActualAllowedWildcard)->Arg(10)->Arg(1000)->Arg(100000);
BENCHMARK(BM_ActualDenied)->Arg(10)->Arg(1000)->Arg(100000);
BENCHMARK(BM_PreflightAllowed3Headers)->Arg(10)->Arg(1000)->Arg(100000);
BENCHMARK(BM_PreflightDenied)->Arg(10)->Arg(1000)->Arg(100000);

}  // namespace
}  // namespace corsd::engine

BENCHMARK_MAIN();
