/* records/publish.c — publication of the reader snapshot. Writers serialise on one mutex. Every
 * mutating call publishes what it changed once at its end (or, inside records_batch_begin/end,
 * once at the batch's end) as a snapshot overlay.c builds, with rcu_xchg_pointer (so readers see
 * a whole call's or batch's change or none of it). Old snapshots are reclaimed with
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

static bool is_hosts_source(const char *s)
{
    return strncmp(s, "hosts:", 6) == 0;
}

bool records_ptr_source(enum rec_ptr_mode mode, const char *source)
{
    return mode == REC_PTR_ALL || (mode == REC_PTR_HOSTS && is_hosts_source(source));
}

bool records_gives_ptr(enum rec_ptr_mode mode, const char *source, const char *name)
{
    return records_ptr_source(mode, source) && !records_name_is_wildcard(name);
}

struct snap_pair rt_pair_of(const struct records *t, const struct entry *e)
{
    return (struct snap_pair){
        .name = e->nm->name,
        .addr = e->addr,
        .ttl = e->has_ttl ? e->ttl : t->policy.default_ttl,
        .rank = e->rank,
        .ptr = records_gives_ptr(t->policy.ptr, e->source, e->nm->name),
    };
}

/* Publishes what changed since the last publication, if anything (lock held). */
void rt_publish(struct records *t)
{
    if (t->snap && !t->idx.nch && !t->idx.lost && !t->ov.merged && !t->ov.need_full)
        return;
    if (!rt_overlay_publish(t)) {
        log_error(RECORDS_MOD,
                  "out of memory publishing the record snapshot; will retry on next change");
        return;
    }
    t->dirty = false;
}

static void retire(struct records *t, struct rec_snapshot *s)
{
    for (int i = 0; i < 2; i++) {
        if (s == t->ov.pin[i]) {
            t->ov.pin_retired[i] = true; /* retired once the merge reading it is done */
            return;
        }
    }
    *snap_next(s) = t->retired;
    t->retired = s;
}

/* Makes pub the snapshot readers see and base the one deltas stack over; the previous ones are
 * retired (freed after a grace period) unless still in use. */
void rt_unpin(struct records *t)
{
    struct rec_snapshot *p[2] = {t->ov.pin[0], t->ov.pin[1]};
    bool r[2] = {t->ov.pin_retired[0], t->ov.pin_retired[1]};
    memset(t->ov.pin, 0, sizeof t->ov.pin);
    memset(t->ov.pin_retired, 0, sizeof t->ov.pin_retired);
    for (int i = 0; i < 2; i++)
        if (r[i] && !(i == 1 && p[1] == p[0]))
            retire(t, p[i]);
}

void rt_install(struct records *t, struct rec_snapshot *pub, struct rec_snapshot *base)
{
    struct rec_snapshot *old_pub = SNAP_PUBLISH(&t->snap, pub);
    struct rec_snapshot *old_base = t->ov.base;
    t->ov.base = base;
    if (old_pub && old_pub != base)
        retire(t, old_pub);
    if (old_base && old_base != base && old_base != old_pub)
        retire(t, old_base);
}

void records_set_policy(struct records *t, const struct rec_policy *p)
{
    rt_lock(t);
    if (t->policy.default_ttl != p->default_ttl || t->policy.ptr != p->ptr) {
        t->policy = *p;
        t->dirty = true;
        t->idx.lost = true; /* every name's TTLs and PTRs may change */
        rt_name_relink_ptr(t);
        t->ov.need_full = true;
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
    if (t->ov.base && t->ov.base != t->snap)
        snap_free(t->ov.base);
    if (t->snap)
        snap_free(t->snap);
    t->snap = NULL;
    t->ov.base = NULL;
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
