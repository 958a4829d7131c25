// A throwaway PKI for TLS tests: a CA plus one server certificate (for
// localhost / 127.0.0.1) and one client certificate, made with openssl.
#ifndef CORSD_TESTS_SUPPORT_PKI_H_
#define CORSD_TESTS_SUPPORT_PKI_H_

#include <string>

#include "tests/support/temp_dir.h"

namespace corsd::testing {

// Paths of PEM files in the directory given to MakePki.
struct Pki {
  std::string ca_cert, server_cert, server_key, client_cert, client_key;
};

// EC P-256 keys; the CA is valid for a day.
Pki MakePki(const TempDir& dir);

}  // namespace corsd::testing

#endif  // CORSD_TESTS_SUPPORT_PKI_H_
