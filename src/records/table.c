/* records/table.c — the record table's data: entries keyed by (owner, source, name, address),
 * found through the index by name (source strings interned), owners with their (epoch,
 * seq) versions and contiguous-seq tracking, tombstones, the table's lifecycle, this node's sources
 * (records_set_source) and the listings. Remote owners' deltas and states are merged in remote.c;
 * the reader snapshot is published by publish.c. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/vec.h"
#include "records/internal.h"
#include "records/records.h"
#include "records/snapshot.h"

/* ---- hashing ---- */

uint64_t rt_fnv(uint64_t h, const void *p, size_t n)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 0x100000001b3ull;
    return h;
}

static size_t addr_len(const struct rec_addr *a)
{
    return a->type == REC_A ? 4 : 16;
}

static bool addr_eq(const struct rec_addr *a, const struct rec_addr *b)
{
    return a->type == b->type && memcmp(a->bytes, b->bytes, addr_len(a)) == 0;
}

/* ---- interned source strings: many entries share one ---- */

struct rsrc {
    struct rsrc *next;
    uint32_t hash, refs;
    char name[];
};

static const char *source_get(struct records *t, const char *source)
{
    size_t n = strlen(source);
    uint32_t h = (uint32_t)rt_fnv(0xcbf29ce484222325ull, source, n);
    if (t->nsb) {
        for (struct rsrc *s = t->sb[h & (t->nsb - 1)]; s; s = s->next) {
            if (s->hash == h && strcmp(s->name, source) == 0) {
                s->refs++;
                return s->name;
            }
        }
    }
    if (t->nsources >= t->nsb) {
        size_t nb = t->nsb ? t->nsb * 2 : 16;
        struct rsrc **b = calloc(nb, sizeof(struct rsrc *));
        if (!b)
            return NULL;
        for (size_t i = 0; i < t->nsb; i++) {
            for (struct rsrc *s = t->sb[i], *nx; s; s = nx) {
                nx = s->next;
                s->next = b[s->hash & (nb - 1)];
                b[s->hash & (nb - 1)] = s;
            }
        }
        free(t->sb);
        t->sb = b;
        t->nsb = nb;
    }
    struct rsrc *s = malloc(sizeof *s + n + 1);
    if (!s)
        return NULL;
    memcpy(s->name, source, n + 1);
    s->hash = h;
    s->refs = 1;
    s->next = t->sb[h & (t->nsb - 1)];
    t->sb[h & (t->nsb - 1)] = s;
    t->nsources++;
    return s->name;
}

static void source_put(struct records *t, const char *name)
{
    struct rsrc *s = (struct rsrc *)(void *)(name - offsetof(struct rsrc, name));
    if (--s->refs)
        return;
    for (struct rsrc **pp = &t->sb[s->hash & (t->nsb - 1)]; *pp; pp = &(*pp)->next) {
        if (*pp == s) {
            *pp = s->next;
            break;
        }
    }
    t->nsources--;
    free(s);
}

/* ---- entries ---- */

/* Through the index by name: the entries of one name are few (one per owner, source and
 * address). */
struct entry *rt_entry_find(struct records *t, struct owner *o, const char *source,
                            const char *name, const struct rec_addr *a)
{
    struct rname *nm = rt_name_find(t, name);
    for (struct entry *e = nm ? nm->entries : NULL; e; e = e->nnext)
        if (e->own == o && addr_eq(&e->addr, a) && strcmp(e->source, source) == 0)
            return e;
    return NULL;
}

struct entry *rt_entry_add(struct records *t, struct owner *o, const char *source, const char *name,
                           const struct rec_addr *a, uint64_t seq, bool tomb)
{
    struct rname *nm = rt_name_get(t, name);
    if (!nm)
        return NULL;
    const char *src = source_get(t, source);
    struct entry *e = src ? calloc(1, sizeof *e) : NULL;
    if (!e) {
        if (src)
            source_put(t, src);
        rt_name_release(t, nm);
        return NULL;
    }
    e->source = src;
    e->nm = nm;
    e->own = o;
    e->addr = *a;
    if (e->addr.type == REC_A)
        memset(e->addr.bytes + 4, 0, 12);
    e->seq = seq;
    e->tomb = tomb;
    e->oprev = o->tail;
    if (o->tail)
        o->tail->onext = e;
    else
        o->head = e;
    o->tail = e;
    o->nentries++;
    if (tomb)
        o->ntombs++;
    t->nentries++;
    rt_name_link(t, e);
    return e;
}

void rt_entry_del(struct records *t, struct entry *e)
{
    struct owner *o = e->own;
    if (e->oprev)
        e->oprev->onext = e->onext;
    else
        o->head = e->onext;
    if (e->onext)
        e->onext->oprev = e->oprev;
    else
        o->tail = e->oprev;
    o->nentries--;
    if (e->tomb)
        o->ntombs--;
    t->nentries--;
    rt_name_unlink(t, e);
    source_put(t, e->source);
    free(e);
}

void rt_entry_set_tomb(struct records *t, struct entry *e, bool tomb)
{
    if (e->tomb == tomb)
        return;
    rt_name_touch(t, e->nm);
    e->tomb = tomb;
    if (tomb)
        e->own->ntombs++;
    else
        e->own->ntombs--;
}

bool rt_entry_set_attrs(struct records *t, struct entry *e, uint32_t rank, bool has_ttl,
                        uint32_t ttl)
{
    if (!has_ttl)
        ttl = 0;
    if (e->rank == rank && e->has_ttl == has_ttl && e->ttl == ttl)
        return false;
    rt_name_touch(t, e->nm);
    e->rank = rank;
    e->has_ttl = has_ttl;
    e->ttl = ttl;
    return true;
}

bool rt_entry_served(const struct entry *e)
{
    return !e->tomb && e->own->alive && !e->shadowed;
}

/* ---- owners ---- */

struct owner *rt_owner_find(struct records *t, const char *id)
{
    for (struct owner *o = t->owners; o; o = o->next)
        if (strcmp(o->id, id) == 0)
            return o;
    return NULL;
}

struct owner *rt_owner_create(struct records *t, const char *id)
{
    struct owner *o = calloc(1, sizeof *o);
    if (!o)
        return NULL;
    snprintf(o->id, sizeof o->id, "%s", id);
    o->alive = true;
    /* Append so the local owner stays first. */
    struct owner **pp = &t->owners;
    while (*pp)
        pp = &(*pp)->next;
    *pp = o;
    t->nowners++;
    return o;
}

/* Removes every entry of o; returns how many were live. */
size_t rt_owner_clear(struct records *t, struct owner *o)
{
    size_t live = 0;
    for (struct entry *e = o->head, *nx; e; e = nx) {
        nx = e->onext;
        if (!e->tomb)
            live++;
        rt_entry_del(t, e);
    }
    return live;
}

void rt_owner_reset_seq(struct owner *o, uint64_t epoch, uint64_t seq)
{
    o->epoch = epoch;
    o->seq = seq;
    o->contig = seq;
    o->npending = 0;
    o->gc_mark = 0;
}

/* Advances the contiguous mark over pending seqs it now reaches. */
void rt_owner_settle(struct owner *o)
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

bool rt_owner_seq_seen(const struct owner *o, uint64_t seq)
{
    if (seq <= o->contig)
        return true;
    size_t lo = 0, hi = o->npending;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (o->pending[mid] == seq)
            return true;
        if (o->pending[mid] < seq)
            lo = mid + 1;
        else
            hi = mid;
    }
    return false;
}

/* Records the receipt of seq (not yet seen); returns true when it jumped past contig + 1. */
bool rt_owner_note_seq(struct owner *o, uint64_t seq)
{
    if (seq > o->seq)
        o->seq = seq;
    if (seq == o->contig + 1) {
        o->contig++;
        rt_owner_settle(o);
        return false;
    }
    if (o->npending == o->cappending && o->cappending < PENDING_MAX)
        (void)vec_grow(o->pending, o->cappending, o->npending + 1);
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

/* Removes o's tombstones with seq <= upto; returns how many. */
size_t rt_collect_tombstones(struct records *t, struct owner *o, uint64_t upto)
{
    size_t n = 0;
    for (struct entry *e = o->head, *nx; e && o->ntombs; e = nx) {
        nx = e->onext;
        if (e->tomb && e->seq <= upto) {
            rt_entry_del(t, e);
            n++;
        }
    }
    return n;
}

/* A remote owner's tombstones at or below its contiguous mark protect nothing any more: every
 * older delta has arrived (later copies are refused as already seen) and merges skip entries of
 * that age that we no longer hold. Collected in batches so the scan stays amortised. */
void rt_auto_collect(struct records *t, struct owner *o)
{
    if (o->local || o->ntombs < AUTO_GC_TOMBS || o->contig <= o->gc_mark)
        return;
    rt_collect_tombstones(t, o, o->contig);
    o->gc_mark = o->contig;
}

void rt_owner_free(struct records *t, struct owner *o)
{
    rt_owner_clear(t, o);
    for (struct owner **pp = &t->owners; *pp; pp = &(*pp)->next) {
        if (*pp == o) {
            *pp = o->next;
            break;
        }
    }
    t->nowners--;
    free(o->pending);
    free(o);
}

struct rec_view rt_view_of(const struct entry *e)
{
    return (struct rec_view){
        .owner = e->own->id,
        .source = e->source,
        .name = e->nm->name,
        .addr = e->addr,
        .seq = e->seq,
        .tombstone = e->tomb,
        .served = rt_entry_served(e),
        .rank = e->rank,
        .has_ttl = e->has_ttl,
        .ttl = e->ttl,
        .epoch = e->own->epoch,
        .line = e->line,
        .dormant = !e->own->alive,
        .shadowed = e->shadowed,
    };
}

/* ---- lifecycle ---- */

struct records *records_new(const char *local_owner, uint64_t boot_epoch)
{
    if (!local_owner || !*local_owner || strlen(local_owner) > REC_OWNER_MAX)
        return NULL;
    struct records *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    pthread_mutex_init(&t->mu, NULL);
    rt_overlay_init(t);
    t->local = rt_owner_create(t, local_owner);
    if (!t->local)
        goto fail;
    t->local->local = true;
    t->local->has_state = true;
    t->local->epoch = boot_epoch;
    t->policy = (struct rec_policy){.default_ttl = 60, .ptr = REC_PTR_HOSTS};
    t->dirty = true;
    rt_publish(t);
    if (!t->snap)
        goto fail;
    return t;
fail:
    records_free(t);
    return NULL;
}

void records_free(struct records *t)
{
    if (!t)
        return;
    rt_overlay_stop(t);
    rt_free_snapshots(t);
    while (t->owners)
        rt_owner_free(t, t->owners);
    rt_name_free_all(t);
    rt_overlay_free(t);
    for (size_t i = 0; i < t->nsrcs; i++) {
        free(t->srcs[i].name);
        free(t->srcs[i].info);
        free(t->srcs[i].live);
    }
    free(t->srcs);
    free(t->sb);
    pthread_mutex_destroy(&t->mu);
    free(t);
}

const char *records_local_owner(const struct records *t)
{
    return t->local->id;
}

/* ---- local sources ---- */

bool rt_valid_str(const char *s, size_t max)
{
    return s && *s && strnlen(s, max + 1) <= max;
}

bool rt_valid_addr(const struct rec_addr *a)
{
    return a->type == REC_A || a->type == REC_AAAA;
}

static void emit(struct records *t, enum rec_op op, const struct entry *e)
{
    if (!t->obs)
        return;
    struct rec_delta d;
    memset(&d, 0, sizeof d);
    snprintf(d.owner, sizeof d.owner, "%s", t->local->id);
    d.ver.epoch = t->local->epoch;
    d.ver.seq = t->local->seq;
    d.op = op;
    snprintf(d.source, sizeof d.source, "%s", e->source);
    snprintf(d.name, sizeof d.name, "%s", e->nm->name);
    d.addr = e->addr;
    d.rank = e->rank;
    d.has_ttl = e->has_ttl;
    d.ttl = e->ttl;
    t->obs(&d, t->obs_ctx);
}

static void local_bump(struct records *t, struct entry *e)
{
    struct owner *o = t->local;
    o->seq++;
    o->contig = o->seq;
    e->seq = o->seq;
}

/* The local source named `source` (t->srcs is sorted by name), or NULL; *pos: where it is or
 * would go. */
static struct local_source *source_find(struct records *t, const char *source, size_t *pos)
{
    size_t lo = 0, hi = t->nsrcs;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(t->srcs[mid].name, source);
        if (c == 0) {
            if (pos)
                *pos = mid;
            return &t->srcs[mid];
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (pos)
        *pos = lo;
    return NULL;
}

/* Makes live[0..n) (owned by the table from here on) the entries of `source`; n == 0 forgets the
 * source. */
static int source_set_live(struct records *t, const char *source, struct entry **live, size_t n)
{
    size_t pos;
    struct local_source *ls = source_find(t, source, &pos);
    if (ls && !n) {
        free(ls->name);
        free(ls->info);
        free(ls->live);
        memmove(ls, ls + 1, (t->nsrcs - pos - 1) * sizeof *ls);
        t->nsrcs--;
        free(live);
        return 0;
    }
    if (ls) {
        free(ls->live);
        ls->live = live;
        ls->count = n;
        return 0;
    }
    char *name = n ? strdup(source) : NULL;
    if (!name || !vec_grow(t->srcs, t->capsrcs, t->nsrcs + 1)) {
        free(name);
        free(live);
        return n ? -1 : 0;
    }
    memmove(&t->srcs[pos + 1], &t->srcs[pos], (t->nsrcs - pos) * sizeof *t->srcs);
    t->srcs[pos] = (struct local_source){name, n, NULL, live};
    t->nsrcs++;
    return 0;
}

/* Whether in[0..n) can be used as is: valid, normalized, sorted and without repeats. */
static bool input_clean(const struct rec_input *in, size_t n)
{
    char norm[REC_NAME_MAX + 1];
    static const uint8_t zero[12];
    for (size_t i = 0; i < n; i++) {
        if (!rt_valid_addr(&in[i].addr) || !memchr(in[i].name, '\0', sizeof in[i].name) ||
            !records_normalize_name(in[i].name, norm) || strcmp(norm, in[i].name) != 0)
            return false;
        if (in[i].addr.type == REC_A && memcmp(in[i].addr.bytes + 4, zero, 12) != 0)
            return false;
        if (i > 0 && records_input_cmp(&in[i - 1], &in[i]) >= 0)
            return false;
    }
    return true;
}

/* Copies the valid inputs, normalized, into v, sorted and deduplicated; returns the count. */
static size_t clean_inputs(const struct rec_input *in, size_t n, struct rec_input *v)
{
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (!rt_valid_addr(&in[i].addr) || !memchr(in[i].name, '\0', sizeof in[i].name) ||
            !records_normalize_name(in[i].name, v[m].name))
            continue;
        v[m].addr = in[i].addr;
        v[m].line = in[i].line;
        v[m].rank = in[i].rank;
        v[m].has_ttl = in[i].has_ttl;
        v[m].ttl = in[i].ttl;
        if (v[m].addr.type == REC_A)
            memset(v[m].addr.bytes + 4, 0, 12);
        m++;
    }
    if (m > 1)
        qsort(v, m, sizeof *v, records_input_cmp);
    size_t k = 0;
    for (size_t i = 0; i < m; i++) {
        if (k == 0 || records_input_cmp(&v[k - 1], &v[i]) != 0)
            v[k++] = v[i];
        else if (v[i].rank < v[k - 1].rank)
            v[k - 1].rank = v[i].rank; /* a repeat: the name's first place counts */
    }
    return k;
}

int records_set_source(struct records *t, const char *source, const struct rec_input *in, size_t n)
{
    if (!rt_valid_str(source, REC_SOURCE_MAX))
        return -1;
    /* Input that is already normalized, sorted and unique (the hosts source hands it so) is used
     * in place; anything else is copied, cleaned, sorted and deduplicated. */
    const struct rec_input *v = in;
    struct rec_input *copy = NULL;
    size_t m = n;
    if (!input_clean(in, n)) {
        copy = malloc(n * sizeof *copy);
        if (!copy)
            return -1;
        m = clean_inputs(in, n, copy);
        v = copy;
    }

    int changes = 0, rc = 0;
    /* The source's entries after this call; the ones before come from its own list, so the cost
     * follows the source, not the table. */
    struct entry **live = malloc((m ? m : 1) * sizeof(struct entry *));
    if (!live) {
        free(copy);
        return -1;
    }
    size_t nlive = 0;
    rt_lock(t);
    struct owner *o = t->local;
    struct local_source *ls = source_find(t, source, NULL);
    for (size_t i = 0; ls && i < ls->count; i++) {
        struct entry *e = ls->live[i];
        struct rec_input key;
        memcpy(key.name, e->nm->name, strlen(e->nm->name) + 1);
        key.addr = e->addr;
        key.line = key.rank = key.ttl = 0;
        key.has_ttl = false;
        if (m && bsearch(&key, v, m, sizeof *v, records_input_cmp))
            continue;
        rt_entry_set_tomb(t, e, true);
        local_bump(t, e);
        emit(t, REC_OP_DEL, e);
        changes++;
        /* Tombstones exist for peers; with nobody observing there are none to tell. */
        if (!t->obs)
            rt_entry_del(t, e);
    }
    for (size_t i = 0; i < m; i++) {
        struct entry *e = rt_entry_find(t, o, source, v[i].name, &v[i].addr);
        if (e && !e->tomb) {
            e->line = v[i].line; /* the line may move; not a change of the record */
            live[nlive++] = e;
            if (rt_entry_set_attrs(t, e, v[i].rank, v[i].has_ttl, v[i].ttl)) {
                local_bump(t, e); /* a new rank or TTL is replicated as a new add */
                emit(t, REC_OP_ADD, e);
                changes++;
            }
            continue;
        }
        if (!e) {
            e = rt_entry_add(t, o, source, v[i].name, &v[i].addr, 0, false);
            if (!e) {
                rc = -1;
                break;
            }
        } else {
            rt_entry_set_tomb(t, e, false);
        }
        e->line = v[i].line;
        rt_entry_set_attrs(t, e, v[i].rank, v[i].has_ttl, v[i].ttl);
        local_bump(t, e);
        emit(t, REC_OP_ADD, e);
        changes++;
        live[nlive++] = e;
    }
    if (source_set_live(t, source, live, nlive) < 0)
        rc = -1;
    if (changes)
        t->dirty = true;
    rt_unlock_publish(t);
    free(copy);
    return rc < 0 ? -1 : changes;
}

static struct local_source *local_source_find(struct records *t, const char *source)
{
    return source_find(t, source, NULL);
}

int records_set_source_info(struct records *t, const char *source, const char *info)
{
    char *copy = info && info[0] ? strdup(info) : NULL;
    if (info && info[0] && !copy)
        return -1;
    rt_lock(t);
    struct local_source *ls = local_source_find(t, source);
    if (ls) {
        free(ls->info);
        ls->info = copy;
        copy = NULL;
    }
    pthread_mutex_unlock(&t->mu);
    free(copy);
    return ls ? 0 : -1;
}

void records_foreach_source(struct records *t, const char *prefix,
                            void (*cb)(const char *source, size_t nrecords, void *ctx), void *ctx)
{
    size_t pl = prefix ? strlen(prefix) : 0;
    rt_lock(t);
    for (size_t i = 0; i < t->nsrcs; i++)
        if (!pl || strncmp(t->srcs[i].name, prefix, pl) == 0)
            cb(t->srcs[i].name, t->srcs[i].count, ctx);
    pthread_mutex_unlock(&t->mu);
}

void records_set_observer(struct records *t, records_delta_cb cb, void *ctx)
{
    rt_lock(t);
    t->obs = cb;
    t->obs_ctx = ctx;
    pthread_mutex_unlock(&t->mu);
}

/* ---- listings ---- */

void records_foreach(struct records *t, bool served_only,
                     void (*cb)(const struct rec_view *v, void *ctx), void *ctx)
{
    rt_lock(t);
    for (struct owner *o = t->owners; o; o = o->next) {
        for (struct entry *e = o->head; e; e = e->onext) {
            struct rec_view v = rt_view_of(e);
            if (served_only && !v.served)
                continue;
            cb(&v, ctx);
        }
    }
    pthread_mutex_unlock(&t->mu);
}

void records_foreach_name(struct records *t, const char *name,
                          void (*cb)(const struct rec_view *v, void *ctx), void *ctx)
{
    rt_lock(t);
    for (struct owner *o = t->owners; o; o = o->next) {
        for (struct entry *e = o->head; e; e = e->onext) {
            if (strcmp(e->nm->name, name) != 0)
                continue;
            struct rec_view v = rt_view_of(e);
            if (o->local) {
                const struct local_source *ls = local_source_find(t, e->source);
                v.info = ls ? ls->info : NULL;
            }
            cb(&v, ctx);
        }
    }
    pthread_mutex_unlock(&t->mu);
}

void records_get_stats(struct records *t, struct records_stats *out)
{
    memset(out, 0, sizeof *out);
    rt_lock(t);
    out->version = records_snapshot_version(t->snap);
    out->served = records_snapshot_count(t->snap);
    out->entries = t->nentries;
    for (struct owner *o = t->owners; o; o = o->next)
        out->tombstones += o->ntombs;
    out->owners = t->nowners;
    out->local = (struct rec_version){t->local->epoch, t->local->seq};
    pthread_mutex_unlock(&t->mu);
}
