/* records/overlay.c — incremental publication of the reader snapshot. The published snapshot is a
 * small delta stacked over a base (snap_set_base): the delta holds the current state of every name
 * whose answer changed since the base was built, and of its ancestors — its addresses, or that it
 * is an empty non-terminal, or that it no longer exists — all built by snap_build like the base.
 * A publication refreshes only the names writers marked (byname.c) and rebuilds only the delta, so
 * its cost follows the delta, not the table. Once the delta holds more than delta_max names, a
 * background thread builds a new base from what that publication's snapshot answers (pinned, read
 * without the lock); the next publication installs it with a delta of only the names changed
 * since. Small tables, and changes touching a large share of the names, are rebuilt in full at
 * once. */
#include <malloc.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/log.h"
#include "core/vec.h"
#include "records/internal.h"
#include "records/records.h"
#include "records/snapshot.h"

#define FULL_BELOW 1024 /* index names up to which every publication rebuilds in full */
#define DELTA_MIN 64    /* delta size at which a background merge starts, at least ... */
#define DELTA_MAX 512   /* ... and at most, else 1/64 of the index */
#define MERGER_NICE 10  /* the merger thread's niceness */
#define FULL_SHARE 4    /* a delta of 1/4 of the index or more: rebuild in full at once */

struct pairs {
    struct snap_pair *v;
    size_t n, cap;
};

void rt_overlay_init(struct records *t)
{
    pthread_cond_init(&t->ov.cv, NULL);
    mallopt(M_MMAP_THRESHOLD, 256 * 1024);
}

void rt_overlay_tune(struct records *t, size_t full_below, size_t full_share, size_t delta_max)
{
    rt_lock(t);
    t->ov.full_below = full_below;
    t->ov.full_share = full_share;
    t->ov.delta_max = delta_max;
    pthread_mutex_unlock(&t->mu);
}

static bool push(struct pairs *p, const struct snap_pair *x)
{
    if (!vec_grow(p->v, p->cap, p->n + 1))
        return false;
    p->v[p->n++] = *x;
    return true;
}

/* Pushes nm's served pairs; with forward_only, without their PTRs (a delta's names hide only
 * forward names: the base's reverse names stay as they are). */
static bool push_served(struct records *t, struct pairs *p, const struct rname *nm,
                        bool forward_only)
{
    for (const struct entry *e = nm->entries; e; e = e->nnext) {
        if (!rt_entry_served(e))
            continue;
        struct snap_pair x = rt_pair_of(t, e);
        x.ptr &= !forward_only;
        if (!push(p, &x))
            return false;
    }
    return true;
}

/* Reverse name nm's PTRs: every served record of its address that gives one, as PTR-only. */
static bool push_ptrs(struct records *t, struct pairs *p, const struct rname *nm)
{
    for (const struct entry *e = nm->pentries; e; e = e->anext) {
        if (!rt_entry_served(e))
            continue;
        struct snap_pair x = rt_pair_of(t, e);
        x.ptr = x.ptr_only = true;
        if (!push(p, &x))
            return false;
    }
    return true;
}

/* Every served pair of the table. */
static bool collect_all(struct records *t, struct pairs *p)
{
    p->n = 0;
    for (size_t i = 0; i < t->idx.nb; i++)
        for (const struct rname *nm = t->idx.b[i]; nm; nm = nm->hnext)
            if (nm->served && !push_served(t, p, nm, false))
                return false;
    return true;
}

/* Puts nm and its ancestors in the delta (stamped with this publication). */
static bool delta_add(struct records *t, struct rname *nm)
{
    struct rt_overlay *ov = &t->ov;
    for (; nm && nm->dstamp != ov->pubseq; nm = rt_name_parent(t, nm)) {
        if (!nm->dstamp) {
            if (!vec_grow(ov->d, ov->capd, ov->nd + 1)) // NOLINT(bugprone-sizeof-expression)
                return false;
            ov->d[ov->nd++] = nm;
        }
        nm->dstamp = ov->pubseq;
    }
    return true;
}

/* Takes d[from..nd) out of the delta and frees the names nothing needs any more. A name is
 * pinned until its turn, so releasing one (which may free its parent) never frees a name still
 * to be visited. */
static void delta_drop(struct records *t, size_t from)
{
    struct rt_overlay *ov = &t->ov;
    for (size_t i = from; i < ov->nd; i++) {
        ov->d[i]->dstamp = 0;
        ov->d[i]->changed = true;
    }
    for (size_t i = from; i < ov->nd; i++) {
        ov->d[i]->changed = false;
        rt_name_release(t, ov->d[i]);
    }
    ov->nd = from;
}

/* Keeps in the delta only the names changed after publication seq (a merged base holds the
 * state of that publication). */
static void delta_prune(struct records *t, uint32_t seq)
{
    struct rt_overlay *ov = &t->ov;
    size_t k = 0;
    for (size_t i = 0; i < ov->nd; i++) {
        if (ov->d[i]->dstamp > seq) {
            struct rname *x = ov->d[k];
            ov->d[k++] = ov->d[i];
            ov->d[i] = x;
        }
    }
    delta_drop(t, k);
}

static void *merger(void *arg);

/* Hands the snapshot just published (and its base) to the merger thread, which builds a new base
 * from what they answer without the lock. */
static void merge_start(struct records *t, uint64_t version)
{
    struct rt_overlay *ov = &t->ov;
    if (!ov->thr_started) {
        if (pthread_create(&ov->thr, NULL, merger, t) != 0)
            return;
        ov->thr_started = true;
    }
    ov->pin[0] = t->snap;
    ov->pin[1] = ov->base;
    ov->job = true;
    ov->mseq = ov->pubseq;
    ov->mversion = version;
    ov->merging = true;
    ov->obsolete = false;
    pthread_cond_signal(&ov->cv);
}

static void *merger(void *arg)
{
    struct records *t = arg;
    struct rt_overlay *ov = &t->ov;
    /* Below the writers and DNS workers (Linux nice is per thread): a merge may take a while, a
     * publication should not wait for a time slice behind it. */
    (void)setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), MERGER_NICE);
    rt_lock(t);
    for (;;) {
        while (!ov->stop && !ov->job)
            pthread_cond_wait(&ov->cv, &t->mu);
        if (ov->stop)
            break;
        const struct rec_snapshot *src = ov->pin[0];
        uint64_t version = ov->mversion;
        ov->job = false;
        pthread_mutex_unlock(&t->mu);
        struct snap_pair *p = NULL;
        char *names = NULL;
        size_t n = 0;
        struct rec_snapshot *s = snap_pairs(src, &p, &n, &names) ? snap_build(p, n, version) : NULL;
        free(p);
        free(names);
        rt_lock(t);
        ov->merging = false;
        rt_unpin(t);
        if (s && !ov->obsolete && !ov->stop) {
            ov->merged = s;
            ov->merges++;
        } else if (s) {
            snap_free(s);
        }
        ov->obsolete = false;
        if (ov->stop)
            break;
        rt_unlock_publish(t); /* installs it unless a batch is open */
        malloc_trim(0);
        rt_lock(t);
    }
    pthread_mutex_unlock(&t->mu);
    return NULL;
}

/* The version of s, about to be published: a new one only if its content (digest and count)
 * differs from the published snapshot's. A refreshed name's addresses do not tell: a policy change
 * or a reverse name refreshed may or may not change what is answered. */
static uint64_t content_version(struct records *t, struct rec_snapshot *s)
{
    uint64_t v = t->snap && snap_digest(s) == snap_digest(t->snap) &&
                         records_snapshot_count(s) == records_snapshot_count(t->snap)
                     ? t->version
                     : t->version + 1;
    snap_set_version(s, v);
    return v;
}

/* Publishes what the marked names changed (lock held). False on allocation failure: what could
 * not be published is published by a later call. */
bool rt_overlay_publish(struct records *t)
{
    struct rt_overlay *ov = &t->ov;
    struct rt_index *x = &t->idx;
    if (ov->pubseq >= UINT32_MAX - 1)
        ov->need_full = true; /* stamps restart after a full build */
    ov->pubseq++;
    bool any = false, ch;
    if (x->lost) {
        for (size_t i = 0; i < x->nb; i++) {
            for (struct rname *nm = x->b[i]; nm; nm = nm->hnext) {
                if (nm->changed)
                    continue; /* below, once */
                if (!rt_name_refresh(t, nm, &ch))
                    return false;
                any |= ch;
                if (ch && !delta_add(t, nm))
                    ov->need_full = true;
            }
        }
        x->lost = false;
    }
    /* A name waiting for its turn is still marked changed, so releasing one before it (which
     * may free its parent) never frees it. */
    for (size_t i = 0; i < x->nch; i++) {
        struct rname *nm = x->ch[i];
        if (!rt_name_refresh(t, nm, &ch)) {
            memmove(x->ch, x->ch + i, (x->nch - i) * sizeof(struct rname *));
            x->nch -= i;
            return false;
        }
        nm->changed = false;
        if (ch) {
            any = true;
            if (!delta_add(t, nm))
                ov->need_full = true;
        }
        rt_name_release(t, nm);
    }
    x->nch = 0;
    struct rec_snapshot *base = ov->base;
    if (ov->merged) {
        base = ov->merged;
        ov->merged = NULL;
        delta_prune(t, ov->mseq);
    } else if (!any && t->snap && !ov->need_full) {
        return true;
    }
    uint64_t version = any ? t->version + 1 : t->version;
    size_t full_below = ov->full_below ? ov->full_below : FULL_BELOW;
    size_t full_share = ov->full_share ? ov->full_share : FULL_SHARE;
    size_t delta_max = ov->delta_max ? ov->delta_max : t->idx.n / 64;
    if (!ov->delta_max)
        delta_max = delta_max < DELTA_MIN   ? DELTA_MIN
                    : delta_max > DELTA_MAX ? DELTA_MAX
                                            : delta_max;
    struct rec_snapshot *s;
    if (!base || ov->need_full || t->idx.n <= full_below || ov->nd * full_share >= t->idx.n) {
        struct pairs p = {0}; /* as large as the table: not kept */
        s = collect_all(t, &p) ? snap_build(p.v, p.n, t->version + 1) : NULL;
        free(p.v);
        if (!s)
            goto fail;
        version = content_version(t, s);
        if (ov->merging)
            ov->obsolete = true;
        if (base && base != ov->base)
            snap_free(base); /* a merged base superseded before it was published */
        delta_drop(t, 0);
        ov->pubseq = 0;
        ov->count = records_snapshot_count(s);
        ov->need_full = false;
        ov->full_builds++;
        if (t->idx.n > full_below)
            malloc_trim(0); /* a large build (a load): return what it freed */
        rt_install(t, s, s);
    } else if (!ov->nd && records_snapshot_version(base) == version) {
        rt_install(t, base, base);
    } else {
        struct pairs p = {ov->pairs, 0, ov->cappairs};
        bool ok = true;
        for (size_t i = 0; i < ov->nd && ok; i++) {
            const struct rname *x = ov->d[i];
            struct snap_pair marker = {.name = x->name,
                                       .addr.type = x->ndesc ? SNAP_PAIR_ENT : SNAP_PAIR_ABSENT};
            if (x->served)
                ok = push_served(t, &p, x, true);
            if (ok && x->pserved)
                ok = push_ptrs(t, &p, x);
            if (ok && !x->served && !x->pserved)
                ok = push(&p, &marker);
        }
        ov->pairs = p.v;
        ov->cappairs = p.cap;
        s = ok ? snap_build(p.v, p.n, version) : NULL;
        if (!s)
            goto fail;
        snap_set_base(s, base, ov->count);
        version = content_version(t, s);
        rt_install(t, s, base);
        if (ov->nd > delta_max && !ov->merging)
            merge_start(t, version);
    }
    t->version = version;
    return true;
fail:
    if (base != ov->base)
        snap_free(base); /* the merged base: the delta was pruned for it, so rebuild in full */
    ov->need_full = true;
    return false;
}

void rt_overlay_stop(struct records *t)
{
    struct rt_overlay *ov = &t->ov;
    rt_lock(t);
    bool started = ov->thr_started;
    ov->stop = true;
    pthread_cond_signal(&ov->cv);
    pthread_mutex_unlock(&t->mu);
    if (started)
        pthread_join(ov->thr, NULL);
    ov->thr_started = false;
    rt_lock(t);
    rt_unpin(t); /* a job never taken */
    pthread_mutex_unlock(&t->mu);
}

void rt_overlay_free(struct records *t)
{
    struct rt_overlay *ov = &t->ov;
    free(ov->d);
    free(ov->scratch);
    free(ov->pairs);
    if (ov->merged)
        snap_free(ov->merged);
    pthread_cond_destroy(&ov->cv);
    memset(ov, 0, sizeof *ov);
}
