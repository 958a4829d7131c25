/* The C API used from plain C (compiled as C11, no C++ in sight), against a
 * real corsd that c_api_test.cc starts with tenant "shop" (host
 * shop.example.com) holding the suite's kAppPolicy.
 *
 *   c_api_program live ADMIN TOKEN_FILE SNAPSHOT   corsd up: local decisions
 *   c_api_program snapshot ADMIN TOKEN_FILE SNAPSHOT   corsd down: from SNAPSHOT
 *   c_api_program none ADMIN TOKEN_FILE   corsd down, no snapshot: fail closed
 *
 * Prints one line per check and exits 1 at the first that fails. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "corsd/corsd_c.h"

static int failures = 0;

#define CHECK(condition)                                      \
  do {                                                        \
    if (condition) {                                          \
      printf("ok: %s\n", #condition);                         \
    } else {                                                  \
      printf("FAILED (line %d): %s\n", __LINE__, #condition); \
      failures++;                                             \
    }                                                         \
  } while (0)

static corsd_str str(const char* s) {
  corsd_str out = {s, strlen(s)};
  return out;
}

static int equals(corsd_str s, const char* expected) {
  return s.len == strlen(expected) && memcmp(s.data, expected, s.len) == 0;
}

/* The value of the decision's header `name`, or NULL. */
static const corsd_header* header(const corsd_decision* d, const char* name) {
  for (size_t i = 0; i < d->header_count; i++) {
    if (d->headers[i].name.len == strlen(name) &&
        strncasecmp(d->headers[i].name.data, name, d->headers[i].name.len) == 0) {
      return &d->headers[i];
    }
  }
  return NULL;
}

static corsd_source decide(corsd_client* client, const char* host, const char* origin,
                           const char* method, const char* acrm, corsd_decision* d) {
  corsd_header headers[2] = {{CORSD_STR("User-Agent"), CORSD_STR("c-api-test")},
                             {CORSD_STR("Access-Control-Request-Method"), {NULL, 0}}};
  corsd_request request;
  memset(&request, 0, sizeof request);
  request.host = str(host);
  request.origin = str(origin);
  request.method = str(method);
  request.path = str("/items");
  request.headers = headers;
  request.header_count = 1;
  if (acrm != NULL) {
    headers[1].value = str(acrm);
    request.header_count = 2;
  }
  return corsd_decide(client, &request, d);
}

static void log_line(void* context, const char* line, size_t len) {
  (void)context;
  fprintf(stderr, "client log: %.*s\n", (int)len, line);
}

int main(int argc, char** argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: %s live|snapshot|none ADMIN TOKEN_FILE [SNAPSHOT]\n", argv[0]);
    return 2;
  }
  const char* mode = argv[1];
  corsd_client_options options;
  corsd_client_options_init(&options);
  options.admin_target = argv[2];
  options.admin_token_file = argv[3];
  options.snapshot_path = argc > 4 ? argv[4] : NULL;
  const char* tenants[] = {"shop"};
  options.tenants = tenants;
  options.tenant_count = 1;
  options.log = log_line;

  char error[256];
  /* Options are checked, with a message saying what to do. */
  corsd_client_options bad = options;
  bad.admin_target = NULL;
  CHECK(corsd_client_create(&bad, error, sizeof error) == NULL);
  CHECK(strstr(error, "admin_target") != NULL);
  bad = options;
  bad.admin_token_file = "/nonexistent/token";
  CHECK(corsd_client_create(&bad, error, sizeof error) == NULL);
  CHECK(strstr(error, "/nonexistent/token") != NULL);

  corsd_client* client = corsd_client_create(&options, error, sizeof error);
  if (client == NULL) {
    printf("FAILED: corsd_client_create: %s\n", error);
    return 1;
  }
  corsd_decision d;
  corsd_decision_init(&d);
  corsd_client_status status;

  if (strcmp(mode, "live") == 0) {
    CHECK(corsd_client_wait_synced(client, 10000) == 1);
    corsd_client_get_status(client, &status);
    CHECK(status.connected == 1 && status.from_snapshot == 0 && status.tenant_count == 1);
    CHECK(status.staleness_seconds == 0);

    /* A preflight for PUT from the allowed origin: answered now. */
    CHECK(decide(client, "shop.example.com", "https://app.example.com", "OPTIONS", "PUT", &d) ==
          CORSD_SOURCE_LOCAL);
    CHECK(d.verdict == CORSD_VERDICT_ALLOW && d.kind == CORSD_KIND_PREFLIGHT);
    CHECK(d.reason == CORSD_REASON_ALLOWED && d.respond_now == 1 && d.http_status == 204);
    CHECK(equals(d.tenant, "shop") && d.policy_revision == 1);
    CHECK(header(&d, "Access-Control-Allow-Origin") != NULL &&
          equals(header(&d, "Access-Control-Allow-Origin")->value, "https://app.example.com"));
    CHECK(header(&d, "Access-Control-Allow-Methods") != NULL);
    CHECK(header(&d, "Access-Control-Allow-Credentials") != NULL);
    CHECK(header(&d, "Vary") != NULL);
    corsd_decision_release(&d);
    CHECK(d.header_count == 0);

    /* The same decision reused for an actual request. */
    decide(client, "shop.example.com", "https://app.example.com", "GET", NULL, &d);
    CHECK(d.verdict == CORSD_VERDICT_ALLOW && d.kind == CORSD_KIND_ACTUAL && d.respond_now == 0);
    CHECK(header(&d, "Access-Control-Expose-Headers") != NULL);

    /* A third origin is denied, with no CORS headers but Vary. */
    decide(client, "shop.example.com", "https://evil.example", "OPTIONS", "PUT", &d);
    CHECK(d.verdict == CORSD_VERDICT_DENY && d.reason == CORSD_REASON_ORIGIN_NOT_ALLOWED);
    CHECK(d.respond_now == 1 && d.http_status == 403);
    CHECK(header(&d, "Access-Control-Allow-Origin") == NULL);
    CHECK(strcmp(corsd_reason_name(d.reason), "ORIGIN_NOT_ALLOWED") == 0);

    /* Without Origin: not CORS. */
    decide(client, "shop.example.com", "", "GET", NULL, &d);
    CHECK(d.verdict == CORSD_VERDICT_NOT_CORS && d.source == CORSD_SOURCE_LOCAL);

    /* A host no watched tenant owns: the fail-closed answer. */
    CHECK(decide(client, "elsewhere.example", "https://app.example.com", "OPTIONS", "PUT", &d) ==
          CORSD_SOURCE_FAIL_CLOSED);
    CHECK(d.verdict == CORSD_VERDICT_DENY && d.respond_now == 1 && d.http_status == 403);
    CHECK(d.header_count == 1 && equals(d.headers[0].name, "Vary"));
    corsd_decision_release(&d);
    corsd_decision_release(&d); /* twice is fine */

    /* The helpers. */
    CHECK(strcmp(corsd_verdict_name(CORSD_VERDICT_ALLOW), "ALLOW") == 0);
    CHECK(strcmp(corsd_source_name(CORSD_SOURCE_SNAPSHOT), "snapshot") == 0);
    CHECK(corsd_is_cors_header(str("access-control-allow-origin")) == 1);
    CHECK(corsd_is_cors_header(str("Vary")) == 0);
    char vary[64];
    size_t n = corsd_merge_vary(str("Accept-Encoding, origin"),
                                str("Origin, Access-Control-"
                                    "Request-Method"),
                                vary, sizeof vary);
    CHECK(n == strlen("Accept-Encoding, origin, Access-Control-Request-Method") &&
          memcmp(vary, "Accept-Encoding, origin, Access-Control-Request-Method", n) == 0);
    CHECK(corsd_merge_vary(str("a"), str("b"), vary, 1) == 4); /* "a, b" needs 4 */
  } else if (strcmp(mode, "snapshot") == 0) {
    /* corsd is down: decided from the snapshot at once, no waiting. */
    CHECK(decide(client, "shop.example.com", "https://app.example.com", "OPTIONS", "PUT", &d) ==
          CORSD_SOURCE_SNAPSHOT);
    CHECK(d.verdict == CORSD_VERDICT_ALLOW && d.http_status == 204 && d.policy_revision == 1);
    corsd_client_get_status(client, &status);
    CHECK(status.from_snapshot == 1 && status.connected == 0 && status.ever_synced == 1);
  } else if (strcmp(mode, "none") == 0) {
    /* corsd is down and there is no snapshot: cross-origin requests are
     * denied, others pass as not CORS. */
    CHECK(decide(client, "shop.example.com", "https://app.example.com", "OPTIONS", "PUT", &d) ==
          CORSD_SOURCE_FAIL_CLOSED);
    CHECK(d.verdict == CORSD_VERDICT_DENY && d.kind == CORSD_KIND_PREFLIGHT);
    CHECK(d.respond_now == 1 && d.http_status == 403);
    decide(client, "shop.example.com", "https://app.example.com", "GET", NULL, &d);
    CHECK(d.verdict == CORSD_VERDICT_DENY && d.respond_now == 0);
    decide(client, "shop.example.com", "", "GET", NULL, &d);
    CHECK(d.verdict == CORSD_VERDICT_NOT_CORS);
    /* The first watch attempt fails at once (nothing listens); its error
     * is what a gateway logs. */
    for (int i = 0; i < 100; i++) {
      CHECK(corsd_client_wait_synced(client, 100) == 0);
      corsd_client_get_status(client, &status);
      if (status.watch_error[0] != '\0') break;
    }
    CHECK(status.connected == 0 && status.ever_synced == 0 && status.staleness_seconds == -1);
    CHECK(strstr(status.watch_error, "UNAVAILABLE") != NULL);
    printf("watch_error: %s\n", status.watch_error);
  } else {
    fprintf(stderr, "unknown mode %s\n", mode);
    return 2;
  }
  corsd_decision_release(&d);
  corsd_decision_destroy(&d);
  corsd_client_destroy(client);
  corsd_client_destroy(NULL);
  CHECK(corsd_decide(NULL, NULL, NULL) == CORSD_SOURCE_FAIL_CLOSED);
  return failures == 0 ? 0 : 1;
}
