// What a shadow policy adds to a gateway's local decision: CheckLocal on a
// tenant with a shadow against a tenant with the same policy and no shadow,
// decided by one client that watches both.
//
// Both tenants are measured in one process, in short batches that alternate
// (the order flips every round), so they share the machine's noise, the
// binary's layout and the caches. Separate processes measured one after the
// other differ by more than the few nanoseconds being measured. Each round
// gives one ratio per request kind; the median of those is the answer, and
// the medians of each side's nanoseconds show what the ratio is made of.
#include <algorithm>
#include <cstdio>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "bench/client_bench/modes.h"

namespace corsd::bench {
namespace {

constexpr int kBatch = 1000;

double Median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

// Fails unless `tenant` has a shadow policy exactly when `want_shadow`:
// measuring two tenants that both have one (or neither) would show nothing.
absl::Status ExpectShadow(const ClientBenchTargets& targets, const std::string& tenant,
                          bool want_shadow) {
  std::unique_ptr<v1::CorsAdmin::Stub> admin = AdminStub(targets.admin);
  grpc::ClientContext context;
  Authorize(context, targets.token);
  v1::GetShadowPolicyRequest request;
  request.set_tenant(tenant);
  v1::ShadowPolicy shadow;
  const grpc::Status status = admin->GetShadowPolicy(&context, request, &shadow);
  const bool has_shadow = status.ok();
  if (!has_shadow && status.error_code() != grpc::StatusCode::NOT_FOUND) {
    return absl::UnavailableError(
        absl::StrCat("GetShadowPolicy ", tenant, ": ", status.error_message()));
  }
  if (has_shadow != want_shadow) {
    return absl::FailedPreconditionError(absl::StrCat(
        "tenant ", tenant, want_shadow ? " has no shadow policy" : " has a shadow policy",
        "; give --tenant a tenant with one and --without the same policy without one"));
  }
  return absl::OkStatus();
}

// The answers of two tenants compared, as Decision::SameAnswer does, their
// names and revisions aside.
bool SameAnswer(const DecisionView& a, const DecisionView& b) {
  const Decision x = a.ToDecision();
  Decision y = b.ToDecision();
  y.tenant = x.tenant;
  y.policy_revision = x.policy_revision;
  return x.SameAnswer(y);
}

// Nanoseconds per CheckLocal of `request`, over one batch.
absl::StatusOr<double> TimeBatch(Client& client, const CorsRequestView& request,
                                 size_t* headers_read) {
  const absl::Time start = absl::Now();
  for (int i = 0; i < kBatch; ++i) {
    DecisionView decision;  // per request, as a gateway would
    if (!client.CheckLocal(request, &decision)) {
      return absl::InternalError(
          absl::StrCat("CheckLocal did not decide locally for tenant ", request.tenant));
    }
    for (const HeaderRef& h : decision.response_headers()) *headers_read += h.value.size();
  }
  return absl::ToDoubleNanoseconds(absl::Now() - start) / kBatch;
}

}  // namespace

absl::StatusOr<nlohmann::json> MeasureShadowCost(const ClientBenchTargets& targets,
                                                 const std::string& without_tenant,
                                                 absl::Duration duration, int rounds) {
  if (absl::Status status = ExpectShadow(targets, targets.tenant, true); !status.ok()) {
    return status;
  }
  ClientBenchTargets without_targets = targets;
  without_targets.tenant = without_tenant;
  if (absl::StatusOr<v1::Policy> policy = CurrentPolicy(*AdminStub(targets.admin), without_targets);
      !policy.ok()) {
    return policy.status();  // a tenant that does not exist has no shadow either
  }
  if (absl::Status status = ExpectShadow(targets, without_tenant, false); !status.ok()) {
    return status;
  }
  absl::StatusOr<std::unique_ptr<Client>> client = SyncedLocalClient(targets, /*watch_all=*/true);
  if (!client.ok()) return client.status();
  const std::vector<BenchRequest> with_kinds = BenchRequests(targets.tenant);
  const std::vector<BenchRequest> without_kinds = BenchRequests(without_tenant);
  std::vector<std::pair<ViewRequest, ViewRequest>> requests;  // (without, with) per kind
  requests.reserve(with_kinds.size());
  for (size_t k = 0; k < with_kinds.size(); ++k) {
    requests.emplace_back(ViewRequest(without_kinds[k].request),
                          ViewRequest(with_kinds[k].request));
  }
  // Same policy, so the same answers; and the shadow must not change them.
  for (size_t k = 0; k < requests.size(); ++k) {
    DecisionView without, with;
    if (!(*client)->CheckLocal(requests[k].first.view, &without) ||
        !(*client)->CheckLocal(requests[k].second.view, &with) ||
        with.verdict() != with_kinds[k].expected || !SameAnswer(with, without)) {
      return absl::FailedPreconditionError(
          absl::StrCat("the two tenants do not answer the ", with_kinds[k].name,
                       " request alike, as expected (same corsd-bench-populate policy on both?)"));
    }
  }

  // Each round times one batch of each side per kind until its share of
  // `duration` has passed.
  const absl::Duration slice = duration / (2 * rounds * requests.size());
  std::vector<std::vector<double>> without_ns(requests.size()), with_ns(requests.size()),
      ratios(requests.size());
  size_t headers_read = 0;  // keeps the loops from being optimized away
  for (int round = 0; round < rounds; ++round) {
    for (size_t k = 0; k < requests.size(); ++k) {
      double side_ns[2] = {0, 0};  // without, with
      int side_batches[2] = {0, 0};
      for (int turn = 0; turn < 2; ++turn) {
        const int side = (round + turn) % 2;
        const CorsRequestView& request =
            side == 0 ? requests[k].first.view : requests[k].second.view;
        const absl::Time end = absl::Now() + slice;
        do {
          absl::StatusOr<double> ns = TimeBatch(**client, request, &headers_read);
          if (!ns.ok()) return ns.status();
          side_ns[side] += *ns;
          ++side_batches[side];
        } while (absl::Now() < end);
      }
      without_ns[k].push_back(side_ns[0] / side_batches[0]);
      with_ns[k].push_back(side_ns[1] / side_batches[1]);
      ratios[k].push_back(with_ns[k].back() / without_ns[k].back());
    }
  }

  nlohmann::json out = nlohmann::json::object();
  for (size_t k = 0; k < requests.size(); ++k) {
    const double ratio = Median(ratios[k]);
    printf("%-9s without shadow %.1f ns, with shadow %.1f ns: ratio %.3f (median of %d rounds)\n",
           with_kinds[k].name, Median(without_ns[k]), Median(with_ns[k]), ratio, rounds);
    out[with_kinds[k].name] = {{"without_ns_per_decision", Median(without_ns[k])},
                               {"with_ns_per_decision", Median(with_ns[k])},
                               {"ratio", ratio},
                               {"ratio_min", *std::min_element(ratios[k].begin(), ratios[k].end())},
                               {"ratio_max", *std::max_element(ratios[k].begin(), ratios[k].end())},
                               {"rounds", rounds}};
  }
  out["tenant"] = targets.tenant;
  out["without_tenant"] = without_tenant;
  out["headers_read"] = headers_read;
  return out;
}

}  // namespace corsd::bench
