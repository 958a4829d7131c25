#include "service/store/store_types.h"

#include "absl/status/status.h"
#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "service/common/utf8.h"

namespace corsd::store {

absl::string_view RoleName(Role role) {
  switch (role) {
    case Role::kAdmin:
      return "admin";
    case Role::kEditor:
      return "editor";
    case Role::kViewer:
      return "viewer";
  }
  return "viewer";
}

std::optional<Role> ParseRole(absl::string_view name) {
  if (name == "admin") return Role::kAdmin;
  if (name == "editor") return Role::kEditor;
  if (name == "viewer") return Role::kViewer;
  return std::nullopt;
}

absl::string_view ChangeKindName(ChangeKind kind) {
  switch (kind) {
    case ChangeKind::kTenant:
      return "tenant";
    case ChangeKind::kPolicy:
      return "policy";
    case ChangeKind::kDeleted:
      return "deleted";
    case ChangeKind::kTokens:
      return "tokens";
  }
  return "tenant";
}

std::optional<ChangeKind> ParseChangeKind(absl::string_view name) {
  if (name == "tenant") return ChangeKind::kTenant;
  if (name == "policy") return ChangeKind::kPolicy;
  if (name == "deleted") return ChangeKind::kDeleted;
  if (name == "tokens") return ChangeKind::kTokens;
  return std::nullopt;
}

namespace {
// The payload that marks a retryable ABORTED (its value is unused).
constexpr char kRetryablePayload[] = "type.googleapis.com/corsd.store.Retryable";
}  // namespace

absl::Status RetryableAborted(absl::string_view message) {
  absl::Status status = absl::AbortedError(message);
  status.SetPayload(kRetryablePayload, absl::Cord("1"));
  return status;
}

bool IsRetryable(const absl::Status& status) {
  return status.code() == absl::StatusCode::kAborted &&
         status.GetPayload(kRetryablePayload).has_value();
}

std::string BoundedAuditValue(absl::string_view value) {
  if (value.size() <= kMaxAuditFieldBytes) return std::string(value);
  const std::string note = absl::StrCat("...(", value.size(), " bytes, cut)");
  // Never split a UTF-8 sequence.
  return absl::StrCat(value.substr(0, Utf8PrefixBytes(value, kMaxAuditFieldBytes - note.size())),
                      note);
}

}  // namespace corsd::store
