#include "bench/load/scenarios.h"

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/json_util.h"
#include "nlohmann/json.hpp"

namespace corsd::bench {
namespace {

v1::CheckRequest Make(const std::string& tenant, const std::string& origin, bool preflight) {
  v1::CheckRequest request;
  request.set_tenant(tenant);
  request.set_origin(origin);
  request.set_method(preflight ? "OPTIONS" : "GET");
  request.set_path("/api/items");
  v1::Header* agent = request.add_headers();
  agent->set_name("User-Agent");
  agent->set_value("corsd-bench");
  if (preflight) {
    v1::Header* method = request.add_headers();
    method->set_name("Access-Control-Request-Method");
    method->set_value("PUT");
    v1::Header* headers = request.add_headers();
    headers->set_name("Access-Control-Request-Headers");
    headers->set_value("content-type,x-request-id");
  }
  return request;
}

constexpr char kAllowed[] = "https://app.example.com";
constexpr char kDenied[] = "https://evil.example.org";
constexpr char kMalformed[] = "HTTPS://App.Example.com/";

}  // namespace

absl::StatusOr<std::vector<WeightedRequest>> BuiltinScenario(const std::string& name,
                                                             const std::string& tenant,
                                                             int tenants) {
  if (name == "actual-allowed")
    return std::vector<WeightedRequest>{{Make(tenant, kAllowed, false)}};
  if (name == "actual-denied") return std::vector<WeightedRequest>{{Make(tenant, kDenied, false)}};
  if (name == "preflight-allowed") {
    return std::vector<WeightedRequest>{{Make(tenant, kAllowed, true)}};
  }
  if (name == "preflight-denied") {
    return std::vector<WeightedRequest>{{Make(tenant, kDenied, true)}};
  }
  if (name == "unknown-origin") {
    return std::vector<WeightedRequest>{{Make(tenant, kMalformed, false)}};
  }
  if (name == "mixed") {
    return std::vector<WeightedRequest>{{Make(tenant, kAllowed, false), 40},
                                        {Make(tenant, kAllowed, true), 20},
                                        {Make(tenant, kDenied, false), 20},
                                        {Make(tenant, kDenied, true), 10},
                                        {Make(tenant, kMalformed, false), 10}};
  }
  if (name == "many-tenants") {
    if (tenants < 1) return absl::InvalidArgumentError("many-tenants needs --tenants N");
    std::vector<WeightedRequest> scenario;
    // 100 distinct tenants spread over the range cycle through the load.
    for (int i = 0; i < 100; ++i) {
      scenario.push_back({Make(absl::StrCat("bench-", (i * 7919) % tenants), kAllowed, false)});
    }
    return scenario;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown scenario \"", name,
                   "\"; use actual-allowed, actual-denied, preflight-allowed, preflight-denied, "
                   "unknown-origin, mixed or many-tenants"));
}

absl::StatusOr<std::vector<WeightedRequest>> ScenarioFromFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read scenario file ", path));
  std::stringstream text;
  text << in.rdbuf();
  nlohmann::json items = nlohmann::json::parse(text.str(), nullptr, false);
  if (!items.is_array() || items.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": expected a non-empty JSON array"));
  }
  std::vector<WeightedRequest> scenario;
  for (const auto& item : items) {
    WeightedRequest entry;
    const nlohmann::json& request = item.contains("request") ? item["request"] : item;
    if (item.contains("weight")) {
      const nlohmann::json& weight = item["weight"];
      if (!weight.is_number_integer() || weight.get<int64_t>() < 1 || weight.get<int64_t>() > 100) {
        return absl::InvalidArgumentError(
            absl::StrCat(path, ": entry ", scenario.size(), ": weight must be an integer 1..100"));
      }
      entry.weight = weight.get<int>();
    }
    auto status = google::protobuf::util::JsonStringToMessage(request.dump(), &entry.request);
    if (!status.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": entry ", scenario.size(), ": ", status.message().ToString()));
    }
    scenario.push_back(std::move(entry));
  }
  return scenario;
}

std::vector<v1::CheckRequest> Expand(const std::vector<WeightedRequest>& scenario) {
  int total = 0;
  for (const auto& entry : scenario) total += std::max(entry.weight, 0);
  std::vector<v1::CheckRequest> out;
  if (total == 0) return out;
  // Interleave rather than group, so short runs still see the mix.
  std::vector<double> credit(scenario.size(), 0);
  for (int slot = 0; slot < 100; ++slot) {
    size_t best = 0;
    for (size_t i = 0; i < scenario.size(); ++i) {
      credit[i] += static_cast<double>(scenario[i].weight) / total;
      if (credit[i] > credit[best]) best = i;
    }
    credit[best] -= 1;
    out.push_back(scenario[best].request);
  }
  return out;
}

}  // namespace corsd::bench
