// The systemd notification protocol (sd_notify(3)) without libsystemd: when
// systemd starts corsd with Type=notify it sets NOTIFY_SOCKET, and corsd sends
// "READY=1" once its ports are bound and "STOPPING=1" when it begins to drain.
// Outside systemd (no NOTIFY_SOCKET) every call is a no-op.
//
//   NotifySystemd("READY=1");
//
// Thread-safe (one datagram per call).
#ifndef CORSD_SERVICE_OPS_SYSTEMD_NOTIFY_H_
#define CORSD_SERVICE_OPS_SYSTEMD_NOTIFY_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace corsd::ops {

// Sends `state` (newline-separated KEY=VALUE assignments) to $NOTIFY_SOCKET.
// OK when sent or when there is no socket to send to.
absl::Status NotifySystemd(absl::string_view state);

}  // namespace corsd::ops

#endif  // CORSD_SERVICE_OPS_SYSTEMD_NOTIFY_H_
