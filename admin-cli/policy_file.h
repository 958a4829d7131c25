// Reading policy files: the protobuf JSON mapping of corsd.v1.Policy
// (lowerCamelCase names; proto names accepted too), or the same structure in
// YAML. Unknown fields are errors that name the field. "-" reads stdin.
//
// Bounded for hostile files: at most kMaxPolicyFileBytes are read, nesting
// stops at 32 levels, and YAML aliases may expand to at most
// kMaxPolicyFileNodes values and kMaxPolicyFileBytes of text ("billion laughs"
// files are refused, not expanded).
//
//   absl::StatusOr<v1::Policy> policy = ReadPolicyFile("policy.yaml");
#ifndef CORSD_ADMIN_CLI_POLICY_FILE_H_
#define CORSD_ADMIN_CLI_POLICY_FILE_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "corsd/v1/corsd.pb.h"
#include "nlohmann/json.hpp"

namespace corsd::cli {

// What the admin port accepts in one message; a larger file cannot be applied.
inline constexpr size_t kMaxPolicyFileBytes = 16 << 20;
// A policy at its limits (100,000 origins, 256 rules of a few hundred names)
// has well under a million values.
inline constexpr size_t kMaxPolicyFileNodes = 1'000'000;

absl::StatusOr<v1::Policy> ReadPolicyFile(const std::string& path);

// A whole file ("-" = stdin), at most kMaxPolicyFileBytes.
absl::StatusOr<std::string> ReadBoundedFile(const std::string& path);

// Every document of `text`, as JSON values: one JSON document when it
// starts with '{', else each YAML document (`---` separated; empty ones
// skipped), within one shared expansion budget. `source` names the text in
// errors.
absl::StatusOr<std::vector<nlohmann::json>> ParseDocumentsText(const std::string& text,
                                                               const std::string& source);

// `document` in the protobuf JSON mapping; unknown fields are errors, which
// end with `shape` (what the document should look like).
absl::Status MessageFromJson(const nlohmann::json& document, const std::string& source,
                             absl::string_view shape, google::protobuf::Message* message);

// `text` is JSON when it starts with '{' (after whitespace), YAML otherwise.
absl::StatusOr<v1::Policy> ParsePolicyText(const std::string& text, const std::string& source);

// Pretty, stable JSON for `policy get` (round-trips through ReadPolicyFile).
std::string PolicyToJson(const v1::Policy& policy);

}  // namespace corsd::cli

#endif  // CORSD_ADMIN_CLI_POLICY_FILE_H_
