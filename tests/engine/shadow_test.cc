// Shadow decisions: the tally's counts and samples, and the recorder that
// decides with the shadow off the caller's path.
#include <map>
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
  Decision decision;
  Decide(active, request, {}, &decision);
  recorder.Record(shadow, request, decision.verdict, decision.reason);
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
  for (int i = 0; i < 1000; ++i) {
    DecideAndRecord(small, *active, shadow,
                    {.origin = "https://app.example.com", .method = "GET", .path = "/a"});
    DecideAndRecord(small, *active, shadow,
                    {.origin = "https://old.example.com",
                     .method = "GET",
                     .path = absl::StrCat("/items/", i, "?q=", i)});
  }
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
  auto shadow = Shadow({"https://app.example.com"});
  const HeaderView put[] = {{"Access-Control-Request-Method", "PUT"}, {"Cookie", "a"}};
  const HeaderView put_other_cookie[] = {{"cookie", "b"}, {"access-control-request-method", "PUT"}};
  const HeaderView patch[] = {{"Access-Control-Request-Method", "PATCH"}};
  for (int i = 0; i < 1000; ++i) {
    DecideAndRecord(recorder, *active, shadow,
                    {.origin = "https://app.example.com", .method = "GET", .path = "/a"});
    DecideAndRecord(recorder, *active, shadow,
                    {.origin = "https://old.example.com",
                     .method = "GET",
                     .path = absl::StrCat("/items/", i, "?q=", i)});
  }
  for (int i = 0; i < 7; ++i) {
    DecideAndRecord(recorder, *active, shadow,
                    {.origin = "https://app.example.com",
                     .method = "OPTIONS",
                     .path = "/",
                     .headers = i % 2 == 0 ? absl::Span<const HeaderView>(put)
                                           : absl::Span<const HeaderView>(put_other_cookie)});
  }
  DecideAndRecord(recorder, *active, shadow,
                  {.origin = "https://app.example.com", .method = "OPTIONS", .headers = patch});
  recorder.Flush();
  EXPECT_EQ(recorder.decided(), 2008);
  EXPECT_THAT(shadow->tally->Counts(),
              ElementsAre(Row(Verdict::kAllow, Verdict::kAllow, Reason::kAllowed, 1007),
                          Row(Verdict::kAllow, Verdict::kDeny, Reason::kOriginNotAllowed, 1000),
                          Row(Verdict::kDeny, Verdict::kDeny, Reason::kMethodNotAllowed, 1)));

  // Counted again after the flush: the memo keeps its shapes.
  DecideAndRecord(recorder, *active, shadow,
                  {.origin = "https://app.example.com", .method = "GET", .path = "/a"});
  recorder.Flush();
  EXPECT_EQ(recorder.decided(), 2009);
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

TEST(ShadowRecorder, QueuesOfThreadsThatExitedAreDecidedAndFreed) {
  ShadowRecorder recorder({.interval = absl::Hours(1)});
  auto active = Allowing({"https://app.example.com"});
  auto shadow = Shadow({"https://app.example.com"});
  for (int i = 0; i < 5; ++i) {
    std::thread([&] {
      DecideAndRecord(recorder, *active, shadow,
                      {.origin = "https://app.example.com", .method = "GET"});
    }).join();
  }
  EXPECT_EQ(recorder.thread_queues(), 5u);
  recorder.Flush();
  EXPECT_EQ(recorder.decided(), 5) << "what the threads left is still decided";
  EXPECT_EQ(recorder.thread_queues(), 0u);
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
