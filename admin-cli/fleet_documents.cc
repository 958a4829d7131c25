#include "admin-cli/fleet_documents.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <system_error>

#include "absl/algorithm/container.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "admin-cli/policy_file.h"
#include "google/protobuf/util/json_util.h"

namespace corsd::cli {
namespace {

constexpr char kOriginSetShape[] =
    "an origin set is {kind: OriginSet, name, origins: [...], description}";
constexpr char kTenantShape[] = "a tenant is {kind: Tenant, name, hosts: [...], description}";
constexpr char kPolicyShape[] =
    "a policy is {kind: Policy, tenant, rules: [...], tests: [...]} with rules and tests as in "
    "a policy file";

bool IsFleetFile(const std::filesystem::path& path) {
  const std::string ext = path.extension().string();
  return ext == ".yaml" || ext == ".yml" || ext == ".json";
}

// `document` without the keys the proto message does not have.
nlohmann::json Without(nlohmann::json document, std::initializer_list<const char*> keys) {
  for (const char* key : keys) document.erase(key);
  return document;
}

std::string StringField(const nlohmann::json& document, const char* key) {
  auto it = document.find(key);
  return it != document.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// "FILE#N: " + the message, unless the message already names the source.
std::string Located(const std::string& source, absl::string_view message) {
  if (absl::StartsWith(message, source)) return std::string(message);
  return absl::StrCat(source, ": ", message);
}

void ReadDocument(const nlohmann::json& document, const std::string& source, FleetRead* read) {
  if (!document.is_object()) {
    read->errors.push_back(
        absl::StrCat(source, ": kind: a document is a map with `kind: OriginSet|Tenant|Policy`"));
    return;
  }
  const std::string kind = StringField(document, "kind");
  FleetDocument out;
  out.source = source;
  if (kind == "OriginSet") {
    absl::StatusOr<v1::OriginSet> set = OriginSetFromDocument(document, source);
    if (!set.ok()) {
      read->errors.push_back(Located(source, set.status().message()));
      return;
    }
    out.kind = FleetDocument::Kind::kOriginSet;
    out.set = *std::move(set);
    if (out.set.name().empty()) {
      read->errors.push_back(absl::StrCat(source, ": name: missing; ", kOriginSetShape));
      return;
    }
  } else if (kind == "Tenant") {
    out.kind = FleetDocument::Kind::kTenant;
    absl::Status parsed =
        MessageFromJson(Without(document, {"kind"}), source, kTenantShape, &out.tenant);
    if (!parsed.ok()) {
      read->errors.push_back(Located(source, parsed.message()));
      return;
    }
    if (out.tenant.name().empty()) {
      read->errors.push_back(absl::StrCat(source, ": name: missing; ", kTenantShape));
      return;
    }
    if (out.tenant.has_created_at() || out.tenant.policy_revision() != 0) {
      read->errors.push_back(absl::StrCat(source,
                                          ": createdAt, policyRevision: set by corsd, "
                                          "not by documents; remove them"));
      return;
    }
  } else if (kind == "Policy") {
    out.kind = FleetDocument::Kind::kPolicy;
    out.policy_tenant = StringField(document, "tenant");
    if (out.policy_tenant.empty()) {
      read->errors.push_back(absl::StrCat(source, ": tenant: missing; ", kPolicyShape));
      return;
    }
    absl::Status parsed =
        MessageFromJson(Without(document, {"kind", "tenant"}), source, kPolicyShape, &out.policy);
    if (!parsed.ok()) {
      read->errors.push_back(Located(source, parsed.message()));
      return;
    }
  } else {
    read->errors.push_back(absl::StrCat(
        source, ": kind: ", kind.empty() ? "missing" : absl::StrCat("\"", kind, "\" is unknown"),
        "; use OriginSet, Tenant or Policy"));
    return;
  }
  read->documents.push_back(std::move(out));
}

// YAML that reads back as the same JSON value (policy_file.cc's typing):
// strings a plain scalar would turn into a number, a boolean or null are
// quoted.
void EmitYaml(YAML::Emitter& out, const nlohmann::json& value) {
  if (value.is_object()) {
    out << YAML::BeginMap;
    for (const auto& [key, child] : value.items()) {
      out << YAML::Key << key << YAML::Value;
      EmitYaml(out, child);
    }
    out << YAML::EndMap;
  } else if (value.is_array()) {
    out << YAML::BeginSeq;
    for (const auto& child : value) EmitYaml(out, child);
    out << YAML::EndSeq;
  } else if (value.is_string()) {
    const std::string& text = value.get_ref<const std::string&>();
    int64_t number;
    const bool ambiguous = text.empty() || text == "true" || text == "false" || text == "null" ||
                           text == "~" || absl::SimpleAtoi(text, &number);
    // A plain scalar folds line breaks (\r included) and trims spaces at
    // its ends; the double-quoted form escapes them instead.
    const bool needs_escapes =
        !text.empty() &&
        (absl::c_any_of(text, [](unsigned char c) { return c < 0x20 || c == 0x7f; }) ||
         absl::ascii_isspace(static_cast<unsigned char>(text.front())) ||
         absl::ascii_isspace(static_cast<unsigned char>(text.back())));
    if (ambiguous || needs_escapes) out << YAML::DoubleQuoted;
    out << text;
  } else if (value.is_boolean()) {
    out << (value.get<bool>() ? "true" : "false");
  } else if (value.is_number_integer()) {
    out << value.get<int64_t>();
  } else {
    out << YAML::Null;
  }
}

nlohmann::json ToJson(const google::protobuf::Message& message) {
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  (void)google::protobuf::util::MessageToJsonString(message, &json, options);
  return nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
}

// A document with `kind` (and more fields) first, then `body`'s fields.
std::string Document(nlohmann::json head, const nlohmann::json& body) {
  YAML::Emitter out;
  out << YAML::BeginMap;
  for (const auto& part : {head, body}) {
    for (const auto& [key, child] : part.items()) {
      out << YAML::Key << key << YAML::Value;
      EmitYaml(out, child);
    }
  }
  out << YAML::EndMap;
  return absl::StrCat(out.c_str(), "\n");
}

}  // namespace

absl::StatusOr<v1::OriginSet> OriginSetFromDocument(const nlohmann::json& document,
                                                    const std::string& source) {
  v1::OriginSet set;
  if (document.is_array()) {
    for (const auto& origin : document) {
      if (!origin.is_string()) {
        return absl::InvalidArgumentError(
            absl::StrCat(source, ": origins: every entry is a string; ", kOriginSetShape));
      }
      set.add_origins(origin.get<std::string>());
    }
    return set;
  }
  if (!document.is_object()) {
    return absl::InvalidArgumentError(absl::StrCat(source, ": ", kOriginSetShape));
  }
  const std::string kind = StringField(document, "kind");
  if (document.contains("kind") && kind != "OriginSet") {
    return absl::InvalidArgumentError(
        absl::StrCat(source, ": kind: is \"", kind, "\", expected OriginSet"));
  }
  if (document.contains("revision") || document.contains("updatedAt") ||
      document.contains("updatedBy")) {
    return absl::InvalidArgumentError(absl::StrCat(
        source, ": revision, updatedAt, updatedBy: set by corsd, not by documents; remove them"));
  }
  if (absl::Status s = MessageFromJson(Without(document, {"kind"}), source, kOriginSetShape, &set);
      !s.ok()) {
    return s;
  }
  return set;
}

void ReadFleetText(const std::string& text, const std::string& file, FleetRead* read) {
  absl::StatusOr<std::vector<nlohmann::json>> documents = ParseDocumentsText(text, file);
  if (!documents.ok()) {
    read->errors.push_back(Located(absl::StrCat(file, "#1"), documents.status().message()));
    return;
  }
  for (size_t i = 0; i < documents->size(); ++i) {
    ReadDocument((*documents)[i], absl::StrCat(file, "#", i + 1), read);
  }
}

FleetRead ReadFleet(const std::string& path) {
  FleetRead read;
  std::vector<std::string> files;
  std::error_code error;
  if (std::filesystem::is_directory(path, error)) {
    for (auto it = std::filesystem::recursive_directory_iterator(path, error);
         !error && it != std::filesystem::recursive_directory_iterator(); it.increment(error)) {
      if (it->is_regular_file(error) && IsFleetFile(it->path())) {
        files.push_back(it->path().string());
        if (files.size() > kMaxFleetFiles) break;
      }
    }
    if (error) {
      read.errors.push_back(absl::StrCat(path, ": cannot be read: ", error.message()));
      return read;
    }
    if (files.size() > kMaxFleetFiles) {
      read.errors.push_back(absl::StrCat(path, ": holds more than ", kMaxFleetFiles,
                                         " document files; apply it in parts"));
      return read;
    }
    std::sort(files.begin(), files.end());
  } else {
    files.push_back(path);
  }
  for (const std::string& file : files) {
    absl::StatusOr<std::string> text = ReadBoundedFile(file);
    if (!text.ok()) {
      read.errors.push_back(absl::StrCat(file, "#1: ", text.status().message()));
      continue;
    }
    ReadFleetText(*text, file, &read);
  }
  return read;
}

std::string OriginSetDocument(const v1::OriginSet& set) {
  v1::OriginSet body;
  body.mutable_origins()->CopyFrom(set.origins());
  body.set_description(set.description());
  return Document({{"kind", "OriginSet"}, {"name", set.name()}}, ToJson(body));
}

std::string TenantDocuments(const v1::Tenant& tenant, const v1::Policy* policy) {
  v1::Tenant body;
  body.mutable_hosts()->CopyFrom(tenant.hosts());
  body.set_description(tenant.description());
  std::string text = Document({{"kind", "Tenant"}, {"name", tenant.name()}}, ToJson(body));
  if (policy != nullptr) {
    absl::StrAppend(&text, "---\n",
                    Document({{"kind", "Policy"}, {"tenant", tenant.name()}}, ToJson(*policy)));
  }
  return text;
}

}  // namespace corsd::cli
