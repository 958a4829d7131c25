#include "tests/support/pki.h"

#include <fstream>
#include <vector>

#include "gtest/gtest.h"
#include "tests/support/subprocess.h"

namespace corsd::testing {

Pki MakePki(const TempDir& dir) {
  const std::string openssl = "/usr/bin/openssl";
  auto run = [&](std::vector<std::string> args) {
    args.insert(args.begin(), openssl);
    ProgramResult r = RunProgram(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
  };
  std::ofstream(dir.File("server.ext")) << "subjectAltName=DNS:localhost,IP:127.0.0.1\n";
  std::ofstream(dir.File("client.ext")) << "extendedKeyUsage=clientAuth\n";
  run({"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
       "-keyout", dir.File("ca.key"), "-out", dir.File("ca.crt"), "-days", "1", "-subj",
       "/CN=corsd test CA"});
  for (const std::string who : {"server", "client"}) {
    run({"req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout",
         dir.File(who + ".key"), "-out", dir.File(who + ".csr"), "-subj", "/CN=" + who});
    run({"x509", "-req", "-in", dir.File(who + ".csr"), "-CA", dir.File("ca.crt"), "-CAkey",
         dir.File("ca.key"), "-CAcreateserial", "-out", dir.File(who + ".crt"), "-days", "1",
         "-extfile", dir.File(who + ".ext")});
  }
  return {dir.File("ca.crt"), dir.File("server.crt"), dir.File("server.key"),
          dir.File("client.crt"), dir.File("client.key")};
}

AdminMtlsCorsd StartCorsdWithAdminMtls(const TempDir& dir) {
  AdminMtlsCorsd started;
  started.pki = MakePki(dir);
  const std::string db = dir.File("tls.db");
  started.admin_token = CreateToken(db, "admin");
  started.corsd = CorsdProcess::Start(
      {.db = db,
       .dir = dir.path(),
       .extra_args = {"--admin-tls-cert", started.pki.server_cert, "--admin-tls-key",
                      started.pki.server_key, "--admin-tls-client-ca", started.pki.ca_cert}});
  return started;
}

std::shared_ptr<grpc::Channel> TlsChannel(const std::string& address, const Pki& pki,
                                          bool client_certificate) {
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = ReadFileOrEmpty(pki.ca_cert);
  if (client_certificate) {
    ssl.pem_cert_chain = ReadFileOrEmpty(pki.client_cert);
    ssl.pem_private_key = ReadFileOrEmpty(pki.client_key);
  }
  grpc::ChannelArguments args;
  args.SetSslTargetNameOverride("localhost");
  args.SetMaxReceiveMessageSize(64 << 20);
  return grpc::CreateCustomChannel(address, grpc::SslCredentials(ssl), args);
}

}  // namespace corsd::testing
