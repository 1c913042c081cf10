/* sync/internal.h — internals of the cluster sync manager shared by manager.c (lifecycle,
 * membership driving, discovery, seeds, status) and repl.c (deltas, full states, repairs). */
#ifndef JOYRIDE_SYNC_INTERNAL_H
#define JOYRIDE_SYNC_INTERNAL_H

#include <pthread.h>

#include "swimmies/keyring.h"
#include "swimmies/transport_udp.h"
#include "sync/codec.h"
#include "sync/joinlimit.h"
#include "sync/sync.h"

#define SYNC_MOD "sync"
/* Largest DELTAS payload gossiped: fits a 1400-byte packet with compound, user-message and
 * encryption overheads. */
#define SYNC_GOSSIP_MAX 1000
/* Up to this many live peers, deltas also go straight to each of them at once. */
#define SYNC_DIRECT_MAX 16
#define SYNC_REPAIR_RETRY_MS 500
/* After local changes, our version is announced this long after the last one, so a peer that
 * missed the final change (no later one reveals the gap) repairs it within about a second. */
#define SYNC_BEACON_DELAY_MS 1000 /* a repair not answered by then is asked again elsewhere */

/* Work from inside swimmies callbacks, run once the core has returned (the core is not
 * re-entrant: callbacks must not call back into it). */
struct sync_deferred {
    struct sync_deferred *next;
    bool is_event;
    enum swim_event ev;
    char name[REC_OWNER_MAX + 1];
    size_t len;
    uint8_t msg[];
};

/* An outstanding repair request for one owner. */
struct sync_repair {
    char owner[REC_OWNER_MAX + 1];
    struct rec_version need; /* settled once we hold the owner up to this */
    uint64_t detected_ms;    /* when the gap was seen */
    uint64_t asked_ms;       /* when we last asked */
    uint32_t tries;
    bool active;
};

/* What a peer last told us it holds of our own records (for tombstone collection). */
struct sync_peer_seen {
    char node[REC_OWNER_MAX + 1];
    struct rec_version ver;
};

/* Our seq at one housekeeping tick: dates our tombstones without a clock per entry. */
struct sync_tomb_mark {
    uint64_t ms, epoch, seq;
};
#define SYNC_TOMB_MAX_AGE_MS 10000 /* our tombstones kept at most this long with peers alive */
#define SYNC_TOMB_MARKS 64         /* marks kept: 64 ticks of 500 ms span the maximum age */

struct sync {
    struct loop *loop;
    struct records *records;
    struct sync_config cfg;
    char *strings; /* owned copies of cfg strings */
    struct sync_seed *seeds;
    struct swim_keyring keyring;
    struct swim *swim;
    struct swim_net *net; /* UDP/TCP transport; owns swim */
    uint16_t port;        /* bound SWIM port */
    size_t direct_max;    /* live peers up to which deltas also go directly */
    struct swim_discovery *discovery;
    struct loop_timer *seed_timer, *status_timer, *beacon_timer;
    uint32_t seed_backoff_ms;
    struct sync_join_limiter joins; /* joins discovery triggers (loop thread) */
    bool stopping;

    /* Local deltas waiting for the loop thread (the observer runs on any thread). */
    pthread_mutex_t qmu;
    struct rec_delta *pending;
    size_t n_pending, cap_pending;
    bool flush_posted;
    bool sync_posted;      /* an on-demand sync is queued on the loop */
    uint64_t sync_last_ms; /* when the last on-demand sync was queued (0: never) */

    /* Deferred callback work (loop thread). */
    struct sync_deferred *dq_head, *dq_tail;
    bool dq_posted;

    /* Repairs in flight (loop thread). */
    struct sync_repair *repairs;
    size_t n_repairs, cap_repairs;
    struct sync_peer_seen *seen;
    size_t n_seen, cap_seen;
    struct sync_tomb_mark marks[SYNC_TOMB_MARKS]; /* ring, oldest at mark_head */
    size_t mark_head, n_marks;

    /* Published status (mu); stats are updated on the loop thread under mu. */
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

/* ---- repl.c: the swimmies delegate and the local delta queue ---- */
void sync_repl_on_delta(const struct rec_delta *d, void *ctx); /* records observer */
void sync_repl_on_event(void *ctx, enum swim_event ev, const struct swim_member *m);
void sync_repl_on_user_msg(void *ctx, const uint8_t *msg, size_t len);
void sync_repl_local_state(void *ctx, bool join, uint8_t **out, size_t *out_len);
void sync_repl_merge_remote_state(void *ctx, const uint8_t *buf, size_t len, bool join);
/* Sends our full state, asking for theirs, to every alive member (loop thread). */
void sync_repl_exchange_all(struct sync *s);
/* Retries unanswered repairs and collects our tombstones (loop thread). */
void sync_repl_housekeeping(struct sync *s);
void sync_repl_free(struct sync *s);

/* True if name is a member we consider alive or suspect (not self). */
bool sync_member_live(struct sync *s, const char *name);

/* Names of the live (alive or suspect) members other than self, for swim_foreach_member. */
struct name_list {
    char (*ids)[REC_OWNER_MAX + 1];
    size_t n, cap;
    const char *self;
};
bool sync_collect_live(void *ctx, const struct swim_member *m);

/* ---- tombs.c ---- */
/* Collects our own tombstones no peer needs any more (loop thread, from housekeeping). */
void sync_tombs_collect(struct sync *s, uint64_t now);

#define SYNC_STAT(s, field, n)                                                                     \
    do {                                                                                           \
        pthread_mutex_lock(&(s)->mu);                                                              \
        (s)->stats.field += (n);                                                                   \
        pthread_mutex_unlock(&(s)->mu);                                                            \
    } while (0)

#endif
