#include "service/engine/public_suffix.h"

#include <libpsl.h>

#include <string>

namespace corsd::engine {
namespace {

const psl_ctx_t* PublicSuffixList() {
  // psl_builtin() is static data compiled into libpsl; psl_latest() is the
  // fallback for builds without it. Both live for the whole process.
  static const psl_ctx_t* const list = [] {
    const psl_ctx_t* builtin = psl_builtin();
    return builtin != nullptr ? builtin : static_cast<const psl_ctx_t*>(psl_latest(nullptr));
  }();
  return list;
}

}  // namespace

bool IsPublicSuffix(absl::string_view domain) {
  const psl_ctx_t* list = PublicSuffixList();
  std::string name(domain);  // libpsl wants a NUL-terminated string
  if (list == nullptr) {
    // Without any list, refuse every single-label wildcard rather than allow
    // "*.com": a wildcard then needs at least two labels under it.
    return name.find('.') == std::string::npos;
  }
  return psl_is_public_suffix2(list, name.c_str(), PSL_TYPE_ANY | PSL_TYPE_NO_STAR_RULE) != 0;
}

}  // namespace corsd::engine
