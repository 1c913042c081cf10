/* records/byname.c — the record table's index by name: one node per name that some entry has and
 * per ancestor of one, with the entries of that name (every owner), whether the last publication
 * served addresses for it, and how many names below it it served (so it exists as an empty
 * non-terminal). Parents are found by looking up the name one label up. Writers mark the names
 * they change; the publication refreshes only those (shadowing, served set, ancestors' counts). */
#include <stdlib.h>
#include <string.h>

#include "core/vec.h"
#include "records/internal.h"
#include "records/records.h"
#include "records/snapshot.h"

static uint32_t name_hash(const char *s, size_t n)
{
    return (uint32_t)rt_fnv(0xcbf29ce484222325ull, s, n);
}

static struct rname *find(const struct rt_index *x, const char *s, size_t n, uint32_t h)
{
    if (!x->nb)
        return NULL;
    for (struct rname *nm = x->b[h & (x->nb - 1)]; nm; nm = nm->hnext)
        if (strncmp(nm->name, s, n) == 0 && nm->name[n] == '\0')
            return nm;
    return NULL;
}

static bool grow(struct rt_index *x)
{
    size_t nb = x->nb ? x->nb * 2 : 64;
    struct rname **b = calloc(nb, sizeof(struct rname *));
    if (!b)
        return false;
    for (size_t i = 0; i < x->nb; i++) {
        for (struct rname *nm = x->b[i], *nx; nm; nm = nx) {
            nx = nm->hnext;
            uint32_t h = name_hash(nm->name, strlen(nm->name));
            nm->hnext = b[h & (nb - 1)];
            b[h & (nb - 1)] = nm;
        }
    }
    free(x->b);
    x->b = b;
    x->nb = nb;
    return true;
}

/* Finds or adds s[0..n) and, when added, its ancestors. */
static struct rname *get(struct records *t, const char *s, size_t n)
{
    struct rt_index *x = &t->idx;
    uint32_t h = name_hash(s, n);
    struct rname *nm = find(x, s, n, h);
    if (nm)
        return nm;
    if (x->n >= 2 * x->nb && !grow(x)) /* chains of two on average at most */
        return NULL;
    struct rname *parent = NULL;
    const char *dot = memchr(s, '.', n);
    if (dot && !(parent = get(t, dot + 1, n - (size_t)(dot + 1 - s))))
        return NULL;
    nm = calloc(1, sizeof *nm + n + 1);
    if (!nm) {
        if (parent)
            rt_name_release(t, parent);
        return NULL;
    }
    memcpy(nm->name, s, n);
    if (parent)
        parent->nchild++;
    nm->hnext = x->b[h & (x->nb - 1)];
    x->b[h & (x->nb - 1)] = nm;
    x->n++;
    return nm;
}

struct rname *rt_name_get(struct records *t, const char *name)
{
    return get(t, name, strlen(name));
}

struct rname *rt_name_parent(struct records *t, const struct rname *nm)
{
    const char *dot = strchr(nm->name, '.');
    if (!dot)
        return NULL;
    size_t n = strlen(dot + 1);
    return find(&t->idx, dot + 1, n, name_hash(dot + 1, n));
}

struct rname *rt_name_find(struct records *t, const char *name)
{
    size_t n = strlen(name);
    return find(&t->idx, name, n, name_hash(name, n));
}

void rt_name_touch(struct records *t, struct rname *nm)
{
    struct rt_index *x = &t->idx;
    if (nm->changed)
        return;
    if (!vec_grow(x->ch, x->capch, x->nch + 1)) { // NOLINT(bugprone-sizeof-expression): pointers
        x->lost = true;
        return;
    }
    x->ch[x->nch++] = nm;
    nm->changed = true;
}

/* Whether e gives a PTR under the policy when served: then it is listed at its reverse name. */
static bool gives_ptr(const struct records *t, const struct entry *e)
{
    return records_gives_ptr(t->policy.ptr, e->source, e->nm->name);
}

static void ptr_link(struct records *t, struct entry *e)
{
    char rev[REC_REVERSE_MAX + 1];
    records_reverse_name(&e->addr, rev);
    struct rname *rv = rt_name_get(t, rev);
    if (!rv) {
        t->ov.no_ptr_delta = true;
        return;
    }
    e->rv = rv;
    e->anext = rv->pentries;
    rv->pentries = e;
    rt_name_touch(t, rv);
}

static void ptr_unlink(struct records *t, struct entry *e)
{
    struct rname *rv = e->rv;
    struct entry **pp = &rv->pentries;
    while (*pp != e)
        pp = &(*pp)->anext;
    *pp = e->anext;
    e->rv = NULL;
    e->anext = NULL;
    rt_name_touch(t, rv); /* released by the publication that refreshes it */
}

void rt_name_relink_ptr(struct records *t)
{
    t->ov.no_ptr_delta = false;
    for (struct owner *o = t->owners; o; o = o->next) {
        for (struct entry *e = o->head; e; e = e->onext) {
            bool want = gives_ptr(t, e);
            if (want && !e->rv)
                ptr_link(t, e);
            else if (!want && e->rv)
                ptr_unlink(t, e);
        }
    }
}

void rt_name_link(struct records *t, struct entry *e)
{
    struct rname *nm = e->nm;
    e->nnext = nm->entries;
    nm->entries = e;
    rt_name_touch(t, nm);
    if (gives_ptr(t, e))
        ptr_link(t, e);
}

void rt_name_unlink(struct records *t, struct entry *e)
{
    if (e->rv)
        ptr_unlink(t, e);
    struct rname *nm = e->nm;
    struct entry **pp = &nm->entries;
    while (*pp != e)
        pp = &(*pp)->nnext;
    *pp = e->nnext;
    rt_name_touch(t, nm);
}

/* Frees nm (and then its parent, and so on) when nothing needs it any more: no entries, no
 * children, not waiting for a publication, not in the published delta, served by nobody. */
void rt_name_release(struct records *t, struct rname *nm)
{
    while (nm && !nm->entries && !nm->pentries && !nm->nchild && !nm->changed && !nm->dstamp &&
           !nm->served && !nm->pserved) {
        struct rt_index *x = &t->idx;
        struct rname *parent = rt_name_parent(t, nm);
        uint32_t h = name_hash(nm->name, strlen(nm->name));
        for (struct rname **pp = &x->b[h & (x->nb - 1)]; *pp; pp = &(*pp)->hnext) {
            if (*pp == nm) {
                *pp = nm->hnext;
                break;
            }
        }
        x->n--;
        if (parent)
            parent->nchild--;
        free(nm);
        nm = parent;
    }
}

static bool is_hosts_source(const char *s)
{
    return strncmp(s, "hosts:", 6) == 0;
}

static int addr_cmp(const void *x, const void *y)
{
    const struct rec_addr *a = x, *b = y;
    if (a->type != b->type)
        return a->type < b->type ? -1 : 1;
    return memcmp(a->bytes, b->bytes, a->type == REC_A ? 4 : 16);
}

/* Recomputes nm after a change (once per publication): which of its entries are shadowed (a name
 * of this node's hosts files shadows every remote owner's entries of that name), its distinct
 * served addresses, and its ancestors' counts of served names below them. *changed tells whether
 * its addresses or their TTLs differ from what the published snapshot answers, or (a reverse name)
 * it had or has PTRs. Its records' reverse names are marked for refreshing after it. False on
 * allocation failure (nothing changed then). */
bool rt_name_refresh(struct records *t, struct rname *nm, bool *changed)
{
    struct rt_overlay *ov = &t->ov;
    bool hosts = false;
    size_t n = 0;
    for (struct entry *e = nm->entries; e; e = e->nnext) {
        hosts |= e->own->local && !e->tomb && is_hosts_source(e->source);
        n++;
    }
    if (n > ov->capscratch) {
        size_t cap = ov->capscratch ? ov->capscratch : 16;
        while (cap < n)
            cap *= 2;
        struct rec_addr *s = realloc(ov->scratch, cap * sizeof *s);
        if (!s)
            return false;
        ov->scratch = s;
        ov->capscratch = cap;
    }
    size_t k = 0;
    uint32_t ttl_a = UINT32_MAX, ttl_aaaa = UINT32_MAX;
    for (struct entry *e = nm->entries; e; e = e->nnext) {
        e->shadowed = !e->own->local && hosts;
        if (!rt_entry_served(e))
            continue;
        struct snap_pair p = rt_pair_of(t, e);
        ov->scratch[k++] = e->addr;
        uint32_t *ttl = e->addr.type == REC_A ? &ttl_a : &ttl_aaaa;
        if (p.ttl < *ttl)
            *ttl = p.ttl;
    }
    /* Its records' PTRs may change with it: their reverse names are refreshed after it. */
    for (struct entry *e = nm->entries; e; e = e->nnext)
        if (e->rv)
            rt_name_touch(t, e->rv);
    bool pserved = false;
    for (const struct entry *e = nm->pentries; e && !pserved; e = e->anext)
        pserved = rt_entry_served(e);
    if (ov->no_ptr_delta)
        ov->need_full = true;
    if (k > 1)
        qsort(ov->scratch, k, sizeof *ov->scratch, addr_cmp);
    /* As the snapshot answers: each distinct address once, at most UINT16_MAX per type. */
    size_t count = 0, na = 0, naaaa = 0;
    for (size_t i = 0; i < k; i++) {
        const struct rec_addr *a = &ov->scratch[i];
        if (i > 0 && addr_cmp(&ov->scratch[i - 1], a) == 0)
            continue;
        size_t *c = a->type == REC_A ? &na : &naaaa;
        if (*c == UINT16_MAX)
            continue;
        (*c)++;
        ov->scratch[count++] = *a;
    }
    /* What readers see of it now: the published snapshot holds the last publication's state. */
    uint8_t w[REC_WIRE_MAX];
    size_t wl = records_name_to_wire(nm->name, w);
    const struct rec_rrset *rr = t->snap ? records_lookup(t->snap, w, wl) : NULL;
    size_t old = rr ? (size_t)rr->n_a + rr->n_aaaa : 0;
    bool same = old == count && (!rr || rr->n_a == na) && (!na || rr->ttl_a == ttl_a) &&
                (!naaaa || rr->ttl_aaaa == ttl_aaaa);
    for (size_t i = 0; same && i < na; i++)
        same = memcmp(rr->a[i], ov->scratch[i].bytes, 4) == 0;
    for (size_t i = 0; same && i < naaaa; i++)
        same = memcmp(rr->aaaa[i], ov->scratch[na + i].bytes, 16) == 0;
    bool served = count > 0;
    /* A reverse name with PTRs is in the delta whenever refreshed (its list is not compared). */
    *changed = served != nm->served || !same || pserved || nm->pserved;
    bool was = nm->served || nm->pserved, is = served || pserved;
    if (was != is)
        for (struct rname *p = rt_name_parent(t, nm); p; p = rt_name_parent(t, p))
            is ? p->ndesc++ : p->ndesc--;
    ov->count = ov->count - old + count;
    nm->served = served;
    nm->pserved = pserved;
    return true;
}

void rt_name_free_all(struct records *t)
{
    struct rt_index *x = &t->idx;
    for (size_t i = 0; i < x->nb; i++) {
        for (struct rname *nm = x->b[i], *nx; nm; nm = nx) {
            nx = nm->hnext;
            free(nm);
        }
    }
    free(x->b);
    x->b = NULL;
    x->nb = x->n = 0;
    free(x->ch);
    x->ch = NULL;
    x->nch = x->capch = 0;
}
