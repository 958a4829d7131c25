#include "service/engine/tenant_names.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "service/engine/diagnostics.h"
#include "service/engine/serialized_origin.h"

namespace corsd::engine {
namespace {

bool IsNameChar(char c) { return absl::ascii_islower(c) || absl::ascii_isdigit(c) || c == '-'; }

// Checks "host" or "host:port" with the same host syntax origins use.
std::string HostProblem(absl::string_view host) {
  if (host.empty()) return "is empty";
  size_t host_end;
  if (host.front() == '[') {
    size_t close = host.find(']');
    host_end = close == absl::string_view::npos ? host.size() : close + 1;
  } else {
    host_end = host.find(':');
    if (host_end == absl::string_view::npos) host_end = host.size();
  }
  HostKind kind;
  if (OriginProblem p = CheckOriginBytes(host); p != OriginProblem::kNone) {
    return std::string(DescribeOriginProblem(p));
  }
  if (OriginProblem p = CheckHost(host.substr(0, host_end), &kind); p != OriginProblem::kNone) {
    return "is not a host name, IPv4 address or bracketed IPv6 address";
  }
  absl::string_view rest = host.substr(host_end);
  if (rest.empty()) return "";
  if (rest.front() != ':' || CheckPort("", rest.substr(1)) != OriginProblem::kNone) {
    return "has an invalid port (1-65535, no leading zeros)";
  }
  return "";
}

}  // namespace

namespace {
absl::Status ValidateName(absl::string_view what, absl::string_view name) {
  bool ok = !name.empty() && name.size() <= kMaxTenantNameBytes &&
            (absl::ascii_islower(name[0]) || absl::ascii_isdigit(name[0])) &&
            std::all_of(name.begin(), name.end(), IsNameChar);
  if (ok) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      what, " name ", QuoteForMessage(name), " is invalid: use 1-", kMaxTenantNameBytes,
      " lowercase letters, digits and '-', starting with a letter or "
      "digit"));
}
}  // namespace

absl::Status ValidateTenantName(absl::string_view name) { return ValidateName("tenant", name); }

absl::Status ValidateOriginSetName(absl::string_view name) {
  return ValidateName("origin set", name);
}

absl::StatusOr<std::vector<std::string>> NormalizeHosts(const std::vector<std::string>& hosts) {
  if (hosts.size() > kMaxHostsPerTenant) {
    return absl::InvalidArgumentError(absl::StrCat("a tenant may have at most ", kMaxHostsPerTenant,
                                                   " hosts, got ", hosts.size()));
  }
  std::vector<std::string> normalized;
  std::vector<std::string> problems;
  for (size_t i = 0; i < hosts.size(); ++i) {
    std::string host = absl::AsciiStrToLower(hosts[i]);
    if (std::string problem = HostProblem(host); !problem.empty()) {
      problems.push_back(absl::StrCat("hosts[", i, "]: ", QuoteForMessage(hosts[i]), " ", problem));
      continue;
    }
    normalized.push_back(std::move(host));
  }
  if (!problems.empty()) return absl::InvalidArgumentError(absl::StrJoin(problems, "; "));
  std::sort(normalized.begin(), normalized.end());
  normalized.erase(std::unique(normalized.begin(), normalized.end()), normalized.end());
  return normalized;
}

}  // namespace corsd::engine
