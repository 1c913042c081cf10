/* http/api.c — the libmicrohttpd daemon: binds the listener itself (so "port in use" is reported
 * precisely), dispatches each request to its route and queues the JSON, text or page response. */
#include "http/api.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <microhttpd.h>

#include "http/guard.h"
#include "http/internal.h"
#include "core/buf.h"
#include "core/log.h"

#define HTTP_THREADS 2
#define HTTP_CONNECTION_LIMIT 256
#define HTTP_PER_IP_LIMIT 32 /* so one client address leaves room for the others */
#define HTTP_IDLE_TIMEOUT_S 15
#define HTTP_HEADER_TIMEOUT_MS 5000 /* a request's headers must arrive whole within this */

struct http_api {
    struct http_api_config c;
    struct MHD_Daemon *daemon;
    struct http_guard *guard;
    uint16_t port;
};

static const char CT_JSON[] = "application/json; charset=utf-8";
static const char CT_TEXT[] = "text/plain; version=0.0.4; charset=utf-8";
static const char CT_HTML[] = "text/html; charset=utf-8";

/* ---- responses ---- */

static enum MHD_Result send_buffer(struct MHD_Connection *conn, unsigned status, const char *type,
                                   char *body, size_t len, enum MHD_ResponseMemoryMode mode,
                                   const char *allow)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(len, body, mode);
    if (!r) {
        if (mode == MHD_RESPMEM_MUST_FREE)
            free(body);
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    if (allow)
        MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow);
    enum MHD_Result ret = MHD_queue_response(conn, status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result send_text(struct MHD_Connection *conn, unsigned status, const char *type,
                                 char *text, const char *allow)
{
    return send_buffer(conn, status, type, text, strlen(text), MHD_RESPMEM_MUST_FREE, allow);
}

/* doc (consumed) as compact JSON and a newline. */
static enum MHD_Result send_json(struct MHD_Connection *conn, unsigned status, json_t *doc,
                                 const char *allow)
{
    struct buf b = {0};
    if (doc && json_dump_callback(doc, http_json_to_buf, &b, JSON_COMPACT) == 0)
        buf_putc(&b, '\n');
    else
        b.oom = true;
    json_decref(doc);
    size_t n = b.len;
    char *s = buf_take(&b);
    if (!s) {
        static char oom[] = "{\"status\":\"error\",\"message\":\"out of memory\"}\n";
        return send_buffer(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, CT_JSON, oom, sizeof oom - 1,
                           MHD_RESPMEM_PERSISTENT, NULL);
    }
    return send_buffer(conn, status, CT_JSON, s, n, MHD_RESPMEM_MUST_FREE, allow);
}

static enum MHD_Result send_error(struct MHD_Connection *conn, unsigned status, const char *state,
                                  const char *message, const char *allow)
{
    return send_json(conn, status, http_error_json(state, message), allow);
}

/* ---- routes ---- */

static enum MHD_Result cluster_disabled(struct MHD_Connection *conn)
{
    return send_error(conn, MHD_HTTP_SERVICE_UNAVAILABLE, "disabled",
                      "DNS synchronization is not enabled", NULL);
}

static enum MHD_Result route_cluster(struct http_api *a, struct MHD_Connection *conn)
{
    const struct http_cluster_hooks *h = a->c.cluster;
    if (!h || !h->cluster_json)
        return cluster_disabled(conn);
    json_t *cluster = h->cluster_json(h->ctx);
    if (!cluster)
        return send_error(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "error",
                          "cluster status unavailable", NULL);
    json_t *o = json_object();
    json_object_set_new(o, "status", json_string("success"));
    json_object_set_new(o, "cluster", cluster);
    return send_json(conn, MHD_HTTP_OK, o, NULL);
}

static enum MHD_Result route_sync(struct http_api *a, struct MHD_Connection *conn)
{
    const struct http_cluster_hooks *h = a->c.cluster;
    if (!h || !h->sync_now)
        return cluster_disabled(conn);
    int rc = h->sync_now(h->ctx);
    if (rc != 0)
        return send_error(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "error", strerror(-rc), NULL);
    return send_error(conn, MHD_HTTP_OK, "success", "DNS synchronization initiated", NULL);
}

static enum MHD_Result route_metrics(struct http_api *a, struct MHD_Connection *conn)
{
    struct http_view v;
    http_view_gather(&a->c, NULL, &v);
    const struct http_cluster_hooks *h = a->c.cluster;
    char *extra = h && h->metrics ? h->metrics(h->ctx) : NULL;
    char *text = http_metrics_text(a->c.cfg, &v, extra);
    free(extra);
    http_view_free(&v);
    if (!text)
        return send_error(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "error", "out of memory", NULL);
    return send_text(conn, MHD_HTTP_OK, CT_TEXT, text, NULL);
}

static enum MHD_Result collect_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                                   const char *value)
{
    struct http_args *args = cls;
    (void)kind;
    if (args->n == HTTP_ARGS_MAX) {
        args->overflow = true;
        return MHD_NO;
    }
    args->v[args->n].key = key;
    args->v[args->n].value = value;
    args->n++;
    return MHD_YES;
}

static void get_args(struct MHD_Connection *conn, struct http_args *args)
{
    memset(args, 0, sizeof *args);
    MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, collect_arg, args);
}

static enum MHD_Result route_records(struct http_api *a, struct MHD_Connection *conn)
{
    struct http_args args;
    struct http_records_query q;
    char err[256];
    get_args(conn, &args);
    if (!http_records_query_parse(&args, &q, err, sizeof err))
        return send_error(conn, MHD_HTTP_BAD_REQUEST, "error", err, NULL);
    struct http_view v;
    http_view_gather(&a->c, &q, &v);
    struct buf b = {0};
    bool ok = !v.records_failed && http_records_render(a->c.cfg, &v, &q, &b);
    http_view_free(&v);
    size_t n = b.len;
    char *s = ok ? buf_take(&b) : NULL;
    buf_free(&b);
    if (!s)
        return send_error(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "error", "out of memory", NULL);
    return send_buffer(conn, MHD_HTTP_OK, CT_JSON, s, n, MHD_RESPMEM_MUST_FREE, NULL);
}

static enum MHD_Result route_explain(struct http_api *a, struct MHD_Connection *conn)
{
    struct http_args args;
    struct http_explain_query q;
    char err[256];
    get_args(conn, &args);
    if (!http_explain_query_parse(&args, &q, err, sizeof err))
        return send_error(conn, MHD_HTTP_BAD_REQUEST, "error", err, NULL);
    unsigned status;
    json_t *doc = http_explain_json(&a->c, &q, &status);
    if (!doc)
        return send_error(conn, status, "error",
                          status == MHD_HTTP_SERVICE_UNAVAILABLE ? "the DNS server is not running"
                                                                 : "out of memory",
                          NULL);
    return send_json(conn, MHD_HTTP_OK, doc, NULL);
}

static enum MHD_Result dispatch(struct http_api *a, struct MHD_Connection *conn, const char *method,
                                const char *url)
{
    const char *allow = NULL;
    struct http_view v;
    json_t *doc;
    switch (http_route_find(method, url, &allow)) {
    case ROUTE_PAGE:
        return send_buffer(conn, MHD_HTTP_OK, CT_HTML, (char *)http_status_page,
                           http_status_page_len, MHD_RESPMEM_PERSISTENT, NULL);
    case ROUTE_HEALTH:
    case ROUTE_STATUS:
        http_view_gather(&a->c, NULL, &v);
        doc = strcmp(url, "/health") == 0 ? http_health_json(a->c.cfg, &v)
                                          : http_status_json(a->c.cfg, &v);
        http_view_free(&v);
        return send_json(conn, MHD_HTTP_OK, doc, NULL);
    case ROUTE_RECORDS:
        return route_records(a, conn);
    case ROUTE_EXPLAIN:
        return route_explain(a, conn);
    case ROUTE_CLUSTER:
        return route_cluster(a, conn);
    case ROUTE_SYNC:
        return route_sync(a, conn);
    case ROUTE_METRICS:
        return route_metrics(a, conn);
    case ROUTE_BAD_METHOD: {
        char msg[128];
        snprintf(msg, sizeof msg, "method %.16s not allowed; allowed: %s", method, allow);
        return send_error(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "error", msg, allow);
    }
    case ROUTE_NOT_FOUND:
        break;
    }
    return send_error(conn, MHD_HTTP_NOT_FOUND, "error", "not found", NULL);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **req_cls)
{
    static int started;
    (void)version;
    (void)upload_data;
    if (*req_cls == NULL) {
        /* first call: headers only; the answer comes once any request body is consumed */
        *req_cls = &started;
        http_guard_headers_done(conn);
        return MHD_YES;
    }
    if (*upload_data_size) {
        *upload_data_size = 0; /* no route takes a body: discard it */
        return MHD_YES;
    }
    log_debug("http", "%s %s", method, url);
    return dispatch(cls, conn, method, url);
}

/* libmicrohttpd's messages (a client that aborted, the connection limit reached) come in floods
 * under attack: a few lines a minute, the rest counted. */
static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    static struct log_limit limit = LOG_LIMIT_INIT(5, 60000);
    (void)cls;
    char line[512];
    vsnprintf(line, sizeof line, fmt, ap);
    size_t n = strlen(line);
    while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
        line[--n] = '\0';
    log_limited(&limit, LOG_WARNING, "http", "%s", line);
}

/* ---- listener ---- */

static int open_listener(const char *addr, uint16_t port, uint16_t *bound, int *family, char *err,
                         size_t errlen)
{
    struct sockaddr_storage ss = {0};
    socklen_t sl;
    struct sockaddr_in *in4 = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
    if (inet_pton(AF_INET, addr, &in4->sin_addr) == 1) {
        in4->sin_family = AF_INET;
        in4->sin_port = htons(port);
        sl = sizeof *in4;
    } else if (inet_pton(AF_INET6, addr, &in6->sin6_addr) == 1) {
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons(port);
        sl = sizeof *in6;
    } else {
        snprintf(err, errlen, "HTTP bind address %s is not an IP address", addr);
        errno = EINVAL;
        return -1;
    }
    *family = ss.ss_family;
    int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        snprintf(err, errlen, "HTTP socket: %s", strerror(errno));
        return -1;
    }
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, (struct sockaddr *)&ss, sl) != 0 || listen(fd, 128) != 0) {
        int e = errno;
        if (e == EADDRINUSE)
            snprintf(err, errlen, "HTTP port %u on %s is already in use", port, addr);
        else if (e == EACCES)
            snprintf(err, errlen, "HTTP port %u on %s: permission denied", port, addr);
        else if (e == EADDRNOTAVAIL)
            snprintf(err, errlen, "HTTP bind address %s is not an address of this host", addr);
        else
            snprintf(err, errlen, "HTTP port %u on %s: %s", port, addr, strerror(e));
        close(fd);
        errno = e;
        return -1;
    }
    sl = sizeof ss;
    getsockname(fd, (struct sockaddr *)&ss, &sl);
    *bound = ntohs(ss.ss_family == AF_INET ? in4->sin_port : in6->sin6_port);
    return fd;
}

struct http_api *http_api_start(const struct http_api_config *c, char *err, size_t errlen)
{
    struct http_api *a = calloc(1, sizeof *a);
    if (!a) {
        snprintf(err, errlen, "HTTP: out of memory");
        errno = ENOMEM;
        return NULL;
    }
    a->c = *c;
    uint16_t port = c->bind_any_port ? c->port_override : c->cfg->http_port;
    int family;
    int fd = open_listener(c->cfg->http_bind_address, port, &a->port, &family, err, errlen);
    if (fd < 0) {
        int e = errno;
        free(a);
        errno = e;
        return NULL;
    }
    a->guard = http_guard_start(HTTP_HEADER_TIMEOUT_MS);
    if (!a->guard) {
        close(fd);
        free(a);
        snprintf(err, errlen, "HTTP: cannot start the connection guard");
        errno = EAGAIN;
        return NULL;
    }
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO | MHD_USE_ERROR_LOG;
    if (family == AF_INET6)
        flags |= MHD_USE_IPv6;
    a->daemon = MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, a, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
        MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_THREAD_POOL_SIZE, (unsigned)HTTP_THREADS,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)HTTP_CONNECTION_LIMIT,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)HTTP_PER_IP_LIMIT,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)HTTP_IDLE_TIMEOUT_S, MHD_OPTION_NOTIFY_CONNECTION,
        http_guard_on_connection, a->guard, MHD_OPTION_NOTIFY_COMPLETED, http_guard_on_completed,
        a->guard, MHD_OPTION_END);
    if (!a->daemon) {
        http_guard_stop(a->guard);
        close(fd);
        free(a);
        snprintf(err, errlen, "HTTP server on %s:%u could not start", c->cfg->http_bind_address,
                 port);
        errno = EIO;
        return NULL;
    }
    return a;
}

uint16_t http_api_port(const struct http_api *a)
{
    return a->port;
}

void http_api_stop(struct http_api *a)
{
    if (!a)
        return;
    MHD_stop_daemon(a->daemon); /* closes the listener and every connection, joins threads */
    http_guard_stop(a->guard);
    free(a);
}
