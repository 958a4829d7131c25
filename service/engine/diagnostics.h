// PolicyDiagnostics collects everything validation finds in a policy: hard
// violations (the policy is rejected, nothing is stored) and warnings (legal
// but probably a mistake; reported, never blocking). Each entry names the
// field by its proto path, e.g. "rules[0].allowed_origins[2]", and says what
// is wrong and what to write instead.
//
//   PolicyDiagnostics d;
//   d.AddViolation("rules[0].preflight_status", "is 404; use 0 (= 204) or 200..299");
//   d.ok();            // false
//   d.Summary(10);     // one line per violation, at most 10, then "... and N more"
#ifndef CORSD_SERVICE_ENGINE_DIAGNOSTICS_H_
#define CORSD_SERVICE_ENGINE_DIAGNOSTICS_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace corsd::engine {

struct FieldViolation {
  std::string field;
  std::string description;

  bool operator==(const FieldViolation&) const = default;
};

struct PolicyDiagnostics {
  // The first kMaxReportedViolations / kMaxReportedWarnings found (limits.h);
  // the counts below include the ones not listed.
  std::vector<FieldViolation> violations;
  std::vector<FieldViolation> warnings;
  size_t violation_count = 0;
  size_t warning_count = 0;

  bool ok() const { return violation_count == 0; }
  void AddViolation(std::string field, std::string description);
  void AddWarning(std::string field, std::string description);
  // "<field>: <description>" per violation, newline-separated, at most
  // `max_lines` of them followed by "... and N more violations".
  std::string Summary(size_t max_lines) const;
};

// The last entry of a list cut at its limit: field "" and a description
// that counts what was left out ("4,000 more violations not listed"), as the
// API promises for ValidatePolicy and INVALID_ARGUMENT details alike.
inline constexpr char kLeftOutField[] = "";
std::string LeftOutDescription(size_t left_out, absl::string_view kind);

// Quotes a user-supplied value for a message: escapes control and non-ASCII
// bytes and cuts it to a readable length, so messages are always one line and
// never carry raw input.
std::string QuoteForMessage(absl::string_view value);

}  // namespace corsd::engine

#endif  // CORSD_SERVICE_ENGINE_DIAGNOSTICS_H_
