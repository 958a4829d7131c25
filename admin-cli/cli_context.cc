#include "admin-cli/cli_context.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "admin-cli/exit_codes.h"
#include "admin-cli/text_table.h"

namespace corsd::cli {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

int ExitCodeFor(const grpc::Status& status) {
  switch (status.error_code()) {
    case grpc::StatusCode::OK:
      return kExitOk;
    case grpc::StatusCode::NOT_FOUND:
      return kExitNotFound;
    case grpc::StatusCode::ABORTED:
    case grpc::StatusCode::ALREADY_EXISTS:
      return kExitConflict;
    case grpc::StatusCode::UNAUTHENTICATED:
    case grpc::StatusCode::PERMISSION_DENIED:
      return kExitAuth;
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return kExitUnavailable;
    default:
      return kExitInvalid;
  }
}

void CliContext::AddGlobalFlags(CLI::App& app) {
  app.add_option("--server", admin_address_, "admin API address (HOST:PORT)")
      ->envname("CORSD_ADMIN_ADDR")
      ->capture_default_str();
  app.add_option("--data-server", data_address_, "data API address for `check` (HOST:PORT)")
      ->envname("CORSD_ADDR")
      ->capture_default_str();
  app.add_option("--token", token_, "bearer token (prefer CORSD_TOKEN or --token-file)");
  app.add_option("--token-file", token_file_,
                 "read the token from this file (default: var/admin.token if present)");
  auto* ca = app.add_option("--tls-ca", tls_ca_file_, "connect with TLS, trusting this CA (PEM)")
                 ->envname("CORSCTL_TLS_CA")
                 ->check(CLI::ExistingFile);
  auto* cert = app.add_option("--tls-cert", tls_cert_file_,
                              "client certificate (PEM) for servers that require one (mTLS)")
                   ->envname("CORSCTL_TLS_CERT")
                   ->check(CLI::ExistingFile);
  auto* key = app.add_option("--tls-key", tls_key_file_, "private key of --tls-cert (PEM)")
                  ->envname("CORSCTL_TLS_KEY")
                  ->check(CLI::ExistingFile);
  cert->needs(key);
  key->needs(cert);
  // TLS is on only with a CA: without this, a client certificate or a server
  // name given alone would quietly mean plaintext, bearer token included.
  cert->needs(ca);
  app.add_option("--tls-server-name", tls_server_name_,
                 "name to check in the server certificate, when it differs from --server's host")
      ->envname("CORSCTL_TLS_SERVER_NAME")
      ->needs(ca);
  app.add_option("--timeout", timeout_seconds_, "seconds to wait for the server")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("-o,--output", output_, "text (for people) or json (for scripts)")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str()
      ->each([this](const std::string& value) { json_ = value == "json"; });
}

std::string CliContext::ResolveToken() const {
  // Flags win over the environment, which wins over the file `make run`
  // writes.
  if (!token_.empty()) return token_;
  if (!token_file_.empty()) return std::string(absl::StripAsciiWhitespace(ReadFile(token_file_)));
  if (const char* env = getenv("CORSD_TOKEN"); env != nullptr && env[0] != '\0') return env;
  return std::string(absl::StripAsciiWhitespace(ReadFile("var/admin.token")));
}

std::shared_ptr<grpc::Channel> CliContext::Channel(const std::string& address) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(64 << 20);
  args.SetMaxSendMessageSize(64 << 20);
  if (tls_ca_file_.empty()) {
    return grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args);
  }
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = ReadFile(tls_ca_file_);
  if (!tls_cert_file_.empty()) {
    ssl.pem_cert_chain = ReadFile(tls_cert_file_);
    ssl.pem_private_key = ReadFile(tls_key_file_);
  }
  if (!tls_server_name_.empty()) args.SetSslTargetNameOverride(tls_server_name_);
  return grpc::CreateCustomChannel(address, grpc::SslCredentials(ssl), args);
}

std::unique_ptr<v1::CorsAdmin::Stub> CliContext::AdminStub() { return AdminStub(admin_address_); }

std::unique_ptr<v1::CorsAdmin::Stub> CliContext::AdminStub(const std::string& address) {
  return v1::CorsAdmin::NewStub(Channel(address));
}

std::unique_ptr<v1::CorsDecision::Stub> CliContext::DecisionStub() {
  return v1::CorsDecision::NewStub(Channel(data_address_));
}

void CliContext::Prepare(grpc::ClientContext* context, bool with_deadline) const {
  if (with_deadline) {
    context->set_deadline(std::chrono::system_clock::now() +
                          std::chrono::milliseconds(static_cast<int64_t>(timeout_seconds_ * 1000)));
  }
  std::string token = ResolveToken();
  if (!token.empty()) context->AddMetadata("authorization", "Bearer " + token);
}

int CliContext::Fail(const std::string& what, const grpc::Status& status) const {
  std::string hint;
  switch (status.error_code()) {
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      hint = absl::StrCat(
          "\n  cannot reach corsd at ", what == "check" ? data_address_ : admin_address_,
          "; is `corsd serve` running? Set --server/--data-server or CORSD_ADMIN_ADDR/CORSD_ADDR");
      break;
    case grpc::StatusCode::UNAUTHENTICATED:
      hint =
          "\n  pass a token with --token, --token-file or CORSD_TOKEN "
          "(create one with `corsd token create`)";
      break;
    default:
      break;
  }
  fprintf(stderr, "corsctl: %s: %s%s\n", what.c_str(), TerminalSafe(status.error_message()).c_str(),
          hint.c_str());
  return ExitCodeFor(status);
}

bool CliContext::color() const { return isatty(STDOUT_FILENO) && getenv("NO_COLOR") == nullptr; }

}  // namespace corsd::cli
