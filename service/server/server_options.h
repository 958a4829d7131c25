// Everything `corsd serve` can be told, with the defaults documented in
// --help. Filled from flags (and CORSD_* environment variables) by main.cc.
#ifndef CORSD_SERVICE_SERVER_SERVER_OPTIONS_H_
#define CORSD_SERVICE_SERVER_SERVER_OPTIONS_H_

#include <string>

#include "absl/time/time.h"
#include "service/store/store_types.h"

namespace corsd::server {

// TLS for one port: certificate and key (PEM files); with a client CA,
// clients must present a certificate it signed (mTLS). All empty = plaintext.
struct PortTls {
  std::string cert_file;
  std::string key_file;
  std::string client_ca_file;
  // The flag that sets each, for error messages ("--admin-tls-cert", ...).
  std::string flag_prefix;

  bool enabled() const { return !cert_file.empty() || !key_file.empty(); }
  bool mutual() const { return !client_ca_file.empty(); }
};

struct ServerOptions {
  std::string listen = "127.0.0.1:50051";        // data port: CorsDecision
  std::string admin_listen = "127.0.0.1:50052";  // admin port: CorsAdmin
  std::string metrics_listen;                    // "" = no metrics endpoint
  // HTTP endpoint (POST /v1/check, /v1/forward-auth, /healthz) for gateways
  // without gRPC; "" = off. Uses data_tls.
  std::string http_listen;
  PortTls data_tls{.flag_prefix = "--tls"};
  // The admin port carries bearer tokens and every policy: give it TLS
  // (ideally mTLS) whenever it is reachable beyond the host.
  PortTls admin_tls{.flag_prefix = "--admin-tls"};
  // SIGTERM: in-flight calls get this long to finish.
  absl::Duration shutdown_grace = absl::Seconds(10);
  // How often to look for commits by other processes, and how often to
  // resync regardless.
  absl::Duration poll_interval = absl::Milliseconds(20);
  absl::Duration resync_interval = absl::Seconds(5);
  int decision_log_sample_every = 0;  // log one Check in N; 0 = off (1 with a decision_log_path)
  // Sampled decisions as JSON lines for `corsctl policy replay`; "" = they
  // go to the log. Rotated to PATH.1 past decision_log_max_bytes.
  std::string decision_log_path;
  int64_t decision_log_max_bytes = 64 << 20;
  // What to keep of history, audit and change feed, applied every
  // compact_interval (nothing is deleted when every limit is 0).
  store::Retention retention;
  absl::Duration compact_interval = absl::Hours(1);
  // Written (atomically) once serving: {"data_port":..,"admin_port":..,...}.
  std::string ready_file;
  // "Fail static": what this replica serves is kept here, and served from
  // here when it starts while the store cannot be reached. "" = off.
  std::string snapshot_path;
  // Which replica this is in shadow reports ("" = the host name).
  std::string replica_name;
};

// Message size limits. A Check request is small; an admin request may carry
// a policy with up to 100,000 origins.
inline constexpr int kMaxDataMessageBytes = 1 << 20;
inline constexpr int kMaxAdminMessageBytes = 16 << 20;

}  // namespace corsd::server

#endif  // CORSD_SERVICE_SERVER_SERVER_OPTIONS_H_
