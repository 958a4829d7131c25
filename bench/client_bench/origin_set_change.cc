// An origin set referenced by many tenants, changed: how long the one store
// transaction that re-revises every tenant takes, how long until the
// PutOriginSet call returns, and how long until every tenant decides with
// the change, remotely (Check on the data port) and in a client deciding
// locally from the watch stream.
//
// Setup (idempotent): the set `bench-set` and `tenants` tenants `set-user-N`
// whose policy is {allowedOrigins: ["@bench-set"]}. Each round replaces the
// set's last origin with a new one, then polls every tenant with that origin
// until all allow it. The store transaction's time is the increase of
// corsd_store_write_duration_seconds_sum on the metrics endpoint across the
// call (nothing else writes meanwhile).
#include <grpcpp/grpcpp.h>
#include <httplib.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "bench/client_bench/modes.h"
#include "corsd/client.h"
#include "service/common/status_macros.h"

namespace corsd::bench {
namespace {

constexpr char kSet[] = "bench-set";
constexpr absl::Duration kSetChangeGiveUp = absl::Seconds(60);

absl::Status FromGrpc(const grpc::Status& status, absl::string_view what) {
  if (status.ok()) return absl::OkStatus();
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                      absl::StrCat(what, ": ", status.error_message()));
}

std::string TenantName(int i) { return absl::StrCat("set-user-", i); }

// The sum of corsd_store_write_duration_seconds, in seconds.
absl::StatusOr<double> StoreWriteSeconds(const std::string& metrics) {
  const std::vector<std::string> parts = absl::StrSplit(metrics, ':');
  int port = 0;
  if (parts.size() != 2 || !absl::SimpleAtoi(parts[1], &port)) {
    return absl::InvalidArgumentError("--metrics takes HOST:PORT");
  }
  httplib::Client http(parts[0], port);
  auto response = http.Get("/metrics");
  if (!response || response->status != 200) {
    return absl::UnavailableError(absl::StrCat("cannot read http://", metrics, "/metrics"));
  }
  for (absl::string_view line : absl::StrSplit(response->body, '\n')) {
    if (!absl::ConsumePrefix(&line, "corsd_store_write_duration_seconds_sum ")) continue;
    double seconds = 0;
    if (absl::SimpleAtod(line, &seconds)) return seconds;
  }
  return absl::NotFoundError("corsd_store_write_duration_seconds_sum is not in /metrics");
}

v1::OriginSet SetWith(const std::string& last) {
  v1::OriginSet set;
  set.set_name(kSet);
  for (int i = 0; i < 19; ++i) set.add_origins(absl::StrCat("https://web-", i, ".example.com"));
  set.add_origins(last);
  return set;
}

absl::Status Setup(v1::CorsAdmin::Stub& admin, const ClientBenchTargets& targets, int tenants) {
  {
    v1::PutOriginSetRequest request;
    *request.mutable_set() = SetWith("https://round-0.example.com");
    v1::OriginSet written;
    grpc::ClientContext context;
    Authorize(context, targets.token);
    RETURN_IF_ERROR(FromGrpc(admin.PutOriginSet(&context, request, &written), "PutOriginSet"));
  }
  for (int i = 0; i < tenants; ++i) {
    v1::CreateTenantRequest create;
    create.set_name(TenantName(i));
    v1::Tenant tenant;
    grpc::ClientContext create_context;
    Authorize(create_context, targets.token);
    grpc::Status created = admin.CreateTenant(&create_context, create, &tenant);
    if (created.error_code() == grpc::StatusCode::ALREADY_EXISTS) continue;
    RETURN_IF_ERROR(FromGrpc(created, "CreateTenant"));
    v1::PutPolicyRequest put;
    put.set_tenant(TenantName(i));
    put.mutable_policy()->add_rules()->add_allowed_origins(absl::StrCat("@", kSet));
    v1::PolicyVersion version;
    grpc::ClientContext put_context;
    Authorize(put_context, targets.token);
    RETURN_IF_ERROR(FromGrpc(admin.PutPolicy(&put_context, put, &version), "PutPolicy"));
  }
  return absl::OkStatus();
}

// Polls `decide` for every tenant until each allows `origin`.
template <typename Decide>
absl::Status UntilAllAllow(int tenants, const std::string& origin, absl::Time since,
                           Decide decide) {
  for (int i = 0; i < tenants; ++i) {
    while (true) {
      ASSIGN_OR_RETURN(bool allowed, decide(TenantName(i), origin));
      if (allowed) break;
      if (absl::Now() - since > kSetChangeGiveUp) {
        return absl::DeadlineExceededError(
            absl::StrCat(TenantName(i), " did not decide with the change within 60 s"));
      }
      absl::SleepFor(absl::Microseconds(50));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<nlohmann::json> MeasureOriginSetChange(const ClientBenchTargets& targets,
                                                      const std::string& metrics, int tenants,
                                                      int rounds) {
  std::unique_ptr<v1::CorsAdmin::Stub> admin = AdminStub(targets.admin);
  RETURN_IF_ERROR(Setup(*admin, targets, tenants));
  ASSIGN_OR_RETURN(std::unique_ptr<Client> local,
                   SyncedLocalClient(targets, /*watch_all=*/true, absl::Seconds(60)));
  std::unique_ptr<v1::CorsDecision::Stub> data = v1::CorsDecision::NewStub(
      grpc::CreateChannel(targets.data, grpc::InsecureChannelCredentials()));

  nlohmann::json samples = nlohmann::json::array();
  for (int round = 1; round <= rounds; ++round) {
    const std::string origin = absl::StrCat("https://round-", round, ".example.com");
    ASSIGN_OR_RETURN(const double store_before, StoreWriteSeconds(metrics));
    v1::PutOriginSetRequest request;
    *request.mutable_set() = SetWith(origin);
    request.set_comment("bench");
    v1::OriginSet written;
    grpc::ClientContext context;
    Authorize(context, targets.token, kSetChangeGiveUp);
    const absl::Time start = absl::Now();
    RETURN_IF_ERROR(FromGrpc(admin->PutOriginSet(&context, request, &written), "PutOriginSet"));
    const absl::Duration ack = absl::Now() - start;
    ASSIGN_OR_RETURN(const double store_after, StoreWriteSeconds(metrics));

    RETURN_IF_ERROR(UntilAllAllow(
        tenants, origin, start,
        [&](const std::string& tenant, const std::string& o) -> absl::StatusOr<bool> {
          v1::CheckRequest check;
          check.set_tenant(tenant);
          check.set_origin(o);
          check.set_method("GET");
          v1::CheckResponse answer;
          grpc::ClientContext check_context;
          check_context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
          RETURN_IF_ERROR(FromGrpc(data->Check(&check_context, check, &answer), "Check"));
          return answer.verdict() == v1::ALLOW;
        }));
    const absl::Duration all_checks = absl::Now() - start;
    RETURN_IF_ERROR(UntilAllAllow(
        tenants, origin, start,
        [&](const std::string& tenant, const std::string& o) -> absl::StatusOr<bool> {
          ASSIGN_OR_RETURN(Decision decision,
                           local->Check({.tenant = tenant, .origin = o, .method = "GET"}));
          return decision.source == Decision::Source::kLocal && decision.verdict == Verdict::kAllow;
        }));
    const absl::Duration all_local = absl::Now() - start;
    samples.push_back({{"store_write_ms", (store_after - store_before) * 1e3},
                       {"ack_ms", absl::ToDoubleMilliseconds(ack)},
                       {"all_checks_ms", absl::ToDoubleMilliseconds(all_checks)},
                       {"all_local_ms", absl::ToDoubleMilliseconds(all_local)}});
    printf(
        "round %d: store transaction %.1f ms, PutOriginSet acknowledged %.1f ms, every "
        "tenant by Check %.1f ms, by the local client %.1f ms\n",
        round, (store_after - store_before) * 1e3, absl::ToDoubleMilliseconds(ack),
        absl::ToDoubleMilliseconds(all_checks), absl::ToDoubleMilliseconds(all_local));
  }
  return nlohmann::json{{"tenants", tenants}, {"rounds", samples}};
}

}  // namespace corsd::bench
