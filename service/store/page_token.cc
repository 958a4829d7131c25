#include "service/store/page_token.h"

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace corsd::store {

std::string EncodePageToken(absl::string_view list, absl::string_view last_key) {
  return absl::WebSafeBase64Escape(absl::StrCat("v1|", list, "|", last_key));
}

absl::StatusOr<std::string> DecodePageToken(absl::string_view list, absl::string_view token) {
  if (token.empty()) return std::string();
  std::string raw;
  const std::string prefix = absl::StrCat("v1|", list, "|");
  if (!absl::WebSafeBase64Unescape(token, &raw) || !absl::StartsWith(raw, prefix)) {
    return absl::InvalidArgumentError(
        "page_token was not issued by this list call; omit it to start from the first page");
  }
  return raw.substr(prefix.size());
}

absl::StatusOr<int32_t> EffectivePageSize(int32_t requested) {
  if (requested < 0) {
    return absl::InvalidArgumentError(absl::StrCat("page_size is ", requested, "; use 0 (default ",
                                                   kDefaultPageSize, ") or a positive number"));
  }
  if (requested == 0) return kDefaultPageSize;
  return requested > kMaxPageSize ? kMaxPageSize : requested;
}

}  // namespace corsd::store
