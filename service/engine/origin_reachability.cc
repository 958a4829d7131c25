#include "service/engine/origin_reachability.h"

#include "absl/strings/str_cat.h"
#include "service/engine/punycode.h"

namespace corsd::engine {
namespace {

// The same origin written with another scheme: the suggestion for ws:/wss:.
std::string WithScheme(const OriginPattern& pattern, absl::string_view scheme) {
  std::string host = pattern.kind() == OriginPattern::Kind::kSubdomainWildcard
                         ? absl::StrCat("*.", pattern.domain())
                         : std::string(pattern.domain());
  std::string port = pattern.any_port()       ? ":*"
                     : pattern.port().empty() ? ""
                                              : absl::StrCat(":", pattern.port());
  return absl::StrCat(scheme, "://", host, port);
}

}  // namespace

std::string WhyNoBrowserSends(const OriginPattern& pattern) {
  if (pattern.kind() != OriginPattern::Kind::kExact &&
      pattern.kind() != OriginPattern::Kind::kSubdomainWildcard) {
    return "";
  }
  const absl::string_view scheme = pattern.scheme();
  // URL standard, "origin": only http(s) (and ftp) URLs have tuple origins
  // among the schemes it defines; file: is left to the browser and every
  // browser makes it opaque, as it does data:, about: and javascript:.
  if (scheme == "file" || scheme == "data" || scheme == "about" || scheme == "javascript") {
    return absl::StrCat("is a ", scheme, ": origin, which browsers never send: pages loaded from ",
                        scheme,
                        ": URLs have an opaque origin and send \"null\"; list \"null\" instead, "
                        "and only if you must");
  }
  if (scheme == "blob" || scheme == "filesystem") {
    return absl::StrCat("is a ", scheme, ": origin, which browsers never send: ", scheme,
                        ": URLs carry the origin of the page that created them; list that "
                        "page's origin, e.g. \"https://",
                        pattern.domain(), "\"");
  }
  if (scheme == "ws" || scheme == "wss") {
    return absl::StrCat(
        "is a WebSocket URL, not an origin: a WebSocket handshake carries the "
        "origin of the page that opened it; write \"",
        WithScheme(pattern, scheme == "ws" ? "http" : "https"), "\"");
  }
  if (scheme == "ftp") {
    return absl::StrCat(
        "is an ftp: origin, which browsers never send: current browsers no "
        "longer load ftp: pages; write the https origin that serves the page, "
        "e.g. \"",
        WithScheme(pattern, "https"), "\"");
  }
  if (absl::string_view label = FindInvalidPunycodeLabel(pattern.domain()); !label.empty()) {
    return absl::StrCat("has the label \"", label,
                        "\", which is not valid punycode (IDNA), so no browser can load a page "
                        "from this host; convert the Unicode name again (e.g. with idn2) and "
                        "write the result");
  }
  return "";
}

}  // namespace corsd::engine
