#include "admin-cli/shadow_report_view.h"

#include <algorithm>
#include <map>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "admin-cli/text_table.h"

namespace corsd::cli {
namespace {

constexpr int kMaxSamples = 100;

bool Later(const google::protobuf::Timestamp& a, const google::protobuf::Timestamp& b) {
  return std::make_pair(a.seconds(), a.nanos()) > std::make_pair(b.seconds(), b.nanos());
}

bool Newer(const v1::ShadowSample& a, const v1::ShadowSample& b) {
  return Later(a.time(), b.time());
}

std::string Thousands(int64_t n) {
  std::string digits = absl::StrCat(n < 0 ? -n : n);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return n < 0 ? "-" + out : out;
}

std::string Share(int64_t count, int64_t total) {
  if (total == 0) return "-";
  return absl::StrFormat("%.2f%%", 100.0 * static_cast<double>(count) / static_cast<double>(total));
}

}  // namespace

v1::ShadowReport MergeShadowReports(const std::vector<v1::ShadowReport>& reports) {
  v1::ShadowReport merged;
  if (reports.empty()) return merged;
  merged.set_tenant(reports[0].tenant());
  std::map<std::tuple<int, int, int>, int64_t> counts;
  std::vector<std::string> replicas;
  std::vector<v1::ShadowSample> samples;
  for (const v1::ShadowReport& report : reports) {
    if (Later(report.since(), merged.since())) {
      *merged.mutable_since() = report.since();
    }
    for (const v1::ShadowCount& count : report.counts()) {
      counts[{count.active_verdict(), count.shadow_verdict(), count.shadow_reason()}] +=
          count.count();
    }
    samples.insert(samples.end(), report.samples().begin(), report.samples().end());
    replicas.push_back(report.replica());
  }
  for (const auto& [key, count] : counts) {
    v1::ShadowCount* out = merged.add_counts();
    out->set_active_verdict(static_cast<v1::Verdict>(std::get<0>(key)));
    out->set_shadow_verdict(static_cast<v1::Verdict>(std::get<1>(key)));
    out->set_shadow_reason(static_cast<v1::Reason>(std::get<2>(key)));
    out->set_count(count);
  }
  std::stable_sort(samples.begin(), samples.end(), Newer);
  if (samples.size() > kMaxSamples) samples.resize(kMaxSamples);
  for (v1::ShadowSample& sample : samples) *merged.add_samples() = std::move(sample);
  merged.set_replica(absl::StrJoin(replicas, ", "));
  return merged;
}

std::string RenderShadowReport(const v1::ShadowReport& report, const std::string& what) {
  std::vector<const v1::ShadowCount*> rows;
  int64_t total = 0;
  int64_t changed = 0;
  for (const v1::ShadowCount& count : report.counts()) {
    rows.push_back(&count);
    total += count.count();
    if (count.active_verdict() != count.shadow_verdict()) changed += count.count();
  }
  std::stable_sort(rows.begin(), rows.end(),
                   [](const v1::ShadowCount* a, const v1::ShadowCount* b) {
                     const bool a_changes = a->active_verdict() != a->shadow_verdict();
                     const bool b_changes = b->active_verdict() != b->shadow_verdict();
                     if (a_changes != b_changes) return a_changes;
                     return a->count() > b->count();
                   });
  std::string out = absl::StrCat(Thousands(total), " ", what, "; the shadow would change ",
                                 Thousands(changed), " (", Share(changed, total), ")\n\n");
  TextTable table({"VERDICT", "SHADOW REASON", "COUNT", "SHARE"});
  for (const v1::ShadowCount* row : rows) {
    const std::string verdict =
        row->active_verdict() == row->shadow_verdict()
            ? absl::StrCat(v1::Verdict_Name(row->active_verdict()), " (same)")
            : absl::StrCat(v1::Verdict_Name(row->active_verdict()), " -> ",
                           v1::Verdict_Name(row->shadow_verdict()));
    table.AddRow({verdict, v1::Reason_Name(row->shadow_reason()), Thousands(row->count()),
                  Share(row->count(), total)});
  }
  absl::StrAppend(&out, table.Render());
  if (report.samples_size() == 0) return out;
  absl::StrAppend(&out, "\nrequests the shadow would answer differently (newest first):\n");
  TextTable samples({"TIME", "ORIGIN", "METHOD", "PATH", "REQUESTED HEADERS", "ACTIVE", "SHADOW"});
  for (const v1::ShadowSample& sample : report.samples()) {
    samples.AddRow({FormatTimestamp(sample.time()), sample.origin(), sample.method(), sample.path(),
                    absl::StrJoin(sample.requested_headers(), ","),
                    v1::Verdict_Name(sample.active_verdict()),
                    absl::StrCat(v1::Verdict_Name(sample.shadow_verdict()), " ",
                                 v1::Reason_Name(sample.shadow_reason()))});
  }
  absl::StrAppend(&out, samples.Render());
  return out;
}

}  // namespace corsd::cli
