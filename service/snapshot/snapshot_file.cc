#include "service/snapshot/snapshot_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "absl/base/internal/endian.h"
#include "absl/strings/str_cat.h"
#include "service/snapshot/crc32c.h"

namespace corsd::snapshot {
namespace {

constexpr char kMagic[8] = {'c', 'o', 'r', 's', 'd', 's', 'n', 'p'};
constexpr size_t kHeaderBytes = sizeof(kMagic) + 8 + 4;  // magic, length, CRC32C
constexpr int kPoliciesField = 4;                        // Snapshot.policies

absl::Status ErrnoError(absl::string_view what, const std::string& path) {
  return absl::InternalError(absl::StrCat(what, " ", path, ": ", std::strerror(errno)));
}

void AppendVarint(uint64_t value, std::string* out) {
  while (value >= 0x80) {
    out->push_back(static_cast<char>(value | 0x80));
    value >>= 7;
  }
  out->push_back(static_cast<char>(value));
}

// Appends to a file descriptor while folding the bytes into a CRC32C.
class ChecksummedWriter {
 public:
  explicit ChecksummedWriter(int fd) : fd_(fd) {}
  bool Write(absl::string_view bytes) {
    crc_ = Crc32c(crc_, bytes);
    length_ += bytes.size();
    while (!bytes.empty()) {
      const ssize_t n = ::write(fd_, bytes.data(), bytes.size());
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      bytes.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }
  uint32_t crc() const { return crc_; }
  uint64_t length() const { return length_; }

 private:
  int fd_;
  uint32_t crc_ = 0;
  uint64_t length_ = 0;
};

std::string Header(uint64_t length, uint32_t crc) {
  std::string header(kMagic, sizeof(kMagic));
  char field[8];
  absl::little_endian::Store64(field, length);
  header.append(field, 8);
  absl::little_endian::Store32(field, crc);
  header.append(field, 4);
  return header;
}

absl::Status SyncDirectoryOf(const std::string& path) {
  std::string dir = std::filesystem::path(path).parent_path().string();
  if (dir.empty()) dir = ".";
  int fd = ::open(dir.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoError("cannot open", dir);
  const int rc = ::fsync(fd);
  ::close(fd);
  return rc == 0 ? absl::OkStatus() : ErrnoError("cannot fsync", dir);
}

}  // namespace

const std::string& ThisBuild() {
  // The format, not the release: a rolling upgrade during a store outage
  // must still start from the snapshot an older release wrote.
  static const std::string build = "corsd snapshot format 1";
  return build;
}

absl::Status WriteSnapshotFile(const std::string& path, const SnapshotContent& content) {
  // A name of its own, so two writers of one path (two gateway processes
  // sharing a snapshot_path) never write into each other's file.
  static std::atomic<uint64_t> counter{0};
  const std::string temporary =
      absl::StrCat(path, ".tmp.", ::getpid(), ".", counter.fetch_add(1, std::memory_order_relaxed));
  int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
  if (fd < 0) return ErrnoError("cannot create", temporary);
  struct Cleanup {
    int& fd;
    const std::string& temporary;
    bool renamed = false;
    ~Cleanup() {
      if (fd >= 0) ::close(fd);
      if (!renamed) ::unlink(temporary.c_str());
    }
  } cleanup{fd, temporary};

  // The header goes first as a placeholder; its length and checksum are
  // known once the payload is written.
  const std::string placeholder(kHeaderBytes, '\0');
  if (::write(fd, placeholder.data(), placeholder.size()) !=
      static_cast<ssize_t>(placeholder.size())) {
    return ErrnoError("cannot write", temporary);
  }
  ChecksummedWriter payload(fd);
  v1::Snapshot head = content.head;
  head.set_build(ThisBuild());
  head.clear_policies();
  bool ok = payload.Write(head.SerializeAsString());
  // Each policy as a `policies` field of the same message: concatenated
  // fields parse as one Snapshot.
  std::string framing;
  for (size_t i = 0; ok && i < content.policy_count; ++i) {
    const std::string event = content.policy_event(i);
    framing.clear();
    AppendVarint((kPoliciesField << 3) | 2, &framing);
    AppendVarint(event.size(), &framing);
    ok = payload.Write(framing) && payload.Write(event);
  }
  if (!ok) return ErrnoError("cannot write", temporary);
  const std::string header = Header(payload.length(), payload.crc());
  if (::pwrite(fd, header.data(), header.size(), 0) != static_cast<ssize_t>(header.size())) {
    return ErrnoError("cannot write", temporary);
  }
  if (::fsync(fd) != 0) return ErrnoError("cannot fsync", temporary);
  ::close(fd);
  fd = -1;
  if (::rename(temporary.c_str(), path.c_str()) != 0) return ErrnoError("cannot rename", temporary);
  cleanup.renamed = true;
  return SyncDirectoryOf(path);
}

absl::StatusOr<v1::Snapshot> ParseSnapshotBytes(absl::string_view bytes) {
  auto refuse = [](absl::string_view why) { return absl::FailedPreconditionError(why); };
  if (bytes.size() < kHeaderBytes) return refuse("shorter than its header");
  if (std::memcmp(bytes.data(), kMagic, sizeof(kMagic)) != 0) return refuse("not a corsd snapshot");
  const uint64_t length = absl::little_endian::Load64(bytes.data() + sizeof(kMagic));
  const uint32_t crc = absl::little_endian::Load32(bytes.data() + sizeof(kMagic) + 8);
  if (length > kMaxSnapshotBytes) return refuse(absl::StrCat("claims ", length, " bytes"));
  const absl::string_view payload = bytes.substr(kHeaderBytes);
  if (payload.size() < length) {
    return refuse(absl::StrCat("truncated (", payload.size(), " of ", length, " bytes)"));
  }
  if (payload.size() > length) return refuse("longer than its header says");
  if (Crc32c(0, payload) != crc) return refuse("checksum mismatch");
  v1::Snapshot snapshot;
  if (!snapshot.ParseFromArray(payload.data(), static_cast<int>(payload.size()))) {
    return refuse("does not parse as corsd.v1.Snapshot");
  }
  if (snapshot.build() != ThisBuild()) {
    return refuse(
        absl::StrCat("written by \"", snapshot.build(), "\", this is \"", ThisBuild(), "\""));
  }
  return snapshot;
}

absl::StatusOr<v1::Snapshot> ReadSnapshotFile(const std::string& path) {
  std::error_code error;
  const uintmax_t size = std::filesystem::file_size(path, error);
  if (error) {
    if (!std::filesystem::exists(path)) {
      return absl::NotFoundError(absl::StrCat("no snapshot at ", path));
    }
    return absl::FailedPreconditionError(absl::StrCat("cannot read ", path, ": ", error.message()));
  }
  auto refuse = [&](absl::string_view why) {
    return absl::FailedPreconditionError(absl::StrCat(path, " is not a usable snapshot: ", why));
  };
  if (size > kHeaderBytes + kMaxSnapshotBytes) {
    return refuse(absl::StrCat("it is ", size, " bytes, more than a snapshot may be"));
  }
  std::ifstream in(path, std::ios::binary);
  std::string bytes(static_cast<size_t>(size), '\0');
  if (!in || !in.read(bytes.data(), static_cast<std::streamsize>(size))) {
    return refuse("it could not be read whole");
  }
  absl::StatusOr<v1::Snapshot> snapshot = ParseSnapshotBytes(bytes);
  if (!snapshot.ok()) return refuse(snapshot.status().message());
  return snapshot;
}

}  // namespace corsd::snapshot
