/* sync/internal.h — internals of the cluster sync manager shared by manager.c (lifecycle,
 * discovery, seeds, status) and driver.c (the loop driver of the replication core in repl.c). */
#ifndef JOYRIDE_SYNC_INTERNAL_H
#define JOYRIDE_SYNC_INTERNAL_H

#include <pthread.h>

#include "swimmies/keyring.h"
#include "swimmies/transport_udp.h"
#include "sync/joinlimit.h"
#include "sync/repl_int.h"
#include "sync/sync.h"

/* Up to this many live peers, deltas also go straight to each of them at once. */
#define SYNC_DIRECT_MAX 16

struct sync {
    struct loop *loop;
    struct records *records;
    struct sync_config cfg;
    char *strings; /* owned copies of cfg strings */
    struct sync_seed *seeds;
    struct swim_keyring keyring;
    struct swim *swim;
    struct swim_net *net; /* UDP/TCP transport; owns swim */
    struct repl *repl;    /* the replication core over swim and the record table */
    uint16_t port;        /* bound SWIM port */
    struct swim_discovery *discovery;
    struct loop_timer *seed_timer, *status_timer;
    uint32_t seed_backoff_ms;
    struct sync_join_limiter joins; /* joins discovery triggers (loop thread) */
    bool stopping;

    /* The core's timer (loop thread). */
    struct loop_timer *repl_timer;
    uint64_t repl_timer_at;
    bool repl_posted;    /* a run of the core is posted to the loop */
    bool events_pending; /* membership changed since the status was refreshed */

    /* Local deltas waiting for the loop thread (the observer runs on any thread). */
    pthread_mutex_t qmu;
    struct rec_delta *pending;
    size_t n_pending, cap_pending;
    bool flush_posted;
    bool sync_posted;      /* an on-demand sync is queued on the loop */
    uint64_t sync_last_ms; /* when the last on-demand sync was queued (0: never) */

    /* Published status (mu); the core's counters are copied in after every run. */
    pthread_mutex_t mu;
    struct sync_stats stats;
    struct sync_member_status *members;
    size_t n_members;
    uint32_t counts[4];
    struct swim_metrics swim_metrics;
};

double sync_wall_now(void);
/* Rebuilds the status snapshot HTTP threads copy (loop thread; after membership changes). */
void sync_refresh_status(struct sync *s);

/* ---- driver.c: the replication core on the event loop ---- */
void sync_repl_on_delta(const struct rec_delta *d, void *ctx); /* records observer */
/* The swimmies delegate: forwards to the core, then keeps the driver's view current. */
struct swim_delegate sync_driver_delegate(struct sync *s);
/* Creates the core (after swimmies); false on allocation failure. */
bool sync_driver_start(struct sync *s);
/* Sends our full state, asking for theirs, to every alive member (loop thread). */
void sync_driver_exchange_all(struct sync *s);
/* Stops the core and cancels its timer (before the leave spreads). */
void sync_driver_stop(struct sync *s);
void sync_driver_free(struct sync *s);

#define SYNC_STAT(s, field, n)                                                                     \
    do {                                                                                           \
        pthread_mutex_lock(&(s)->mu);                                                              \
        (s)->stats.field += (n);                                                                   \
        pthread_mutex_unlock(&(s)->mu);                                                            \
    } while (0)

#endif
