// corsd-bench-populate: fills a store with the tenants corsd-bench's built-in
// scenarios expect, directly through the store API (no server needed, so the
// 10,000-tenant start-up benchmark can prepare its database quickly).
//
//   corsd-bench-populate --db /dev/shm/bench.db                 # tenant "bench"
//   corsd-bench-populate --db /dev/shm/bench.db --tenants 10000 # + bench-0..bench-9999
//
// With --hosts, bench-N also serves requests for host bench-N.api.example, as
// a platform with one customer domain per tenant would.
//
// Every tenant gets the same shape of policy: `--origins` exact origins
// (https://app.example.com first, then https://app-N.example.com) plus
// https://*.cdn.example.com, allowing PUT with content-type and x-request-id.
// Each write is its own synchronous transaction, as through the admin API;
// put the database on tmpfs (/dev/shm) when populating many tenants.
#include <cstdio>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "corsd/v1/corsd.pb.h"
#include "service/convert/policy_convert.h"
#include "service/store/store_factory.h"

namespace corsd::bench {
namespace {

v1::Policy BenchPolicy(int origins) {
  v1::Policy policy;
  v1::CorsRule* rule = policy.add_rules();
  rule->add_allowed_origins("https://app.example.com");
  for (int i = 1; i < origins; ++i) {
    rule->add_allowed_origins(absl::StrCat("https://app-", i, ".example.com"));
  }
  rule->add_allowed_origins("https://*.cdn.example.com");
  rule->add_allowed_methods("PUT");
  rule->add_allowed_headers("content-type");
  rule->add_allowed_headers("x-request-id");
  rule->add_exposed_headers("x-request-id");
  rule->set_max_age_seconds(600);
  return policy;
}

// Creates `name` (unless it exists) and gives it `policy` unless it already
// has exactly that policy.
absl::Status Populate(store::PolicyStore& store, const std::string& name,
                      std::vector<std::string> hosts, const std::string& policy) {
  const store::Actor actor{.label = "corsd-bench-populate"};
  absl::StatusOr<store::TenantRecord> created =
      store.CreateTenant(store::TenantRecord{.name = name, .hosts = std::move(hosts)}, actor);
  if (!created.ok() && created.status().code() != absl::StatusCode::kAlreadyExists) {
    return created.status();
  }
  absl::StatusOr<store::PolicyRevisionRecord> current = store.GetPolicy(name);
  if (current.ok() && current->policy == policy) return absl::OkStatus();
  return store.PutPolicy(name, policy, std::nullopt, "benchmark policy", actor).status();
}

int Run(const store::StoreSelection& selection, int tenants, int origins, bool with_hosts) {
  absl::StatusOr<store::OpenedStore> opened = store::OpenStore(selection, /*migrate=*/true);
  if (!opened.ok()) {
    fprintf(stderr, "corsd-bench-populate: %s\n", std::string(opened.status().message()).c_str());
    return 6;
  }
  const std::string policy = SerializePolicy(BenchPolicy(origins));
  const absl::Time start = absl::Now();
  for (int i = -1; i < tenants; ++i) {
    const std::string name = i < 0 ? "bench" : absl::StrCat("bench-", i);
    std::vector<std::string> hosts;
    if (with_hosts) hosts.push_back(absl::StrCat(name, ".api.example"));
    if (absl::Status status = Populate(*opened->store, name, std::move(hosts), policy);
        !status.ok()) {
      fprintf(stderr, "corsd-bench-populate: tenant %s: %s\n", name.c_str(),
              std::string(status.message()).c_str());
      return 1;
    }
  }
  printf("populated %d tenants with %d origins each in %.1f s (%s)\n", tenants + 1, origins,
         absl::ToDoubleSeconds(absl::Now() - start), opened->store->Describe().c_str());
  return 0;
}

}  // namespace
}  // namespace corsd::bench

int main(int argc, char** argv) {
  corsd::store::StoreSelection selection;
  int tenants = 0;
  int origins = 100;
  bool with_hosts = false;
  CLI::App app{
      "corsd-bench-populate: create the tenants corsd-bench expects.\n\n"
      "Always creates tenant \"bench\"; --tenants N adds bench-0..bench-(N-1).\n"
      "Example: corsd-bench-populate --db /dev/shm/bench.db --tenants 10000",
      "corsd-bench-populate"};
  auto* db = app.add_option("--db", selection.db_path, "SQLite database (created if missing)");
  app.add_option("--store", selection.store_url, "postgres://... instead of --db")->excludes(db);
  app.add_option("--tenants", tenants, "extra tenants bench-0..bench-(N-1)")
      ->check(CLI::Range(0, 1'000'000))
      ->capture_default_str();
  app.add_option("--origins", origins, "exact origins per policy (plus one wildcard)")
      ->check(CLI::Range(1, 99'900))
      ->capture_default_str();
  app.add_flag("--hosts", with_hosts, "give tenant NAME the host NAME.api.example");
  CLI11_PARSE(app, argc, argv);
  if (selection.db_path.empty() && selection.store_url.empty()) {
    fprintf(stderr, "corsd-bench-populate: give --db PATH or --store postgres://...\n");
    return 2;
  }
  return corsd::bench::Run(selection, tenants, origins, with_hosts);
}
