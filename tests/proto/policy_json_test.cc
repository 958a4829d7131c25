// The policy file format corsctl reads is the protobuf JSON mapping of
// corsd.v1.Policy. These tests pin that format down: lowerCamelCase names,
// proto names accepted too, unknown fields rejected, and a lossless round trip.
#include <string>

#include "corsd/v1/corsd.pb.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"

namespace {

using google::protobuf::util::JsonParseOptions;
using google::protobuf::util::JsonStringToMessage;
using google::protobuf::util::MessageDifferencer;
using google::protobuf::util::MessageToJsonString;

corsd::v1::Policy SamplePolicy() {
  corsd::v1::Policy policy;
  corsd::v1::CorsRule* rule = policy.add_rules();
  rule->set_path_prefix("/api");
  rule->add_allowed_origins("https://app.example.com");
  rule->add_allowed_origins("https://*.example.com");
  rule->add_allowed_methods("PUT");
  rule->add_allowed_headers("content-type");
  rule->add_exposed_headers("x-request-id");
  rule->set_allow_credentials(true);
  rule->set_max_age_seconds(-1);
  rule->set_preflight_status(200);
  policy.add_rules()->add_allowed_origins("*");
  return policy;
}

TEST(PolicyJson, RoundTripsWithoutLoss) {
  corsd::v1::Policy original = SamplePolicy();
  std::string json;
  ASSERT_TRUE(MessageToJsonString(original, &json).ok());

  corsd::v1::Policy parsed;
  ASSERT_TRUE(JsonStringToMessage(json, &parsed).ok());
  EXPECT_TRUE(MessageDifferencer::Equals(original, parsed)) << json;
}

TEST(PolicyJson, UsesLowerCamelCaseFieldNames) {
  std::string json;
  ASSERT_TRUE(MessageToJsonString(SamplePolicy(), &json).ok());
  EXPECT_NE(json.find("\"pathPrefix\":\"/api\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"allowedOrigins\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"allowCredentials\":true"), std::string::npos) << json;
  EXPECT_NE(json.find("\"maxAgeSeconds\":-1"), std::string::npos) << json;
}

TEST(PolicyJson, AcceptsProtoFieldNamesToo) {
  corsd::v1::Policy parsed;
  ASSERT_TRUE(
      JsonStringToMessage(
          R"({"rules":[{"path_prefix":"/x","allowed_origins":["https://a.example"]}]})", &parsed)
          .ok());
  ASSERT_EQ(parsed.rules_size(), 1);
  EXPECT_EQ(parsed.rules(0).path_prefix(), "/x");
  EXPECT_EQ(parsed.rules(0).allowed_origins(0), "https://a.example");
}

TEST(PolicyJson, RejectsUnknownFieldsNamingThem) {
  corsd::v1::Policy parsed;
  auto status = JsonStringToMessage(R"({"rules":[{"allowedOrigin":["https://a.example"]}]})",
                                    &parsed, JsonParseOptions());
  ASSERT_FALSE(status.ok());
  EXPECT_NE(std::string(status.message()).find("allowedOrigin"), std::string::npos)
      << status.message();
}

}  // namespace
