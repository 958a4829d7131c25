// ReadExtAuthzRequest against messages built with the generated Envoy
// classes: it must read what protobuf would parse, with protobuf's
// last-one-wins merge rules, and refuse what protobuf would refuse in the
// fields corsd reads.
#include "service/server/ext_authz_request.h"

#include <string>

#include "envoy/service/auth/v3/external_auth.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "service/server/ext_authz_answer.h"

namespace corsd::server {
namespace {

namespace auth = envoy::service::auth::v3;

auth::CheckRequest Sample() {
  auth::CheckRequest request;
  auto* attributes = request.mutable_attributes();
  (*attributes->mutable_context_extensions())["corsd_tenant"] = "shop";
  (*attributes->mutable_context_extensions())["other"] = "x";
  auto* http = attributes->mutable_request()->mutable_http();
  http->set_method("OPTIONS");
  http->set_path("/items?x=1");
  http->set_host("shop.example.com:443");
  http->set_id("abc");
  (*http->mutable_headers())["origin"] = "https://app.example.com";
  (*http->mutable_headers())["access-control-request-method"] = "PUT";
  (*http->mutable_headers())["access-control-request-headers"] = "content-type";
  (*http->mutable_headers())["user-agent"] = "test";
  return request;
}

TEST(ExtAuthzRequestTest, ReadsTheFieldsCorsdUses) {
  // The view points into the bytes: they must outlive it.
  const std::string bytes = Sample().SerializeAsString();
  ExtAuthzRequestView view;
  ASSERT_TRUE(ReadExtAuthzRequest(bytes, &view));
  EXPECT_EQ(view.tenant, "shop");
  EXPECT_EQ(view.method, "OPTIONS");
  EXPECT_EQ(view.path, "/items?x=1");
  EXPECT_EQ(view.host, "shop.example.com:443");
  EXPECT_EQ(view.origin, "https://app.example.com");
  ASSERT_EQ(view.cors_headers.size(), 2u);
  // The map's entries arrive in the order protobuf serialized them.
  EXPECT_THAT(view.cors_headers,
              ::testing::UnorderedElementsAre(
                  engine::HeaderView{"access-control-request-method", "PUT"},
                  engine::HeaderView{"access-control-request-headers", "content-type"}));
}

TEST(ExtAuthzRequestTest, ConcatenatedMessagesMergeLikeProtobuf) {
  auth::CheckRequest second;
  auto* http = second.mutable_attributes()->mutable_request()->mutable_http();
  http->set_method("GET");
  (*http->mutable_headers())["origin"] = "https://two.example";
  const std::string bytes = Sample().SerializeAsString() + second.SerializeAsString();
  auth::CheckRequest merged;
  ASSERT_TRUE(merged.ParseFromString(bytes));
  ExtAuthzRequestView view;
  ASSERT_TRUE(ReadExtAuthzRequest(bytes, &view));
  EXPECT_EQ(view.method, merged.attributes().request().http().method());
  EXPECT_EQ(view.origin, merged.attributes().request().http().headers().at("origin"));
  EXPECT_EQ(view.path, merged.attributes().request().http().path());
  EXPECT_EQ(view.tenant, "shop");
}

TEST(ExtAuthzRequestTest, RefusesWhatProtobufRefusesInTheFieldsItReads) {
  const std::string good = Sample().SerializeAsString();
  ExtAuthzRequestView view;
  // Every truncation of a valid message either parses in both or in neither.
  for (size_t cut = 0; cut < good.size(); ++cut) {
    auth::CheckRequest parsed;
    const bool protobuf_ok = parsed.ParseFromString(good.substr(0, cut));
    if (!protobuf_ok) {
      EXPECT_FALSE(ReadExtAuthzRequest(good.substr(0, cut), &view)) << "cut at " << cut;
    }
  }
  for (const std::string& field : {std::string("app.example.com"), std::string("OPTIONS"),
                                   std::string("shop.example.com"), std::string("shop\"")}) {
    std::string bad = good;
    const size_t at = bad.find(field.substr(0, field.size() - (field.back() == '"' ? 1 : 0)));
    ASSERT_NE(at, std::string::npos) << field;
    bad[at] = '\xc0';  // never valid UTF-8
    EXPECT_FALSE(ReadExtAuthzRequest(bad, &view)) << field;
  }
  EXPECT_FALSE(ReadExtAuthzRequest("\xff", &view));
  EXPECT_FALSE(ReadExtAuthzRequest(std::string("\x0b", 1), &view)) << "a group";
}

TEST(ExtAuthzRequestTest, IgnoresHeadersItDoesNotRead) {
  std::string bytes = Sample().SerializeAsString();
  const size_t at = bytes.find("test");  // the user-agent value
  ASSERT_NE(at, std::string::npos);
  bytes[at] = '\xc0';
  ExtAuthzRequestView view;
  EXPECT_TRUE(ReadExtAuthzRequest(bytes, &view)) << "other headers are ignored, as documented";
  EXPECT_EQ(view.origin, "https://app.example.com");
}

TEST(ExtAuthzRequestTest, RawHeaderMapCountsOriginLines) {
  auth::CheckRequest request;
  auto* map = request.mutable_attributes()->mutable_request()->mutable_http()->mutable_header_map();
  for (const char* origin : {"https://a.example", "https://b.example"}) {
    auto* header = map->add_headers();
    header->set_key("origin");
    header->set_raw_value(origin);
  }
  auto* method = map->add_headers();
  method->set_key("Access-Control-Request-Method");
  method->set_value("PUT");
  for (const char* requested : {"x-a", "x-b"}) {
    auto* line = map->add_headers();
    line->set_key("access-control-request-headers");
    line->set_value(requested);
  }
  const std::string bytes = request.SerializeAsString();
  ExtAuthzRequestView view;
  ASSERT_TRUE(ReadExtAuthzRequest(bytes, &view));
  EXPECT_EQ(view.origin_lines, 2u);
  EXPECT_THAT(view.cors_headers,
              ::testing::ElementsAre(engine::HeaderView{"access-control-request-method", "PUT"},
                                     engine::HeaderView{"access-control-request-headers", "x-a"},
                                     engine::HeaderView{"access-control-request-headers", "x-b"}))
      << "every line of a raw header map reaches the engine";
}

}  // namespace
}  // namespace corsd::server

namespace corsd::server {
namespace {

// SerializeExtAuthzAnswer's bytes, decoded by the generated classes: every
// field where Envoy reads it, lengths past one varint byte included.
TEST(ExtAuthzAnswerTest, DecodesAsTheGeneratedMessage) {
  const std::string long_origin = "https://" + std::string(300, 'a') + ".example";
  const engine::HeaderView headers[] = {{"Access-Control-Allow-Origin", long_origin},
                                        {"Vary", "Origin"}};
  for (bool denied : {false, true}) {
    std::string bytes;
    SerializeExtAuthzAnswer(ExtAuthzAnswer{.grpc_code = denied ? 7 : 0,
                                           .denied = denied,
                                           .http_status = 204,
                                           .headers = headers,
                                           .verdict = "ALLOW",
                                           .reason = "ALLOWED",
                                           .tenant = "shop",
                                           .revision = 1234567890123},
                            &bytes);
    auth::CheckResponse decoded;
    ASSERT_TRUE(decoded.ParseFromString(bytes)) << denied;
    EXPECT_EQ(decoded.status().code(), denied ? 7 : 0);
    const auto& options = denied ? decoded.denied_response().headers()
                                 : decoded.ok_response().response_headers_to_add();
    ASSERT_EQ(options.size(), 2);
    EXPECT_EQ(options[0].header().key(), "Access-Control-Allow-Origin");
    EXPECT_EQ(options[0].header().value(), long_origin);
    EXPECT_TRUE(options[0].has_append());
    EXPECT_FALSE(options[0].append().value());
    EXPECT_EQ(options[1].append().value(), !denied) << "Vary merges on forwarded requests only";
    if (denied) EXPECT_EQ(decoded.denied_response().status().code(), 204);
    const auto& corsd = decoded.dynamic_metadata().fields().at("corsd").struct_value().fields();
    EXPECT_EQ(corsd.at("verdict").string_value(), "ALLOW");
    EXPECT_EQ(corsd.at("reason").string_value(), "ALLOWED");
    EXPECT_EQ(corsd.at("tenant").string_value(), "shop");
    EXPECT_EQ(corsd.at("revision").number_value(), 1234567890123.0);
    EXPECT_FALSE(corsd.contains("error"));
  }
}

}  // namespace
}  // namespace corsd::server
