// Public-suffix checks (https://publicsuffix.org) for wildcard origins, so that
// a policy cannot say "https://*.com" or "https://*.github.io" and hand every
// site under a shared suffix access to a tenant.
//
// Backed by libpsl's built-in list. Only explicitly listed suffixes count:
// private single-label names such as "localhost", "internal" or "corp" are not
// public suffixes, so "http://*.localhost:*" stays usable for development.
// Thread-safe; the list is read-only.
#ifndef CORSD_SERVICE_ENGINE_PUBLIC_SUFFIX_H_
#define CORSD_SERVICE_ENGINE_PUBLIC_SUFFIX_H_

#include "absl/strings/string_view.h"

namespace corsd::engine {

// `domain` is lowercase, without a trailing dot, e.g. "co.uk" -> true,
// "example.co.uk" -> false.
bool IsPublicSuffix(absl::string_view domain);

}  // namespace corsd::engine

#endif  // CORSD_SERVICE_ENGINE_PUBLIC_SUFFIX_H_
