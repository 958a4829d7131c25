// API token secrets: 256 random bits from OpenSSL, URL-safe base64 with a
// "corsd_" prefix (so secret scanners can recognize a leaked one). Only the
// SHA-256 of a secret is ever stored or logged.
//
//   std::string secret = NewTokenSecret();      // "corsd_Xb3...", shown once
//   std::string key = HashTokenSecret(secret);  // 64 hex chars, stored
#ifndef CORSD_SERVICE_STORE_API_TOKEN_H_
#define CORSD_SERVICE_STORE_API_TOKEN_H_

#include <string>

#include "absl/strings/string_view.h"

namespace corsd::store {

std::string NewTokenSecret();
std::string HashTokenSecret(absl::string_view secret);

}  // namespace corsd::store

#endif  // CORSD_SERVICE_STORE_API_TOKEN_H_
