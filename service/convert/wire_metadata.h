// gRPC metadata keys of the corsd.v1 wire protocol that the .proto cannot
// express, in one place for the server, the client library and the tests.
#ifndef CORSD_SERVICE_CONVERT_WIRE_METADATA_H_
#define CORSD_SERVICE_CONVERT_WIRE_METADATA_H_

namespace corsd {

// Initial metadata of a CorsAdmin.WatchPolicies stream: how many of the first
// events are the initial state (the current version of each watched tenant).
// A client that reconnects uses it to know when it holds the complete state
// again, and can then forget tenants that vanished meanwhile.
inline constexpr char kInitialEventsMetadata[] = "corsd-initial-events";

}  // namespace corsd

#endif  // CORSD_SERVICE_CONVERT_WIRE_METADATA_H_
