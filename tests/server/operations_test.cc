// Running corsd the way operators do: health checks on both ports,
// reflection, the metrics endpoint, graceful SIGTERM, TLS/mTLS on the data
// port, migrations and --help.
#include <fstream>

#include "gmock/gmock.h"
#include "grpc/reflection/v1alpha/reflection.grpc.pb.h"
#include "service/store/sqlite_database.h"
#include "tests/server/watcher.h"
#include "tests/support/pki.h"
#include "tests/support/server_fixture.h"

namespace corsd::testing {
namespace {

using grpc::health::v1::HealthCheckRequest;
using grpc::health::v1::HealthCheckResponse;
using ::testing::HasSubstr;
using ::testing::IsSupersetOf;

class OperationsTest : public ServerTest {
 protected:
  HealthCheckResponse::ServingStatus Health(int port, const std::string& service) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    HealthCheckRequest request;
    request.set_service(service);
    HealthCheckResponse response;
    grpc::Status status = corsd_->HealthStub(port)->Check(&context, request, &response);
    if (status.error_code() == grpc::StatusCode::NOT_FOUND)
      return HealthCheckResponse::SERVICE_UNKNOWN;
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response.status();
  }

  std::vector<std::string> ReflectedServices(int port) {
    auto stub = grpc::reflection::v1alpha::ServerReflection::NewStub(grpc::CreateChannel(
        "127.0.0.1:" + std::to_string(port), grpc::InsecureChannelCredentials()));
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    auto stream = stub->ServerReflectionInfo(&context);
    grpc::reflection::v1alpha::ServerReflectionRequest request;
    request.set_list_services("");
    EXPECT_TRUE(stream->Write(request));
    stream->WritesDone();
    grpc::reflection::v1alpha::ServerReflectionResponse response;
    std::vector<std::string> names;
    if (stream->Read(&response)) {
      for (const auto& s : response.list_services_response().service()) names.push_back(s.name());
    }
    stream->Finish();
    return names;
  }
};

TEST_F(OperationsTest, HealthOnBothPorts) {
  EXPECT_EQ(Health(corsd_->data_port(), ""), HealthCheckResponse::SERVING);
  EXPECT_EQ(Health(corsd_->data_port(), "corsd.v1.CorsDecision"), HealthCheckResponse::SERVING);
  EXPECT_EQ(Health(corsd_->admin_port(), "corsd.v1.CorsAdmin"), HealthCheckResponse::SERVING);
  EXPECT_EQ(Health(corsd_->data_port(), "corsd.v1.CorsAdmin"),
            HealthCheckResponse::SERVICE_UNKNOWN);
}

TEST_F(OperationsTest, ReflectionDescribesEachPort) {
  std::vector<std::string> data = ReflectedServices(corsd_->data_port());
  EXPECT_THAT(data,
              IsSupersetOf({"corsd.v1.CorsDecision", "grpc.reflection.v1alpha.ServerReflection"}));
  EXPECT_THAT(data, ::testing::Not(::testing::Contains("corsd.v1.CorsAdmin")));
  std::vector<std::string> admin = ReflectedServices(corsd_->admin_port());
  EXPECT_THAT(admin, IsSupersetOf({"corsd.v1.CorsAdmin"}));
}

TEST_F(OperationsTest, MetricsInPrometheusTextFormat) {
  ASSERT_TRUE(CreateTenant("shop").ok());
  ASSERT_TRUE(PutPolicy("shop", kAppPolicy).ok());
  v1::CheckResponse response;
  ASSERT_TRUE(Check(Request("shop", "https://app.example.com", "GET"), &response).ok());
  ASSERT_TRUE(Check(Request("shop", "https://evil.example", "GET"), &response).ok());
  EXPECT_EQ(Check(Request("nope", "https://a.example", "GET"), &response).error_code(),
            grpc::StatusCode::NOT_FOUND);
  grpc::Status denied = PutPolicy("shop", kAppPolicy, std::nullopt, "corsd_bogus");
  ASSERT_EQ(denied.error_code(), grpc::StatusCode::UNAUTHENTICATED);

  std::string metrics = HttpGet(corsd_->metrics_port(), "/metrics");
  EXPECT_THAT(metrics, HasSubstr("# TYPE corsd_check_total counter"));
  EXPECT_THAT(metrics, HasSubstr("corsd_check_total{api=\"grpc\",verdict=\"ALLOW\","
                                 "reason=\"ALLOWED\"} 1\n"));
  EXPECT_THAT(metrics, HasSubstr("corsd_check_total{api=\"grpc\",verdict=\"DENY\","
                                 "reason=\"ORIGIN_NOT_ALLOWED\"} 1\n"));
  EXPECT_THAT(metrics, HasSubstr("corsd_check_errors_total{api=\"grpc\",code=\"NOT_FOUND\"} 1\n"));
  EXPECT_THAT(metrics, HasSubstr("corsd_check_duration_seconds_count{api=\"grpc\"} 2\n"));
  EXPECT_THAT(metrics, HasSubstr("corsd_policy_revision{tenant=\"shop\"} 1\n"));
  EXPECT_THAT(metrics, HasSubstr("corsd_store_up 1\n"));
  EXPECT_THAT(metrics, HasSubstr("corsd_store_write_duration_seconds_count 1\n"));
  EXPECT_THAT(metrics, HasSubstr("corsd_auth_failures_total{code=\"UNAUTHENTICATED\"} 1\n"));
  EXPECT_THAT(metrics, HasSubstr("corsd_snapshot_age_seconds "));
  EXPECT_EQ(HttpGet(corsd_->metrics_port(), "/healthz"), "ok\n");
}

TEST_F(OperationsTest, SigtermEndsWatchesAndExitsCleanly) {
  ASSERT_TRUE(CreateTenant("shop").ok());
  ASSERT_TRUE(PutPolicy("shop", kAppPolicy).ok());
  auto admin = corsd_->AdminStub();
  auto watcher = std::make_unique<Watcher>(admin.get(), admin_token_, std::vector<std::string>{});
  ASSERT_EQ(watcher->WaitFor(1).size(), 1u);
  admin_.reset();
  decision_.reset();
  int exit_code = -1;
  std::thread stop([&] { exit_code = corsd_->Stop(absl::Seconds(20)); });
  // The watch is ended by the server, not by the grace deadline.
  std::optional<grpc::Status> status = watcher->WaitDone(absl::Seconds(3));
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(status->error_code(), grpc::StatusCode::UNAVAILABLE);
  // Close our connection so the server need not wait for this idle client.
  watcher.reset();
  admin.reset();
  stop.join();
  EXPECT_EQ(exit_code, 0);
  EXPECT_THAT(corsd_->log(), HasSubstr("\"event\":\"signal_received\",\"signal\":\"SIGTERM\""));
  EXPECT_THAT(corsd_->log(), HasSubstr("\"event\":\"stopped\""));
}

TEST_F(OperationsTest, LogsAreOneJsonObjectPerLineWithoutSecrets) {
  ASSERT_TRUE(CreateTenant("shop").ok());
  ASSERT_TRUE(PutPolicy("shop", kAppPolicy).ok());
  std::string log = corsd_->log();
  std::istringstream lines(log);
  std::string line;
  int count = 0;
  while (std::getline(lines, line)) {
    ++count;
    EXPECT_TRUE(line.front() == '{' && line.back() == '}') << line;
  }
  EXPECT_GE(count, 3);
  EXPECT_THAT(log, HasSubstr("\"event\":\"policy_written\",\"tenant\":\"shop\",\"revision\":1,"
                             "\"actor\":\"test-admin\""));
  EXPECT_THAT(log, ::testing::Not(HasSubstr(admin_token_)));
}

TEST(CorsdCommands, HelpOnEveryCommand) {
  for (std::vector<std::string> args :
       std::vector<std::vector<std::string>>{{"--help"},
                                             {"serve", "--help"},
                                             {"token", "--help"},
                                             {"token", "create", "--help"},
                                             {"token", "list", "--help"},
                                             {"token", "revoke", "--help"},
                                             {"migrate", "--help"}}) {
    args.insert(args.begin(), BinaryDir() + "/corsd");
    ProgramResult result = RunProgram(args);
    EXPECT_EQ(result.exit_code, 0) << args[1];
    EXPECT_THAT(result.out, HasSubstr("Usage:")) << args[1];
  }
  ProgramResult bad = RunProgram({BinaryDir() + "/corsd", "serve", "--no-such-flag"});
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_THAT(bad.err, HasSubstr("--no-such-flag"));
}

TEST(CorsdCommands, MigrateIsIdempotentAndHonoursCorsdDb) {
  TempDir dir;
  ProgramResult first =
      RunProgram({BinaryDir() + "/corsd", "migrate"}, "", {{"CORSD_DB", dir.File("m.db")}});
  EXPECT_EQ(first.exit_code, 0) << first.err;
  EXPECT_THAT(first.out, HasSubstr("applied 0001_init"));
  ProgramResult again = RunProgram({BinaryDir() + "/corsd", "migrate", "--db", dir.File("m.db")});
  EXPECT_EQ(again.exit_code, 0);
  EXPECT_THAT(again.out, HasSubstr("up to date"));
}

TEST(CorsdCommands, ServeRefusesANewerSchema) {
  TempDir dir;
  ASSERT_EQ(RunProgram({BinaryDir() + "/corsd", "migrate", "--db", dir.File("n.db")}).exit_code, 0);
  {
    auto db = store::SqliteDatabase::Open(dir.File("n.db"));
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE((*db)->Execute("INSERT INTO schema_migrations VALUES (42, 'future', 0)").ok());
  }
  ProgramResult serve = RunProgram({BinaryDir() + "/corsd", "serve", "--db", dir.File("n.db"),
                                    "--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0"},
                                   "", {}, absl::Seconds(20));
  EXPECT_EQ(serve.exit_code, 1);
  EXPECT_THAT(serve.err, HasSubstr("newer than this corsd knows"));
}

TEST(CorsdCommands, ServeReportsPortsInUse) {
  TempDir dir;
  std::string db = dir.File("p.db");
  auto first = CorsdProcess::Start({.db = db, .dir = dir.path(), .name = "first"});
  ASSERT_NE(first, nullptr);
  ProgramResult second = RunProgram({BinaryDir() + "/corsd", "serve", "--db", db, "--listen",
                                     first->data_address(), "--admin-listen", "127.0.0.1:0"},
                                    "", {}, absl::Seconds(20));
  EXPECT_EQ(second.exit_code, 1);
  EXPECT_THAT(second.err, HasSubstr("cannot listen on " + first->data_address()));
  EXPECT_EQ(first->Stop(), 0);
}

// --- TLS ---------------------------------------------------------------------

grpc::StatusCode TlsCheck(int port, const std::string& ca, const std::string& cert,
                          const std::string& key) {
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = ReadFileOrEmpty(ca);
  if (!cert.empty()) {
    ssl.pem_cert_chain = ReadFileOrEmpty(cert);
    ssl.pem_private_key = ReadFileOrEmpty(key);
  }
  grpc::ChannelArguments args;
  args.SetSslTargetNameOverride("localhost");
  auto stub = v1::CorsDecision::NewStub(grpc::CreateCustomChannel(
      "127.0.0.1:" + std::to_string(port), grpc::SslCredentials(ssl), args));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  v1::CheckRequest request;
  request.set_tenant("shop");
  request.set_origin("https://app.example.com");
  request.set_method("GET");
  v1::CheckResponse response;
  return stub->Check(&context, request, &response).error_code();
}

grpc::StatusCode PlaintextCheck(int port) {
  auto stub = v1::CorsDecision::NewStub(
      grpc::CreateChannel("127.0.0.1:" + std::to_string(port), grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(3));
  v1::CheckRequest request;
  request.set_tenant("shop");
  v1::CheckResponse response;
  return stub->Check(&context, request, &response).error_code();
}

class TlsTest : public ::testing::Test {
 protected:
  void Start(bool mutual) {
    pki_ = MakePki(dir_);
    std::vector<std::string> args = {"--tls-cert", pki_.server_cert, "--tls-key", pki_.server_key};
    if (mutual) args.insert(args.end(), {"--tls-client-ca", pki_.ca_cert});
    std::string db = dir_.File("tls.db");
    std::string token = CreateToken(db, "admin");
    corsd_ = CorsdProcess::Start({.db = db, .dir = dir_.path(), .extra_args = args});
    ASSERT_NE(corsd_, nullptr);
    ASSERT_TRUE(corsd_->CreateTenant(token, "shop").ok());
  }
  void TearDown() override {
    if (corsd_) {
      EXPECT_EQ(corsd_->Stop(), 0);
    }
  }
  TempDir dir_;
  Pki pki_;
  std::unique_ptr<CorsdProcess> corsd_;
};

TEST_F(TlsTest, DataPortServesTls) {
  Start(/*mutual=*/false);
  EXPECT_EQ(TlsCheck(corsd_->data_port(), pki_.ca_cert, "", ""), grpc::StatusCode::OK);
  EXPECT_EQ(PlaintextCheck(corsd_->data_port()), grpc::StatusCode::UNAVAILABLE);
}

TEST_F(TlsTest, MutualTlsRequiresAClientCertificate) {
  Start(/*mutual=*/true);
  EXPECT_EQ(TlsCheck(corsd_->data_port(), pki_.ca_cert, pki_.client_cert, pki_.client_key),
            grpc::StatusCode::OK);
  EXPECT_EQ(TlsCheck(corsd_->data_port(), pki_.ca_cert, "", ""), grpc::StatusCode::UNAVAILABLE);
  // A certificate from another CA is refused too.
  TempDir other;
  Pki stranger = MakePki(other);
  EXPECT_EQ(TlsCheck(corsd_->data_port(), pki_.ca_cert, stranger.client_cert, stranger.client_key),
            grpc::StatusCode::UNAVAILABLE);
}

}  // namespace
}  // namespace corsd::testing
