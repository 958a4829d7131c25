// Column-aligned text tables for people (`tenant list`, `policy history`,
// `audit`). Scripts use -o json instead.
//
//   TextTable table({"REVISION", "TIME", "AUTHOR", "COMMENT"});
//   table.AddRow({"3", "2026-11-26T06:00:00Z", "ci", "widen origins"});
//   fputs(table.Render().c_str(), stdout);
#ifndef CORSD_ADMIN_CLI_TEXT_TABLE_H_
#define CORSD_ADMIN_CLI_TEXT_TABLE_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "google/protobuf/message.h"
#include "google/protobuf/timestamp.pb.h"

namespace corsd::cli {

// `text` (which came from the server, so anyone with write access may have
// chosen it) made safe for a terminal: control characters (C0, DEL, C1) and
// bytes that are not UTF-8 become \xNN escapes, so no escape sequence can
// reach the operator's terminal; printable text, Unicode included, is kept.
std::string TerminalSafe(absl::string_view text);

// Every cell goes through TerminalSafe.
class TextTable {
 public:
  explicit TextTable(std::vector<std::string> header) : rows_{std::move(header)} {}
  void AddRow(std::vector<std::string> row) {
    for (std::string& cell : row) cell = TerminalSafe(cell);
    rows_.push_back(std::move(row));
  }
  std::string Render() const;

 private:
  std::vector<std::vector<std::string>> rows_;
};

std::string FormatTimestamp(const google::protobuf::Timestamp& timestamp);

// Protobuf JSON of `message` (field names in lowerCamelCase), one line.
std::string MessageToJson(const google::protobuf::Message& message);

}  // namespace corsd::cli

#endif  // CORSD_ADMIN_CLI_TEXT_TABLE_H_
