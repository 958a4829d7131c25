#include "admin-cli/policy_file.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <fstream>
#include <iostream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/util/json_util.h"
#include "nlohmann/json.hpp"
#include "service/common/status_macros.h"

namespace corsd::cli {
namespace {

// A policy nests four levels deep (policy, rules, rule, list). Anything much
// deeper is not a policy, and refusing it early keeps the recursive helpers
// below from overflowing the stack on hostile input like 100,000 '['.
constexpr int kMaxNesting = 32;

std::string TooDeepMessage(const std::string& source) {
  return absl::StrCat(source, ": nested more than ", kMaxNesting,
                      " levels deep; a policy is {\"rules\": [{...}]}");
}

// YAML -> JSON with the scalar typing a policy needs: plain true/false are
// booleans, plain integers are numbers, everything else is a string. A null
// list item can only mean the opaque origin, so `- null` becomes the string
// "null"; a null map value (`pathPrefix:`) is JSON null, the field's default.
// (yaml-cpp keeps no text for null nodes, so `- ~` reads as "null" too.)
// Sets *too_deep and stops descending past kMaxNesting levels.
// What converting one YAML document may cost: aliases make a small file
// stand for an exponentially large tree, so every value and every byte of
// text is counted as it is produced, and conversion stops at the limits.
struct ExpansionBudget {
  size_t nodes_left = kMaxPolicyFileNodes;
  size_t bytes_left = kMaxPolicyFileBytes;
  bool exceeded = false;

  bool Spend(size_t bytes) {
    if (exceeded || nodes_left == 0 || bytes > bytes_left) {
      exceeded = true;
      return false;
    }
    --nodes_left;
    bytes_left -= bytes;
    return true;
  }
};

nlohmann::json YamlToJson(const YAML::Node& node, int depth, bool* too_deep,
                          ExpansionBudget* budget, bool in_sequence = false) {
  if (depth > kMaxNesting) {
    *too_deep = true;
    return nullptr;
  }
  if (!budget->Spend(node.IsScalar() ? node.Scalar().size() : 0)) return nullptr;
  switch (node.Type()) {
    case YAML::NodeType::Map: {
      nlohmann::json object = nlohmann::json::object();
      for (const auto& entry : node) {
        if (budget->exceeded) break;
        object[entry.first.as<std::string>()] =
            YamlToJson(entry.second, depth + 1, too_deep, budget);
      }
      return object;
    }
    case YAML::NodeType::Sequence: {
      nlohmann::json array = nlohmann::json::array();
      for (const auto& item : node) {
        if (budget->exceeded) break;
        array.push_back(YamlToJson(item, depth + 1, too_deep, budget, /*in_sequence=*/true));
      }
      return array;
    }
    case YAML::NodeType::Scalar: {
      const std::string& text = node.Scalar();
      if (node.Tag() == "?") {  // plain, unquoted
        if (text == "true") return true;
        if (text == "false") return false;
        int64_t number;
        if (absl::SimpleAtoi(text, &number)) return number;
      }
      return text;
    }
    case YAML::NodeType::Null:
      return in_sequence ? nlohmann::json("null") : nlohmann::json(nullptr);
    case YAML::NodeType::Undefined:
      return nullptr;
  }
  return nullptr;
}

// Protobuf's JSON parser silently drops null list elements, which would
// quietly remove an entry a user meant to write; refuse them instead.
absl::Status RejectNullListItems(const nlohmann::json& value, const std::string& path) {
  if (value.is_array()) {
    for (size_t i = 0; i < value.size(); ++i) {
      const std::string item = absl::StrCat(path, "[", i, "]");
      if (value[i].is_null()) {
        return absl::InvalidArgumentError(absl::StrCat(
            item, " is null; write \"null\" (quoted) for the opaque origin, or remove it"));
      }
      if (absl::Status s = RejectNullListItems(value[i], item); !s.ok()) return s;
    }
  } else if (value.is_object()) {
    for (const auto& [key, child] : value.items()) {
      if (absl::Status s =
              RejectNullListItems(child, path.empty() ? key : absl::StrCat(path, ".", key));
          !s.ok()) {
        return s;
      }
    }
  }
  return absl::OkStatus();
}

// The documents of a YAML stream, split at each line that starts with
// `---` (a document marker; what follows it on the line belongs to the new
// document). yaml-cpp's own LoadAll can loop without end, allocating, on
// some malformed streams; each piece goes through YAML::Load instead.
std::vector<absl::string_view> SplitYamlDocuments(absl::string_view text) {
  std::vector<absl::string_view> pieces;
  size_t start = 0;
  size_t line = 0;
  while (line < text.size()) {
    const size_t end = std::min(text.find('\n', line), text.size());
    const absl::string_view content = text.substr(line, end - line);
    if (absl::StartsWith(content, "---") &&
        (content.size() == 3 || content[3] == ' ' || content[3] == '\t' || content[3] == '\r')) {
      pieces.push_back(text.substr(start, line - start));
      start = line + 3;  // the marker itself is dropped
    }
    line = end + 1;
  }
  pieces.push_back(text.substr(start));
  return pieces;
}

}  // namespace

absl::StatusOr<std::vector<nlohmann::json>> ParseDocumentsText(const std::string& text,
                                                               const std::string& source) {
  absl::string_view trimmed = absl::StripLeadingAsciiWhitespace(text);
  if (trimmed.empty()) return absl::InvalidArgumentError(absl::StrCat(source, " is empty"));
  if (trimmed.front() == '{') {
    // nlohmann's parser itself is iterative; the callback drops whatever lies
    // too deep so the tree handed to the recursive checks stays shallow.
    bool too_deep = false;
    auto limit_depth = [&too_deep](int depth, nlohmann::json::parse_event_t, nlohmann::json&) {
      if (depth <= kMaxNesting) return true;
      too_deep = true;
      return false;
    };
    nlohmann::json parsed = nlohmann::json::parse(text, limit_depth, /*allow_exceptions=*/false);
    if (too_deep) return absl::InvalidArgumentError(TooDeepMessage(source));
    if (parsed.is_discarded()) {
      return absl::InvalidArgumentError(absl::StrCat(source, ": not valid JSON"));
    }
    if (absl::Status s = RejectNullListItems(parsed, ""); !s.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(source, ": ", s.message()));
    }
    return std::vector<nlohmann::json>{std::move(parsed)};
  }
  try {
    bool too_deep = false;
    // One budget for every document of the file.
    ExpansionBudget budget;
    std::vector<nlohmann::json> documents;
    for (absl::string_view piece : SplitYamlDocuments(text)) {
      const YAML::Node node = YAML::Load(std::string(piece));
      if (node.IsNull()) continue;  // an empty document between two `---`
      nlohmann::json converted = YamlToJson(node, /*depth=*/0, &too_deep, &budget);
      if (too_deep) return absl::InvalidArgumentError(TooDeepMessage(source));
      if (budget.exceeded) {
        return absl::InvalidArgumentError(
            absl::StrCat(source, ": expands to more than ", kMaxPolicyFileNodes, " values or ",
                         kMaxPolicyFileBytes >> 20,
                         " MiB of text (YAML aliases repeating aliases?); write it out plainly"));
      }
      if (absl::Status s = RejectNullListItems(converted, ""); !s.ok()) {
        return absl::InvalidArgumentError(absl::StrCat(source, ": ", s.message()));
      }
      // Checked now: dump() below must not throw on bytes that are not UTF-8.
      (void)converted.dump();
      documents.push_back(std::move(converted));
    }
    if (documents.empty()) return absl::InvalidArgumentError(absl::StrCat(source, " is empty"));
    return documents;
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(source, ": not valid YAML or JSON: ", e.what()));
  } catch (const nlohmann::json::exception&) {
    // yaml-cpp passes any bytes through; JSON (and protobuf) need UTF-8.
    return absl::InvalidArgumentError(
        absl::StrCat(source, ": contains text that is not valid UTF-8; save the file as UTF-8"));
  }
}

absl::Status MessageFromJson(const nlohmann::json& document, const std::string& source,
                             absl::string_view shape, google::protobuf::Message* message) {
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  auto status = google::protobuf::util::JsonStringToMessage(document.dump(), message, options);
  if (status.ok()) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat(source, ": ", status.message().ToString(), " (", shape, ")"));
}

absl::StatusOr<v1::Policy> ParsePolicyText(const std::string& text, const std::string& source) {
  ASSIGN_OR_RETURN(std::vector<nlohmann::json> documents, ParseDocumentsText(text, source));
  if (documents.size() != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat(source, " holds ", documents.size(),
                     " documents; a policy file holds one (corsctl apply -f reads several)"));
  }
  v1::Policy policy;
  RETURN_IF_ERROR(MessageFromJson(
      documents[0], source,
      "a policy is {\"rules\": [{\"pathPrefix\", \"allowedOrigins\", \"allowedMethods\", "
      "\"allowedHeaders\", \"exposedHeaders\", \"allowCredentials\", \"maxAgeSeconds\", "
      "\"allowPrivateNetwork\", \"preflightStatus\"}], \"tests\": [{\"name\", "
      "\"request\": {\"origin\", \"method\", \"path\", \"headers\"}, \"expect\", "
      "\"expectHeaders\"}]}",
      &policy));
  return policy;
}

absl::StatusOr<std::string> ReadBoundedFile(const std::string& path) {
  std::ifstream file;
  if (path != "-") {
    file.open(path, std::ios::binary);
    if (!file) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  }
  std::istream& in = path == "-" ? std::cin : file;
  // Up to one byte more than the limit: enough to tell "too large".
  std::string text;
  char chunk[64 << 10];
  while (text.size() <= kMaxPolicyFileBytes && in.read(chunk, sizeof(chunk)).gcount() > 0) {
    text.append(chunk, static_cast<size_t>(in.gcount()));
  }
  if (text.size() > kMaxPolicyFileBytes) {
    return absl::InvalidArgumentError(absl::StrCat(path == "-" ? "stdin" : path, " is larger than ",
                                                   kMaxPolicyFileBytes >> 20,
                                                   " MiB, more than corsd accepts in one message"));
  }
  return text;
}

absl::StatusOr<v1::Policy> ReadPolicyFile(const std::string& path) {
  ASSIGN_OR_RETURN(std::string text, ReadBoundedFile(path));
  return ParsePolicyText(text, path == "-" ? "stdin" : path);
}

std::string PolicyToJson(const v1::Policy& policy) {
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  (void)google::protobuf::util::MessageToJsonString(policy, &json, options);
  return json;
}

}  // namespace corsd::cli
