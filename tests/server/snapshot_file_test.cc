// The snapshot file ("Fail static"): what is written reads back whole, and
// anything else (cut short, one flipped bit, another build's file, another
// kind of file, a length that claims gigabytes) is refused with the reason,
// never half-loaded. CRC32C is checked against the standard's test vector.
#include "service/snapshot/snapshot_file.h"

#include <filesystem>
#include <fstream>

#include "absl/base/internal/endian.h"
#include "gmock/gmock.h"
#include "service/snapshot/crc32c.h"
#include "tests/support/temp_dir.h"

namespace corsd::snapshot {
namespace {

using ::testing::HasSubstr;

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}
void WriteAll(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

// Two tenants, one with a policy, written the way corsd writes them.
absl::Status WriteExample(const std::string& path) {
  SnapshotContent content;
  content.head.set_change_seq(42);
  content.head.mutable_synced_at()->set_seconds(1'800'000'000);
  content.head.add_tenants()->set_name("shop");
  content.head.add_tenants()->set_name("blog");
  v1::PolicyEvent event;
  event.set_tenant("shop");
  event.add_hosts("shop.example");
  event.mutable_version()->set_revision(7);
  event.mutable_version()->mutable_policy()->add_rules()->add_allowed_origins("https://a.example");
  content.policy_count = 1;
  content.policy_event = [&](size_t) { return event.SerializeAsString(); };
  return WriteSnapshotFile(path, content);
}

TEST(Crc32c, MatchesTheStandardCheckValue) {
  EXPECT_EQ(Crc32c(0, "123456789"), 0xe3069283u);
  EXPECT_EQ(Crc32c(Crc32c(0, "1234"), "56789"), 0xe3069283u) << "extends in parts";
}

TEST(SnapshotFile, ReadsBackWhatWasWritten) {
  corsd::testing::TempDir dir;
  const std::string path = dir.File("snapshot.pb");
  ASSERT_TRUE(WriteExample(path).ok());
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));
  absl::StatusOr<v1::Snapshot> read = ReadSnapshotFile(path);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->build(), ThisBuild());
  EXPECT_EQ(read->change_seq(), 42);
  EXPECT_EQ(read->synced_at().seconds(), 1'800'000'000);
  ASSERT_EQ(read->tenants_size(), 2);
  ASSERT_EQ(read->policies_size(), 1);
  EXPECT_EQ(read->policies(0).version().revision(), 7);
  EXPECT_EQ(read->policies(0).hosts(0), "shop.example");
}

TEST(SnapshotFile, RefusesAnythingButAWholeSnapshotOfThisBuild) {
  corsd::testing::TempDir dir;
  const std::string good = dir.File("good.pb");
  ASSERT_TRUE(WriteExample(good).ok());
  const std::string bytes = ReadAll(good);
  const std::string path = dir.File("bad.pb");

  EXPECT_EQ(ReadSnapshotFile(dir.File("none.pb")).status().code(), absl::StatusCode::kNotFound);
  struct Case {
    const char* name;
    std::string bytes;
    const char* why;
  };
  std::string flipped = bytes;
  flipped[flipped.size() - 5] ^= 0x01;
  std::string huge = bytes;
  huge[8 + 7] = 0x7f;  // the length's top byte
  std::vector<Case> cases = {
      {"truncated", bytes.substr(0, bytes.size() - 1), "truncated"},
      {"header only", bytes.substr(0, 10), "shorter than its header"},
      {"one bit flipped", flipped, "checksum mismatch"},
      {"longer than said", bytes + "x", "longer than its header says"},
      {"huge length", huge, "claims"},
      {"not a snapshot", std::string("SQLite format 3\0 and more bytes", 30),
       "not a corsd snapshot"},
      {"empty", "", "shorter than its header"},
  };
  for (const Case& c : cases) {
    WriteAll(path, c.bytes);
    absl::StatusOr<v1::Snapshot> read = ReadSnapshotFile(path);
    EXPECT_EQ(read.status().code(), absl::StatusCode::kFailedPrecondition) << c.name;
    EXPECT_THAT(std::string(read.status().message()), HasSubstr(c.why)) << c.name;
  }

  // Another build's file: well-formed, checksum right, `build` different.
  v1::Snapshot foreign;
  foreign.set_build("corsd 0.0.1 snapshot format 0");
  SnapshotContent content;
  content.head = foreign;  // the writer stamps this build; re-frame by hand below
  ASSERT_TRUE(WriteSnapshotFile(path, content).ok());
  std::string framed = ReadAll(path);
  const std::string payload = foreign.SerializeAsString();
  std::string header = framed.substr(0, 8);
  char field[8];
  absl::little_endian::Store64(field, payload.size());
  header.append(field, 8);
  absl::little_endian::Store32(field, Crc32c(0, payload));
  header.append(field, 4);
  WriteAll(path, header + payload);
  absl::StatusOr<v1::Snapshot> read = ReadSnapshotFile(path);
  EXPECT_EQ(read.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(read.status().message()), HasSubstr("written by \"corsd 0.0.1"));
}

}  // namespace
}  // namespace corsd::snapshot
