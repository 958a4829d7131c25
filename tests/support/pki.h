// A throwaway PKI for TLS tests: a CA plus one server certificate (for
// localhost / 127.0.0.1) and one client certificate, made with openssl.
#ifndef CORSD_TESTS_SUPPORT_PKI_H_
#define CORSD_TESTS_SUPPORT_PKI_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>
#include <vector>

#include "tests/support/corsd_process.h"
#include "tests/support/temp_dir.h"

namespace corsd::testing {

// Paths of PEM files in the directory given to MakePki.
struct Pki {
  std::string ca_cert, server_cert, server_key, client_cert, client_key;
};

// EC P-256 keys; the CA is valid for a day.
Pki MakePki(const TempDir& dir);

// A corsd (SQLite in `dir`) whose admin port requires mTLS with a fresh
// PKI, and an admin token for it.
struct AdminMtlsCorsd {
  Pki pki;
  std::string admin_token;
  std::unique_ptr<CorsdProcess> corsd;  // null if it did not start
};
AdminMtlsCorsd StartCorsdWithAdminMtls(const TempDir& dir);

// A channel to a TLS port of a corsd using `pki` (server name "localhost"),
// presenting the client certificate when `client_certificate` is set.
std::shared_ptr<grpc::Channel> TlsChannel(const std::string& address, const Pki& pki,
                                          bool client_certificate);

}  // namespace corsd::testing

#endif  // CORSD_TESTS_SUPPORT_PKI_H_
