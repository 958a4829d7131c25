/* corsd_c.h: local CORS decisions for programs written in C (the nginx
 * module, other C gateways). A C face of corsd::Client with local evaluation:
 * the client follows the admin port's policy watch for its tenants, compiles
 * each policy with corsd's engine, and decides in-process.
 *
 *   corsd_client_options options;
 *   corsd_client_options_init(&options);
 *   options.admin_target = "127.0.0.1:50052";
 *   options.admin_token_file = "/etc/corsd/gateway.token";
 *   options.snapshot_path = "/var/lib/corsd/gateway.snapshot";
 *   char error[256];
 *   corsd_client *client = corsd_client_create(&options, error, sizeof error);
 *   if (client == NULL) { fprintf(stderr, "%s\n", error); exit(1); }
 *
 *   corsd_header acr[] = {{CORSD_STR("Access-Control-Request-Method"), CORSD_STR("PUT")}};
 *   corsd_request request = {.host = CORSD_STR("shop.example"),
 *                            .origin = CORSD_STR("https://app.example"),
 *                            .method = CORSD_STR("OPTIONS"), .path = CORSD_STR("/items"),
 *                            .headers = acr, .header_count = 1};
 *   corsd_decision decision;
 *   corsd_decision_init(&decision);
 *   corsd_decide(client, &request, &decision);
 *   for (size_t i = 0; i < decision.header_count; i++) add(decision.headers[i]);
 *   if (decision.respond_now) answer(decision.http_status);
 *   corsd_decision_release(&decision);   (decide into it again, or:)
 *   corsd_decision_destroy(&decision);
 *   corsd_client_destroy(client);
 *
 * Nothing here allocates, locks or blocks on the decision path: the request
 * is passed as borrowed pointer/length pairs (not NUL-terminated), and the
 * decision's strings are borrowed views into the compiled policy, the request
 * and the decision itself, valid until corsd_decision_release (or the next
 * corsd_decide into the same decision). No C++ type or exception crosses
 * this header; every function is safe to call with the arguments it
 * documents and reports failure by its return value.
 *
 * Where decisions come from (corsd_decision.source): the live watched
 * policies; the snapshot file (options.snapshot_path) when corsd was
 * unreachable since the client started; otherwise the fail-closed answer:
 * cross-origin requests are denied without CORS headers (a preflight is
 * answered 403), requests without an Origin are not CORS. A gateway should
 * log the fail-closed case (corsd_client_get_status says why) and never
 * wait for corsd: the client reconnects by itself.
 *
 * Link with -lcorsd-client (pkg-config corsd-client, CMake corsd::client). */
#ifndef CORSD_CLIENT_INCLUDE_CORSD_CORSD_C_H_
#define CORSD_CLIENT_INCLUDE_CORSD_CORSD_C_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A borrowed string: `len` bytes at `data`, not NUL-terminated. */
typedef struct corsd_str {
  const char* data;
  size_t len;
} corsd_str;

/* A corsd_str of a string literal. */
#define CORSD_STR(literal) \
  { (literal), sizeof(literal) - 1 }

typedef struct corsd_header {
  corsd_str name;
  corsd_str value;
} corsd_header;

/* ---- the client ----------------------------------------------------------
 * Options are read by corsd_client_create only: strings and arrays may be
 * freed afterwards. NULL or "" leaves an option at its default. */
typedef struct corsd_client_options {
  const char* target;           /* corsd data port, host:port (default 127.0.0.1:50051) */
  const char* admin_target;     /* corsd admin port the policies are watched on (required) */
  const char* admin_token;      /* a token that may read the tenants, or: */
  const char* admin_token_file; /* a file holding it (one line; surrounding space ignored) */
  /* TLS (PEM files): a CA bundle turns TLS on; a certificate and key add mTLS. */
  const char* tls_ca_file;
  const char* tls_cert_file;
  const char* tls_key_file;
  const char* tls_server_name; /* override the name checked in the certificate */
  const char* admin_tls_ca_file;
  const char* admin_tls_cert_file;
  const char* admin_tls_key_file;
  const char* admin_tls_server_name;
  const char* const* tenants; /* tenants to watch; none = every tenant the token reads */
  size_t tenant_count;
  const char* snapshot_path; /* "Fail static" file: kept up to date, loaded at start */
  const char* client_name;   /* names this client in shadow reports (default host:pid) */
  /* Rare events worth a line in the program's log (snapshot ignored or not
   * written). Called from the client's own threads, so it must be
   * thread-safe; NULL = stderr. `line` is not NUL-terminated. */
  void (*log)(void* log_context, const char* line, size_t len);
  void* log_context;
} corsd_client_options;

/* Fills `options` with the defaults (everything NULL/0). Touches only
 * `options`: safe from any thread. */
void corsd_client_options_init(corsd_client_options* options);

typedef struct corsd_client corsd_client;

/* Creates a client and starts watching; safe from any thread (each call
 * makes an independent client). Never waits for corsd: with corsd
 * away it decides from the snapshot (or fails closed) and connects later.
 * Returns NULL on invalid options or unreadable files, with the reason (and
 * what to do) in `error` (NUL-terminated, truncated to `error_size`; `error`
 * may be NULL). Starts background threads: a program that forks must create
 * its clients after the fork (nginx: in init_process), and should block
 * signals around this call if its main thread relies on receiving them. */
corsd_client* corsd_client_create(const corsd_client_options* options, char* error,
                                  size_t error_size);

/* Stops the client's threads and frees it. NULL is ignored. Must not run
 * concurrently with any other call on the same client; decisions filled by
 * it stay valid until released. */
void corsd_client_destroy(corsd_client* client);

/* Blocks until the client holds the live state of its tenants, at most
 * `timeout_ms`. Returns 1 when synced, 0 on timeout. Thread-safe. For tests
 * and start-up scripts; a gateway never needs to wait. */
int corsd_client_wait_synced(corsd_client* client, int timeout_ms);

typedef struct corsd_client_status {
  int connected;            /* the watch stream is up and holds the full state */
  int from_snapshot;        /* deciding from the snapshot file: no live state yet */
  int ever_synced;          /* the live state was complete at least once */
  double staleness_seconds; /* 0 while connected; -1 never synced */
  size_t tenant_count;      /* tenants whose policies the client holds */
  /* Why the watch is not connected ("" while connected or not yet tried),
   * NUL-terminated, truncated to fit. */
  char watch_error[256];
} corsd_client_status;

/* Thread-safe; allocates and takes a lock, so call it for logs and metrics,
 * not per request. */
void corsd_client_get_status(const corsd_client* client, corsd_client_status* status);

/* ---- one decision ------------------------------------------------------- */

/* Numbering shared with corsd.v1 (checked at compile time). */
typedef enum corsd_verdict {
  CORSD_VERDICT_UNSPECIFIED = 0,
  CORSD_VERDICT_ALLOW = 1,
  CORSD_VERDICT_DENY = 2,
  CORSD_VERDICT_NOT_CORS = 3
} corsd_verdict;

typedef enum corsd_request_kind {
  CORSD_KIND_UNSPECIFIED = 0,
  CORSD_KIND_PREFLIGHT = 1,
  CORSD_KIND_ACTUAL = 2,
  CORSD_KIND_NO_ORIGIN = 3
} corsd_request_kind;

typedef enum corsd_reason {
  CORSD_REASON_UNSPECIFIED = 0,
  CORSD_REASON_ALLOWED = 1,
  CORSD_REASON_NO_ORIGIN_HEADER = 2,
  CORSD_REASON_ORIGIN_NOT_ALLOWED = 3,
  CORSD_REASON_METHOD_NOT_ALLOWED = 4,
  CORSD_REASON_HEADERS_NOT_ALLOWED = 5,
  CORSD_REASON_PRIVATE_NETWORK_NOT_ALLOWED = 6,
  CORSD_REASON_MALFORMED_REQUEST = 7
} corsd_reason;

typedef enum corsd_source {
  CORSD_SOURCE_LOCAL = 1,      /* the live watched policy */
  CORSD_SOURCE_SNAPSHOT = 2,   /* the snapshot file: corsd unreachable since start */
  CORSD_SOURCE_FAIL_CLOSED = 3 /* no policy covers the request: see the top of this file */
} corsd_source;

typedef struct corsd_request {
  corsd_str tenant; /* empty: the tenant that owns `host` */
  corsd_str host;   /* Host / :authority */
  corsd_str origin; /* the Origin header's value; empty = none */
  corsd_str method;
  corsd_str path; /* without the query */
  /* The request's headers: at least Access-Control-Request-*; passing all
   * of them is fine (the others are skipped). */
  const corsd_header* headers;
  size_t header_count;
} corsd_request;

#define CORSD_MAX_RESPONSE_HEADERS 8
#define CORSD_DECISION_STORAGE 1024

/* Caller-owned (on the stack, or one per thread kept for reuse). Initialize
 * once with corsd_decision_init, fill with corsd_decide and let go with
 * corsd_decision_release (again and again: a reused decision keeps its
 * internal memory, so deciding allocates nothing), and end with
 * corsd_decision_destroy. Fill, read and release it on one thread: it pins
 * the policy it was decided with, cheaply, per thread. Never copy or move a
 * decision (its views may point into itself): copy the strings out. */
typedef struct corsd_decision {
  corsd_verdict verdict;
  corsd_request_kind kind;
  corsd_reason reason;
  corsd_source source;
  int respond_now; /* a preflight: answer http_status now, do not forward */
  int http_status;
  int64_t policy_revision; /* 0 when failing closed */
  corsd_str tenant;
  /* Put these on the response (Vary included): first remove every
   * Access-Control-* header the upstream set (corsd_is_cors_header), and
   * merge Vary with the upstream's (corsd_merge_vary). */
  size_t header_count;
  corsd_header headers[CORSD_MAX_RESPONSE_HEADERS];
  /* Private to the library. */
  union {
    unsigned char bytes[CORSD_DECISION_STORAGE];
    void* pointer_align_;
  } internal_ __attribute__((aligned(16)));
} corsd_decision;

/* Prepares `decision` (NULL is ignored). Touches only `decision`. */
void corsd_decision_init(corsd_decision* decision);

/* Decides `request`. Always fills `decision` (source says from what) and
 * returns its source. Never locks or blocks, and allocates nothing once the
 * decision was used before; safe to call from any number of threads at once,
 * each with its own decision. Only the first eight Access-Control-Request-*
 * headers are read (a browser sends at most three). A NULL `request` or
 * `decision` returns CORSD_SOURCE_FAIL_CLOSED and does nothing. */
corsd_source corsd_decide(corsd_client* client, const corsd_request* request,
                          corsd_decision* decision);

/* Lets go of the policy the decision pinned; its strings become invalid.
 * The decision can be filled again. Safe to call twice, or on an
 * initialized decision never filled; NULL is ignored. Same thread as the
 * corsd_decide that filled it. */
void corsd_decision_release(corsd_decision* decision);

/* Releases and frees what the decision holds; corsd_decision_init it before
 * any further use. NULL is ignored. */
void corsd_decision_destroy(corsd_decision* decision);

/* ---- helpers for applying a decision --------------------------------------
 * Thread-safe; only corsd_merge_vary allocates (call it only when both the
 * upstream and the decision set Vary). */

/* Names for logs: "ALLOW", "ORIGIN_NOT_ALLOWED", "snapshot"... (static). */
const char* corsd_verdict_name(corsd_verdict verdict);
const char* corsd_reason_name(corsd_reason reason);
const char* corsd_source_name(corsd_source source);

/* 1 for a header corsd is authoritative for (Access-Control-*, any case):
 * remove the upstream's before adding the decision's. */
int corsd_is_cors_header(corsd_str name);

/* Merges two Vary values case-insensitively, keeping the first spelling
 * ("*" absorbs the rest), into `out`. Returns the merged length; when it is
 * larger than `out_size`, nothing usable was written: call again with room
 * for that many bytes. */
size_t corsd_merge_vary(corsd_str existing, corsd_str added, char* out, size_t out_size);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* CORSD_CLIENT_INCLUDE_CORSD_CORSD_C_H_ */
