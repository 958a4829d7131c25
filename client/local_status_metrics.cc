// LocalStatusMetrics: the watch state in the Prometheus text format.
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "corsd/client.h"

namespace corsd {
namespace {

// Prometheus label values escape backslash, double quote and newline.
std::string EscapeLabelValue(absl::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\' || c == '"') out.push_back('\\');
    if (c == '\n') {
      out.append("\\n");
      continue;
    }
    out.push_back(c);
  }
  return out;
}

}  // namespace

std::string LocalStatusMetrics(const LocalPolicyStatus& status) {
  const bool synced = status.synced_at != absl::InfinitePast();
  const double staleness = synced
                               ? absl::ToDoubleSeconds(status.staleness == absl::InfiniteDuration()
                                                           ? absl::Now() - status.synced_at
                                                           : status.staleness)
                               : -1;
  std::string out = absl::StrCat(
      "# HELP corsd_client_watch_connected 1 while the policy watch stream is connected and "
      "holds the full state.\n"
      "# TYPE corsd_client_watch_connected gauge\n"
      "corsd_client_watch_connected ",
      status.connected ? 1 : 0,
      "\n"
      "# HELP corsd_client_policy_staleness_seconds How long local decisions have used "
      "policies that may be out of date (0 while connected, -1 if never synced).\n"
      "# TYPE corsd_client_policy_staleness_seconds gauge\n"
      "corsd_client_policy_staleness_seconds ",
      staleness,
      "\n"
      "# HELP corsd_client_policy_synced_timestamp_seconds When the local state was last "
      "complete (Unix time, 0 if never).\n"
      "# TYPE corsd_client_policy_synced_timestamp_seconds gauge\n"
      "corsd_client_policy_synced_timestamp_seconds ",
      synced ? absl::ToUnixSeconds(status.synced_at) : 0,
      "\n"
      "# HELP corsd_client_serving_from_snapshot 1 while local decisions come from the "
      "snapshot file because corsd has not answered since the client started.\n"
      "# TYPE corsd_client_serving_from_snapshot gauge\n"
      "corsd_client_serving_from_snapshot ",
      status.from_snapshot ? 1 : 0, "\n");
  if (!status.revisions.empty()) {
    absl::StrAppend(&out,
                    "# HELP corsd_client_policy_revision Policy revision held per tenant.\n"
                    "# TYPE corsd_client_policy_revision gauge\n");
    for (const auto& [tenant, revision] : status.revisions) {
      absl::StrAppend(&out, "corsd_client_policy_revision{tenant=\"", EscapeLabelValue(tenant),
                      "\"} ", revision, "\n");
    }
  }
  return out;
}

}  // namespace corsd
