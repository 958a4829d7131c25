#include "service/engine/diagnostics.h"

#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "service/engine/limits.h"

namespace corsd::engine {
namespace {
constexpr size_t kMaxQuotedBytes = 96;
}  // namespace

void PolicyDiagnostics::AddViolation(std::string field, std::string description) {
  ++violation_count;
  if (violations.size() < kMaxReportedViolations) {
    violations.push_back({std::move(field), std::move(description)});
  }
}

void PolicyDiagnostics::AddWarning(std::string field, std::string description) {
  ++warning_count;
  if (warnings.size() < kMaxReportedWarnings) {
    warnings.push_back({std::move(field), std::move(description)});
  }
}

std::string PolicyDiagnostics::Summary(size_t max_lines) const {
  std::string out;
  size_t shown = 0;
  for (const FieldViolation& v : violations) {
    if (shown == max_lines) break;
    if (!out.empty()) out += "\n";
    absl::StrAppend(&out, v.field, ": ", v.description);
    ++shown;
  }
  if (violation_count > shown) {
    absl::StrAppend(&out, "\n... and ", violation_count - shown, " more violations");
  }
  return out;
}

std::string LeftOutDescription(size_t left_out, absl::string_view kind) {
  // Thousands separated, as people read counts.
  std::string digits = std::to_string(left_out);
  std::string grouped;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) grouped += ',';
    grouped += digits[i];
  }
  return absl::StrCat(grouped, " more ", kind, " not listed");
}

std::string QuoteForMessage(absl::string_view value) {
  bool truncated = value.size() > kMaxQuotedBytes;
  if (truncated) value = value.substr(0, kMaxQuotedBytes);
  return absl::StrCat("\"", absl::CHexEscape(value), truncated ? "...\"" : "\"");
}

}  // namespace corsd::engine
