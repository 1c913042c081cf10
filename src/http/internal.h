/* http/internal.h — pieces of the HTTP module shared by its files: the routing table, the view of
 * the node gathered for one request (plain copies, so the renderers are pure functions that unit
 * tests can feed), and the renderers for JSON, Prometheus text and the embedded page. */
#ifndef JOYRIDE_HTTP_INTERNAL_H
#define JOYRIDE_HTTP_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "core/buf.h"
#include "http/api.h"
#include "sources/api_records.h"

/* ---- routing ---- */

enum http_route {
    ROUTE_PAGE,
    ROUTE_HEALTH,
    ROUTE_STATUS,
    ROUTE_RECORDS, /* GET, HEAD; POST adds an API record */
    ROUTE_RECORD,  /* DELETE /dns/records/{hostname} */
    ROUTE_EXPLAIN,
    ROUTE_CLUSTER,
    ROUTE_SYNC,
    ROUTE_METRICS,
    ROUTE_NOT_FOUND,
    ROUTE_BAD_METHOD,
};

/* Maps method + path to a route; for ROUTE_BAD_METHOD, *allow is the Allow header value. */
enum http_route http_route_find(const char *method, const char *path, const char **allow);

/* DELETE /dns/records/{hostname}: the hostname is the path after this prefix. */
#define HTTP_RECORD_PREFIX "/dns/records/"

/* The endpoints, for the page and for tests: path, methods, description. */
struct http_endpoint {
    const char *path;
    const char *methods; /* Allow header value */
    const char *description;
    enum http_route route;
};
extern const struct http_endpoint http_endpoints[];
extern const size_t http_n_endpoints;

/* ---- query parameters (query.c) ---- */

#define HTTP_ARGS_MAX 16

/* The query string of one request, as libmicrohttpd decoded it (pointers into its memory). */
struct http_args {
    struct {
        const char *key, *value; /* value NULL for a bare "?key" */
    } v[HTTP_ARGS_MAX];
    size_t n;
    bool overflow; /* more than HTTP_ARGS_MAX */
};

/* GET /dns/records: ?limit=N&offset=N&name=PATTERN. With no parameter, every record. */
struct http_records_query {
    bool has_limit;
    size_t limit, offset;
    bool has_name;
    bool glob;                   /* name holds '*' or '?' */
    char name[REC_NAME_MAX + 1]; /* lowercase; exact (normalized) or a glob */
};
#define HTTP_RECORDS_LIMIT_MAX 100000

/* GET /dns/explain: ?name=NAME&type=TYPE (type defaults to A). */
struct http_explain_query {
    char name[REC_NAME_MAX + 1]; /* normalized */
    uint16_t qtype;
    char type[16]; /* as shown: "A", "AAAA", "TYPE99" */
};

/* Each returns false with a one-line reason in err (for a 400) when a parameter is unknown,
 * repeated or malformed. */
bool http_records_query_parse(const struct http_args *a, struct http_records_query *q, char *err,
                              size_t errlen);
bool http_explain_query_parse(const struct http_args *a, struct http_explain_query *q, char *err,
                              size_t errlen);
/* DELETE /dns/records/{hostname}: ?ip_address=ADDR (optional). */
bool http_delete_query_parse(const struct http_args *a, bool *has_addr, struct rec_addr *addr,
                             char *err, size_t errlen);
/* Whether a record name passes the filter (always with no name). */
bool http_records_match(const struct http_records_query *q, const char *name);
/* "A", "AAAA", ... for a query type, "TYPE<n>" for the others; buf holds 16 bytes. */
const char *http_type_name(uint16_t qtype, char buf[16]);

/* ---- the view of the node for one request ---- */

/* Source kinds counted in /status and /metrics: the prefix of the source tag. */
enum http_source_kind { KIND_HOSTS, KIND_DOCKER, KIND_API, KIND_NS, KIND_OTHER, KIND_COUNT };
extern const char *const http_source_kind_names[KIND_COUNT];
enum http_source_kind http_source_kind(const char *source);

struct http_record {
    char *name, *source, *owner; /* gathered: one allocation, owned by name */
    struct rec_addr addr;
    bool has_ttl; /* the record's own TTL; otherwise DNS_TTL */
    uint32_t ttl;
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
    } records; /* served records (only when asked), sorted by name then address; a vec.h vector;
                * for a page (limit given), only the first offset + limit of them */
    size_t matched; /* served records that pass the filter (the listing's total) */
    uint16_t dns_port;
    bool dns_running;
    bool hosts_enabled;
    bool docker_enabled;
    bool sync_running;
    bool records_failed; /* out of memory while copying records: answer 500 */
};

/* Fills v from the live modules; with records (not NULL) it also copies the served records that
 * pass that filter. */
void http_view_gather(const struct http_api_config *c, const struct http_records_query *records,
                      struct http_view *v);
void http_view_free(struct http_view *v);

/* ---- renderers (pure) ---- */

/* "2026-11-25T18:10:50.123Z" into buf (32 bytes). */
const char *http_iso8601(double unix_seconds, char buf[32]);

json_t *http_health_json(const struct config *cfg, const struct http_view *v);
json_t *http_status_json(const struct config *cfg, const struct http_view *v);
/* A json_dump_callback writer appending to a struct buf. */
int http_json_to_buf(const char *data, size_t size, void *b);
/* One record of /dns/records. */
json_t *http_record_json(const struct config *cfg, const struct http_record *r);
/* The /dns/records document: the totals and the page [q->offset, q->offset + q->limit) of
 * v->records (already filtered), written record by record into out (compact JSON and a newline)
 * so a large table never exists twice as a JSON tree. False when memory runs out. */
bool http_records_render(const struct config *cfg, const struct http_view *v,
                         const struct http_records_query *q, struct buf *out);
json_t *http_error_json(const char *status, const char *message);

/* Prometheus text exposition (version 0.0.4). extra (may be NULL) is appended as is.
 * Returns a malloc'd string. */
char *http_metrics_text(const struct config *cfg, const struct http_view *v, const char *extra);

/* GET /dns/explain: every record of the name with its state, the answer the DNS server gives
 * (through dns_server_probe) and the rule that decided it. NULL with *status set on failure
 * (503 when the DNS server is not running, 500 out of memory). */
json_t *http_explain_json(const struct http_api_config *c, const struct http_explain_query *q,
                          unsigned *status);
/* For a reverse name (explain_ptr.c): every record of its address, those giving PTRs first in
 * answer order, as a JSON array; NULL when name is no reverse name (or out of memory). */
json_t *http_explain_ptr_records(const struct http_api_config *c, const char *name);

/* ---- writes: POST /dns/records, DELETE /dns/records/{hostname} (write.c) ---- */

#define HTTP_BODY_MAX 65536u /* a larger request body is refused with 413 */

/* Whether a write may go ahead, judged on its headers alone (before any body is read): 0 when
 * authorization (the Authorization header's value, NULL when absent) is "Bearer <token>"; 403
 * when no token is configured (writes are off); 401 otherwise. The token is compared in constant
 * time (SHA-256 of both, then CRYPTO_memcmp). *message says why, for the error document. */
unsigned http_write_auth(const char *token, const char *authorization, const char **message);

/* Parses a POST /dns/records body ({"hostname": NAME, "ip_address": ADDR, "ttl": SECONDS}, ttl
 * optional). False with the offending field in *field ("body" for the document itself) and a
 * one-line reason in err. */
bool http_record_body_parse(const char *body, size_t len, struct api_record *out,
                            const char **field, char *err, size_t errlen);

/* The answers to the writes: a document (a new reference) and its status in *status. */
json_t *http_record_add(const struct http_api_config *c, const char *body, size_t len,
                        unsigned *status);
json_t *http_record_delete(const struct http_api_config *c, const char *name,
                           const struct http_args *args, unsigned *status);
/* An error document naming the request field at fault: {"status":"error","message":..,"field":..}.
 */
json_t *http_field_error_json(const char *field, const char *message);

/* The status page, embedded at build time from status.html (see meson.build). */
extern const unsigned char http_status_page[];
extern const size_t http_status_page_len;

#endif
