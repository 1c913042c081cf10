/* http/internal.h — pieces of the HTTP module shared by its files: the routing table, the view of
 * the node gathered for one request (plain copies, so the renderers are pure functions that unit
 * tests can feed), and the renderers for JSON, Prometheus text and the embedded page. */
#ifndef JOYRIDE_HTTP_INTERNAL_H
#define JOYRIDE_HTTP_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "http/api.h"

/* ---- routing ---- */

enum http_route {
    ROUTE_PAGE,
    ROUTE_HEALTH,
    ROUTE_STATUS,
    ROUTE_RECORDS,
    ROUTE_CLUSTER,
    ROUTE_SYNC,
    ROUTE_METRICS,
    ROUTE_NOT_FOUND,
    ROUTE_BAD_METHOD,
};

/* Maps method + path to a route; for ROUTE_BAD_METHOD, *allow is the Allow header value. */
enum http_route http_route_find(const char *method, const char *path, const char **allow);

/* The endpoints, for the page and for tests: path, methods, description. */
struct http_endpoint {
    const char *path;
    const char *methods; /* Allow header value */
    const char *description;
    enum http_route route;
};
extern const struct http_endpoint http_endpoints[];
extern const size_t http_n_endpoints;

/* ---- the view of the node for one request ---- */

/* Source kinds counted in /status and /metrics: the prefix of the source tag. */
enum http_source_kind { KIND_HOSTS, KIND_DOCKER, KIND_OTHER, KIND_COUNT };
extern const char *const http_source_kind_names[KIND_COUNT];
enum http_source_kind http_source_kind(const char *source);

struct http_record {
    char *name, *source, *owner;
    struct rec_addr addr;
};

struct http_view {
    double now;    /* unix seconds */
    double uptime; /* seconds */
    struct dns_stats dns;
    struct dns_forward_stats fwd; /* fwd.enabled false: forwarding off */
    struct hosts_status hosts;
    struct docker_status docker;
    struct records_stats rec;
    size_t by_kind[KIND_COUNT]; /* served records by source kind */
    size_t remote;              /* served records owned by other nodes */
    size_t by_type[2];          /* served A, AAAA */
    struct {
        struct http_record *v;
        size_t n, cap;
    } records; /* served records (only when asked), sorted by name then address; a vec.h vector */
    uint16_t dns_port;
    bool dns_running;
    bool hosts_enabled;
    bool docker_enabled;
    bool sync_running;
    bool records_failed; /* out of memory while copying records: answer 500 */
};

/* Fills v from the live modules; with_records also copies the served records. */
void http_view_gather(const struct http_api_config *c, bool with_records, struct http_view *v);
void http_view_free(struct http_view *v);

/* ---- renderers (pure) ---- */

/* "2026-11-25T18:10:50.123Z" into buf (32 bytes). */
const char *http_iso8601(double unix_seconds, char buf[32]);

json_t *http_health_json(const struct config *cfg, const struct http_view *v);
json_t *http_status_json(const struct config *cfg, const struct http_view *v);
json_t *http_records_json(const struct config *cfg, const struct http_view *v);
json_t *http_error_json(const char *status, const char *message);

/* Prometheus text exposition (version 0.0.4). extra (may be NULL) is appended as is.
 * Returns a malloc'd string. */
char *http_metrics_text(const struct config *cfg, const struct http_view *v, const char *extra);

/* The status page, embedded at build time from status.html (see meson.build). */
extern const unsigned char http_status_page[];
extern const size_t http_status_page_len;

#endif
