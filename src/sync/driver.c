/* sync/driver.c — the replication core (repl.c) on the control thread's event loop: this node's
 * record changes queued from any thread and handed to the core on the loop, the core's timer
 * requests as one loop timer (or a post when due at once), swimmies delegate calls forwarded to
 * the core, and the core's counters published for other threads after every run. */
#include "sync/internal.h"

#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/vec.h"

/* Copies the core's counters into the published ones (keeping the manager's own fields) and
 * turns the core's monotonic last-sync time into wall time. */
static void publish(struct sync *s)
{
    if (!s->repl)
        return;
    struct sync_stats c = *repl_stats(s->repl);
    if (c.last_sync > 0) {
        double ago = (double)(loop_now_ms() - (uint64_t)c.last_sync) / 1000.0;
        c.last_sync = sync_wall_now() - (ago > 0 ? ago : 0);
    }
    pthread_mutex_lock(&s->mu);
    c.joins_attempted = s->stats.joins_attempted;
    c.sync_requests = s->stats.sync_requests;
    c.sync_requests_coalesced = s->stats.sync_requests_coalesced;
    c.discovery_joins = s->stats.discovery_joins;
    c.joins_rate_limited = s->stats.joins_rate_limited;
    c.joins_backoff = s->stats.joins_backoff;
    c.joins_address_conflict = s->stats.joins_address_conflict;
    s->stats = c;
    pthread_mutex_unlock(&s->mu);
}

static void arm(struct sync *s, uint64_t deadline);

/* Runs the core, then re-arms for what it asks next. */
static void drive(struct sync *s)
{
    if (!s->repl || s->stopping)
        return;
    repl_tick(s->repl, loop_now_ms());
    publish(s);
    if (s->events_pending) {
        s->events_pending = false;
        sync_refresh_status(s);
    }
    arm(s, repl_next_deadline(s->repl));
}

static void on_post(void *ctx)
{
    struct sync *s = ctx;
    s->repl_posted = false;
    drive(s);
}

static void on_timer(void *ctx)
{
    struct sync *s = ctx;
    s->repl_timer = NULL;
    drive(s);
}

static void arm(struct sync *s, uint64_t deadline)
{
    if (s->stopping || deadline == UINT64_MAX)
        return;
    uint64_t now = loop_now_ms();
    if (deadline <= now) {
        if (!s->repl_posted && loop_post(s->loop, on_post, s) == 0)
            s->repl_posted = true;
        return;
    }
    if (s->repl_timer && s->repl_timer_at <= deadline)
        return;
    if (s->repl_timer)
        loop_timer_cancel(s->loop, s->repl_timer);
    s->repl_timer = loop_timer_add(s->loop, deadline - now, on_timer, s);
    s->repl_timer_at = deadline;
}

static void core_schedule(void *ctx, uint64_t deadline)
{
    arm(ctx, deadline);
}

/* ---- local deltas: observer (any thread) -> queue -> core (loop thread) ---- */

static void flush_deltas(void *ctx)
{
    struct sync *s = ctx;
    pthread_mutex_lock(&s->qmu);
    struct rec_delta *d = s->pending;
    size_t n = s->n_pending;
    s->pending = NULL;
    s->n_pending = s->cap_pending = 0;
    s->flush_posted = false;
    bool stopping = s->stopping;
    pthread_mutex_unlock(&s->qmu);
    if (!stopping && s->repl) {
        repl_local_deltas(s->repl, loop_now_ms(), d, n);
        publish(s);
        arm(s, repl_next_deadline(s->repl));
    }
    free(d);
}

void sync_repl_on_delta(const struct rec_delta *d, void *ctx)
{
    struct sync *s = ctx;
    pthread_mutex_lock(&s->qmu);
    if (!vec_grow(s->pending, s->cap_pending, s->n_pending + 1)) {
        /* Lost for gossip; peers repair from the gap or the next push/pull. */
        pthread_mutex_unlock(&s->qmu);
        return;
    }
    s->pending[s->n_pending++] = *d;
    if (!s->flush_posted && !s->stopping && loop_post(s->loop, flush_deltas, s) == 0)
        s->flush_posted = true;
    pthread_mutex_unlock(&s->qmu);
}

/* ---- the swimmies delegate ---- */

static void d_event(void *ctx, enum swim_event ev, const struct swim_member *m)
{
    struct sync *s = ctx;
    if (!s->repl)
        return;
    repl_on_event(s->repl, ev, m);
    s->events_pending = true;
}

static void d_user_msg(void *ctx, const uint8_t *msg, size_t len)
{
    struct sync *s = ctx;
    if (s->repl)
        repl_on_user_msg(s->repl, msg, len);
}

static void d_local_state(void *ctx, bool join, uint8_t **out, size_t *out_len)
{
    struct sync *s = ctx;
    *out = NULL;
    *out_len = 0;
    if (!s->repl)
        return;
    repl_local_state(s->repl, join, out, out_len);
    publish(s);
}

static void d_merge_remote_state(void *ctx, const uint8_t *buf, size_t len, bool join)
{
    struct sync *s = ctx;
    if (!s->repl)
        return;
    repl_merge_remote_state(s->repl, buf, len, join);
    publish(s);
}

struct swim_delegate sync_driver_delegate(struct sync *s)
{
    return (struct swim_delegate){
        .ctx = s,
        .on_event = d_event,
        .on_user_msg = d_user_msg,
        .local_state = d_local_state,
        .merge_remote_state = d_merge_remote_state,
    };
}

/* ---- lifecycle ---- */

bool sync_driver_start(struct sync *s)
{
    size_t direct_max = s->cfg.direct_max < 0    ? 0
                        : s->cfg.direct_max == 0 ? SYNC_DIRECT_MAX
                                                 : (size_t)s->cfg.direct_max;
    struct repl_config rc = {
        .node_id = s->cfg.node_id,
        .swim = s->swim,
        .store = repl_store_records(s->records),
        .direct_max = direct_max,
        .keep_on_failure = s->cfg.keep_on_failure,
        .schedule = core_schedule,
        .ctx = s,
    };
    s->repl = repl_new(&rc, loop_now_ms());
    if (!s->repl)
        return false;
    arm(s, repl_next_deadline(s->repl));
    return true;
}

void sync_driver_exchange_all(struct sync *s)
{
    if (!s->repl)
        return;
    repl_exchange_all(s->repl, loop_now_ms());
    publish(s);
    arm(s, repl_next_deadline(s->repl));
}

void sync_driver_stop(struct sync *s)
{
    repl_stop(s->repl);
    if (s->repl_timer)
        loop_timer_cancel(s->loop, s->repl_timer);
    s->repl_timer = NULL;
}

void sync_driver_free(struct sync *s)
{
    if (s->repl_timer)
        loop_timer_cancel(s->loop, s->repl_timer);
    s->repl_timer = NULL;
    repl_free(s->repl);
    s->repl = NULL;
    free(s->pending);
    s->pending = NULL;
    s->n_pending = s->cap_pending = 0;
}
