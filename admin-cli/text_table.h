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

#include "absl/time/time.h"
#include "google/protobuf/message.h"
#include "google/protobuf/timestamp.pb.h"

namespace corsd::cli {

class TextTable {
 public:
  explicit TextTable(std::vector<std::string> header) : rows_{std::move(header)} {}
  void AddRow(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  std::string Render() const;

 private:
  std::vector<std::vector<std::string>> rows_;
};

std::string FormatTimestamp(const google::protobuf::Timestamp& timestamp);

// Protobuf JSON of `message` (field names in lowerCamelCase), one line.
std::string MessageToJson(const google::protobuf::Message& message);

}  // namespace corsd::cli

#endif  // CORSD_ADMIN_CLI_TEXT_TABLE_H_
