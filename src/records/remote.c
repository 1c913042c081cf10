/* records/remote.c — other owners' records: validating and applying their deltas (in order, with
 * gaps remembered), exporting and merging full owner states, owner liveness, dropping a departed
 * owner, and collecting tombstones no delta can need any more. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "records/internal.h"
#include "records/records.h"

/* ---- remote owners ---- */

static bool delta_valid(const struct records *t, const struct rec_delta *d)
{
    char norm[REC_NAME_MAX + 1];
    if (!rt_valid_str(d->owner, REC_OWNER_MAX) || strcmp(d->owner, t->local->id) == 0)
        return false;
    if (!rt_valid_str(d->source, REC_SOURCE_MAX) || !rt_valid_addr(&d->addr))
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
    struct owner *o = rt_owner_find(t, d->owner);
    if (!o) {
        o = rt_owner_create(t, d->owner);
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
        if (rt_owner_clear(t, o) && o->alive)
            t->dirty = true;
        rt_owner_reset_seq(o, d->ver.epoch, 0);
        o->has_state = true;
    }
    if (rt_owner_seq_seen(o, d->ver.seq)) {
        res = REC_STALE;
        goto out;
    }
    bool gap = rt_owner_note_seq(o, d->ver.seq);
    bool tomb = d->op == REC_OP_DEL;
    struct entry *e = rt_entry_find(t, o, d->source, d->name, &d->addr);
    if (e && e->seq >= d->ver.seq) {
        res = REC_STALE; /* a newer change of this entry arrived first */
        goto out;
    }
    if (!e) {
        /* A removal of an unknown entry still becomes a tombstone, so an older add arriving
         * later cannot resurrect it. */
        e = rt_entry_add(t, o, d->source, d->name, &d->addr, d->ver.seq, tomb);
        if (!e) {
            res = REC_REJECTED;
            goto out;
        }
        if (!tomb && o->alive)
            t->dirty = true;
    } else {
        if (e->tomb != tomb && o->alive)
            t->dirty = true;
        rt_entry_set_tomb(t, e, tomb);
        e->seq = d->ver.seq;
    }
    /* An add carries the record's rank and TTL (a changed one comes as a new add). */
    if (!tomb && rt_entry_set_attrs(t, e, d->rank, d->has_ttl, d->ttl) && o->alive)
        t->dirty = true;
    res = gap ? REC_GAP : REC_APPLIED;
out:
    if (o)
        rt_auto_collect(t, o);
    return res;
}

enum rec_apply records_apply_delta(struct records *t, const struct rec_delta *d)
{
    if (!d || !delta_valid(t, d))
        return REC_REJECTED;
    rt_lock(t);
    enum rec_apply res = apply_locked(t, d);
    rt_unlock_publish(t);
    return res;
}

size_t records_apply_deltas(struct records *t, const struct rec_delta *d, size_t n,
                            enum rec_apply *results)
{
    size_t applied = 0;
    rt_lock(t);
    for (size_t i = 0; i < n; i++) {
        enum rec_apply r = delta_valid(t, &d[i]) ? apply_locked(t, &d[i]) : REC_REJECTED;
        if (r == REC_APPLIED || r == REC_GAP)
            applied++;
        if (results)
            results[i] = r;
    }
    rt_unlock_publish(t);
    return applied;
}

bool records_owner_version(struct records *t, const char *owner, struct rec_version *out)
{
    if (!owner)
        return false;
    rt_lock(t);
    struct owner *o = rt_owner_find(t, owner);
    bool ok = o && o->has_state;
    if (ok && out)
        *out = (struct rec_version){o->epoch, o->contig};
    pthread_mutex_unlock(&t->mu);
    return ok;
}

bool records_export_owner(struct records *t, const char *owner, struct rec_version *ver_out,
                          void (*cb)(const struct rec_view *v, void *ctx), void *ctx)
{
    if (!owner)
        return false;
    rt_lock(t);
    struct owner *o = rt_owner_find(t, owner);
    bool ok = o && o->has_state;
    if (ok) {
        if (ver_out)
            *ver_out = (struct rec_version){o->epoch, o->contig};
        for (struct entry *e = o->head; e && cb; e = e->onext) {
            struct rec_view v = rt_view_of(e);
            cb(&v, ctx);
        }
    }
    pthread_mutex_unlock(&t->mu);
    return ok;
}

static bool view_valid(const struct rec_view *v)
{
    char norm[REC_NAME_MAX + 1];
    return v && rt_valid_str(v->source, REC_SOURCE_MAX) && rt_valid_addr(&v->addr) && v->seq > 0 &&
           v->name && records_normalize_name(v->name, norm) && strcmp(norm, v->name) == 0;
}

int records_merge_owner(struct records *t, const char *owner, struct rec_version ver,
                        const struct rec_view *entries, size_t n)
{
    if (!rt_valid_str(owner, REC_OWNER_MAX) || (n && !entries))
        return -1;
    int changes = 0;
    rt_lock(t);
    if (strcmp(owner, t->local->id) == 0) {
        changes = -1;
        goto out;
    }
    struct owner *o = rt_owner_find(t, owner);
    if (!o && !(o = rt_owner_create(t, owner))) {
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
        changes = (int)rt_owner_clear(t, o);
        rt_owner_reset_seq(o, ver.epoch, ver.seq);
        o->has_state = true;
        known = 0;
    }
    for (struct entry *e = o->head; e; e = e->onext)
        e->mark = false;
    for (size_t i = 0; i < n; i++) {
        if (!view_valid(&entries[i]))
            continue;
        const struct rec_view *v = &entries[i];
        struct entry *e = rt_entry_find(t, o, v->source, v->name, &v->addr);
        if (!e && v->seq <= known)
            continue;
        if (!e) {
            e = rt_entry_add(t, o, v->source, v->name, &v->addr, v->seq, v->tombstone);
            if (!e)
                continue;
            if (!v->tombstone)
                changes++;
            rt_entry_set_attrs(t, e, v->rank, v->has_ttl, v->ttl);
        } else if (v->seq > e->seq) {
            if (e->tomb != v->tombstone)
                changes++;
            rt_entry_set_tomb(t, e, v->tombstone);
            e->seq = v->seq;
            if (!v->tombstone && rt_entry_set_attrs(t, e, v->rank, v->has_ttl, v->ttl))
                changes++;
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
            rt_entry_del(t, e);
        }
    }
    if (ver.seq > o->contig)
        o->contig = ver.seq;
    if (ver.seq > o->seq)
        o->seq = ver.seq;
    rt_owner_settle(o);
    rt_auto_collect(t, o);
    if (changes && o->alive)
        t->dirty = true;
    if (!o->alive)
        changes = 0;
out:
    rt_unlock_publish(t);
    return changes;
}

void records_set_owner_alive(struct records *t, const char *owner, bool alive)
{
    if (!rt_valid_str(owner, REC_OWNER_MAX))
        return;
    rt_lock(t);
    struct owner *o = rt_owner_find(t, owner);
    if (!o && (o = rt_owner_create(t, owner)) == NULL)
        goto out;
    if (o->local || o->alive == alive)
        goto out;
    o->alive = alive;
    if (o->nentries > o->ntombs)
        t->dirty = true;
    for (struct entry *e = o->head; e; e = e->onext)
        if (!e->tomb)
            rt_name_touch(t, e->nm);
out:
    rt_unlock_publish(t);
}

void records_drop_owner(struct records *t, const char *owner)
{
    if (!owner)
        return;
    rt_lock(t);
    struct owner *o = rt_owner_find(t, owner);
    if (o && !o->local) {
        if (o->alive && o->nentries > o->ntombs)
            t->dirty = true;
        rt_owner_free(t, o);
    }
    rt_unlock_publish(t);
}

size_t records_gc_tombstones(struct records *t, const char *owner, uint64_t upto_seq)
{
    if (!owner)
        return 0;
    size_t n = 0;
    rt_lock(t);
    struct owner *o = rt_owner_find(t, owner);
    if (o) {
        /* A remote owner's tombstone may only go once every earlier delta has arrived, or a
         * late add could resurrect the entry. */
        if (!o->local && upto_seq > o->contig)
            upto_seq = o->contig;
        n = rt_collect_tombstones(t, o, upto_seq);
    }
    pthread_mutex_unlock(&t->mu);
    return n;
}
