// WhyNoBrowserSends finds allowed_origins entries that parse as origins but can
// never match a request, because no browser ever sends such an Origin:
//
//   "file://example.com"     file: pages have an opaque origin; they send "null"
//   "ws://chat.example.com"  a WebSocket handshake carries the page's origin
//                            ("https://chat.example.com"), never ws: or wss:
//   "ftp://files.example"    browsers no longer load ftp: pages
//   "http://xn--f"           the host is not valid punycode, so no browser can
//                            load a page from it
//
// Custom schemes stay accepted: Chromium extensions ("chrome-extension://id"),
// Firefox extensions and hybrid apps ("capacitor://localhost") send them.
//
// Such entries are violations when a policy is written (the operator believes
// they do something). A policy stored before a rule existed is compiled with
// them skipped, as they always were in effect (see PolicySource).
//
//   absl::StatusOr<OriginPattern> p = OriginPattern::Parse("file://example.com");
//   std::string why = WhyNoBrowserSends(*p);  // "is a file: origin, ...; list \"null\" ..."
//
// A pure function, safe from any thread.
#ifndef CORSD_SERVICE_ENGINE_ORIGIN_REACHABILITY_H_
#define CORSD_SERVICE_ENGINE_ORIGIN_REACHABILITY_H_

#include <string>

#include "service/engine/origin_pattern.h"

namespace corsd::engine {

// One phrase for after the quoted pattern, ending with what a browser would
// send instead; empty when browsers can send a matching origin.
std::string WhyNoBrowserSends(const OriginPattern& pattern);

}  // namespace corsd::engine

#endif  // CORSD_SERVICE_ENGINE_ORIGIN_REACHABILITY_H_
