// Shadow decisions: the tally's counts and samples, and the recorder that
// decides with the shadow off the caller's path.
#include <functional>
#include <map>
#include <optional>
#include <thread>
#include <tuple>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "service/engine/decision.h"
#include "service/engine/limits.h"
#include "service/engine/policy_compiler.h"
#include "service/engine/shadow_recorder.h"

namespace corsd::engine {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::SizeIs;
using ::testing::UnorderedElementsAre;

std::shared_ptr<const CompiledPolicy> Allowing(std::vector<std::string> origins) {
  PolicySpec spec;
  RuleSpec& rule = spec.rules.emplace_back();
  rule.allowed_origins = std::move(origins);
  rule.allowed_methods = {"PUT"};
  rule.allowed_headers = {"x-a", "x-b"};
  PolicyCompilation compiled = CompilePolicy(spec, 1);
  EXPECT_TRUE(compiled.diagnostics.ok()) << compiled.diagnostics.Summary(5);
  return compiled.policy;
}

std::shared_ptr<const ShadowPolicy> Shadow(std::vector<std::string> origins) {
  return std::make_shared<const ShadowPolicy>(
      ShadowPolicy{.policy = Allowing(std::move(origins)),
                   .updated_at_us = 1,
                   .tally = std::make_shared<ShadowTally>()});
}

// Decides `request` with `active` and records it for `shadow`.
void DecideAndRecord(ShadowRecorder& recorder, const CompiledPolicy& active,
                     const std::shared_ptr<const ShadowPolicy>& shadow, const Request& request) {
  const CorsRequestHeaders cors = ScanCorsRequestHeaders(request.headers);
  Decision decision;
  Decide(active, request, cors, {}, &decision);
  recorder.Record(shadow, request, cors, decision.verdict, decision.reason);
}

// `n` GETs from app.example.com to one path, and `n` from old.example.com
// to a different path each (/items/0, /items/1, ... with a query): two
// shapes.
void RecordTwoGetShapes(ShadowRecorder& recorder, const CompiledPolicy& active,
                        const std::shared_ptr<const ShadowPolicy>& shadow, int n) {
  for (int i = 0; i < n; ++i) {
    DecideAndRecord(recorder, active, shadow,
                    {.origin = "https://app.example.com", .method = "GET", .path = "/a"});
    DecideAndRecord(recorder, active, shadow,
                    {.origin = "https://old.example.com",
                     .method = "GET",
                     .path = absl::StrCat("/items/", i, "?q=", i)});
  }
}

ShadowCountRow Row(Verdict active, Verdict shadow, Reason reason, int64_t count) {
  return {.active = active, .shadow = shadow, .shadow_reason = reason, .count = count};
}

TEST(ShadowTally, CountsByKeyInAFixedOrderAndTakesDeltas) {
  ShadowTally tally;
  tally.Count(Verdict::kDeny, Verdict::kAllow, Reason::kAllowed, 2);
  tally.Count(Verdict::kAllow, Verdict::kAllow, Reason::kAllowed);
  tally.Count(Verdict::kAllow, Verdict::kAllow, Reason::kAllowed);
  tally.Count(static_cast<Verdict>(9), Verdict::kAllow, Reason::kAllowed);  // unknown: ignored
  tally.Count(Verdict::kAllow, Verdict::kAllow, static_cast<Reason>(0));
  EXPECT_THAT(tally.Counts(),
              ElementsAre(Row(Verdict::kAllow, Verdict::kAllow, Reason::kAllowed, 2),
                          Row(Verdict::kDeny, Verdict::kAllow, Reason::kAllowed, 2)));
  EXPECT_THAT(tally.TakeCounts(), SizeIs(2));
  EXPECT_THAT(tally.Counts(), IsEmpty());
}

TEST(ShadowTally, KeepsTheHundredNewestSamplesNewestFirst) {
  ShadowTally tally;
  for (int i = 0; i < 150; ++i) {
    tally.AddSample({.time = absl::FromUnixSeconds(1000 + i), .origin = absl::StrCat("o", i)});
  }
  tally.AddSample({.time = absl::FromUnixSeconds(10), .origin = "too-old"});
  tally.AddSample({.time = absl::FromUnixSeconds(1100) + absl::Milliseconds(1), .origin = "mid"});
  std::vector<ShadowSampleRecord> samples = tally.Samples();
  ASSERT_THAT(samples, SizeIs(ShadowTally::kMaxSamples));
  EXPECT_EQ(samples[0].origin, "o149");
  EXPECT_EQ(samples[49].origin, "mid");
  EXPECT_EQ(samples.back().origin, "o51");
  EXPECT_THAT(tally.TakeNewSamples(), SizeIs(ShadowTally::kMaxSamples));
  EXPECT_THAT(tally.TakeNewSamples(), IsEmpty());
  tally.AddSample({.time = absl::FromUnixSeconds(5000), .origin = std::string(5000, 'x')});
  std::vector<ShadowSampleRecord> fresh = tally.TakeNewSamples();
  ASSERT_THAT(fresh, SizeIs(1));
  EXPECT_EQ(fresh[0].origin.size(), ShadowTally::kMaxSampleFieldBytes);
}

TEST(ShadowTally, SamplesAreCutAtCharacterBoundariesAndAlwaysUtf8) {
  ShadowTally tally;
  std::string path = "/" + std::string(1022, 'a') + "\xc3\xa9";  // "é" across the cut
  tally.AddSample(
      {.time = absl::FromUnixSeconds(1), .origin = "https://a.example\xff", .path = path});
  tally.AddSample({.time = absl::FromUnixSeconds(2),
                   .origin = "https://b.example",
                   .active_verdict = static_cast<Verdict>(42)});  // unknown: dropped
  std::vector<ShadowSampleRecord> samples = tally.Samples();
  ASSERT_THAT(samples, SizeIs(1));
  EXPECT_EQ(samples[0].path.size(), 1023u) << "cut before the 2-byte character, not inside it";
  EXPECT_EQ(samples[0].origin, "https://a.example?");
}

TEST(ShadowRecorder, DecidesEveryRecordedRequestWithTheShadow) {
  ShadowRecorder recorder({.interval = absl::Hours(1)});  // only Flush decides
  auto active = Allowing({"https://app.example.com", "https://old.example.com"});
  auto shadow = Shadow({"https://app.example.com"});  // drops old.example.com
  const HeaderView put[] = {{"Access-Control-Request-Method", "PUT"},
                            {"Access-Control-Request-Headers", "X-A, x-b"},
                            {"Cookie", "secret"}};
  for (int i = 0; i < 3; ++i) {
    DecideAndRecord(recorder, *active, shadow,
                    {.origin = "https://app.example.com", .method = "GET", .path = "/a"});
  }
  DecideAndRecord(recorder, *active, shadow,
                  {.origin = "https://old.example.com",
                   .method = "OPTIONS",
                   .path = "/items?token=secret",
                   .headers = put});
  DecideAndRecord(recorder, *active, shadow, {.method = "GET", .path = "/"});
  EXPECT_THAT(shadow->tally->Counts(), IsEmpty()) << "nothing decided before the flush";

  recorder.Flush();
  EXPECT_EQ(recorder.decided(), 5);
  EXPECT_THAT(shadow->tally->Counts(),
              ElementsAre(Row(Verdict::kAllow, Verdict::kAllow, Reason::kAllowed, 3),
                          Row(Verdict::kAllow, Verdict::kDeny, Reason::kOriginNotAllowed, 1),
                          Row(Verdict::kNotCors, Verdict::kNotCors, Reason::kNoOriginHeader, 1)));
  std::vector<ShadowSampleRecord> samples = shadow->tally->Samples();
  ASSERT_THAT(samples, SizeIs(1)) << "only disagreements are sampled";
  EXPECT_EQ(samples[0].origin, "https://old.example.com");
  EXPECT_EQ(samples[0].method, "OPTIONS");
  EXPECT_EQ(samples[0].path, "/items") << "never the query";
  EXPECT_THAT(samples[0].requested_headers, ElementsAre("x-a", "x-b"));
  EXPECT_EQ(samples[0].active_verdict, Verdict::kAllow);
  EXPECT_EQ(samples[0].shadow_verdict, Verdict::kDeny);
  EXPECT_EQ(samples[0].shadow_reason, Reason::kOriginNotAllowed);
}

TEST(ShadowRecorder, TheLineLimitStillAppliesToTheShadow) {
  ShadowRecorder recorder({.interval = absl::Hours(1)});
  auto active = Allowing({"https://app.example.com"});
  auto shadow = Shadow({"https://app.example.com"});
  std::vector<HeaderView> many(kMaxRequestHeaderLines + 5, HeaderView{"x-filler", "1"});
  many.push_back({"Access-Control-Request-Method", "PUT"});
  DecideAndRecord(recorder, *active, shadow,
                  {.origin = "https://app.example.com", .method = "OPTIONS", .headers = many});
  recorder.Flush();
  ASSERT_THAT(shadow->tally->Counts(), SizeIs(1));
  EXPECT_EQ(shadow->tally->Counts()[0].shadow_reason, Reason::kMalformedRequest);
  EXPECT_EQ(shadow->tally->Counts()[0].active, Verdict::kDeny) << "the same as the active answer";
}

TEST(ShadowRecorder, AFullQueueDropsAndCounts) {
  ShadowRecorder recorder({.interval = absl::Hours(1), .max_queued = 4});
  auto active = Allowing({"https://app.example.com"});
  auto shadow = Shadow({"https://app.example.com"});
  // Paths too long for the memo: each request is queued.
  const std::string long_path = "/" + std::string(ShadowRecorder::kMemoTextBytes, 'p');
  for (int i = 0; i < 10; ++i) {
    DecideAndRecord(recorder, *active, shadow,
                    {.origin = "https://app.example.com", .path = long_path});
  }
  EXPECT_EQ(recorder.dropped(), 6);
  recorder.Flush();
  EXPECT_EQ(recorder.decided(), 4);
  ShadowRecorder small_bytes({.interval = absl::Hours(1), .max_queued_bytes = 64});
  DecideAndRecord(small_bytes, *active, shadow,
                  {.origin = "https://app.example.com", .path = long_path});
  EXPECT_EQ(small_bytes.dropped(), 1);
}

TEST(ShadowRecorder, RepeatedShapesAreCountedNotQueued) {
  // Two shapes, however they hash, are each counted in the memo: a queue of
  // one entry would drop anything queued twice.
  ShadowRecorder small({.interval = absl::Hours(1), .max_queued = 1});
  auto active = Allowing({"https://app.example.com", "https://old.example.com"});
  auto shadow = Shadow({"https://app.example.com"});
  RecordTwoGetShapes(small, *active, shadow, 1000);
  EXPECT_EQ(small.dropped(), 0) << "a shape seen again is a count, however many";
  small.Flush();
  EXPECT_EQ(small.decided(), 2000);
  EXPECT_THAT(shadow->tally->Counts(),
              ElementsAre(Row(Verdict::kAllow, Verdict::kAllow, Reason::kAllowed, 1000),
                          Row(Verdict::kAllow, Verdict::kDeny, Reason::kOriginNotAllowed, 1000)));
  std::vector<ShadowSampleRecord> samples = shadow->tally->Samples();
  ASSERT_THAT(samples, SizeIs(ShadowTally::kMaxSamples)) << "as if each was decided";
  EXPECT_EQ(samples[0].origin, "https://old.example.com");
  EXPECT_EQ(samples[0].path, "/items/0") << "the path of the first request of the shape";
}

TEST(ShadowRecorder, ShapesAreExactAndOtherLinesDoNotMatter) {
  ShadowRecorder recorder({.interval = absl::Hours(1)});
  auto active = Allowing({"https://app.example.com", "https://old.example.com"});
  auto denying = Allowing({"https://old.example.com"});
  auto shadow = Shadow({"https://app.example.com"});
  const HeaderView put[] = {{"Access-Control-Request-Method", "PUT"}, {"Cookie", "a"}};
  const HeaderView patch[] = {{"Access-Control-Request-Method", "PATCH"}};
  const HeaderView two_methods[] = {{"Access-Control-Request-Method", "PUT"},
                                    {"Access-Control-Request-Method", "PUT"}};
  const HeaderView five_lines[] = {{"Access-Control-Request-Method", "PUT"},
                                   {"Access-Control-Request-Headers", "x-a"},
                                   {"Access-Control-Request-Headers", "x-b"},
                                   {"Access-Control-Request-Headers", ""},
                                   {"Access-Control-Request-Headers", "x-a"}};
  const HeaderView private_network[] = {{"Access-Control-Request-Method", "PUT"},
                                        {"Access-Control-Request-Private-Network", "true"}};
  RecordTwoGetShapes(recorder, *active, shadow, 1000);
  auto preflight = [&](const CompiledPolicy& policy, absl::Span<const HeaderView> headers) {
    DecideAndRecord(recorder, policy, shadow,
                    {.origin = "https://app.example.com", .method = "OPTIONS", .headers = headers});
  };
  for (int i = 0; i < 7; ++i) preflight(*active, put);
  preflight(*active, patch);
  preflight(*denying, put);  // the same request, another active answer: its own row
  preflight(*active, two_methods);
  preflight(*active, five_lines);  // more lines than a shape holds: queued
  preflight(*active, private_network);
  recorder.Flush();
  EXPECT_EQ(recorder.decided(), 2012);
  std::map<std::tuple<Verdict, Verdict, Reason>, int64_t> counted;
  for (const ShadowCountRow& row : shadow->tally->Counts()) {
    counted[{row.active, row.shadow, row.shadow_reason}] = row.count;
  }
  // Each kind decided as Decide decides it: exactly the rows of deciding
  // every request.
  std::map<std::tuple<Verdict, Verdict, Reason>, int64_t> expected;
  auto expect = [&](const CompiledPolicy& policy, const Request& request, int64_t n) {
    Decision active_decision, shadow_decision;
    Decide(policy, request, {}, &active_decision);
    Decide(*shadow->policy, request, {}, &shadow_decision);
    expected[{active_decision.verdict, shadow_decision.verdict, shadow_decision.reason}] += n;
  };
  expect(*active, {.origin = "https://app.example.com", .method = "GET", .path = "/a"}, 1000);
  expect(*active, {.origin = "https://old.example.com", .method = "GET", .path = "/items/1"}, 1000);
  const Request options{.origin = "https://app.example.com", .method = "OPTIONS"};
  auto with = [&](absl::Span<const HeaderView> headers) {
    Request request = options;
    request.headers = headers;
    return request;
  };
  expect(*active, with(put), 7);
  expect(*active, with(patch), 1);
  expect(*denying, with(put), 1);
  expect(*active, with(two_methods), 1);
  expect(*active, with(five_lines), 1);
  expect(*active, with(private_network), 1);
  EXPECT_EQ(counted, expected);
}

TEST(ShadowRecorder, TheLastShapeCountsOnlyARequestEqualToItInEveryByte) {
  // Record's first guess is the shape the thread counted last. A request
  // that the active policy answers alike but that differs from that shape
  // in one byte of the origin or of a line's value, or by one line more or
  // less, is another shape: here the shadow answers each differently.
  ShadowRecorder recorder({.interval = absl::Hours(1)});
  auto active = Allowing({"https://app.example.com", "https://apq.example.com"});
  PolicySpec narrower;
  RuleSpec& rule = narrower.rules.emplace_back();
  rule.allowed_origins = {"https://app.example.com"};
  rule.allowed_methods = {"PUT"};
  rule.allowed_headers = {"x-a"};
  PolicyCompilation compiled = CompilePolicy(narrower, 1);
  ASSERT_TRUE(compiled.diagnostics.ok()) << compiled.diagnostics.Summary(5);
  auto shadow = std::make_shared<const ShadowPolicy>(ShadowPolicy{
      .policy = compiled.policy, .updated_at_us = 1, .tally = std::make_shared<ShadowTally>()});
  const HeaderView x_a[] = {{"Access-Control-Request-Method", "PUT"},
                            {"Access-Control-Request-Headers", "x-a"}};
  const HeaderView x_b[] = {{"Access-Control-Request-Method", "PUT"},
                            {"Access-Control-Request-Headers", "x-b"}};
  const HeaderView x_a_then_x_b[] = {{"Access-Control-Request-Method", "PUT"},
                                     {"Access-Control-Request-Headers", "x-a"},
                                     {"Access-Control-Request-Headers", "x-b"}};
  // Each request twice in a row: the second is counted with the shape the
  // first left as the thread's last, the first follows another shape.
  auto preflight = [&](absl::string_view origin, absl::Span<const HeaderView> headers) {
    for (int i = 0; i < 2; ++i) {
      DecideAndRecord(recorder, *active, shadow,
                      {.origin = origin, .method = "OPTIONS", .headers = headers});
    }
  };
  // The active policy allows all of them; the shadow allows only x_a from
  // app.example.com.
  for (int i = 0; i < 3; ++i) {
    preflight("https://app.example.com", x_a);
    preflight("https://app.example.com", x_a_then_x_b);  // one line more
    preflight("https://app.example.com", x_a);           // one line less
    preflight("https://app.example.com", x_b);           // one byte of a value
    preflight("https://app.example.com", x_a);
    preflight("https://apq.example.com", x_a);  // one byte of the origin
  }
  recorder.Flush();
  EXPECT_EQ(recorder.decided(), 36);
  EXPECT_THAT(
      shadow->tally->Counts(),
      UnorderedElementsAre(Row(Verdict::kAllow, Verdict::kAllow, Reason::kAllowed, 18),
                           Row(Verdict::kAllow, Verdict::kDeny, Reason::kHeadersNotAllowed, 12),
                           Row(Verdict::kAllow, Verdict::kDeny, Reason::kOriginNotAllowed, 6)));
}

TEST(ShadowRecorder, RequestsWhoseLinesComeToTheSameAreOneShape) {
  // A shape keys on what the Access-Control-Request-* lines come to, as the
  // decision reads them: not the names' case, the method value without its
  // whitespace, the last private network line, nothing of the lines that
  // decide nothing. The shadow disagrees with every request and each
  // variant has its own path: were they different shapes, some sample would
  // show another path than the first request's.
  ShadowRecorder recorder({.interval = absl::Hours(1)});
  auto active = Allowing({"https://app.example.com"});
  auto shadow = Shadow({"https://other.example.com"});
  const HeaderView upper[] = {{"Access-Control-Request-Method", "PUT"}, {"Cookie", "a"}};
  const HeaderView lower[] = {{"cookie", "b"}, {"access-control-request-method", "PUT"}};
  const HeaderView unused[] = {{"ACCESS-CONTROL-REQUEST-METHOD", "PUT"},
                               {"Access-Control-Request-Foo", "bar"}};
  const HeaderView unused_first[] = {{"Access-Control-Request-Foo", "x"},
                                     {"access-control-request-method", "PUT"}};
  const HeaderView spaced[] = {{"Access-Control-Request-Method", " PUT\t"}};
  const HeaderView taken_back[] = {{"Access-Control-Request-Method", "PUT"},
                                   {"Access-Control-Request-Private-Network", "true"},
                                   {"Access-Control-Request-Private-Network", "false"}};
  const absl::Span<const HeaderView> variants[] = {upper,        lower,  unused,
                                                   unused_first, spaced, taken_back};
  const char* paths[] = {"/first", "/second", "/third", "/fourth", "/fifth", "/sixth"};
  for (int i = 0; i < 600; ++i) {
    DecideAndRecord(recorder, *active, shadow,
                    {.origin = "https://app.example.com",
                     .method = "OPTIONS",
                     .path = paths[i % 6],
                     .headers = variants[i % 6]});
  }
  recorder.Flush();
  EXPECT_THAT(shadow->tally->Counts(),
              ElementsAre(Row(Verdict::kAllow, Verdict::kDeny, Reason::kOriginNotAllowed, 600)));
  for (const ShadowSampleRecord& sample : shadow->tally->Samples()) {
    EXPECT_EQ(sample.path, "/first");
  }
}

TEST(ShadowRecorder, TheMemoHoldsShapesUpToItsTextSize) {
  // A queue that holds nothing: only a shape the memo keeps is counted.
  ShadowRecorder recorder({.interval = absl::Hours(1), .max_queued = 0});
  auto active = Allowing({"https://app.example.com"});
  auto shadow = Shadow({"https://app.example.com"});
  const std::string origin = "https://app.example.com";
  const std::string fits(ShadowRecorder::kMemoTextBytes - origin.size() - 3, 'p');
  DecideAndRecord(recorder, *active, shadow, {.origin = origin, .method = "GET", .path = fits});
  EXPECT_EQ(recorder.dropped(), 0);
  // Another shape (the path is not part of one, but must fit for samples),
  // one byte over: queued, and the queue is full.
  DecideAndRecord(recorder, *active, shadow,
                  {.origin = origin, .method = "PUT", .path = fits + "p"});
  EXPECT_EQ(recorder.dropped(), 1);
  recorder.Flush();
  EXPECT_EQ(recorder.decided(), 1);

  // Short and odd sizes of every field (each compare path of the memo),
  // each shape twice.
  ShadowRecorder sizes({.interval = absl::Hours(1)});
  for (int size = 0; size < 10; ++size) {
    const std::string text(size, 'x');
    const HeaderView line[] = {{"Access-Control-Request-Headers", text}};
    for (int repeat = 0; repeat < 2; ++repeat) {
      DecideAndRecord(sizes, *active, shadow, {.origin = text, .method = text, .headers = line});
    }
  }
  sizes.Flush();
  EXPECT_EQ(sizes.decided(), 20);
}

TEST(ShadowRecorder, AFullQueueNeverCostsTheCountsOfShapesAlreadySeen) {
  ShadowRecorder recorder({.interval = absl::Hours(1), .max_queued = 0});
  auto active = Allowing({"https://app.example.com"});
  auto shadow = Shadow({"https://app.example.com"});
  for (int i = 0; i < 100; ++i) {
    DecideAndRecord(recorder, *active, shadow,
                    {.origin = "https://app.example.com", .method = "GET"});
  }
  // 500 new shapes: some land in the hot shape's set, where they are dropped
  // rather than evicting it.
  for (int i = 0; i < 500; ++i) {
    DecideAndRecord(recorder, *active, shadow,
                    {.origin = absl::StrCat("https://o", i, ".example"), .method = "GET"});
  }
  recorder.Flush();
  ASSERT_THAT(shadow->tally->Counts(), SizeIs(2));
  EXPECT_EQ(shadow->tally->Counts()[0],
            Row(Verdict::kAllow, Verdict::kAllow, Reason::kAllowed, 100));
  EXPECT_EQ(recorder.decided() + recorder.dropped(), 600);
}

TEST(ShadowRecorder, APathOverTheLimitBecauseOfItsQueryIsMalformedForTheShadowToo) {
  ShadowRecorder recorder({.interval = absl::Hours(1)});
  auto active = Allowing({"https://app.example.com"});
  auto shadow = Shadow({"https://app.example.com"});
  const std::string path = "/a?" + std::string(kMaxPathBytes, 'q');
  DecideAndRecord(recorder, *active, shadow,
                  {.origin = "https://app.example.com", .method = "GET", .path = path});
  recorder.Flush();
  EXPECT_THAT(shadow->tally->Counts(),
              ElementsAre(Row(Verdict::kDeny, Verdict::kDeny, Reason::kMalformedRequest, 1)));
}

TEST(ShadowRecorder, RecordersComeAndGoOnOneThread) {
  // Each recorder is made where the one before it was, and records the same
  // shape: a repeat must not be counted in the memo of the one that is gone.
  auto active = Allowing({"https://app.example.com"});
  auto shadow = Shadow({"https://app.example.com"});
  std::optional<ShadowRecorder> recorder;
  for (int i = 0; i < 12; ++i) {  // more than a thread keeps before forgetting closed queues
    recorder.emplace(ShadowRecorder::Options{.interval = absl::Hours(1)});
    for (int j = 0; j < 3; ++j) {
      DecideAndRecord(*recorder, *active, shadow,
                      {.origin = "https://app.example.com", .method = "GET"});
    }
    recorder->Flush();
    EXPECT_EQ(recorder->decided(), 3);
    recorder.reset();
  }
  EXPECT_THAT(shadow->tally->Counts(),
              ElementsAre(Row(Verdict::kAllow, Verdict::kAllow, Reason::kAllowed, 36)));
}

TEST(ShadowRecorder, TheShadowsRuleForThePathIsPartOfTheShape) {
  ShadowRecorder recorder({.interval = absl::Hours(1)});
  auto active = Allowing({"https://app.example.com"});
  PolicySpec spec;
  spec.rules.emplace_back().allowed_origins = {"https://app.example.com"};
  RuleSpec& admin = spec.rules.emplace_back();
  admin.path_prefix = "/admin";
  admin.allowed_origins = {"https://admin.example.com"};
  PolicyCompilation compiled = CompilePolicy(spec, 1);
  ASSERT_TRUE(compiled.diagnostics.ok()) << compiled.diagnostics.Summary(5);
  auto shadow = std::make_shared<const ShadowPolicy>(ShadowPolicy{
      .policy = compiled.policy, .updated_at_us = 1, .tally = std::make_shared<ShadowTally>()});
  for (int i = 0; i < 50; ++i) {
    DecideAndRecord(recorder, *active, shadow,
                    {.origin = "https://app.example.com", .method = "GET", .path = "/items"});
    DecideAndRecord(recorder, *active, shadow,
                    {.origin = "https://app.example.com", .method = "GET", .path = "/admin/users"});
  }
  recorder.Flush();
  EXPECT_THAT(shadow->tally->Counts(),
              ElementsAre(Row(Verdict::kAllow, Verdict::kAllow, Reason::kAllowed, 50),
                          Row(Verdict::kAllow, Verdict::kDeny, Reason::kOriginNotAllowed, 50)));
  EXPECT_EQ(shadow->tally->Samples()[0].path, "/admin/users");
}

TEST(ShadowRecorder, KeepsTheShadowAliveUntilDecided) {
  ShadowRecorder recorder({.interval = absl::Hours(1), .memo_refresh = absl::ZeroDuration()});
  auto active = Allowing({"https://app.example.com"});
  auto shadow = Shadow({"https://other.example.com"});
  std::shared_ptr<ShadowTally> tally = shadow->tally;
  std::weak_ptr<const ShadowPolicy> watched = shadow;
  DecideAndRecord(recorder, *active, shadow,
                  {.origin = "https://app.example.com", .method = "GET"});
  shadow.reset();  // a new revision replaced the tenant's snapshot
  EXPECT_FALSE(watched.expired());
  recorder.Flush();
  EXPECT_THAT(tally->Counts(),
              ElementsAre(Row(Verdict::kAllow, Verdict::kDeny, Reason::kOriginNotAllowed, 1)));
  // The thread's memo lets it go when it records next after a refresh.
  auto next = Shadow({"https://app.example.com"});
  DecideAndRecord(recorder, *active, next, {.origin = "https://app.example.com", .method = "GET"});
  EXPECT_TRUE(watched.expired());
  recorder.Flush();
  EXPECT_THAT(tally->Counts(),
              ElementsAre(Row(Verdict::kAllow, Verdict::kDeny, Reason::kOriginNotAllowed, 1)));
  EXPECT_THAT(next->tally->Counts(),
              ElementsAre(Row(Verdict::kAllow, Verdict::kAllow, Reason::kAllowed, 1)));
}

TEST(ShadowRecorder, ARefreshReachesAThreadThatOnlyRepeatsItsLastShape) {
  // A repeat of the thread's last shape is counted inline without looking
  // at the queue; the refresh must still reach it, or a replaced shadow in
  // another slot would stay pinned for as long as the traffic repeats.
  ShadowRecorder recorder({.interval = absl::Hours(1), .memo_refresh = absl::ZeroDuration()});
  auto active = Allowing({"https://app.example.com"});
  auto replaced = Shadow({"https://other.example.com"});
  auto kept = Shadow({"https://app.example.com"});
  std::weak_ptr<const ShadowPolicy> watched = replaced;
  const Request get{.origin = "https://app.example.com", .method = "GET"};
  DecideAndRecord(recorder, *active, replaced, get);
  DecideAndRecord(recorder, *active, kept, get);  // the thread's last shape
  replaced.reset();
  recorder.Flush();  // decides, and asks every thread to empty its memo
  EXPECT_FALSE(watched.expired()) << "the memo still holds it";
  for (int i = 0; i < 3; ++i) DecideAndRecord(recorder, *active, kept, get);
  EXPECT_TRUE(watched.expired());
  recorder.Flush();
  EXPECT_THAT(kept->tally->Counts(),
              ElementsAre(Row(Verdict::kAllow, Verdict::kAllow, Reason::kAllowed, 4)));
}

TEST(ShadowRecorder, QueuesOfThreadsThatExitedAreDecidedAndFreed) {
  ShadowRecorder recorder({.interval = absl::Hours(1)});
  auto active = Allowing({"https://app.example.com"});
  auto shadow = Shadow({"https://app.example.com"});
  for (int i = 0; i < 5; ++i) {
    std::thread([&] {
      for (int j = 0; j < 3; ++j) {  // counted in the thread's memo
        DecideAndRecord(recorder, *active, shadow,
                        {.origin = "https://app.example.com", .method = "GET"});
      }
    }).join();
  }
  EXPECT_EQ(recorder.thread_queues(), 5u);
  recorder.Flush();
  EXPECT_EQ(recorder.decided(), 15) << "what the threads left is still decided";
  EXPECT_EQ(recorder.thread_queues(), 0u);
}

TEST(ShadowRecorder, ARecordMadeAsItsThreadExitsIsDroppedAndCounted) {
  // A thread_local made before the thread's first Record is destroyed after
  // the thread's queues; a Record from its destructor has nowhere to go.
  ShadowRecorder recorder({.interval = absl::Hours(1)});
  auto active = Allowing({"https://app.example.com"});
  auto shadow = Shadow({"https://app.example.com"});
  const Request get{.origin = "https://app.example.com", .method = "GET"};
  struct RecordsOnExit {
    std::function<void()> record;
    ~RecordsOnExit() { record(); }
  };
  std::thread([&] {
    thread_local RecordsOnExit on_exit{[&] { DecideAndRecord(recorder, *active, shadow, get); }};
    DecideAndRecord(recorder, *active, shadow, get);
  }).join();
  EXPECT_EQ(recorder.dropped(), 1);
  recorder.Flush();
  EXPECT_EQ(recorder.decided(), 1);
}

// Under ThreadSanitizer (engine_concurrency_tests): many recording threads,
// the background thread and Flush at once; every request is counted once.
TEST(ShadowRecorderConcurrency, ManyThreadsRecordWhileTheWorkerDrains) {
  // Every drain also asks the threads to empty their memos, so hits, slot
  // takeovers, queued requests, hand-overs and refreshes all race the drain.
  ShadowRecorder recorder(
      {.interval = absl::Microseconds(200), .memo_refresh = absl::ZeroDuration()});
  auto active = Allowing({"https://app.example.com"});
  auto first = Shadow({"https://app.example.com"});
  auto second = Shadow({"https://other.example.com"});
  constexpr int kThreads = 4;
  constexpr int kEach = 3000;
  const std::string long_path = "/" + std::string(ShadowRecorder::kMemoTextBytes, 'p');
  // kind 0: one repeated shape; 1: 200 origins (more than the memo holds),
  // denied by both; 2: a path too long for the memo (queued).
  auto origin_of = [](int i) {
    return i % 3 == 1 ? absl::StrCat("https://o", i % 200, ".example") : "https://app.example.com";
  };
  std::map<const ShadowPolicy*, std::map<std::tuple<Verdict, Verdict, Reason>, int64_t>> expected;
  for (int t = 0; t < kThreads; ++t) {
    for (int i = 0; i < kEach; ++i) {
      const ShadowPolicy* shadow = (i + t) % 2 == 0 ? first.get() : second.get();
      if (i % 3 == 1) {
        ++expected[shadow][{Verdict::kDeny, Verdict::kDeny, Reason::kOriginNotAllowed}];
      } else if (shadow == first.get()) {
        ++expected[shadow][{Verdict::kAllow, Verdict::kAllow, Reason::kAllowed}];
      } else {
        ++expected[shadow][{Verdict::kAllow, Verdict::kDeny, Reason::kOriginNotAllowed}];
      }
    }
  }
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        const std::string origin = origin_of(i);
        DecideAndRecord(recorder, *active, (i + t) % 2 == 0 ? first : second,
                        {.origin = origin,
                         .method = "GET",
                         .path = i % 3 == 2 ? absl::string_view(long_path) : "/"});
        if (i % 500 == 0) recorder.Flush();
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  recorder.Flush();
  EXPECT_EQ(recorder.dropped(), 0);
  EXPECT_EQ(recorder.decided(), kThreads * kEach);
  for (const auto& shadow : {first, second}) {
    std::map<std::tuple<Verdict, Verdict, Reason>, int64_t> counted;
    for (const ShadowCountRow& row : shadow->tally->Counts()) {
      counted[{row.active, row.shadow, row.shadow_reason}] = row.count;
    }
    EXPECT_EQ(counted, expected[shadow.get()]);
  }
}

}  // namespace
}  // namespace corsd::engine
