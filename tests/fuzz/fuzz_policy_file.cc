// Feeds arbitrary text to corsctl's policy file reader (JSON, or YAML when it
// does not start with '{'). Besides "never crash" (deep nesting included),
// checks that whatever parses survives the round trip `policy get` relies on:
// printing it as JSON and reading that back gives the same policy. Policies
// that parse then go through the engine's validation and compilation.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "admin-cli/policy_file.h"
#include "service/convert/policy_convert.h"
#include "service/engine/policy_compiler.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<corsd::v1::Policy> policy = corsd::cli::ParsePolicyText(text, "fuzz");
  if (!policy.ok()) {
    if (policy.status().message().empty()) abort();  // every refusal says why
    return 0;
  }

  absl::StatusOr<corsd::v1::Policy> again =
      corsd::cli::ParsePolicyText(corsd::cli::PolicyToJson(*policy), "round trip");
  if (!again.ok()) abort();
  if (corsd::SerializePolicy(*again) != corsd::SerializePolicy(*policy)) abort();

  corsd::engine::PolicyCompilation compiled =
      corsd::engine::CompilePolicy(corsd::ToPolicySpec(*policy), /*revision=*/1);
  if (compiled.policy == nullptr && compiled.diagnostics.ok()) abort();
  return 0;
}
