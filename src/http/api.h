/* http/api.h — the HTTP API, the Prometheus metrics and the status page (libmicrohttpd on its own
 * threads). Request threads never touch another module's internals: they call the thread-safe
 * getters (dns_server_get_stats, hosts_source_get_status, docker_source_get_status,
 * records_foreach/records_get_stats), the cluster hooks and the API records store (POST and
 * DELETE on /dns/records, with cfg->api_token as their bearer token). */
#ifndef JOYRIDE_HTTP_API_H
#define JOYRIDE_HTTP_API_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "config/config.h"
#include "dns/server.h"
#include "records/records.h"
#include "sources/api_records.h"
#include "sources/docker.h"
#include "sources/hosts.h"

/* What the cluster layer plugs in. Every hook is called from HTTP threads and must be
 * thread-safe. With no hooks (NULL), GET /dns/cluster and POST /dns/sync answer 503
 * {"status":"disabled",...} and /status shows dns_sync_cluster.running = false. */
struct http_cluster_hooks {
    void *ctx;
    bool (*running)(void *ctx);
    /* The "cluster" object of GET /dns/cluster (a new reference), or NULL on failure (500). */
    json_t *(*cluster_json)(void *ctx);
    /* Starts an immediate sync: 0 when one starts, > 0 when the request was coalesced into one
     * already queued or just started, -errno on failure. */
    int (*sync_now)(void *ctx);
    /* Extra Prometheus lines (complete "# HELP"/"# TYPE"/sample lines) appended to /metrics;
     * returns a malloc'd string or NULL. */
    char *(*metrics)(void *ctx);
};

struct http_api_config {
    const struct config *cfg; /* bind address and port, service info, shown settings */
    uint64_t started_ms;      /* loop_now_ms() at process start, for uptime */
    struct records *records;
    struct dns_server *dns;                   /* NULL: dns_server.running = false */
    struct hosts_source *hosts;               /* NULL: hosts monitor disabled */
    struct docker_source *docker;             /* NULL: docker monitor not running */
    const struct http_cluster_hooks *cluster; /* NULL: cluster not running */
    struct api_store *api_records;            /* records added over the API; NULL: POST and
                                                 DELETE on /dns/records answer 503 */
    uint16_t port_override;                   /* tests: used instead of cfg->http_port when
                                                 bind_any_port is set (0 = kernel's choice) */
    bool bind_any_port;
};

struct http_api;

/* Binds cfg->http_bind_address:cfg->http_port and starts serving. On failure returns NULL with
 * a one-line reason in err ("HTTP port 5000 on 0.0.0.0 is already in use") and errno set. */
struct http_api *http_api_start(const struct http_api_config *c, char *err, size_t errlen);
/* The port actually bound. */
uint16_t http_api_port(const struct http_api *a);
/* Closes the listener and every connection and joins the threads. NULL-safe. */
void http_api_stop(struct http_api *a);

#endif
