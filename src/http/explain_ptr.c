/* http/explain_ptr.c — for /dns/explain of a reverse name (in-addr.arpa, ip6.arpa): every record
 * the table holds for that address, whether it gives a PTR (served, and its source chosen by
 * DNS_PTR) and its rank, so the PTR answer can be traced to the records behind it. */
#include <stdlib.h>
#include <string.h>

#include "core/vec.h"
#include "http/internal.h"

struct ptr_rec {
    char *name, *source, *owner; /* one allocation, owned by name */
    uint32_t rank, ttl;
    bool has_ttl, gives, local;
    const char *state;
};

struct ptr_recs {
    struct ptr_rec *v;
    size_t n, cap;
    struct rec_addr addr;
    enum rec_ptr_mode mode;
    const char *local;
    bool oom;
};

static void collect(const struct rec_view *r, void *ctx)
{
    struct ptr_recs *l = ctx;
    if (l->oom || r->addr.type != l->addr.type ||
        memcmp(r->addr.bytes, l->addr.bytes, r->addr.type == REC_A ? 4 : 16) != 0)
        return;
    size_t nl = strlen(r->name) + 1, sl = strlen(r->source) + 1, ol = strlen(r->owner) + 1;
    char *block = malloc(nl + sl + ol);
    struct ptr_rec *e = block ? vec_push_zero(l) : NULL;
    if (!e) {
        free(block);
        l->oom = true;
        return;
    }
    memcpy(block, r->name, nl);
    memcpy(block + nl, r->source, sl);
    memcpy(block + nl + sl, r->owner, ol);
    e->name = block;
    e->source = block + nl;
    e->owner = block + nl + sl;
    e->rank = r->rank;
    e->ttl = r->ttl;
    e->has_ttl = r->has_ttl;
    e->gives = r->served && records_gives_ptr(l->mode, r->source, r->name);
    e->local = strcmp(r->owner, l->local) == 0;
    e->state = r->tombstone  ? "removed"
               : r->dormant  ? "dormant"
               : r->shadowed ? "shadowed"
                             : "served";
}

/* Records giving PTRs first, in answer order (rank, then name), then the others by name. */
static int rec_cmp(const void *pa, const void *pb)
{
    const struct ptr_rec *a = pa, *b = pb;
    if (a->gives != b->gives)
        return a->gives ? -1 : 1;
    if (a->gives && a->rank != b->rank)
        return a->rank < b->rank ? -1 : 1;
    int c = strcmp(a->name, b->name);
    if (!c)
        c = strcmp(a->owner, b->owner);
    return c ? c : strcmp(a->source, b->source);
}

json_t *http_explain_ptr_records(const struct http_api_config *c, const char *name)
{
    struct ptr_recs l = {.local = records_local_owner(c->records)};
    if (!records_parse_reverse_name(name, &l.addr))
        return NULL;
    l.mode = c->cfg->dns_ptr == CONFIG_PTR_ALL   ? REC_PTR_ALL
             : c->cfg->dns_ptr == CONFIG_PTR_OFF ? REC_PTR_OFF
                                                 : REC_PTR_HOSTS;
    records_foreach(c->records, false, collect, &l);
    json_t *list = l.oom ? NULL : json_array();
    if (list && l.n > 1)
        qsort(l.v, l.n, sizeof *l.v, rec_cmp);
    char addr[46];
    records_format_addr(&l.addr, addr);
    for (size_t i = 0; list && i < l.n; i++) {
        const struct ptr_rec *e = &l.v[i];
        json_t *o = json_object();
        json_object_set_new(o, "name", json_string(e->name));
        json_object_set_new(o, "address", json_string(addr));
        json_object_set_new(o, "state", json_string(e->state));
        json_object_set_new(o, "gives_ptr", json_boolean(e->gives));
        json_object_set_new(o, "rank", json_integer(e->rank));
        json_object_set_new(o, "ttl", json_integer(e->has_ttl ? e->ttl : c->cfg->dns_ttl));
        json_object_set_new(o, "source", json_string(e->source));
        json_object_set_new(o, "owner", json_string(e->owner));
        json_object_set_new(o, "owner_is_self", json_boolean(e->local));
        json_array_append_new(list, o);
    }
    for (size_t i = 0; i < l.n; i++)
        free(l.v[i].name);
    vec_free(&l);
    return list;
}
