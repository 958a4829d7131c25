// A readable description of how one policy differs from another, for
// `policy diff` and `policy apply`. Rules are matched by path_prefix; list
// fields are compared as sets (order does not change behaviour), scalars by
// value.
//
//   ~ rule "" (default)
//       + allowed_origins: https://new.example
//       - allowed_origins: https://old.example
//       ~ max_age_seconds: 600 -> 300
//   + rule "/api"
//       + allowed_origins: https://api.example
//   - rule "/legacy"
//   + test "evil-denied"
//
// Tests are matched by name: added, removed, or changed ('~').
#ifndef CORSD_ADMIN_CLI_POLICY_DIFF_H_
#define CORSD_ADMIN_CLI_POLICY_DIFF_H_

#include <string>
#include <vector>

#include "corsd/v1/corsd.pb.h"

namespace corsd::cli {

struct DiffLine {
  char kind;  // '+', '-', '~'
  int depth;  // 0 = rule line, 1 = field line
  std::string text;
};

std::vector<DiffLine> DiffPolicies(const v1::Policy& before, const v1::Policy& after);

// Renders lines, colored (+ green, - red, ~ yellow) when `color`.
std::string RenderDiff(const std::vector<DiffLine>& lines, bool color);

}  // namespace corsd::cli

#endif  // CORSD_ADMIN_CLI_POLICY_DIFF_H_
