/* records/publish.c — publication of the reader snapshot. Writers serialise on one mutex. Every
 * mutating call rebuilds the served set once at its end (or, inside records_batch_begin/end, once
 * at the batch's end) and publishes it with rcu_xchg_pointer (so readers see a whole call's or
 * batch's change or none of it). Old snapshots are reclaimed with
 * urcu_memb_synchronize_rcu() after the mutex is released; when the writer itself runs inside a
 * read-side critical section (a registered reader thread holding records_read_lock), waiting would
 * deadlock, so the old snapshot is parked on a retired list and freed by the next writer that is
 * outside one (or by records_free). call_rcu is not used because it requires the caller to be a
 * registered reader thread and writers (control thread, Docker thread) are not. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <urcu/urcu-memb.h>

#include "core/log.h"
#include "records/internal.h"
#include "records/records.h"
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

/* ---- publication ---- */

struct name_set {
    const char **v;
    size_t mask;
};

static uint64_t str_hash(const char *s)
{
    return rt_fnv(0xcbf29ce484222325ull, s, strlen(s));
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

bool records_ptr_source(enum rec_ptr_mode mode, const char *source)
{
    return mode == REC_PTR_ALL || (mode == REC_PTR_HOSTS && is_hosts_source(source));
}

static struct snap_pair pair_of(const struct records *t, const struct entry *e)
{
    return (struct snap_pair){
        .name = e->name,
        .addr = e->addr,
        .ttl = e->has_ttl ? e->ttl : t->policy.default_ttl,
        .rank = e->rank,
        /* a wildcard stands for many names, none of which is the address's name */
        .ptr = records_ptr_source(t->policy.ptr, e->source) && !records_name_is_wildcard(e->name),
    };
}

/* Recomputes shadowing and, if the served set changed, publishes a new snapshot. Lock held. */
void rt_publish(struct records *t)
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
            if (rt_entry_served(e))
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
            if (rt_entry_served(e))
                pairs[k++] = pair_of(t, e);
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
    log_error(RECORDS_MOD,
              "out of memory publishing the record snapshot; will retry on next change");
}

void records_set_policy(struct records *t, const struct rec_policy *p)
{
    rt_lock(t);
    if (t->policy.default_ttl != p->default_ttl || t->policy.ptr != p->ptr) {
        t->policy = *p;
        t->dirty = true;
    }
    rt_unlock_publish(t);
}

void rt_lock(struct records *t)
{
    pthread_mutex_lock(&t->mu);
}

/* Publishes pending changes (unless a batch is open), releases the lock and reclaims retired
 * snapshots. */
void rt_unlock_publish(struct records *t)
{
    if (!t->batch)
        rt_publish(t);
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

void records_batch_begin(struct records *t)
{
    rt_lock(t);
    t->batch++;
    pthread_mutex_unlock(&t->mu);
}

void records_batch_end(struct records *t)
{
    rt_lock(t);
    if (t->batch)
        t->batch--;
    rt_unlock_publish(t);
}

/* Frees the published snapshot and every retired one (records_free). */
void rt_free_snapshots(struct records *t)
{
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
    t->snap = NULL;
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
