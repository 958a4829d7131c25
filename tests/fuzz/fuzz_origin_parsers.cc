// Feeds arbitrary bytes to the origin parser and the policy pattern parser.
// Besides "never crash", checks that what parses is exactly what a browser
// would send: the parts put back together give the input again, and a valid
// exact pattern is itself a valid request origin.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "absl/strings/str_cat.h"
#include "service/engine/origin_pattern.h"
#include "service/engine/serialized_origin.h"

using corsd::engine::OriginPattern;
using corsd::engine::OriginProblem;
using corsd::engine::ParseSerializedOrigin;
using corsd::engine::SerializedOrigin;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);

  SerializedOrigin origin;
  if (ParseSerializedOrigin(text, &origin) == OriginProblem::kNone) {
    std::string rebuilt = absl::StrCat(origin.scheme, "://", origin.host);
    if (!origin.port.empty()) absl::StrAppend(&rebuilt, ":", origin.port);
    if (rebuilt != text) abort();
    for (char c : text) {
      if (static_cast<unsigned char>(c) <= ' ' || static_cast<unsigned char>(c) >= 0x7f) abort();
    }
  }

  absl::StatusOr<OriginPattern> pattern = OriginPattern::Parse(text);
  if (pattern.ok() && pattern->kind() == OriginPattern::Kind::kExact && !pattern->any_port()) {
    SerializedOrigin again;
    if (ParseSerializedOrigin(text, &again) != OriginProblem::kNone) abort();
  }
  if (!pattern.ok() && pattern.status().message().empty()) abort();
  return 0;
}
