// WatchPolicies: initial state, then every change in commit order; filters;
// tenants created later; deletions; and a stalled watcher never blocks
// writers (it is ended with RESOURCE_EXHAUSTED instead).
#include <grpcpp/generic/generic_stub.h>

#include <thread>

#include "gmock/gmock.h"
#include "tests/server/watcher.h"
#include "tests/support/server_fixture.h"

namespace corsd::testing {
namespace {

using ::testing::HasSubstr;

std::string OnlyOrigin(const std::string& origin) {
  return R"({"rules":[{"allowedOrigins":[")" + origin + R"("]}]})";
}

class WatchTest : public ServerTest {};

TEST_F(WatchTest, InitialStateThenChangesInOrder) {
  ASSERT_TRUE(CreateTenant("shop").ok());
  ASSERT_TRUE(CreateTenant("blog").ok());
  ASSERT_TRUE(CreateTenant("bare").ok());  // no policy: not in the initial state
  ASSERT_TRUE(PutPolicy("shop", OnlyOrigin("https://a.example")).ok());
  ASSERT_TRUE(PutPolicy("blog", OnlyOrigin("https://b.example")).ok());

  Watcher watcher(admin_.get(), admin_token_, {});
  std::vector<v1::PolicyEvent> initial = watcher.WaitFor(2);
  ASSERT_EQ(initial.size(), 2u);
  // The stream says how many events make up the initial state.
  EXPECT_EQ(watcher.initial_events(), "2");
  std::set<std::string> tenants = {initial[0].tenant(), initial[1].tenant()};
  EXPECT_EQ(tenants, (std::set<std::string>{"shop", "blog"}));
  for (const auto& e : initial) EXPECT_EQ(e.version().revision(), 1);

  for (int i = 2; i <= 4; ++i) {
    ASSERT_TRUE(PutPolicy("shop", OnlyOrigin("https://r" + std::to_string(i) + ".example")).ok());
  }
  // A tenant created after the watch started is included ("all tenants").
  ASSERT_TRUE(CreateTenant("late").ok());
  ASSERT_TRUE(PutPolicy("late", OnlyOrigin("https://late.example")).ok());
  {
    grpc::ClientContext context;
    Authorize(&context, admin_token_);
    v1::DeleteTenantRequest request;
    request.set_name("blog");
    google::protobuf::Empty empty;
    ASSERT_TRUE(admin_->DeleteTenant(&context, request, &empty).ok());
  }
  std::vector<v1::PolicyEvent> events = watcher.WaitFor(7);
  ASSERT_EQ(events.size(), 7u);
  EXPECT_EQ(events[2].version().revision(), 2);
  EXPECT_EQ(events[3].version().revision(), 3);
  EXPECT_EQ(events[4].version().revision(), 4);
  EXPECT_EQ(events[4].version().policy().rules(0).allowed_origins(0), "https://r4.example");
  EXPECT_EQ(events[4].version().updated_by(), "test-admin");
  EXPECT_EQ(events[5].tenant(), "late");
  EXPECT_EQ(events[6].tenant(), "blog");
  EXPECT_TRUE(events[6].deleted());
}

TEST_F(WatchTest, FiltersByTenant) {
  ASSERT_TRUE(CreateTenant("shop").ok());
  ASSERT_TRUE(CreateTenant("blog").ok());
  Watcher watcher(admin_.get(), admin_token_, {"shop"});
  // Nothing to send yet, but the stream has started and says so.
  for (int i = 0; i < 100 && !watcher.initial_events(); ++i) absl::SleepFor(absl::Milliseconds(10));
  EXPECT_EQ(watcher.initial_events(), "0");
  ASSERT_TRUE(PutPolicy("blog", OnlyOrigin("https://b.example")).ok());
  ASSERT_TRUE(PutPolicy("shop", OnlyOrigin("https://a.example")).ok());
  std::vector<v1::PolicyEvent> events = watcher.WaitFor(1);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].tenant(), "shop");
  absl::SleepFor(absl::Milliseconds(200));
  EXPECT_EQ(watcher.WaitFor(2, absl::Milliseconds(1)).size(), 1u) << "blog's event leaked";
}

TEST_F(WatchTest, NeedsReadAccess) {
  ASSERT_TRUE(CreateTenant("shop").ok());
  ASSERT_TRUE(CreateTenant("blog").ok());
  std::string editor = store_->CreateToken("editor", "shop", "shop-editor");
  Watcher denied(admin_.get(), editor, {"blog"});
  std::optional<grpc::Status> status = denied.WaitDone();
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(status->error_code(), grpc::StatusCode::PERMISSION_DENIED);

  Watcher unauthenticated(admin_.get(), "corsd_nope", {});
  status = unauthenticated.WaitDone();
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(status->error_code(), grpc::StatusCode::UNAUTHENTICATED);

  // An editor watching "everything" gets its own tenant only.
  Watcher own(admin_.get(), editor, {});
  ASSERT_TRUE(PutPolicy("blog", OnlyOrigin("https://b.example")).ok());
  ASSERT_TRUE(PutPolicy("shop", OnlyOrigin("https://a.example")).ok());
  std::vector<v1::PolicyEvent> events = own.WaitFor(1);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].tenant(), "shop");
}

TEST_F(WatchTest, MalformedRequestGetsInvalidArgument) {
  // Serialized by hand (the C++ API would refuse it): a tenant name that
  // is not UTF-8.
  v1::WatchPoliciesRequest request;
  request.add_tenants("x");
  std::string bytes = request.SerializeAsString();
  bytes[bytes.find('x')] = '\xff';
  grpc::Slice slice(bytes);
  grpc::ByteBuffer in(&slice, 1);

  grpc::GenericStub generic(
      grpc::CreateChannel(corsd_->admin_address(), grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  Authorize(&context, admin_token_);
  grpc::CompletionQueue cq;
  auto wait = [&cq] {
    void* tag;
    bool ok;
    EXPECT_TRUE(cq.Next(&tag, &ok));
  };
  auto call = generic.PrepareCall(&context, "/corsd.v1.CorsAdmin/WatchPolicies", &cq);
  call->StartCall(reinterpret_cast<void*>(1));
  wait();
  call->WriteLast(in, grpc::WriteOptions(), reinterpret_cast<void*>(2));
  wait();
  grpc::Status status;
  call->Finish(&status, reinterpret_cast<void*>(3));
  wait();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), ::testing::HasSubstr("WatchPoliciesRequest"));
  cq.Shutdown();
  void* tag;
  bool ok;
  while (cq.Next(&tag, &ok)) {
  }
}

TEST_F(WatchTest, StalledWatcherIsEndedAndNeverBlocksWriters) {
  ASSERT_TRUE(CreateTenant("shop").ok());
  // A stream nobody reads, on its own connection with a small, fixed flow
  // control window (no BDP probing, which would let the client buffer
  // megabytes): the window fills, then corsd's per-watcher queue, and corsd
  // ends the stream rather than wait.
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_HTTP2_BDP_PROBE, 0);
  args.SetInt(GRPC_ARG_HTTP2_STREAM_LOOKAHEAD_BYTES, 16 * 1024);
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  auto slow_admin = v1::CorsAdmin::NewStub(
      grpc::CreateCustomChannel(corsd_->admin_address(), grpc::InsecureChannelCredentials(), args));
  grpc::ClientContext context;
  Authorize(&context, admin_token_, absl::Seconds(120));
  auto stalled = slow_admin->WatchPolicies(&context, v1::WatchPoliciesRequest());
  std::string big_origins;
  for (int i = 0; i < 40; ++i) {
    big_origins += (i ? "\",\"" : "") + std::string("https://origin-") + std::to_string(i) +
                   ".padding-to-make-events-bigger.example";
  }
  absl::Duration slowest = absl::ZeroDuration();
  for (int i = 0; i < 1100; ++i) {
    const absl::Time start = absl::Now();
    ASSERT_TRUE(PutPolicy("shop", OnlyOrigin(big_origins)).ok()) << i;
    slowest = std::max(slowest, absl::Now() - start);
  }
  // Writers never waited for the watcher (fsync dominates each write).
  EXPECT_LT(slowest, absl::Seconds(2));
  v1::PolicyEvent event;
  int read = 0;
  while (stalled->Read(&event)) ++read;
  grpc::Status status = stalled->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << status.error_message();
  EXPECT_THAT(status.error_message(), HasSubstr("reconnect"));
  EXPECT_LT(read, 1100);
}

}  // namespace
}  // namespace corsd::testing
