// CliContext holds what every corsctl command needs: where the servers are,
// which token to send, the output format, and the timeout; it builds stubs
// and call contexts from them and turns a failed call into a message and an
// exit code.
//
// Precedence: flags, then environment (CORSD_ADMIN_ADDR, CORSD_ADDR,
// CORSD_TOKEN), then defaults (127.0.0.1:50052 / 127.0.0.1:50051, and the
// token in var/admin.token when that file exists).
#ifndef CORSD_ADMIN_CLI_CLI_CONTEXT_H_
#define CORSD_ADMIN_CLI_CLI_CONTEXT_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "CLI/CLI.hpp"
#include "corsd/v1/corsd.grpc.pb.h"

namespace corsd::cli {

enum class OutputFormat { kText, kJson };

class CliContext {
 public:
  // Registers the global flags on `app`.
  void AddGlobalFlags(CLI::App& app);

  std::unique_ptr<v1::CorsAdmin::Stub> AdminStub();
  // The same for another admin address (commands that ask several replicas).
  std::unique_ptr<v1::CorsAdmin::Stub> AdminStub(const std::string& address);
  std::unique_ptr<v1::CorsDecision::Stub> DecisionStub();
  // Deadline from --timeout, and the bearer token when one is configured.
  void Prepare(grpc::ClientContext* context, bool with_deadline = true) const;

  // Prints "corsctl: <what>: <reason>" plus a hint for the common failures,
  // and returns the exit code for `status`.
  int Fail(const std::string& what, const grpc::Status& status) const;

  OutputFormat format() const { return json_ ? OutputFormat::kJson : OutputFormat::kText; }
  bool json() const { return json_; }
  // Colors only for a terminal, and never when NO_COLOR is set.
  bool color() const;
  const std::string& admin_address() const { return admin_address_; }
  const std::string& data_address() const { return data_address_; }

 private:
  std::shared_ptr<grpc::Channel> Channel(const std::string& address);
  std::string ResolveToken() const;

  std::string admin_address_ = "127.0.0.1:50052";
  std::string data_address_ = "127.0.0.1:50051";
  std::string token_;
  std::string token_file_;
  std::string tls_ca_file_;
  std::string tls_cert_file_;
  std::string tls_key_file_;
  std::string tls_server_name_;
  std::string output_ = "text";
  double timeout_seconds_ = 5;
  bool json_ = false;
};

}  // namespace corsd::cli

#endif  // CORSD_ADMIN_CLI_CLI_CONTEXT_H_
