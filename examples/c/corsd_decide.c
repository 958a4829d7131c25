/* A C program deciding one CORS request locally with libcorsd-client.
 *
 *   cc corsd_decide.c $(pkg-config --cflags --libs corsd-client) -o corsd_decide
 *   ./corsd_decide 127.0.0.1:50052 gateway.token shop.example.com https://app.example.com PUT
 *
 * Prints the verdict and the headers to add to the response. */
#include <corsd/corsd_c.h>
#include <stdio.h>
#include <string.h>

static corsd_str str(const char* s) {
  corsd_str out = {s, strlen(s)};
  return out;
}

int main(int argc, char** argv) {
  if (argc != 6) {
    fprintf(stderr, "usage: %s ADMIN_ADDRESS TOKEN_FILE HOST ORIGIN PREFLIGHT_METHOD\n", argv[0]);
    return 2;
  }
  corsd_client_options options;
  corsd_client_options_init(&options);
  options.admin_target = argv[1];
  options.admin_token_file = argv[2];
  char error[256];
  corsd_client* client = corsd_client_create(&options, error, sizeof error);
  if (client == NULL) {
    fprintf(stderr, "corsd_decide: %s\n", error);
    return 1;
  }
  /* A gateway never waits; this one-shot program waits for the policies. */
  if (!corsd_client_wait_synced(client, 5000)) {
    corsd_client_status status;
    corsd_client_get_status(client, &status);
    fprintf(stderr, "corsd_decide: not synced: %s\n", status.watch_error);
  }

  corsd_header acrm = {CORSD_STR("Access-Control-Request-Method"), str(argv[5])};
  corsd_request request = {.host = str(argv[3]),
                           .origin = str(argv[4]),
                           .method = CORSD_STR("OPTIONS"),
                           .path = CORSD_STR("/"),
                           .headers = &acrm,
                           .header_count = 1};
  corsd_decision decision;
  corsd_decision_init(&decision);
  corsd_decide(client, &request, &decision);
  printf("%s %s (%s) status %d\n", corsd_verdict_name(decision.verdict),
         corsd_reason_name(decision.reason), corsd_source_name(decision.source),
         decision.http_status);
  for (size_t i = 0; i < decision.header_count; i++) {
    printf("%.*s: %.*s\n", (int)decision.headers[i].name.len, decision.headers[i].name.data,
           (int)decision.headers[i].value.len, decision.headers[i].value.data);
  }
  corsd_decision_destroy(&decision);
  corsd_client_destroy(client);
  return 0;
}
