/* http/view.c — gathers what one request shows, through the other modules' thread-safe getters
 * only: DNS counters, hosts and Docker monitor status, record table stats and served records. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "http/internal.h"
#include "core/loop.h"
#include "core/vec.h"

#define BOUNDED_MAX 20000 /* offset + limit up to which a page is selected with a heap */

const char *const http_source_kind_names[KIND_COUNT] = {"hosts", "docker", "api", "ns", "other"};

enum http_source_kind http_source_kind(const char *source)
{
    if (strncmp(source, "hosts:", 6) == 0)
        return KIND_HOSTS;
    if (strncmp(source, "docker:", 7) == 0)
        return KIND_DOCKER;
    if (strcmp(source, "api") == 0)
        return KIND_API;
    if (strcmp(source, "ns") == 0)
        return KIND_NS; /* a node's own NS names (DNS_DOMAINS) */
    return KIND_OTHER;
}

struct gather_ctx {
    struct http_view *v;
    const char *local;
    const struct http_records_query *copy; /* NULL: count only */
    size_t keep;                           /* with a page: only the first keep records */
    bool bounded;
    bool failed;
};

static int addr_cmp(const struct rec_addr *a, const struct rec_addr *b)
{
    if (a->type != b->type)
        return a->type < b->type ? -1 : 1;
    return memcmp(a->bytes, b->bytes, a->type == REC_A ? 4 : 16);
}

/* The listing's order: name, address, owner, source (unique per entry). */
static int key_cmp(const char *an, const struct rec_addr *aa, const char *ao, const char *as,
                   const struct http_record *b)
{
    int c = strcmp(an, b->name);
    if (c == 0)
        c = addr_cmp(aa, &b->addr);
    if (c == 0)
        c = strcmp(ao, b->owner);
    return c ? c : strcmp(as, b->source);
}

static int record_cmp(const void *pa, const void *pb)
{
    const struct http_record *a = pa;
    return key_cmp(a->name, &a->addr, a->owner, a->source, pb);
}

/* A copy of r into out: one allocation holds the three strings, owned by name. */
static bool copy_record(const struct rec_view *r, struct http_record *out)
{
    size_t nl = strlen(r->name) + 1, sl = strlen(r->source) + 1, ol = strlen(r->owner) + 1;
    char *block = malloc(nl + sl + ol);
    if (!block)
        return false;
    memcpy(block, r->name, nl);
    memcpy(block + nl, r->source, sl);
    memcpy(block + nl + sl, r->owner, ol);
    out->name = block;
    out->source = block + nl;
    out->owner = block + nl + sl;
    out->addr = r->addr;
    out->has_ttl = r->has_ttl;
    out->ttl = r->ttl;
    return true;
}

/* records.v[0..n) as a max-heap by record_cmp: the last of the first `keep` on top. */
static void sift_down(struct http_record *h, size_t n, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < n && record_cmp(&h[l], &h[m]) > 0)
            m = l;
        if (r < n && record_cmp(&h[r], &h[m]) > 0)
            m = r;
        if (m == i)
            return;
        struct http_record t = h[i];
        h[i] = h[m];
        h[m] = t;
        i = m;
    }
}

static void sift_up(struct http_record *h, size_t i)
{
    while (i > 0 && record_cmp(&h[(i - 1) / 2], &h[i]) < 0) {
        struct http_record t = h[i];
        h[i] = h[(i - 1) / 2];
        h[(i - 1) / 2] = t;
        i = (i - 1) / 2;
    }
}

/* A page that starts near the top needs only the first offset + limit records in order: they
 * are selected with a bounded heap, so a large table is neither copied nor sorted whole. */
static void keep_bounded(struct gather_ctx *g, const struct rec_view *r)
{
    struct http_view *v = g->v;
    if (g->keep == 0)
        return;
    if (v->records.n < g->keep) {
        if (!vec_reserve(&v->records, v->records.n + 1) ||
            !copy_record(r, &v->records.v[v->records.n])) {
            g->failed = true;
            return;
        }
        sift_up(v->records.v, v->records.n++);
        return;
    }
    struct http_record *top = &v->records.v[0];
    if (key_cmp(r->name, &r->addr, r->owner, r->source, top) >= 0)
        return; /* after every record kept */
    struct http_record repl;
    if (!copy_record(r, &repl)) {
        g->failed = true;
        return;
    }
    free(top->name);
    *top = repl;
    sift_down(v->records.v, v->records.n, 0);
}

static void gather_record(const struct rec_view *r, void *vctx)
{
    struct gather_ctx *g = vctx;
    struct http_view *v = g->v;
    v->by_kind[http_source_kind(r->source)]++;
    v->by_type[r->addr.type == REC_AAAA ? 1 : 0]++;
    if (g->local && strcmp(r->owner, g->local) != 0)
        v->remote++;
    if (!g->copy || g->failed || !http_records_match(g->copy, r->name))
        return;
    v->matched++;
    if (g->bounded) {
        keep_bounded(g, r);
        return;
    }
    if (!vec_reserve(&v->records, v->records.n + 1) ||
        !copy_record(r, &v->records.v[v->records.n])) {
        g->failed = true;
        return;
    }
    v->records.n++;
}

void http_view_gather(const struct http_api_config *c, const struct http_records_query *records,
                      struct http_view *v)
{
    memset(v, 0, sizeof *v);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    v->now = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
    v->uptime = (double)(loop_now_ms() - c->started_ms) / 1000.0;

    v->dns_running = c->dns != NULL;
    v->dns_port = c->cfg->dns_port;
    if (c->dns) {
        dns_server_get_stats(c->dns, &v->dns);
        dns_server_get_forward_stats(c->dns, &v->fwd);
        v->dns_port = dns_server_port(c->dns);
    }
    v->hosts_enabled = c->hosts != NULL;
    if (c->hosts)
        hosts_source_get_status(c->hosts, &v->hosts);
    v->docker_enabled = c->docker != NULL;
    if (c->docker)
        docker_source_get_status(c->docker, &v->docker);
    v->sync_running = c->cluster && c->cluster->running && c->cluster->running(c->cluster->ctx);

    if (c->records) {
        records_get_stats(c->records, &v->rec);
        struct gather_ctx g = {.v = v, .local = records_local_owner(c->records), .copy = records};
        /* a heap pays off while the page ends well inside the table */
        if (records && records->has_limit && records->offset + records->limit <= BOUNDED_MAX) {
            g.bounded = true;
            g.keep = records->offset + records->limit;
        }
        records_foreach(c->records, true, gather_record, &g);
        v->records_failed = g.failed;
        if (v->records.n > 1)
            qsort(v->records.v, v->records.n, sizeof *v->records.v, record_cmp);
    }
}

void http_view_free(struct http_view *v)
{
    for (size_t i = 0; i < v->records.n; i++)
        free(v->records.v[i].name); /* holds source and owner too */
    vec_free(&v->records);
}
