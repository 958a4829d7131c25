/* ngx_http_corsd_module: CORS decisions inside nginx, from corsd's policies
 * watched by each worker (the C API, corsd/corsd_c.h), with no round trip.
 *
 *   load_module modules/ngx_http_corsd_module.so;
 *   http {
 *     corsd_admin_server 127.0.0.1:50052;       # where policies are watched
 *     corsd_token_file   /etc/nginx/corsd.token; # a viewer token
 *     corsd_snapshot     /var/lib/nginx/corsd.snapshot;
 *     server {
 *       corsd on;                                # tenant: the one owning Host
 *       location /api/ { corsd_tenant shop; proxy_pass ...; }
 *     }
 *   }
 *
 * A preflight is answered in the access phase (before allow/deny and
 * auth_basic, which a preflight never satisfies: browsers send it without
 * credentials) with corsd's status and headers. Any other response gets
 * corsd's headers in the header filter, after every Access-Control-* header
 * the upstream or the configuration (add_header: the module's filter runs
 * after nginx's headers filter) set is removed (on ALLOW and on DENY),
 * with Vary merged. $corsd_verdict and $corsd_reason name the decision.
 *
 * Each worker creates its own client in init_process, after the fork (no
 * gRPC state crosses a fork), with signals blocked so the client's threads
 * never take the signals nginx's main thread waits for. Decisions never
 * block: without policies (corsd unreachable since start and no snapshot)
 * cross-origin requests are denied, with a log line at most once a second. */
#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>
#include <pthread.h>
#include <signal.h>

#include "corsd/corsd_c.h"

typedef struct {
  ngx_str_t server;       /* corsd_server: the data port */
  ngx_str_t admin_server; /* corsd_admin_server: the admin port */
  ngx_str_t token;        /* read from corsd_token_file at configuration time */
  ngx_str_t token_file;
  ngx_str_t snapshot;     /* corsd_snapshot */
  ngx_flag_t used;        /* some location says corsd on */
} ngx_http_corsd_main_conf_t;

typedef struct {
  ngx_flag_t enable;                /* corsd on|off */
  ngx_http_complex_value_t *tenant; /* corsd_tenant NAME|$variable */
} ngx_http_corsd_loc_conf_t;

/* One request's decision, copied into the request's pool (the C decision's
 * views are released at once). */
typedef struct {
  corsd_verdict verdict;
  corsd_reason reason;
  corsd_source source;
  ngx_uint_t header_count;
  ngx_table_elt_t headers[CORSD_MAX_RESPONSE_HEADERS];
  ngx_uint_t http_status;   /* with respond_now */
  unsigned respond_now : 1; /* a preflight corsd answers */
  unsigned responded : 1;   /* answered by the module itself (access phase) */
} ngx_http_corsd_ctx_t;

static ngx_int_t ngx_http_corsd_add_variables(ngx_conf_t *cf);
static ngx_int_t ngx_http_corsd_init(ngx_conf_t *cf);
static void *ngx_http_corsd_create_main_conf(ngx_conf_t *cf);
static void *ngx_http_corsd_create_loc_conf(ngx_conf_t *cf);
static char *ngx_http_corsd_merge_loc_conf(ngx_conf_t *cf, void *parent, void *child);
static char *ngx_http_corsd_token_file(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
static char *ngx_http_corsd_enable(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
static ngx_int_t ngx_http_corsd_init_process(ngx_cycle_t *cycle);
static void ngx_http_corsd_exit_process(ngx_cycle_t *cycle);

static ngx_command_t ngx_http_corsd_commands[] = {
    {ngx_string("corsd_server"), NGX_HTTP_MAIN_CONF | NGX_CONF_TAKE1, ngx_conf_set_str_slot,
     NGX_HTTP_MAIN_CONF_OFFSET, offsetof(ngx_http_corsd_main_conf_t, server), NULL},
    {ngx_string("corsd_admin_server"), NGX_HTTP_MAIN_CONF | NGX_CONF_TAKE1, ngx_conf_set_str_slot,
     NGX_HTTP_MAIN_CONF_OFFSET, offsetof(ngx_http_corsd_main_conf_t, admin_server), NULL},
    {ngx_string("corsd_token_file"), NGX_HTTP_MAIN_CONF | NGX_CONF_TAKE1,
     ngx_http_corsd_token_file, NGX_HTTP_MAIN_CONF_OFFSET,
     offsetof(ngx_http_corsd_main_conf_t, token_file), NULL},
    {ngx_string("corsd_snapshot"), NGX_HTTP_MAIN_CONF | NGX_CONF_TAKE1, ngx_conf_set_str_slot,
     NGX_HTTP_MAIN_CONF_OFFSET, offsetof(ngx_http_corsd_main_conf_t, snapshot), NULL},
    {ngx_string("corsd"), NGX_HTTP_SRV_CONF | NGX_HTTP_LOC_CONF | NGX_CONF_FLAG,
     ngx_http_corsd_enable, NGX_HTTP_LOC_CONF_OFFSET,
     offsetof(ngx_http_corsd_loc_conf_t, enable), NULL},
    {ngx_string("corsd_tenant"), NGX_HTTP_SRV_CONF | NGX_HTTP_LOC_CONF | NGX_CONF_TAKE1,
     ngx_http_set_complex_value_slot, NGX_HTTP_LOC_CONF_OFFSET,
     offsetof(ngx_http_corsd_loc_conf_t, tenant), NULL},
    ngx_null_command};

static ngx_http_module_t ngx_http_corsd_module_ctx = {
    ngx_http_corsd_add_variables,    /* preconfiguration */
    ngx_http_corsd_init,             /* postconfiguration */
    ngx_http_corsd_create_main_conf, /* create main configuration */
    NULL,                            /* init main configuration */
    NULL,                            /* create server configuration */
    NULL,                            /* merge server configuration */
    ngx_http_corsd_create_loc_conf,  /* create location configuration */
    ngx_http_corsd_merge_loc_conf    /* merge location configuration */
};

ngx_module_t ngx_http_corsd_module = {NGX_MODULE_V1,
                                      &ngx_http_corsd_module_ctx,
                                      ngx_http_corsd_commands,
                                      NGX_HTTP_MODULE,
                                      NULL,                         /* init master */
                                      NULL,                         /* init module */
                                      ngx_http_corsd_init_process,  /* init process */
                                      NULL,                         /* init thread */
                                      NULL,                         /* exit thread */
                                      ngx_http_corsd_exit_process,  /* exit process */
                                      NULL,                         /* exit master */
                                      NGX_MODULE_V1_PADDING};

/* How long a starting worker without a snapshot waits for the policies. */
#define NGX_HTTP_CORSD_START_WAIT_MS 1000

/* This worker's client: created in init_process, used only by the worker's
 * main thread, destroyed in exit_process. NULL when it could not be created
 * (decisions then fail closed). */
static corsd_client *ngx_http_corsd_client;
/* The worker's one decision, reused for every request (released after its
 * answer is copied): deciding then allocates nothing. */
static corsd_decision ngx_http_corsd_decision;
static ngx_uint_t ngx_http_corsd_decision_ready; /* initialized by this process */
static ngx_http_output_header_filter_pt ngx_http_next_header_filter;

/* ---- configuration ------------------------------------------------------ */

static void *ngx_http_corsd_create_main_conf(ngx_conf_t *cf) {
  ngx_http_corsd_main_conf_t *conf = ngx_pcalloc(cf->pool, sizeof(ngx_http_corsd_main_conf_t));
  if (conf == NULL) return NULL;
  conf->used = 0;
  return conf;
}

static void *ngx_http_corsd_create_loc_conf(ngx_conf_t *cf) {
  ngx_http_corsd_loc_conf_t *conf = ngx_pcalloc(cf->pool, sizeof(ngx_http_corsd_loc_conf_t));
  if (conf == NULL) return NULL;
  conf->enable = NGX_CONF_UNSET;
  conf->tenant = NGX_CONF_UNSET_PTR;
  return conf;
}

static char *ngx_http_corsd_merge_loc_conf(ngx_conf_t *cf, void *parent, void *child) {
  ngx_http_corsd_loc_conf_t *prev = parent;
  ngx_http_corsd_loc_conf_t *conf = child;
  ngx_conf_merge_value(conf->enable, prev->enable, 0);
  ngx_conf_merge_ptr_value(conf->tenant, prev->tenant, NULL);
  return NGX_CONF_OK;
}

/* `corsd on` needs corsd_admin_server; it is checked in postconfiguration,
 * once the whole http block is read. */
static char *ngx_http_corsd_enable(ngx_conf_t *cf, ngx_command_t *cmd, void *conf) {
  char *rv = ngx_conf_set_flag_slot(cf, cmd, conf);
  if (rv != NGX_CONF_OK) return rv;
  if (((ngx_http_corsd_loc_conf_t *)conf)->enable) {
    ngx_http_corsd_main_conf_t *mcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_corsd_module);
    mcf->used = 1;
  }
  return NGX_CONF_OK;
}

static int ngx_http_corsd_is_space(u_char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Read by the master, as root, so the file can stay unreadable to workers. */
static char *ngx_http_corsd_token_file(ngx_conf_t *cf, ngx_command_t *cmd, void *conf) {
  ngx_http_corsd_main_conf_t *mcf = conf;
  char *rv = ngx_conf_set_str_slot(cf, cmd, conf);
  if (rv != NGX_CONF_OK) return rv;
  if (ngx_conf_full_name(cf->cycle, &mcf->token_file, 1) != NGX_OK) return NGX_CONF_ERROR;

  ngx_file_t file;
  ngx_memzero(&file, sizeof(ngx_file_t));
  file.name = mcf->token_file;
  file.log = cf->log;
  file.fd = ngx_open_file(file.name.data, NGX_FILE_RDONLY, NGX_FILE_OPEN, 0);
  if (file.fd == NGX_INVALID_FILE) {
    ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno, "corsd_token_file: cannot open \"%V\"",
                       &file.name);
    return NGX_CONF_ERROR;
  }
  u_char buf[4096];
  ssize_t n = ngx_read_file(&file, buf, sizeof(buf), 0);
  ngx_close_file(file.fd);
  if (n == NGX_ERROR) return NGX_CONF_ERROR;
  if ((size_t)n == sizeof(buf)) {
    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "corsd_token_file \"%V\" is larger than a token",
                       &file.name);
    return NGX_CONF_ERROR;
  }
  u_char *start = buf, *end = buf + n;
  while (start < end && ngx_http_corsd_is_space(*start)) start++;
  while (end > start && ngx_http_corsd_is_space(end[-1])) end--;
  if (start == end) {
    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "corsd_token_file \"%V\" is empty: write a viewer token there "
                       "(corsctl token create --role viewer)",
                       &file.name);
    return NGX_CONF_ERROR;
  }
  mcf->token.len = end - start;
  mcf->token.data = ngx_pstrdup(cf->pool, &(ngx_str_t){end - start, start});
  return mcf->token.data == NULL ? NGX_CONF_ERROR : NGX_CONF_OK;
}

/* ---- variables ---------------------------------------------------------- */

static ngx_int_t ngx_http_corsd_variable(ngx_http_request_t *r, ngx_http_variable_value_t *v,
                                         uintptr_t data) {
  ngx_http_corsd_ctx_t *ctx = ngx_http_get_module_ctx(r->main, ngx_http_corsd_module);
  if (ctx == NULL) {
    v->not_found = 1;
    return NGX_OK;
  }
  const char *name =
      data == 0 ? corsd_verdict_name(ctx->verdict) : corsd_reason_name(ctx->reason);
  v->data = (u_char *)name;
  v->len = ngx_strlen(name);
  v->valid = 1;
  v->no_cacheable = 0;
  v->not_found = 0;
  return NGX_OK;
}

static ngx_int_t ngx_http_corsd_add_variables(ngx_conf_t *cf) {
  static ngx_str_t names[] = {ngx_string("corsd_verdict"), ngx_string("corsd_reason")};
  for (uintptr_t i = 0; i < 2; i++) {
    ngx_http_variable_t *var = ngx_http_add_variable(cf, &names[i], NGX_HTTP_VAR_NOCACHEABLE);
    if (var == NULL) return NGX_ERROR;
    var->get_handler = ngx_http_corsd_variable;
    var->data = i;
  }
  return NGX_OK;
}

/* ---- the worker's client ------------------------------------------------- */

static void ngx_http_corsd_client_log(void *context, const char *line, size_t len) {
  /* Called on the client's threads: write(2) to stderr (nginx's error log
   * when it is stderr, as Debian's default build has it) is thread-safe,
   * nginx's logging is not. */
  (void)context;
  fprintf(stderr, "corsd module: %.*s\n", (int)len, line);
}

/* A NUL-terminated copy of `s` in `pool`, or NULL when `s` is empty. */
static const char *ngx_http_corsd_cstr(ngx_pool_t *pool, ngx_str_t *s) {
  if (s->len == 0) return NULL;
  u_char *copy = ngx_pnalloc(pool, s->len + 1);
  if (copy == NULL) return NULL;
  ngx_cpystrn(copy, s->data, s->len + 1);
  return (const char *)copy;
}

static ngx_int_t ngx_http_corsd_init_process(ngx_cycle_t *cycle) {
  if (ngx_process != NGX_PROCESS_WORKER && ngx_process != NGX_PROCESS_SINGLE) return NGX_OK;
  ngx_http_corsd_main_conf_t *mcf =
      ngx_http_cycle_get_module_main_conf(cycle, ngx_http_corsd_module);
  if (mcf == NULL || !mcf->used) return NGX_OK;
  corsd_decision_init(&ngx_http_corsd_decision);
  ngx_http_corsd_decision_ready = 1;

  corsd_client_options options;
  corsd_client_options_init(&options);
  options.target = ngx_http_corsd_cstr(cycle->pool, &mcf->server);
  options.admin_target = ngx_http_corsd_cstr(cycle->pool, &mcf->admin_server);
  options.admin_token = ngx_http_corsd_cstr(cycle->pool, &mcf->token);
  options.snapshot_path = ngx_http_corsd_cstr(cycle->pool, &mcf->snapshot);
  options.log = ngx_http_corsd_client_log;

  /* The client's threads inherit this mask: nginx's signals stay with the
   * main thread (as nginx's own thread pools do). */
  sigset_t all, old;
  sigfillset(&all);
  sigdelset(&all, SIGILL);
  sigdelset(&all, SIGFPE);
  sigdelset(&all, SIGSEGV);
  sigdelset(&all, SIGBUS);
  pthread_sigmask(SIG_BLOCK, &all, &old);
  char error[512];
  ngx_http_corsd_client = corsd_client_create(&options, error, sizeof(error));
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  if (ngx_http_corsd_client == NULL) {
    /* Not fatal: the worker serves, and cross-origin requests are denied. */
    ngx_log_error(NGX_LOG_ALERT, cycle->log, 0,
                  "corsd: cannot create the client (%s); cross-origin requests will be denied",
                  error);
    return NGX_OK;
  }
  /* A worker that holds nothing yet (no snapshot) waits a moment for the
   * live policies before it accepts connections, so that a reload or a new
   * worker denies nothing it should allow; connections wait in the listen
   * queue meanwhile. With a snapshot it decides from it at once; with corsd
   * refusing connections it goes on at once. */
  corsd_client_status status;
  corsd_client_get_status(ngx_http_corsd_client, &status);
  if (status.from_snapshot) return NGX_OK;
  /* Only while the first connection attempt is in flight: a refused or
   * failed attempt ends the wait at once. */
  for (int waited = 0; waited < NGX_HTTP_CORSD_START_WAIT_MS; waited += 20) {
    if (corsd_client_wait_synced(ngx_http_corsd_client, 20)) return NGX_OK;
    corsd_client_get_status(ngx_http_corsd_client, &status);
    if (status.watch_error[0] != '\0') break;
  }
  ngx_log_error(NGX_LOG_WARN, cycle->log, 0,
                "corsd: no policies at start from %V (%s); cross-origin requests are denied "
                "until they arrive",
                &mcf->admin_server,
                status.watch_error[0] != '\0' ? status.watch_error : "no answer yet");
  return NGX_OK;
}

static void ngx_http_corsd_exit_process(ngx_cycle_t *cycle) {
  if (!ngx_http_corsd_decision_ready) return; /* not a worker, or corsd unused */
  ngx_http_corsd_decision_ready = 0;
  corsd_decision_destroy(&ngx_http_corsd_decision);
  corsd_client_destroy(ngx_http_corsd_client);
  ngx_http_corsd_client = NULL;
}

/* ---- deciding ------------------------------------------------------------ */

static corsd_str ngx_http_corsd_str(ngx_str_t s) {
  corsd_str out = {(const char *)s.data, s.len};
  return out;
}

/* Without policies the module denies cross-origin requests; says why, at
 * most once a second per worker. */
static void ngx_http_corsd_log_fail_closed(ngx_http_request_t *r, const corsd_request *request) {
  static time_t last;
  static ngx_uint_t suppressed;
  if (ngx_time() == last) {
    suppressed++;
    return;
  }
  last = ngx_time();
  corsd_client_status status;
  corsd_client_get_status(ngx_http_corsd_client, &status);
  const char *why = ngx_http_corsd_client == NULL ? "the corsd client could not be created"
                    : status.connected ? "the watched policies do not cover this host or tenant"
                    : status.from_snapshot || status.ever_synced
                        ? "the policies held do not cover this host or tenant"
                        : "no policies yet: corsd unreachable since start and no snapshot";
  ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                "corsd: denying cross-origin request for host \"%*s\" tenant \"%*s\": %s%s%s "
                "(%ui more since the last line)",
                request->host.len, request->host.data, request->tenant.len, request->tenant.data,
                why, status.watch_error[0] ? "; watch: " : "", status.watch_error, suppressed);
  suppressed = 0;
}

/* Decides `r` and keeps the answer in its ctx (copied into its pool). */
static ngx_http_corsd_ctx_t *ngx_http_corsd_decide(ngx_http_request_t *r,
                                                   ngx_http_corsd_loc_conf_t *lc) {
  ngx_http_corsd_ctx_t *ctx = ngx_pcalloc(r->pool, sizeof(ngx_http_corsd_ctx_t));
  if (ctx == NULL) return NULL;

  corsd_request request;
  ngx_memzero(&request, sizeof(request));
  ngx_str_t tenant = ngx_null_string;
  if (lc->tenant != NULL && ngx_http_complex_value(r, lc->tenant, &tenant) != NGX_OK) return NULL;
  request.tenant = ngx_http_corsd_str(tenant);
  /* The Host as sent (a tenant may own "host:port"; corsd retries without
   * the port), else the host nginx derived. */
  request.host = ngx_http_corsd_str(r->headers_in.host != NULL ? r->headers_in.host->value
                                                                : r->headers_in.server);
  request.method = ngx_http_corsd_str(r->method_name);
  /* The path as sent, without the query (what auth_request passes too). */
  ngx_str_t path = r->unparsed_uri;
  u_char *query = ngx_strlchr(path.data, path.data + path.len, '?');
  if (query != NULL) path.len = query - path.data;
  request.path = ngx_http_corsd_str(path);

  /* Origin and the Access-Control-Request-* lines: a browser sends one
   * Origin and at most three of the others; more is not a browser, and the
   * extra lines are dropped (several Origins are joined below, which corsd
   * refuses as malformed). */
  corsd_header headers[8];
  size_t header_count = 0;
  ngx_str_t origin = ngx_null_string;
  ngx_uint_t origin_joined = 0;
  for (ngx_list_part_t *part = &r->headers_in.headers.part; part != NULL; part = part->next) {
    ngx_table_elt_t *h = part->elts;
    for (ngx_uint_t i = 0; i < part->nelts; i++) {
      if (h[i].key.len == 6 && ngx_strncasecmp(h[i].key.data, (u_char *)"origin", 6) == 0) {
        if (origin.data == NULL) {
          origin = h[i].value;
        } else if (!origin_joined) {
          /* Two are enough for corsd to refuse it as malformed; more are
           * skipped, so hostile repeats cost nothing. */
          origin_joined = 1;
          u_char *joined = ngx_pnalloc(r->pool, origin.len + 2 + h[i].value.len);
          if (joined == NULL) return NULL;
          u_char *p = ngx_cpymem(joined, origin.data, origin.len);
          p = ngx_cpymem(p, ", ", 2);
          p = ngx_cpymem(p, h[i].value.data, h[i].value.len);
          origin.data = joined;
          origin.len = p - joined;
        }
      } else if (h[i].key.len > 23 &&
                 ngx_strncasecmp(h[i].key.data, (u_char *)"access-control-request-", 23) == 0 &&
                 header_count < 8) {
        headers[header_count].name = ngx_http_corsd_str(h[i].key);
        headers[header_count].value = ngx_http_corsd_str(h[i].value);
        header_count++;
      }
    }
  }
  request.origin = ngx_http_corsd_str(origin);
  request.headers = headers;
  request.header_count = header_count;

  corsd_decision *decision = &ngx_http_corsd_decision;
  corsd_decide(ngx_http_corsd_client, &request, decision);
  ctx->verdict = decision->verdict;
  ctx->reason = decision->reason;
  ctx->source = decision->source;
  ngx_uint_t ok = 1;
  for (size_t i = 0; i < decision->header_count && ok; i++) {
    ngx_table_elt_t *h = &ctx->headers[ctx->header_count++];
    h->hash = 1;
    h->key.len = decision->headers[i].name.len;
    h->key.data = ngx_pnalloc(r->pool, h->key.len);
    h->value.len = decision->headers[i].value.len;
    h->value.data = ngx_pnalloc(r->pool, h->value.len + 1);
    if (h->key.data == NULL || h->value.data == NULL) {
      ok = 0;
      break;
    }
    ngx_memcpy(h->key.data, decision->headers[i].name.data, h->key.len);
    ngx_memcpy(h->value.data, decision->headers[i].value.data, h->value.len);
    h->value.data[h->value.len] = '\0';
  }
  const int respond_now = decision->respond_now;
  const int http_status = decision->http_status;
  corsd_decision_release(decision);
  if (!ok) return NULL;
  if (ctx->source == CORSD_SOURCE_FAIL_CLOSED && origin.len > 0) {
    ngx_http_corsd_log_fail_closed(r, &request);
  }
  ctx->respond_now = respond_now ? 1 : 0;
  ctx->http_status = http_status;
  ngx_http_set_ctx(r, ctx, ngx_http_corsd_module);
  return ctx;
}

/* Puts the decision's headers on the response: every Access-Control-*
 * header already there goes, and Vary lines are merged with corsd's. */
static ngx_uint_t ngx_http_corsd_is_vary(const ngx_str_t *name) {
  return name->len == 4 && ngx_strncasecmp(name->data, (u_char *)"vary", 4) == 0;
}

/* Merges `value` into the Vary line `vary` (in the request's pool). */
static ngx_int_t ngx_http_corsd_merge_vary(ngx_http_request_t *r, ngx_table_elt_t *vary,
                                           ngx_str_t value) {
  corsd_str existing = ngx_http_corsd_str(vary->value), added = ngx_http_corsd_str(value);
  size_t need = corsd_merge_vary(existing, added, NULL, 0);
  u_char *merged = ngx_pnalloc(r->pool, need);
  if (merged == NULL) return NGX_ERROR;
  corsd_merge_vary(existing, added, (char *)merged, need);
  vary->value.data = merged;
  vary->value.len = need;
  return NGX_OK;
}

static ngx_int_t ngx_http_corsd_apply(ngx_http_request_t *r, ngx_http_corsd_ctx_t *ctx) {
  ngx_table_elt_t *vary = NULL;
  for (ngx_list_part_t *part = &r->headers_out.headers.part; part != NULL; part = part->next) {
    ngx_table_elt_t *h = part->elts;
    for (ngx_uint_t i = 0; i < part->nelts; i++) {
      if (h[i].hash == 0) continue;
      if (corsd_is_cors_header(ngx_http_corsd_str(h[i].key))) {
        h[i].hash = 0;
      } else if (ngx_http_corsd_is_vary(&h[i].key)) {
        if (vary == NULL) {
          vary = &h[i];
          continue;
        }
        /* Fold later Vary lines into the first. */
        if (ngx_http_corsd_merge_vary(r, vary, h[i].value) != NGX_OK) return NGX_ERROR;
        h[i].hash = 0;
      }
    }
  }
  for (ngx_uint_t i = 0; i < ctx->header_count; i++) {
    ngx_table_elt_t *add = &ctx->headers[i];
    if (vary != NULL && ngx_http_corsd_is_vary(&add->key)) {
      if (ngx_http_corsd_merge_vary(r, vary, add->value) != NGX_OK) return NGX_ERROR;
      continue;
    }
    ngx_table_elt_t *h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) return NGX_ERROR;
    *h = *add;
    h->lowcase_key = NULL;
  }
  return NGX_OK;
}

/* Access phase: decides; a preflight is answered here and now. */
static ngx_int_t ngx_http_corsd_access_handler(ngx_http_request_t *r) {
  ngx_http_corsd_loc_conf_t *lc = ngx_http_get_module_loc_conf(r, ngx_http_corsd_module);
  if (!lc->enable || r != r->main) return NGX_DECLINED;
  ngx_http_corsd_ctx_t *ctx = ngx_http_get_module_ctx(r, ngx_http_corsd_module);
  if (ctx == NULL) ctx = ngx_http_corsd_decide(r, lc);
  if (ctx == NULL) return NGX_HTTP_INTERNAL_SERVER_ERROR;
  if (!ctx->respond_now) return NGX_DECLINED;
  ctx->responded = 1;

  /* The answer: corsd's status, its headers, no body; nothing after this
   * (no auth, no upstream). Finalized here, hence NGX_DONE. */
  ngx_int_t rc = ngx_http_discard_request_body(r);
  if (rc != NGX_OK) {
    ngx_http_finalize_request(r, rc);
    return NGX_DONE;
  }
  if (ngx_http_corsd_apply(r, ctx) != NGX_OK) {
    ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
    return NGX_DONE;
  }
  r->headers_out.status = ctx->http_status;
  r->headers_out.content_length_n = 0;
  r->header_only = 1;
  rc = ngx_http_send_header(r);
  ngx_http_finalize_request(r, rc);
  return NGX_DONE;
}

/* Header filter: corsd's headers on every other response of a location with
 * corsd on, deciding here when the access phase did not (a response nginx
 * made before it, or after an internal redirect cleared the ctx). */
static ngx_int_t ngx_http_corsd_header_filter(ngx_http_request_t *r) {
  ngx_http_corsd_loc_conf_t *lc = ngx_http_get_module_loc_conf(r, ngx_http_corsd_module);
  if (!lc->enable || r != r->main) return ngx_http_next_header_filter(r);
  ngx_http_corsd_ctx_t *ctx = ngx_http_get_module_ctx(r, ngx_http_corsd_module);
  if (ctx != NULL && ctx->responded) return ngx_http_next_header_filter(r);
  if (ctx == NULL) {
    /* Too late to answer a preflight here: only the headers are applied. */
    ctx = ngx_http_corsd_decide(r, lc);
    if (ctx == NULL) return NGX_ERROR;
  }
  if (ngx_http_corsd_apply(r, ctx) != NGX_OK) return NGX_ERROR;
  return ngx_http_next_header_filter(r);
}

static ngx_int_t ngx_http_corsd_init(ngx_conf_t *cf) {
  ngx_http_corsd_main_conf_t *mcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_corsd_module);
  if (mcf->used && mcf->admin_server.len == 0) {
    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "\"corsd on\" needs \"corsd_admin_server HOST:PORT\" (corsd's admin port, "
                       "where the policies are watched) in the http block");
    return NGX_ERROR;
  }
  ngx_http_core_main_conf_t *cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_core_module);
  ngx_http_handler_pt *h = ngx_array_push(&cmcf->phases[NGX_HTTP_ACCESS_PHASE].handlers);
  if (h == NULL) return NGX_ERROR;
  *h = ngx_http_corsd_access_handler;
  ngx_http_next_header_filter = ngx_http_top_header_filter;
  ngx_http_top_header_filter = ngx_http_corsd_header_filter;
  return NGX_OK;
}
