// corsd serve: run the server until SIGTERM/SIGINT.
#include <signal.h>

#include <cstdio>
#include <memory>
#include <optional>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "service/common/status_macros.h"
#include "service/ops/log.h"
#include "service/ops/systemd_notify.h"
#include "service/server/corsd_commands.h"
#include "service/server/corsd_server.h"
#include "service/store/lazy_store.h"
#include "service/store/sqlite_backup.h"
#include "service/store/store_factory.h"

namespace corsd::server {
namespace {

struct ServeFlags {
  store::StoreSelection store;
  ServerOptions server;
  std::string shutdown_grace = "10s";
  std::string poll_interval = "20ms";
  std::string log_level = "info";
  RetentionFlags retention;
  std::string compact_interval = "1h";
  std::string decision_log_max_bytes = "64MiB";
};

// "65536", "64KiB", "64MiB", "1GiB".
bool ParseByteSizeFlag(const std::string& text, const char* flag, int64_t* out) {
  absl::string_view digits = text;
  int64_t unit = 1;
  for (const auto& [suffix, factor] :
       {std::pair<const char*, int64_t>{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}}) {
    if (absl::ConsumeSuffix(&digits, suffix)) {
      unit = factor;
      break;
    }
  }
  int64_t n = 0;
  if (!absl::SimpleAtoi(digits, &n) || n <= 0 || n > (int64_t{1} << 50) / unit) {
    fprintf(stderr, "corsd: %s must be a size such as 65536, 64KiB, 64MiB or 1GiB, not \"%s\"\n",
            flag, text.c_str());
    return false;
  }
  *out = n * unit;
  return true;
}

int WaitForSignal() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  int signal_number = 0;
  sigwait(&signals, &signal_number);
  return signal_number;
}

int Serve(const ServeFlags& flags) {
  ServerOptions options = flags.server;
  if (!ParseDurationFlag(flags.shutdown_grace, "--shutdown-grace", &options.shutdown_grace) ||
      !ParseDurationFlag(flags.poll_interval, "--poll-interval", &options.poll_interval) ||
      !ParseDurationFlag(flags.compact_interval, "--compact-interval", &options.compact_interval) ||
      !ParseRetentionFlags(flags.retention, &options.retention) ||
      !ParseByteSizeFlag(flags.decision_log_max_bytes, "--decision-log-max-bytes",
                         &options.decision_log_max_bytes)) {
    return 2;
  }
  if (options.compact_interval <= absl::ZeroDuration()) {
    fprintf(stderr, "corsd: --compact-interval must be positive\n");
    return 2;
  }
  ops::LogLevel level;
  if (!ops::ParseLogLevel(flags.log_level, &level)) {
    fprintf(stderr, "corsd: --log-level must be debug, info, warning or error\n");
    return 2;
  }
  ops::SetMinLogLevel(level);

  if (absl::Status selected = store::CheckSelection(flags.store); !selected.ok()) {
    fprintf(stderr, "corsd: %s\n", std::string(selected.message()).c_str());
    return 2;
  }
  // Tells `corsd restore` that this database is in use (released at exit).
  // Taken before the database is opened, so a restore cannot swap the file
  // between the open and the lock.
  std::optional<store::ServingLock> serving_lock;
  if (!flags.store.db_path.empty()) {
    absl::StatusOr<store::ServingLock> lock = store::ServingLock::Acquire(flags.store.db_path);
    if (!lock.ok()) {
      fprintf(stderr, "corsd: %s\n", std::string(lock.status().message()).c_str());
      return 1;
    }
    serving_lock.emplace(*std::move(lock));
  }
  // Opened now if it can be; if not, corsd starts anyway (fail static) and
  // every later store call is another attempt.
  const store::StoreSelection selection = flags.store;
  auto lazy = std::make_unique<store::LazyStore>(
      [selection]() -> absl::StatusOr<std::unique_ptr<store::PolicyStore>> {
        ASSIGN_OR_RETURN(store::OpenedStore opened, store::OpenStore(selection, true));
        if (!opened.migrations_applied.empty()) {
          ops::LogInfo("migrations_applied")
              .Field("store", opened.store->Describe())
              .Field("migrations", absl::StrJoin(opened.migrations_applied, ","));
        }
        return std::move(opened.store);
      },
      store::DescribeSelection(selection),
      [description = store::DescribeSelection(selection)](const absl::Status& error) {
        ops::LogWarning("store_open_failed")
            .Field("store", description)
            .Field("error", error.message())
            .Field("action", "retrying with backoff");
      });
  // Only an unreachable store is waited for; a store that answers "no"
  // (wrong password, a schema newer than this corsd, a file it may not
  // open) will not change its mind: exit and say why.
  if (absl::Status first = lazy->TryOpen();
      !first.ok() && first.code() != absl::StatusCode::kUnavailable) {
    fprintf(stderr, "corsd: cannot open the store: %s\n", std::string(first.message()).c_str());
    return 1;
  }
  absl::StatusOr<std::unique_ptr<CorsdServer>> server =
      CorsdServer::Start(options, std::move(lazy));
  if (!server.ok()) {
    fprintf(stderr, "corsd: %s\n", std::string(server.status().message()).c_str());
    return 1;
  }
  // Type=notify: systemd considers the unit started once the ports are bound.
  if (absl::Status notified = ops::NotifySystemd("READY=1"); !notified.ok()) {
    ops::LogWarning("systemd_notify_failed").Field("error", notified.message());
  }

  int signal_number = WaitForSignal();
  const absl::Time first_signal = absl::Now();
  ops::LogInfo("signal_received").Field("signal", signal_number == SIGTERM ? "SIGTERM" : "SIGINT");
  ops::NotifySystemd("STOPPING=1").IgnoreError();
  // A second signal while draining means "now": exit without waiting. One
  // arriving right after the first is the same event delivered twice (a
  // terminal signals the whole process group, and a wrapper script may
  // forward it too), so it does not count.
  std::thread([first_signal] {
    while (true) {
      WaitForSignal();
      if (absl::Now() - first_signal < absl::Seconds(1)) continue;
      ops::LogWarning("forced_exit").Field("reason", "second signal during shutdown");
      _exit(1);
    }
  }).detach();
  (*server)->Shutdown();
  server->reset();
  return 0;
}

// --tls-cert / --tls-key / --tls-client-ca for the data port, and the same
// with --admin- for the admin port (flag_prefix says which).
void AddTlsFlags(CLI::App* serve, absl::string_view port, PortTls* tls,
                 absl::string_view env_prefix) {
  serve
      ->add_option(absl::StrCat(tls->flag_prefix, "-cert"), tls->cert_file,
                   absl::StrCat(port, " port TLS certificate chain (PEM)"))
      ->envname(absl::StrCat(env_prefix, "_CERT"));
  serve
      ->add_option(absl::StrCat(tls->flag_prefix, "-key"), tls->key_file,
                   absl::StrCat(port, " port TLS private key (PEM)"))
      ->envname(absl::StrCat(env_prefix, "_KEY"));
  serve
      ->add_option(absl::StrCat(tls->flag_prefix, "-client-ca"), tls->client_ca_file,
                   absl::StrCat("require ", port,
                                " port clients to present a certificate signed by this CA (mTLS)"))
      ->envname(absl::StrCat(env_prefix, "_CLIENT_CA"));
}

}  // namespace

void AddStoreFlags(CLI::App* command, store::StoreSelection* flags) {
  command->add_option("--db", flags->db_path, "SQLite database file (created if missing)")
      ->envname("CORSD_DB");
  command
      ->add_option("--store", flags->store_url,
                   "PostgreSQL store instead of SQLite, e.g. postgres://corsd@db.internal/corsd")
      ->envname("CORSD_STORE");
}

Command AddServeCommand(CLI::App& app) {
  auto flags = std::make_shared<ServeFlags>();
  CLI::App* serve = app.add_subcommand(
      "serve",
      "Serve Check on the data port and the admin API on the admin port until SIGTERM/SIGINT.\n"
      "Applies pending migrations first.\n\n"
      "Example:\n"
      "  corsd serve --db var/corsd.db --listen 127.0.0.1:50051 --admin-listen 127.0.0.1:50052 \\\n"
      "      --metrics-listen 127.0.0.1:9090");
  AddStoreFlags(serve, &flags->store);
  serve
      ->add_option("--snapshot", flags->server.snapshot_path,
                   "keep what is served in this file (written atomically after changes, at most "
                   "once a second), and serve from it when the store cannot be reached at start "
                   "(fail static), e.g. /var/lib/corsd/snapshot.pb")
      ->envname("CORSD_SNAPSHOT");
  serve
      ->add_option("--replica-name", flags->server.replica_name,
                   "which replica this is in shadow policy reports (default: the host name)")
      ->envname("CORSD_REPLICA_NAME");
  serve->add_option("--listen", flags->server.listen, "data port (CorsDecision), HOST:PORT")
      ->envname("CORSD_LISTEN")
      ->capture_default_str();
  serve
      ->add_option("--admin-listen", flags->server.admin_listen,
                   "admin port (CorsAdmin), HOST:PORT; keep it private")
      ->envname("CORSD_ADMIN_LISTEN")
      ->capture_default_str();
  serve
      ->add_option("--metrics-listen", flags->server.metrics_listen,
                   "serve GET /metrics (Prometheus) and /healthz on HOST:PORT")
      ->envname("CORSD_METRICS_LISTEN");
  serve
      ->add_option("--http-listen", flags->server.http_listen,
                   "serve the HTTP endpoint for gateways (POST /v1/check, /v1/forward-auth for "
                   "nginx auth_request, Traefik forwardAuth and Caddy forward_auth, GET /healthz) "
                   "on HOST:PORT, with the data port's --tls-* settings")
      ->envname("CORSD_HTTP_LISTEN");
  AddTlsFlags(serve, "data", &flags->server.data_tls, "CORSD_TLS");
  AddTlsFlags(serve, "admin", &flags->server.admin_tls, "CORSD_ADMIN_TLS");
  serve
      ->add_option("--shutdown-grace", flags->shutdown_grace,
                   "how long in-flight calls may take to finish after SIGTERM")
      ->envname("CORSD_SHUTDOWN_GRACE")
      ->capture_default_str();
  serve
      ->add_option("--poll-interval", flags->poll_interval,
                   "how often to look for commits made by other corsd processes")
      ->envname("CORSD_POLL_INTERVAL")
      ->capture_default_str();
  AddRetentionFlags(serve, &flags->retention);
  serve
      ->add_option("--compact-interval", flags->compact_interval,
                   "how often to apply the --keep-* limits")
      ->envname("CORSD_COMPACT_INTERVAL")
      ->capture_default_str();
  serve
      ->add_option("--decision-log-sample", flags->server.decision_log_sample_every,
                   "log one Check decision in N (0 = none; every one with --decision-log)")
      ->envname("CORSD_DECISION_LOG_SAMPLE");
  serve
      ->add_option("--decision-log", flags->server.decision_log_path,
                   "write the sampled decisions here as JSON lines, the input of `corsctl policy "
                   "replay` (rotated to FILE.1 past --decision-log-max-bytes)")
      ->envname("CORSD_DECISION_LOG");
  serve
      ->add_option("--decision-log-max-bytes", flags->decision_log_max_bytes,
                   "size at which --decision-log is rotated")
      ->envname("CORSD_DECISION_LOG_MAX_BYTES")
      ->capture_default_str();
  serve->add_option("--log-level", flags->log_level, "debug, info, warning or error")
      ->envname("CORSD_LOG_LEVEL")
      ->capture_default_str();
  serve->add_option("--ready-file", flags->server.ready_file,
                    "write the bound ports as JSON here once serving (for scripts and tests)");
  return {serve, [flags] { return Serve(*flags); }};
}

}  // namespace corsd::server
