#include "service/store/api_token.h"

#include <openssl/rand.h>
#include <openssl/sha.h>

#include <array>
#include <cstdio>
#include <cstdlib>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace corsd::store {

std::string NewTokenSecret() {
  std::array<unsigned char, 32> bytes;
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
    // Without a working CSPRNG no token can be trusted; refuse to continue.
    fprintf(stderr, "corsd: OpenSSL RAND_bytes failed; cannot create a token\n");
    abort();
  }
  return absl::StrCat("corsd_", absl::WebSafeBase64Escape(absl::string_view(
                                    reinterpret_cast<const char*>(bytes.data()), bytes.size())));
}

std::string HashTokenSecret(absl::string_view secret) {
  std::array<unsigned char, SHA256_DIGEST_LENGTH> digest;
  SHA256(reinterpret_cast<const unsigned char*>(secret.data()), secret.size(), digest.data());
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(digest.data()), digest.size()));
}

}  // namespace corsd::store
