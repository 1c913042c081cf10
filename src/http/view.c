/* http/view.c — gathers what one request shows, through the other modules' thread-safe getters
 * only: DNS counters, hosts and Docker monitor status, record table stats and served records. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "http/internal.h"
#include "core/loop.h"
#include "core/vec.h"

const char *const http_source_kind_names[KIND_COUNT] = {"hosts", "docker", "other"};

enum http_source_kind http_source_kind(const char *source)
{
    if (strncmp(source, "hosts:", 6) == 0)
        return KIND_HOSTS;
    if (strncmp(source, "docker:", 7) == 0)
        return KIND_DOCKER;
    return KIND_OTHER;
}

struct gather_ctx {
    struct http_view *v;
    const char *local;
    bool copy;
    bool failed;
};

static void gather_record(const struct rec_view *r, void *vctx)
{
    struct gather_ctx *g = vctx;
    struct http_view *v = g->v;
    v->by_kind[http_source_kind(r->source)]++;
    v->by_type[r->addr.type == REC_AAAA ? 1 : 0]++;
    if (g->local && strcmp(r->owner, g->local) != 0)
        v->remote++;
    if (!g->copy || g->failed)
        return;
    if (!vec_reserve(&v->records, v->records.n + 1)) {
        g->failed = true;
        return;
    }
    struct http_record *out = &v->records.v[v->records.n];
    out->name = strdup(r->name);
    out->source = strdup(r->source);
    out->owner = strdup(r->owner);
    out->addr = r->addr;
    if (!out->name || !out->source || !out->owner) {
        free(out->name);
        free(out->source);
        free(out->owner);
        g->failed = true;
        return;
    }
    v->records.n++;
}

static int addr_cmp(const struct rec_addr *a, const struct rec_addr *b)
{
    if (a->type != b->type)
        return a->type < b->type ? -1 : 1;
    return memcmp(a->bytes, b->bytes, a->type == REC_A ? 4 : 16);
}

static int record_cmp(const void *pa, const void *pb)
{
    const struct http_record *a = pa, *b = pb;
    int c = strcmp(a->name, b->name);
    if (c == 0)
        c = addr_cmp(&a->addr, &b->addr);
    if (c == 0)
        c = strcmp(a->owner, b->owner);
    if (c == 0)
        c = strcmp(a->source, b->source);
    return c;
}

void http_view_gather(const struct http_api_config *c, bool with_records, struct http_view *v)
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
        struct gather_ctx g = {
            .v = v, .local = records_local_owner(c->records), .copy = with_records};
        records_foreach(c->records, true, gather_record, &g);
        v->records_failed = g.failed;
        if (v->records.n > 1)
            qsort(v->records.v, v->records.n, sizeof *v->records.v, record_cmp);
    }
}

void http_view_free(struct http_view *v)
{
    for (size_t i = 0; i < v->records.n; i++) {
        free(v->records.v[i].name);
        free(v->records.v[i].source);
        free(v->records.v[i].owner);
    }
    vec_free(&v->records);
}
