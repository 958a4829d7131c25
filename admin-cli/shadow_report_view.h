// Shadow reports for people and scripts: several replicas' reports summed
// into one, and the table `policy shadow report` (and `policy replay`,
// grouped the same way) prints.
//
//   v1::ShadowReport all = MergeShadowReports({report_a, report_b});
//   fputs(RenderShadowReport(all).c_str(), stdout);
#ifndef CORSD_ADMIN_CLI_SHADOW_REPORT_VIEW_H_
#define CORSD_ADMIN_CLI_SHADOW_REPORT_VIEW_H_

#include <string>
#include <vector>

#include "corsd/v1/corsd.pb.h"

namespace corsd::cli {

// Counts summed by (active, shadow, reason); samples merged newest first and
// cut to the 100 newest; `since` the latest; `replica` the names joined
// with ", ".
v1::ShadowReport MergeShadowReports(const std::vector<v1::ShadowReport>& reports);

// A summary line, then one row per (active -> shadow verdict, shadow reason)
// with its count and its share of all decisions, changes first and larger
// counts first, then the samples. `what` names what was counted
// ("decisions", "logged requests").
std::string RenderShadowReport(const v1::ShadowReport& report, const std::string& what);

}  // namespace corsd::cli

#endif  // CORSD_ADMIN_CLI_SHADOW_REPORT_VIEW_H_
