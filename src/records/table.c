/* records/table.c — the replicated record table: entries keyed by (owner, source, name, address) in a
 * chained hash, per-owner (epoch, seq) versions with contiguous-seq tracking, tombstones,
 * full-state export/merge, owner liveness, and publication of the reader snapshot via liburcu.
 *
 * Writers serialise on one mutex. Every mutating call rebuilds the served set once at its end
 * and publishes it with rcu_xchg_pointer (so readers see a whole call's change or none of it).
 * Old snapshots are reclaimed with urcu_memb_synchronize_rcu() after the mutex is released; when
 * the writer itself runs inside a read-side critical section (a registered reader thread holding
 * records_read_lock), waiting would deadlock, so the old snapshot is parked on a retired list and
 * freed by the next writer that is outside one (or by records_free). call_rcu is not used because
 * it requires the caller to be a registered reader thread and writers (control thread, Docker
 * thread) are not. */
#include "records/records.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <urcu/urcu-memb.h>

#include "core/log.h"
#include "records/snapshot.h"

/* ThreadSanitizer does not see liburcu's ordering (publication by xchg, reclamation after a
 * grace period). In TSan builds the pointer goes through C11 atomics and a grace period is
 * modelled as: every read section released before synchronize_rcu() returns. */
#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define RECORDS_TSAN 1
#endif
#endif
#if defined(__SANITIZE_THREAD__)
#define RECORDS_TSAN 1
#endif
#ifdef RECORDS_TSAN
void __tsan_acquire(void *addr);
void __tsan_release(void *addr);
static char tsan_grace;
#define SNAP_PUBLISH(pp, v) __atomic_exchange_n((pp), (v), __ATOMIC_ACQ_REL)
#define SNAP_READ(pp) __atomic_load_n((pp), __ATOMIC_ACQUIRE)
#define GRACE_READER_DONE() __tsan_release(&tsan_grace)
#define GRACE_WRITER_WAITED() __tsan_acquire(&tsan_grace)
#else
#define SNAP_PUBLISH(pp, v) rcu_xchg_pointer((pp), (v))
#define SNAP_READ(pp) rcu_dereference(*(pp))
#define GRACE_READER_DONE() ((void)0)
#define GRACE_WRITER_WAITED() ((void)0)
#endif

#define MOD "records"
#define AUTO_GC_TOMBS 64 /* remote tombstones held before an automatic collection */
#define PENDING_MAX 4096 /* out-of-order seqs remembered per owner above the contiguous mark */

struct owner;

struct entry {
    struct entry *hnext;         /* hash chain */
    struct entry *onext, *oprev; /* owner's list, insertion order */
    struct owner *own;
    uint64_t seq;
    struct rec_addr addr;
    bool tomb;
    bool shadowed;      /* a local hosts file has this name (computed at each publication) */
    bool mark;          /* scratch for merges */
    const char *source; /* points into name[] after the name */
    char name[];
};

struct owner {
    struct owner *next;
    char id[REC_OWNER_MAX + 1];
    uint64_t epoch;
    uint64_t seq;      /* highest seq seen (local: the current seq) */
    uint64_t contig;   /* every seq in 1..contig has been received */
    uint64_t *pending; /* sorted seqs > contig + 1 already received */
    size_t npending, cappending;
    bool local, alive, has_state;
    struct entry *head, *tail;
    size_t nentries, ntombs;
    uint64_t gc_mark; /* contig at the last automatic tombstone collection */
};

struct local_source {
    char *name;
    size_t count;
};

struct records {
    pthread_mutex_t mu;
    struct owner *owners; /* local first */
    struct owner *local;
    size_t nowners;
    struct entry **buckets;
    size_t nbuckets, nentries;
    struct local_source *srcs;
    size_t nsrcs, capsrcs;
    records_delta_cb obs;
    void *obs_ctx;
    struct rec_snapshot *snap; /* RCU-published */
    struct rec_snapshot *retired;
    uint64_t version;
    bool dirty; /* the served set may have changed since the last publication */
};

/* ---- hashing ---- */

static uint64_t fnv(uint64_t h, const void *p, size_t n)
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

static uint64_t key_hash(const struct owner *o, const char *source, const char *name,
                         const struct rec_addr *a)
{
    uintptr_t op = (uintptr_t)o; /* entries of different owners hash apart */
    uint64_t h = fnv(0xcbf29ce484222325ull, &op, sizeof op);
    h = fnv(h, source, strlen(source) + 1);
    h = fnv(h, name, strlen(name) + 1);
    h = fnv(h, &a->type, sizeof a->type);
    return fnv(h, a->bytes, addr_len(a));
}

/* ---- entries ---- */

static struct entry *entry_find(struct records *t, struct owner *o, const char *source,
                                const char *name, const struct rec_addr *a)
{
    if (!t->nbuckets)
        return NULL;
    size_t b = key_hash(o, source, name, a) & (t->nbuckets - 1);
    for (struct entry *e = t->buckets[b]; e; e = e->hnext)
        if (e->own == o && addr_eq(&e->addr, a) && strcmp(e->name, name) == 0 &&
            strcmp(e->source, source) == 0)
            return e;
    return NULL;
}

static bool grow_buckets(struct records *t)
{
    size_t nb = t->nbuckets ? t->nbuckets * 2 : 64;
    struct entry **bk = calloc(nb, sizeof(struct entry *));
    if (!bk)
        return false;
    for (size_t i = 0; i < t->nbuckets; i++) {
        for (struct entry *e = t->buckets[i], *n; e; e = n) {
            n = e->hnext;
            size_t b = key_hash(e->own, e->source, e->name, &e->addr) & (nb - 1);
            e->hnext = bk[b];
            bk[b] = e;
        }
    }
    free(t->buckets);
    t->buckets = bk;
    t->nbuckets = nb;
    return true;
}

static struct entry *entry_add(struct records *t, struct owner *o, const char *source,
                               const char *name, const struct rec_addr *a, uint64_t seq, bool tomb)
{
    if (t->nentries >= t->nbuckets && !grow_buckets(t))
        return NULL;
    size_t nl = strlen(name), sl = strlen(source);
    struct entry *e = calloc(1, sizeof *e + nl + 1 + sl + 1);
    if (!e)
        return NULL;
    memcpy(e->name, name, nl + 1);
    memcpy(e->name + nl + 1, source, sl + 1);
    e->source = e->name + nl + 1;
    e->own = o;
    e->addr = *a;
    if (e->addr.type == REC_A)
        memset(e->addr.bytes + 4, 0, 12);
    e->seq = seq;
    e->tomb = tomb;
    size_t b = key_hash(o, source, name, a) & (t->nbuckets - 1);
    e->hnext = t->buckets[b];
    t->buckets[b] = e;
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
    return e;
}

static void entry_del(struct records *t, struct entry *e)
{
    struct owner *o = e->own;
    size_t b = key_hash(o, e->source, e->name, &e->addr) & (t->nbuckets - 1);
    for (struct entry **pp = &t->buckets[b]; *pp; pp = &(*pp)->hnext) {
        if (*pp == e) {
            *pp = e->hnext;
            break;
        }
    }
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
    free(e);
}

static void entry_set_tomb(struct entry *e, bool tomb)
{
    if (e->tomb == tomb)
        return;
    e->tomb = tomb;
    if (tomb)
        e->own->ntombs++;
    else
        e->own->ntombs--;
}

static bool entry_served(const struct entry *e)
{
    return !e->tomb && e->own->alive && !e->shadowed;
}

/* ---- owners ---- */

static struct owner *owner_find(struct records *t, const char *id)
{
    for (struct owner *o = t->owners; o; o = o->next)
        if (strcmp(o->id, id) == 0)
            return o;
    return NULL;
}

static struct owner *owner_create(struct records *t, const char *id)
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
static size_t owner_clear(struct records *t, struct owner *o)
{
    size_t live = 0;
    while (o->head) {
        if (!o->head->tomb)
            live++;
        entry_del(t, o->head);
    }
    return live;
}

static void owner_reset_seq(struct owner *o, uint64_t epoch, uint64_t seq)
{
    o->epoch = epoch;
    o->seq = seq;
    o->contig = seq;
    o->npending = 0;
    o->gc_mark = 0;
}

/* Advances the contiguous mark over pending seqs it now reaches. */
static void owner_settle(struct owner *o)
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

static bool owner_seq_seen(const struct owner *o, uint64_t seq)
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
static bool owner_note_seq(struct owner *o, uint64_t seq)
{
    if (seq > o->seq)
        o->seq = seq;
    if (seq == o->contig + 1) {
        o->contig++;
        owner_settle(o);
        return false;
    }
    if (o->npending == o->cappending && o->cappending < PENDING_MAX) {
        size_t cap = o->cappending ? o->cappending * 2 : 16;
        uint64_t *p = realloc(o->pending, cap * sizeof *p);
        if (p) {
            o->pending = p;
            o->cappending = cap;
        }
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

/* Removes o's tombstones with seq <= upto; returns how many. */
static size_t collect_tombstones(struct records *t, struct owner *o, uint64_t upto)
{
    size_t n = 0;
    for (struct entry *e = o->head, *nx; e && o->ntombs; e = nx) {
        nx = e->onext;
        if (e->tomb && e->seq <= upto) {
            entry_del(t, e);
            n++;
        }
    }
    return n;
}

/* A remote owner's tombstones at or below its contiguous mark protect nothing any more: every
 * older delta has arrived (later copies are refused as already seen) and merges skip entries of
 * that age that we no longer hold. Collected in batches so the scan stays amortised. */
static void auto_collect(struct records *t, struct owner *o)
{
    if (o->local || o->ntombs < AUTO_GC_TOMBS || o->contig <= o->gc_mark)
        return;
    collect_tombstones(t, o, o->contig);
    o->gc_mark = o->contig;
}

static void owner_free(struct records *t, struct owner *o)
{
    owner_clear(t, o);
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

/* ---- publication ---- */

struct name_set {
    const char **v;
    size_t mask;
};

static uint64_t str_hash(const char *s)
{
    return fnv(0xcbf29ce484222325ull, s, strlen(s));
}

static bool name_set_has(const struct name_set *ns, const char *s)
{
    if (!ns->v)
        return false;
    for (size_t i = str_hash(s) & ns->mask; ns->v[i]; i = (i + 1) & ns->mask)
        if (strcmp(ns->v[i], s) == 0)
            return true;
    return false;
}

static void name_set_put(struct name_set *ns, const char *s)
{
    size_t i = str_hash(s) & ns->mask;
    for (; ns->v[i]; i = (i + 1) & ns->mask)
        if (strcmp(ns->v[i], s) == 0)
            return;
    ns->v[i] = s;
}

static bool is_hosts_source(const char *s)
{
    return strncmp(s, "hosts:", 6) == 0;
}

/* Recomputes shadowing and, if the served set changed, publishes a new snapshot. Lock held. */
static void publish(struct records *t)
{
    if (!t->dirty)
        return;
    /* Names of this node's hosts files shadow every remote owner's entries of the same name. */
    struct name_set ns = {0};
    size_t nh = 0;
    for (struct entry *e = t->local->head; e; e = e->onext)
        if (!e->tomb && is_hosts_source(e->source))
            nh++;
    if (nh) {
        size_t cap = 4;
        while (cap < 2 * nh)
            cap <<= 1;
        ns.v = calloc(cap, sizeof *ns.v);
        if (!ns.v)
            goto oom;
        ns.mask = cap - 1;
        for (struct entry *e = t->local->head; e; e = e->onext)
            if (!e->tomb && is_hosts_source(e->source))
                name_set_put(&ns, e->name);
    }
    size_t n = 0;
    for (struct owner *o = t->owners; o; o = o->next) {
        for (struct entry *e = o->head; e; e = e->onext) {
            e->shadowed = !o->local && name_set_has(&ns, e->name);
            if (entry_served(e))
                n++;
        }
    }
    free(ns.v);
    struct snap_pair *pairs = malloc((n ? n : 1) * sizeof *pairs);
    if (!pairs)
        goto oom;
    size_t k = 0;
    for (struct owner *o = t->owners; o; o = o->next)
        for (struct entry *e = o->head; e; e = e->onext)
            if (entry_served(e))
                pairs[k++] = (struct snap_pair){e->name, e->addr};
    struct rec_snapshot *s = snap_build(pairs, k, t->version + 1);
    free(pairs);
    if (!s)
        goto oom;
    t->dirty = false;
    if (t->snap && snap_digest(s) == snap_digest(t->snap) &&
        records_snapshot_count(s) == records_snapshot_count(t->snap)) {
        snap_free(s); /* same served set: keep the current snapshot and version */
        return;
    }
    t->version++;
    struct rec_snapshot *old = SNAP_PUBLISH(&t->snap, s);
    if (old) {
        *snap_next(old) = t->retired;
        t->retired = old;
    }
    return;
oom:
    log_error(MOD, "out of memory publishing the record snapshot; will retry on next change");
}

static void lock(struct records *t)
{
    pthread_mutex_lock(&t->mu);
}

/* Publishes pending changes, releases the lock and reclaims retired snapshots. */
static void unlock_publish(struct records *t)
{
    publish(t);
    struct rec_snapshot *list = NULL;
    if (!urcu_memb_read_ongoing()) {
        list = t->retired;
        t->retired = NULL;
    }
    pthread_mutex_unlock(&t->mu);
    if (!list)
        return;
    urcu_memb_synchronize_rcu();
    GRACE_WRITER_WAITED();
    while (list) {
        struct rec_snapshot *n = *snap_next(list);
        snap_free(list);
        list = n;
    }
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
    t->local = owner_create(t, local_owner);
    if (!t->local)
        goto fail;
    t->local->local = true;
    t->local->has_state = true;
    t->local->epoch = boot_epoch;
    t->dirty = true;
    publish(t);
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
    if (!urcu_memb_read_ongoing()) {
        urcu_memb_synchronize_rcu();
        GRACE_WRITER_WAITED();
    }
    while (t->retired) {
        struct rec_snapshot *n = *snap_next(t->retired);
        snap_free(t->retired);
        t->retired = n;
    }
    if (t->snap)
        snap_free(t->snap);
    while (t->owners)
        owner_free(t, t->owners);
    for (size_t i = 0; i < t->nsrcs; i++)
        free(t->srcs[i].name);
    free(t->srcs);
    free(t->buckets);
    pthread_mutex_destroy(&t->mu);
    free(t);
}

const char *records_local_owner(const struct records *t)
{
    return t->local->id;
}

/* ---- local sources ---- */

static bool valid_str(const char *s, size_t max)
{
    return s && *s && strnlen(s, max + 1) <= max;
}

static bool valid_addr(const struct rec_addr *a)
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
    snprintf(d.name, sizeof d.name, "%s", e->name);
    d.addr = e->addr;
    t->obs(&d, t->obs_ctx);
}

static void local_bump(struct records *t, struct entry *e)
{
    struct owner *o = t->local;
    o->seq++;
    o->contig = o->seq;
    e->seq = o->seq;
}

static int set_source_count(struct records *t, const char *source, size_t count)
{
    for (size_t i = 0; i < t->nsrcs; i++) {
        if (strcmp(t->srcs[i].name, source) == 0) {
            if (count) {
                t->srcs[i].count = count;
            } else {
                free(t->srcs[i].name);
                t->srcs[i] = t->srcs[--t->nsrcs];
            }
            return 0;
        }
    }
    if (!count)
        return 0;
    if (t->nsrcs == t->capsrcs) {
        size_t cap = t->capsrcs ? t->capsrcs * 2 : 8;
        struct local_source *p = realloc(t->srcs, cap * sizeof *p);
        if (!p)
            return -1;
        t->srcs = p;
        t->capsrcs = cap;
    }
    char *name = strdup(source);
    if (!name)
        return -1;
    t->srcs[t->nsrcs++] = (struct local_source){name, count};
    return 0;
}

/* Whether in[0..n) can be used as is: valid, normalized, sorted and without repeats. */
static bool input_clean(const struct rec_input *in, size_t n)
{
    char norm[REC_NAME_MAX + 1];
    static const uint8_t zero[12];
    for (size_t i = 0; i < n; i++) {
        if (!valid_addr(&in[i].addr) || !memchr(in[i].name, '\0', sizeof in[i].name) ||
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
        if (!valid_addr(&in[i].addr) || !memchr(in[i].name, '\0', sizeof in[i].name) ||
            !records_normalize_name(in[i].name, v[m].name))
            continue;
        v[m].addr = in[i].addr;
        if (v[m].addr.type == REC_A)
            memset(v[m].addr.bytes + 4, 0, 12);
        m++;
    }
    if (m > 1)
        qsort(v, m, sizeof *v, records_input_cmp);
    size_t k = 0;
    for (size_t i = 0; i < m; i++)
        if (k == 0 || records_input_cmp(&v[k - 1], &v[i]) != 0)
            v[k++] = v[i];
    return k;
}

int records_set_source(struct records *t, const char *source, const struct rec_input *in, size_t n)
{
    if (!valid_str(source, REC_SOURCE_MAX))
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
    lock(t);
    struct owner *o = t->local;
    for (struct entry *e = o->head, *nx; e; e = nx) {
        nx = e->onext;
        if (e->tomb || strcmp(e->source, source) != 0)
            continue;
        struct rec_input key;
        memcpy(key.name, e->name, strlen(e->name) + 1);
        key.addr = e->addr;
        if (m && bsearch(&key, v, m, sizeof *v, records_input_cmp))
            continue;
        entry_set_tomb(e, true);
        local_bump(t, e);
        emit(t, REC_OP_DEL, e);
        changes++;
        /* Tombstones exist for peers; with nobody observing there are none to tell. */
        if (!t->obs)
            entry_del(t, e);
    }
    for (size_t i = 0; i < m; i++) {
        struct entry *e = entry_find(t, o, source, v[i].name, &v[i].addr);
        if (e && !e->tomb)
            continue;
        if (!e) {
            e = entry_add(t, o, source, v[i].name, &v[i].addr, 0, false);
            if (!e) {
                rc = -1;
                break;
            }
        } else {
            entry_set_tomb(e, false);
        }
        local_bump(t, e);
        emit(t, REC_OP_ADD, e);
        changes++;
    }
    if (set_source_count(t, source, m) < 0)
        rc = -1;
    if (changes)
        t->dirty = true;
    unlock_publish(t);
    free(copy);
    return rc < 0 ? -1 : changes;
}

void records_foreach_source(struct records *t, const char *prefix,
                            void (*cb)(const char *source, size_t nrecords, void *ctx), void *ctx)
{
    size_t pl = prefix ? strlen(prefix) : 0;
    lock(t);
    for (size_t i = 0; i < t->nsrcs; i++)
        if (!pl || strncmp(t->srcs[i].name, prefix, pl) == 0)
            cb(t->srcs[i].name, t->srcs[i].count, ctx);
    pthread_mutex_unlock(&t->mu);
}

void records_set_observer(struct records *t, records_delta_cb cb, void *ctx)
{
    lock(t);
    t->obs = cb;
    t->obs_ctx = ctx;
    pthread_mutex_unlock(&t->mu);
}

/* ---- remote owners ---- */

static bool delta_valid(const struct records *t, const struct rec_delta *d)
{
    char norm[REC_NAME_MAX + 1];
    if (!valid_str(d->owner, REC_OWNER_MAX) || strcmp(d->owner, t->local->id) == 0)
        return false;
    if (!valid_str(d->source, REC_SOURCE_MAX) || !valid_addr(&d->addr))
        return false;
    if (d->op != REC_OP_ADD && d->op != REC_OP_DEL)
        return false;
    if (d->ver.seq == 0 || strnlen(d->name, REC_NAME_MAX + 1) > REC_NAME_MAX)
        return false;
    return records_normalize_name(d->name, norm) && strcmp(norm, d->name) == 0;
}

/* Applies one validated delta; lock held. */
static enum rec_apply apply_locked(struct records *t, const struct rec_delta *d)
{
    enum rec_apply res;
    struct owner *o = owner_find(t, d->owner);
    if (!o) {
        o = owner_create(t, d->owner);
        if (!o) {
            res = REC_REJECTED;
            goto out;
        }
    }
    if (o->has_state && d->ver.epoch < o->epoch) {
        res = REC_STALE;
        goto out;
    }
    if (!o->has_state || d->ver.epoch > o->epoch) {
        /* A restarted owner: its new epoch supersedes everything it published before. */
        if (owner_clear(t, o) && o->alive)
            t->dirty = true;
        owner_reset_seq(o, d->ver.epoch, 0);
        o->has_state = true;
    }
    if (owner_seq_seen(o, d->ver.seq)) {
        res = REC_STALE;
        goto out;
    }
    bool gap = owner_note_seq(o, d->ver.seq);
    bool tomb = d->op == REC_OP_DEL;
    struct entry *e = entry_find(t, o, d->source, d->name, &d->addr);
    if (e && e->seq >= d->ver.seq) {
        res = REC_STALE; /* a newer change of this entry arrived first */
        goto out;
    }
    if (!e) {
        /* A removal of an unknown entry still becomes a tombstone, so an older add arriving
         * later cannot resurrect it. */
        e = entry_add(t, o, d->source, d->name, &d->addr, d->ver.seq, tomb);
        if (!e) {
            res = REC_REJECTED;
            goto out;
        }
        if (!tomb && o->alive)
            t->dirty = true;
    } else {
        if (e->tomb != tomb && o->alive)
            t->dirty = true;
        entry_set_tomb(e, tomb);
        e->seq = d->ver.seq;
    }
    res = gap ? REC_GAP : REC_APPLIED;
out:
    if (o)
        auto_collect(t, o);
    return res;
}

enum rec_apply records_apply_delta(struct records *t, const struct rec_delta *d)
{
    if (!d || !delta_valid(t, d))
        return REC_REJECTED;
    lock(t);
    enum rec_apply res = apply_locked(t, d);
    unlock_publish(t);
    return res;
}

size_t records_apply_deltas(struct records *t, const struct rec_delta *d, size_t n,
                            enum rec_apply *results)
{
    size_t applied = 0;
    lock(t);
    for (size_t i = 0; i < n; i++) {
        enum rec_apply r = delta_valid(t, &d[i]) ? apply_locked(t, &d[i]) : REC_REJECTED;
        if (r == REC_APPLIED || r == REC_GAP)
            applied++;
        if (results)
            results[i] = r;
    }
    unlock_publish(t);
    return applied;
}

bool records_owner_version(struct records *t, const char *owner, struct rec_version *out)
{
    if (!owner)
        return false;
    lock(t);
    struct owner *o = owner_find(t, owner);
    bool ok = o && o->has_state;
    if (ok && out)
        *out = (struct rec_version){o->epoch, o->contig};
    pthread_mutex_unlock(&t->mu);
    return ok;
}

static struct rec_view view_of(const struct entry *e)
{
    return (struct rec_view){
        .owner = e->own->id,
        .source = e->source,
        .name = e->name,
        .addr = e->addr,
        .seq = e->seq,
        .tombstone = e->tomb,
        .served = entry_served(e),
    };
}

bool records_export_owner(struct records *t, const char *owner, struct rec_version *ver_out,
                          void (*cb)(const struct rec_view *v, void *ctx), void *ctx)
{
    if (!owner)
        return false;
    lock(t);
    struct owner *o = owner_find(t, owner);
    bool ok = o && o->has_state;
    if (ok) {
        if (ver_out)
            *ver_out = (struct rec_version){o->epoch, o->contig};
        for (struct entry *e = o->head; e && cb; e = e->onext) {
            struct rec_view v = view_of(e);
            cb(&v, ctx);
        }
    }
    pthread_mutex_unlock(&t->mu);
    return ok;
}

static bool view_valid(const struct rec_view *v)
{
    char norm[REC_NAME_MAX + 1];
    return v && valid_str(v->source, REC_SOURCE_MAX) && valid_addr(&v->addr) && v->seq > 0 &&
           v->name && records_normalize_name(v->name, norm) && strcmp(norm, v->name) == 0;
}

int records_merge_owner(struct records *t, const char *owner, struct rec_version ver,
                        const struct rec_view *entries, size_t n)
{
    if (!valid_str(owner, REC_OWNER_MAX) || (n && !entries))
        return -1;
    int changes = 0;
    lock(t);
    if (strcmp(owner, t->local->id) == 0) {
        changes = -1;
        goto out;
    }
    struct owner *o = owner_find(t, owner);
    if (!o && !(o = owner_create(t, owner))) {
        changes = -1;
        goto out;
    }
    if (o->has_state && ver.epoch < o->epoch) {
        changes = -1;
        goto out;
    }
    /* Every change up to `known` has reached us: an entry of that age we do not hold was
     * removed and its tombstone collected, so the state must not bring it back. */
    uint64_t known = o->contig;
    if (!o->has_state || ver.epoch > o->epoch) {
        /* Newer epoch (or first state): replace wholesale. */
        changes = (int)owner_clear(t, o);
        owner_reset_seq(o, ver.epoch, ver.seq);
        o->has_state = true;
        known = 0;
    }
    for (struct entry *e = o->head; e; e = e->onext)
        e->mark = false;
    for (size_t i = 0; i < n; i++) {
        if (!view_valid(&entries[i]))
            continue;
        const struct rec_view *v = &entries[i];
        struct entry *e = entry_find(t, o, v->source, v->name, &v->addr);
        if (!e && v->seq <= known)
            continue;
        if (!e) {
            e = entry_add(t, o, v->source, v->name, &v->addr, v->seq, v->tombstone);
            if (!e)
                continue;
            if (!v->tombstone)
                changes++;
        } else if (v->seq > e->seq) {
            if (e->tomb != v->tombstone)
                changes++;
            entry_set_tomb(e, v->tombstone);
            e->seq = v->seq;
        }
        e->mark = true;
        if (v->seq > o->seq)
            o->seq = v->seq;
    }
    /* What we hold that the owner no longer has (its tombstone was collected). */
    for (struct entry *e = o->head, *nx; e; e = nx) {
        nx = e->onext;
        if (!e->mark && e->seq <= ver.seq) {
            if (!e->tomb)
                changes++;
            entry_del(t, e);
        }
    }
    if (ver.seq > o->contig)
        o->contig = ver.seq;
    if (ver.seq > o->seq)
        o->seq = ver.seq;
    owner_settle(o);
    auto_collect(t, o);
    if (changes && o->alive)
        t->dirty = true;
    if (!o->alive)
        changes = 0;
out:
    unlock_publish(t);
    return changes;
}

void records_set_owner_alive(struct records *t, const char *owner, bool alive)
{
    if (!valid_str(owner, REC_OWNER_MAX))
        return;
    lock(t);
    struct owner *o = owner_find(t, owner);
    if (!o && (o = owner_create(t, owner)) == NULL)
        goto out;
    if (o->local || o->alive == alive)
        goto out;
    o->alive = alive;
    if (o->nentries > o->ntombs)
        t->dirty = true;
out:
    unlock_publish(t);
}

void records_drop_owner(struct records *t, const char *owner)
{
    if (!owner)
        return;
    lock(t);
    struct owner *o = owner_find(t, owner);
    if (o && !o->local) {
        if (o->alive && o->nentries > o->ntombs)
            t->dirty = true;
        owner_free(t, o);
    }
    unlock_publish(t);
}

size_t records_gc_tombstones(struct records *t, const char *owner, uint64_t upto_seq)
{
    if (!owner)
        return 0;
    size_t n = 0;
    lock(t);
    struct owner *o = owner_find(t, owner);
    if (o) {
        /* A remote owner's tombstone may only go once every earlier delta has arrived, or a
         * late add could resurrect the entry. */
        if (!o->local && upto_seq > o->contig)
            upto_seq = o->contig;
        n = collect_tombstones(t, o, upto_seq);
    }
    pthread_mutex_unlock(&t->mu);
    return n;
}

/* ---- readers ---- */

void records_reader_register(void)
{
    urcu_memb_register_thread();
}

void records_reader_unregister(void)
{
    urcu_memb_unregister_thread();
}

void records_read_lock(void)
{
    urcu_memb_read_lock();
}

void records_read_unlock(void)
{
    GRACE_READER_DONE();
    urcu_memb_read_unlock();
}

const struct rec_snapshot *records_snapshot(const struct records *t)
{
    return SNAP_READ(&((struct records *)t)->snap);
}

/* ---- listings ---- */

void records_foreach(struct records *t, bool served_only,
                     void (*cb)(const struct rec_view *v, void *ctx), void *ctx)
{
    lock(t);
    for (struct owner *o = t->owners; o; o = o->next) {
        for (struct entry *e = o->head; e; e = e->onext) {
            struct rec_view v = view_of(e);
            if (served_only && !v.served)
                continue;
            cb(&v, ctx);
        }
    }
    pthread_mutex_unlock(&t->mu);
}

void records_get_stats(struct records *t, struct records_stats *out)
{
    memset(out, 0, sizeof *out);
    lock(t);
    out->version = records_snapshot_version(t->snap);
    out->served = records_snapshot_count(t->snap);
    out->entries = t->nentries;
    for (struct owner *o = t->owners; o; o = o->next)
        out->tombstones += o->ntombs;
    out->owners = t->nowners;
    out->local = (struct rec_version){t->local->epoch, t->local->seq};
    pthread_mutex_unlock(&t->mu);
}
