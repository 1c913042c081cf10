/* simstore.c — the simulator's compact record table (see simstore.h). An owner's entries are a
 * sorted array ("content") interned in the world: every node holding the same entries of an owner
 * shares one copy. Changes copy, edit and re-intern. Strings are pooled once per world. */
#include "simstore.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PENDING_MAX 4096

struct sentry {
    const char *source, *name; /* pooled */
    struct rec_addr addr;
    uint64_t seq;
    bool tomb;
};

struct content {
    struct content *next; /* intern bucket chain */
    uint32_t refs;
    size_t owner;
    size_t n;
    struct sentry *e; /* sorted by name, source, address */
    uint64_t hash, served_hash;
    size_t served;
};

struct simworld {
    size_t max_owners;
    char **owner_names;
    /* string pool: open addressing */
    char **pool;
    size_t pool_n, pool_cap;
    /* intern table */
    struct content **buckets;
    size_t nbuckets, ncontents, nentries;
};

struct sowner {
    struct content *c; /* NULL: no entries */
    bool has_state, alive;
    uint64_t epoch, seq, contig;
    uint64_t *pending;
    size_t npending, cappending;
};

struct simstore {
    struct simworld *w;
    size_t self;
    struct sowner *o;            /* by owner index */
    struct content *local_draft; /* batch of local changes not interned yet */
    bool in_batch;
};

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        abort();
    return p;
}

static uint64_t mix(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}

static uint64_t str_hash(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++)
        h = (h ^ (uint8_t)*s) * 1099511628211ULL;
    return h;
}

/* ---- world ---- */

static const char *pool_get(struct simworld *w, const char *s)
{
    if (w->pool_n * 2 >= w->pool_cap) {
        size_t cap = w->pool_cap ? w->pool_cap * 2 : 4096;
        char **np = calloc(cap, sizeof *np);
        if (!np)
            abort();
        for (size_t i = 0; i < w->pool_cap; i++) {
            if (!w->pool[i])
                continue;
            size_t j = str_hash(w->pool[i]) & (cap - 1);
            while (np[j])
                j = (j + 1) & (cap - 1);
            np[j] = w->pool[i];
        }
        free(w->pool);
        w->pool = np;
        w->pool_cap = cap;
    }
    size_t j = str_hash(s) & (w->pool_cap - 1);
    while (w->pool[j]) {
        if (strcmp(w->pool[j], s) == 0)
            return w->pool[j];
        j = (j + 1) & (w->pool_cap - 1);
    }
    size_t len = strlen(s) + 1;
    w->pool[j] = xmalloc(len);
    memcpy(w->pool[j], s, len);
    w->pool_n++;
    return w->pool[j];
}

struct simworld *simworld_new(size_t max_owners)
{
    struct simworld *w = calloc(1, sizeof *w);
    if (!w)
        abort();
    w->max_owners = max_owners;
    w->owner_names = xmalloc(max_owners * sizeof *w->owner_names);
    for (size_t i = 0; i < max_owners; i++) {
        char name[32];
        snprintf(name, sizeof name, "node-%zu", i);
        w->owner_names[i] = (char *)pool_get(w, name);
    }
    w->nbuckets = 1u << 16;
    w->buckets = calloc(w->nbuckets, sizeof *w->buckets);
    if (!w->buckets)
        abort();
    return w;
}

void simworld_free(struct simworld *w)
{
    if (!w)
        return;
    for (size_t i = 0; i < w->nbuckets; i++) {
        for (struct content *c = w->buckets[i], *nx; c; c = nx) {
            nx = c->next;
            free(c->e);
            free(c);
        }
    }
    for (size_t i = 0; i < w->pool_cap; i++)
        free(w->pool[i]);
    free(w->pool);
    free(w->buckets);
    free(w->owner_names);
    free(w);
}

size_t simworld_contents(const struct simworld *w, size_t *entries)
{
    if (entries)
        *entries = w->nentries;
    return w->ncontents;
}

static long owner_index(const struct simworld *w, const char *name)
{
    if (!name || strncmp(name, "node-", 5) != 0)
        return -1;
    char *end;
    unsigned long i = strtoul(name + 5, &end, 10);
    if (*end || i >= w->max_owners)
        return -1;
    return (long)i;
}

/* ---- contents ---- */

static int entry_cmp(const struct sentry *a, const char *name, const char *source,
                     const struct rec_addr *addr)
{
    int c = a->name == name ? 0 : strcmp(a->name, name);
    if (c)
        return c;
    c = a->source == source ? 0 : strcmp(a->source, source);
    if (c)
        return c;
    if (a->addr.type != addr->type)
        return a->addr.type < addr->type ? -1 : 1;
    return memcmp(a->addr.bytes, addr->bytes, sizeof addr->bytes);
}

static int sentry_qcmp(const void *x, const void *y)
{
    const struct sentry *b = y;
    return entry_cmp(x, b->name, b->source, &b->addr);
}

static struct sentry *find(struct sentry *e, size_t n, const char *name, const char *source,
                           const struct rec_addr *addr, size_t *at)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = entry_cmp(&e[mid], name, source, addr);
        if (c == 0) {
            *at = mid;
            return &e[mid];
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *at = lo;
    return NULL;
}

/* A private, editable copy (refs 0, not interned). */
static struct content *draft_of(const struct content *c, size_t owner, size_t extra)
{
    struct content *d = calloc(1, sizeof *d);
    if (!d)
        abort();
    d->owner = owner;
    d->n = c ? c->n : 0;
    d->e = xmalloc((d->n + extra) * sizeof *d->e);
    if (d->n)
        memcpy(d->e, c->e, d->n * sizeof *d->e);
    return d;
}

static void finish_hashes(struct content *c)
{
    uint64_t h = mix(c->owner + 1), sh = 0;
    size_t served = 0;
    for (size_t i = 0; i < c->n; i++) {
        const struct sentry *e = &c->e[i];
        uint64_t ah = 0;
        memcpy(&ah, e->addr.bytes, 8);
        uint64_t eh = mix((uintptr_t)e->name ^ mix((uintptr_t)e->source) ^ mix(ah ^ e->addr.type) ^
                          mix(e->addr.bytes[15] | (uint64_t)e->addr.bytes[12] << 8));
        h = mix(h ^ eh ^ mix(e->seq * 2 + e->tomb));
        if (!e->tomb) {
            sh += eh;
            served++;
        }
    }
    c->hash = h;
    c->served_hash = sh;
    c->served = served;
}

static bool same_entries(const struct content *a, const struct content *b)
{
    if (a->owner != b->owner || a->n != b->n)
        return false;
    for (size_t i = 0; i < a->n; i++) {
        const struct sentry *x = &a->e[i], *y = &b->e[i];
        if (x->name != y->name || x->source != y->source || x->seq != y->seq ||
            x->tomb != y->tomb || x->addr.type != y->addr.type ||
            memcmp(x->addr.bytes, y->addr.bytes, sizeof x->addr.bytes) != 0)
            return false;
    }
    return true;
}

/* Interns a draft: returns the shared content holding the same entries (the draft is freed),
 * with one more reference; NULL for no entries. */
static struct content *intern(struct simworld *w, struct content *d)
{
    if (d->n == 0) {
        free(d->e);
        free(d);
        return NULL;
    }
    finish_hashes(d);
    size_t b = d->hash & (w->nbuckets - 1);
    for (struct content *c = w->buckets[b]; c; c = c->next) {
        if (c->hash == d->hash && same_entries(c, d)) {
            c->refs++;
            free(d->e);
            free(d);
            return c;
        }
    }
    d->e = realloc(d->e, d->n * sizeof *d->e);
    d->refs = 1;
    d->next = w->buckets[b];
    w->buckets[b] = d;
    w->ncontents++;
    w->nentries += d->n;
    return d;
}

static void release(struct simworld *w, struct content *c)
{
    if (!c || --c->refs > 0)
        return;
    size_t b = c->hash & (w->nbuckets - 1);
    for (struct content **pp = &w->buckets[b]; *pp; pp = &(*pp)->next) {
        if (*pp == c) {
            *pp = c->next;
            break;
        }
    }
    w->ncontents--;
    w->nentries -= c->n;
    free(c->e);
    free(c);
}

static void replace(struct simstore *s, size_t k, struct content *draft)
{
    struct content *old = s->o[k].c;
    s->o[k].c = intern(s->w, draft);
    release(s->w, old);
}

/* ---- seqs (as the real table: contiguous mark plus pending seqs past a gap) ---- */

static void reset_seq(struct sowner *o, uint64_t epoch, uint64_t seq)
{
    o->epoch = epoch;
    o->seq = o->contig = seq;
    o->npending = 0;
}

static void settle(struct sowner *o)
{
    size_t i = 0;
    while (i < o->npending && o->pending[i] <= o->contig + 1) {
        if (o->pending[i] == o->contig + 1)
            o->contig++;
        i++;
    }
    if (i) {
        memmove(o->pending, o->pending + i, (o->npending - i) * sizeof *o->pending);
        o->npending -= i;
    }
}

static bool seq_seen(const struct sowner *o, uint64_t seq)
{
    if (seq <= o->contig)
        return true;
    for (size_t i = 0; i < o->npending; i++)
        if (o->pending[i] == seq)
            return true;
    return false;
}

static bool note_seq(struct sowner *o, uint64_t seq)
{
    if (seq > o->seq)
        o->seq = seq;
    if (seq == o->contig + 1) {
        o->contig++;
        settle(o);
        return false;
    }
    if (o->npending == o->cappending && o->cappending < PENDING_MAX) {
        o->cappending = o->cappending ? o->cappending * 2 : 16;
        o->pending = realloc(o->pending, o->cappending * sizeof *o->pending);
        if (!o->pending)
            abort();
    }
    if (o->npending < o->cappending) {
        size_t i = o->npending;
        while (i > 0 && o->pending[i - 1] > seq) {
            o->pending[i] = o->pending[i - 1];
            i--;
        }
        o->pending[i] = seq;
        o->npending++;
    }
    return true;
}

/* ---- store operations ---- */

static bool op_owner_version(void *ctx, const char *owner, struct rec_version *out)
{
    struct simstore *s = ctx;
    long k = owner_index(s->w, owner);
    if (k < 0 || !s->o[k].has_state)
        return false;
    if (out)
        *out = (struct rec_version){s->o[k].epoch,
                                    (size_t)k == s->self ? s->o[k].seq : s->o[k].contig};
    return true;
}

static bool op_export_owner(void *ctx, const char *owner, struct rec_version *ver_out,
                            void (*cb)(const struct rec_view *v, void *cbctx), void *cbctx)
{
    struct simstore *s = ctx;
    if (!op_owner_version(ctx, owner, ver_out))
        return false;
    long k = owner_index(s->w, owner);
    const struct content *c = s->o[k].c;
    for (size_t i = 0; c && cb && i < c->n; i++) {
        const struct sentry *e = &c->e[i];
        struct rec_view v = {.owner = s->w->owner_names[k],
                             .source = e->source,
                             .name = e->name,
                             .addr = e->addr,
                             .seq = e->seq,
                             .tombstone = e->tomb,
                             .served = !e->tomb && s->o[k].alive};
        cb(&v, cbctx);
    }
    return true;
}

static void op_foreach_owner(void *ctx, void (*cb)(const char *owner, void *cbctx), void *cbctx)
{
    struct simstore *s = ctx;
    for (size_t k = 0; k < s->w->max_owners; k++)
        if (s->o[k].has_state)
            cb(s->w->owner_names[k], cbctx);
}

static size_t op_apply_deltas(void *ctx, const struct rec_delta *d, size_t n,
                              enum rec_apply *results)
{
    struct simstore *s = ctx;
    size_t applied = 0;
    long cur = -1;
    struct content *draft = NULL;
    for (size_t i = 0; i < n; i++) {
        enum rec_apply res = REC_REJECTED;
        long k = owner_index(s->w, d[i].owner);
        if (k < 0 || (size_t)k == s->self || d[i].ver.seq == 0) {
            if (results)
                results[i] = res;
            continue;
        }
        if (k != cur) {
            if (draft)
                replace(s, (size_t)cur, draft);
            draft = draft_of(s->o[k].c, (size_t)k, n);
            cur = k;
        }
        struct sowner *o = &s->o[k];
        if (o->has_state && d[i].ver.epoch < o->epoch) {
            res = REC_STALE;
        } else {
            if (!o->has_state || d[i].ver.epoch > o->epoch) {
                draft->n = 0; /* a restarted owner: its new epoch supersedes everything */
                reset_seq(o, d[i].ver.epoch, 0);
                o->has_state = true;
            }
            if (seq_seen(o, d[i].ver.seq)) {
                res = REC_STALE;
            } else {
                bool gap = note_seq(o, d[i].ver.seq);
                const char *src = pool_get(s->w, d[i].source);
                const char *name = pool_get(s->w, d[i].name);
                size_t at;
                struct sentry *e = find(draft->e, draft->n, name, src, &d[i].addr, &at);
                bool tomb = d[i].op == REC_OP_DEL;
                if (e && e->seq >= d[i].ver.seq) {
                    res = REC_STALE;
                } else {
                    if (!e) {
                        memmove(&draft->e[at + 1], &draft->e[at],
                                (draft->n - at) * sizeof *draft->e);
                        draft->e[at] = (struct sentry){src, name, d[i].addr, d[i].ver.seq, tomb};
                        draft->n++;
                    } else {
                        e->tomb = tomb;
                        e->seq = d[i].ver.seq;
                    }
                    res = gap ? REC_GAP : REC_APPLIED;
                    applied++;
                }
            }
        }
        if (results)
            results[i] = res;
    }
    if (draft)
        replace(s, (size_t)cur, draft);
    return applied;
}

static int op_merge_owner(void *ctx, const char *owner, struct rec_version ver,
                          const struct rec_view *entries, size_t n)
{
    struct simstore *s = ctx;
    long k = owner_index(s->w, owner);
    if (k < 0 || (size_t)k == s->self)
        return -1;
    struct sowner *o = &s->o[k];
    if (o->has_state && ver.epoch < o->epoch)
        return -1;
    int changes = 0;
    uint64_t known = o->contig;
    struct content *draft;
    if (!o->has_state || ver.epoch > o->epoch) {
        changes = o->c ? (int)o->c->served : 0;
        draft = draft_of(NULL, (size_t)k, n);
        reset_seq(o, ver.epoch, ver.seq);
        o->has_state = true;
        known = 0;
    } else {
        draft = draft_of(o->c, (size_t)k, n);
    }
    size_t base = draft->n;
    bool *mark = calloc(base ? base : 1, sizeof *mark);
    if (!mark)
        abort();
    for (size_t i = 0; i < n; i++) {
        const struct rec_view *v = &entries[i];
        if (!v->source || !v->name || v->seq == 0)
            continue;
        const char *src = pool_get(s->w, v->source);
        const char *name = pool_get(s->w, v->name);
        size_t at;
        struct sentry *e = find(draft->e, base, name, src, &v->addr, &at);
        if (!e && v->seq <= known)
            continue;
        if (!e) {
            draft->e[draft->n++] = (struct sentry){src, name, v->addr, v->seq, v->tombstone};
            if (!v->tombstone)
                changes++;
        } else {
            if (v->seq > e->seq) {
                if (e->tomb != v->tombstone)
                    changes++;
                e->tomb = v->tombstone;
                e->seq = v->seq;
            }
            mark[at] = true;
        }
        if (v->seq > o->seq)
            o->seq = v->seq;
    }
    /* what we hold that the owner no longer has */
    size_t w = 0;
    for (size_t i = 0; i < draft->n; i++) {
        if (i < base && !mark[i] && draft->e[i].seq <= ver.seq) {
            if (!draft->e[i].tomb)
                changes++;
            continue;
        }
        draft->e[w++] = draft->e[i];
    }
    draft->n = w;
    free(mark);
    qsort(draft->e, draft->n, sizeof *draft->e, sentry_qcmp);
    if (ver.seq > o->contig)
        o->contig = ver.seq;
    if (ver.seq > o->seq)
        o->seq = ver.seq;
    settle(o);
    replace(s, (size_t)k, draft);
    return o->alive ? changes : 0;
}

static void op_set_owner_alive(void *ctx, const char *owner, bool alive)
{
    struct simstore *s = ctx;
    long k = owner_index(s->w, owner);
    if (k >= 0 && (size_t)k != s->self)
        s->o[k].alive = alive;
}

static void op_drop_owner(void *ctx, const char *owner)
{
    struct simstore *s = ctx;
    long k = owner_index(s->w, owner);
    if (k < 0 || (size_t)k == s->self)
        return;
    struct sowner *o = &s->o[k];
    release(s->w, o->c);
    free(o->pending);
    memset(o, 0, sizeof *o);
    o->alive = true;
}

static size_t op_gc_tombstones(void *ctx, const char *owner, uint64_t upto)
{
    struct simstore *s = ctx;
    long k = owner_index(s->w, owner);
    if (k < 0 || !s->o[k].c)
        return 0;
    struct sowner *o = &s->o[k];
    if ((size_t)k != s->self && upto > o->contig)
        upto = o->contig;
    size_t gone = 0;
    for (size_t i = 0; i < o->c->n; i++)
        gone += o->c->e[i].tomb && o->c->e[i].seq <= upto;
    if (!gone)
        return 0;
    struct content *d = draft_of(o->c, (size_t)k, 0);
    size_t w = 0;
    for (size_t i = 0; i < d->n; i++)
        if (!(d->e[i].tomb && d->e[i].seq <= upto))
            d->e[w++] = d->e[i];
    d->n = w;
    replace(s, (size_t)k, d);
    return gone;
}

struct repl_store simstore_ops(struct simstore *s)
{
    return (struct repl_store){.ctx = s,
                               .owner_version = op_owner_version,
                               .export_owner = op_export_owner,
                               .foreach_owner = op_foreach_owner,
                               .apply_deltas = op_apply_deltas,
                               .merge_owner = op_merge_owner,
                               .set_owner_alive = op_set_owner_alive,
                               .drop_owner = op_drop_owner,
                               .gc_tombstones = op_gc_tombstones};
}

/* ---- nodes ---- */

struct simstore *simstore_new(struct simworld *w, size_t self, uint64_t epoch)
{
    struct simstore *s = calloc(1, sizeof *s);
    if (!s)
        abort();
    s->w = w;
    s->self = self;
    s->o = calloc(w->max_owners, sizeof *s->o);
    if (!s->o)
        abort();
    for (size_t k = 0; k < w->max_owners; k++)
        s->o[k].alive = true;
    s->o[self].has_state = true;
    s->o[self].epoch = epoch;
    return s;
}

void simstore_free(struct simstore *s)
{
    if (!s)
        return;
    if (s->local_draft) {
        free(s->local_draft->e);
        free(s->local_draft);
    }
    for (size_t k = 0; k < s->w->max_owners; k++) {
        release(s->w, s->o[k].c);
        free(s->o[k].pending);
    }
    free(s->o);
    free(s);
}

void simstore_local_begin(struct simstore *s)
{
    if (!s->in_batch) {
        s->in_batch = true;
        s->local_draft = draft_of(s->o[s->self].c, s->self, 0);
    }
}

void simstore_local_end(struct simstore *s)
{
    if (s->in_batch) {
        s->in_batch = false;
        replace(s, s->self, s->local_draft);
        s->local_draft = NULL;
    }
}

bool simstore_local_set(struct simstore *s, const char *name, const struct rec_addr *a, bool add,
                        struct rec_delta *d)
{
    bool batch = s->in_batch;
    if (!batch)
        simstore_local_begin(s);
    struct content *dr = s->local_draft;
    const char *src = pool_get(s->w, "sim:records");
    const char *nm = pool_get(s->w, name);
    size_t at;
    struct sentry *e = find(dr->e, dr->n, nm, src, a, &at);
    bool changed = false;
    struct sowner *o = &s->o[s->self];
    if (add && (!e || e->tomb)) {
        if (!e) {
            dr->e = realloc(dr->e, (dr->n + 1) * sizeof *dr->e);
            if (!dr->e)
                abort();
            memmove(&dr->e[at + 1], &dr->e[at], (dr->n - at) * sizeof *dr->e);
            dr->n++;
            e = &dr->e[at];
            *e = (struct sentry){src, nm, *a, 0, false};
        }
        e->tomb = false;
        e->seq = ++o->seq;
        changed = true;
    } else if (!add && e && !e->tomb) {
        e->tomb = true;
        e->seq = ++o->seq;
        changed = true;
    }
    if (changed && d) {
        memset(d, 0, sizeof *d);
        snprintf(d->owner, sizeof d->owner, "%s", s->w->owner_names[s->self]);
        d->ver = (struct rec_version){o->epoch, o->seq};
        d->op = add ? REC_OP_ADD : REC_OP_DEL;
        snprintf(d->source, sizeof d->source, "%s", src);
        snprintf(d->name, sizeof d->name, "%s", nm);
        d->addr = *a;
    }
    if (!batch)
        simstore_local_end(s);
    return changed;
}

bool simstore_serves_like(const struct simstore *s, const struct simstore *os, size_t k)
{
    const struct sowner *o = &s->o[k], *own = &os->o[k];
    const struct content *a = o->c, *b = own->c;
    if (!b || b->served == 0)
        return !a || a->served == 0 || !o->alive;
    if (!o->alive || !o->has_state || !a)
        return false;
    return a == b || (a->served == b->served && a->served_hash == b->served_hash);
}

size_t simstore_served(const struct simstore *s, size_t k)
{
    const struct sowner *o = &s->o[k];
    return o->alive && o->c ? o->c->served : 0;
}

void simstore_describe(const struct simstore *s, size_t k, char *buf, size_t len)
{
    const struct sowner *o = &s->o[k];
    snprintf(buf, len, "state=%d alive=%d epoch=%llu seq=%llu contig=%llu entries=%zu served=%zu",
             o->has_state, o->alive, (unsigned long long)o->epoch, (unsigned long long)o->seq,
             (unsigned long long)o->contig, o->c ? o->c->n : 0, o->c ? o->c->served : 0);
}
