#include "client/shadow_reporter.h"

#include <unistd.h>

#include <vector>

#include "absl/strings/str_cat.h"
#include "service/convert/shadow_convert.h"
#include "service/convert/time_convert.h"

namespace corsd::client_internal {
namespace {

std::string DefaultClientName(const ClientOptions& options) {
  if (!options.client_name.empty()) return options.client_name;
  char host[256] = {};
  if (gethostname(host, sizeof(host) - 1) != 0) return absl::StrCat("pid-", getpid());
  return absl::StrCat(host, "/", getpid());
}

}  // namespace

ShadowReporter::ShadowReporter(std::shared_ptr<grpc::Channel> admin_channel,
                               const ClientOptions& options, const engine::TenantRegistry* registry)
    : admin_(v1::CorsAdmin::NewStub(std::move(admin_channel))),
      options_(options),
      client_name_(DefaultClientName(options)),
      registry_(registry),
      recorder_(engine::ShadowRecorder::Options{}) {
  thread_ = std::thread([this] { Run(); });
}

ShadowReporter::~ShadowReporter() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  thread_.join();
}

void ShadowReporter::Run() {
  while (true) {
    bool stopping;
    {
      absl::MutexLock lock(&mu_);
      mu_.AwaitWithTimeout(absl::Condition(&stopping_), options_.shadow_report_interval);
      stopping = stopping_;
    }
    // The last one too, on the way out, but never holding up the gateway's
    // shutdown for long.
    ReportAll(absl::Now() + (stopping ? absl::Seconds(1) : absl::Seconds(5)));
    if (stopping) return;
  }
}

void ShadowReporter::ReportAll(absl::Time deadline) {
  recorder_.Flush();
  std::vector<std::shared_ptr<const engine::TenantSnapshot>> with_shadow;
  registry_->Load()->tenants().ForEach([&](const engine::TenantDirectory::TenantMap::Entry& entry) {
    if (entry.value->shadow != nullptr) with_shadow.push_back(entry.value);
  });
  for (const std::shared_ptr<const engine::TenantSnapshot>& tenant : with_shadow) {
    engine::ShadowTally& tally = *tenant->shadow->tally;
    v1::ReportShadowCountsRequest request;
    AppendShadowCounts(tally.TakeCounts(), request.mutable_counts());
    AppendShadowSamples(tally.TakeNewSamples(), request.mutable_samples());
    if (request.counts().empty() && request.samples().empty()) continue;
    request.set_tenant(tenant->name);
    ToTimestamp(absl::FromUnixMicros(tenant->shadow->updated_at_us),
                request.mutable_shadow_updated_at());
    request.set_client(client_name_);
    grpc::ClientContext context;
    context.AddMetadata("authorization", "Bearer " + options_.admin_token);
    if (absl::Now() >= deadline) return;  // the rest were counted; they are not sent
    context.set_deadline(absl::ToChronoTime(deadline));
    google::protobuf::Empty empty;
    grpc::Status status = admin_->ReportShadowCounts(&context, request, &empty);
    if (!status.ok() && options_.log) {
      // Shadow counts are best effort: what could not be sent is not sent
      // again (a later report starts from zero), so the report undercounts
      // rather than counting twice.
      options_.log(absl::StrCat("corsd client: shadow counts for ", tenant->name,
                                " not reported: ", status.error_message()));
    }
  }
}

}  // namespace corsd::client_internal
