#include "admin-cli/text_table.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "google/protobuf/util/json_util.h"
#include "service/common/utf8.h"
#include "service/convert/time_convert.h"

namespace corsd::cli {

std::string TerminalSafe(absl::string_view text) {
  std::string out;
  out.reserve(text.size());
  auto escape = [&out](unsigned char c) { absl::StrAppend(&out, absl::StrFormat("\\x%02x", c)); };
  for (size_t i = 0; i < text.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c < 0x80) {
      if (c < 0x20 || c == 0x7f) {
        escape(c);
      } else {
        out.push_back(static_cast<char>(c));
      }
      continue;
    }
    // A whole UTF-8 sequence, or escape the byte. C1 controls (U+0080..U+009F,
    // "\xc2\x80".."\xc2\x9f") act like ESC in some terminals, so they are
    // escaped too.
    const size_t n = Utf8SequenceLength(text, i);
    const bool c1_control = n == 2 && c == 0xc2 && static_cast<unsigned char>(text[i + 1]) < 0xa0;
    if (n == 0 || c1_control) {
      escape(c);
      continue;
    }
    out.append(text.data() + i, n);
    i += n - 1;
  }
  return out;
}

std::string TextTable::Render() const {
  std::vector<size_t> widths;
  for (const auto& row : rows_) {
    if (widths.size() < row.size()) widths.resize(row.size(), 0);
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  }
  std::string out;
  for (const auto& row : rows_) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      if (i + 1 == row.size()) {
        line += row[i];  // no trailing padding
      } else {
        absl::StrAppend(&line, row[i], std::string(widths[i] - row[i].size() + 2, ' '));
      }
    }
    absl::StrAppend(&out, line, "\n");
  }
  return out;
}

std::string FormatTimestamp(const google::protobuf::Timestamp& timestamp) {
  absl::Time time = FromTimestamp(timestamp);
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", time, absl::UTCTimeZone());
}

std::string MessageToJson(const google::protobuf::Message& message) {
  std::string json;
  (void)google::protobuf::util::MessageToJsonString(message, &json);
  return json;
}

}  // namespace corsd::cli
