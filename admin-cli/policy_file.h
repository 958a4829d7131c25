// Reading policy files: the protobuf JSON mapping of corsd.v1.Policy
// (lowerCamelCase names; proto names accepted too), or the same structure in
// YAML. Unknown fields are errors that name the field. "-" reads stdin.
//
//   absl::StatusOr<v1::Policy> policy = ReadPolicyFile("policy.yaml");
#ifndef CORSD_ADMIN_CLI_POLICY_FILE_H_
#define CORSD_ADMIN_CLI_POLICY_FILE_H_

#include <string>

#include "absl/status/statusor.h"
#include "corsd/v1/corsd.pb.h"

namespace corsd::cli {

absl::StatusOr<v1::Policy> ReadPolicyFile(const std::string& path);

// `text` is JSON when it starts with '{' (after whitespace), YAML otherwise.
absl::StatusOr<v1::Policy> ParsePolicyText(const std::string& text, const std::string& source);

// Pretty, stable JSON for `policy get` (round-trips through ReadPolicyFile).
std::string PolicyToJson(const v1::Policy& policy);

}  // namespace corsd::cli

#endif  // CORSD_ADMIN_CLI_POLICY_FILE_H_
