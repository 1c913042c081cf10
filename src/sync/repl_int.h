/* sync/repl_int.h — internals of the sans-IO replication core shared by repl.c (deltas, states,
 * repairs, membership) and tombs.c (collection of our own tombstones). */
#ifndef JOYRIDE_SYNC_REPL_INT_H
#define JOYRIDE_SYNC_REPL_INT_H

#include "sync/codec.h"
#include "sync/repl.h"

#define SYNC_MOD "sync"
/* Largest DELTAS payload gossiped: fits a 1400-byte packet with compound, user-message and
 * encryption overheads. */
#define SYNC_GOSSIP_MAX 1000
#define SYNC_REPAIR_RETRY_MS 500
/* After local changes, our version is announced this long after the last one, so a peer that
 * missed the final change (no later one reveals the gap) repairs it within about a second. */
#define SYNC_BEACON_DELAY_MS 1000
#define SYNC_HOUSEKEEPING_MS 500 /* repair retries and tombstone collection */

/* A queued swimmies callback (the core is not re-entered from its own callbacks). */
enum repl_input { REPL_IN_EVENT, REPL_IN_MSG };
struct repl_queued {
    struct repl_queued *next;
    enum repl_input kind;
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

struct repl {
    struct repl_config cfg;
    char node_id[REC_OWNER_MAX + 1];
    struct swim *swim;
    struct repl_store st;
    uint64_t now;
    bool stopping;

    struct repl_queued *q_head, *q_tail;
    uint64_t beacon_at;       /* 0: no beacon armed */
    uint64_t housekeeping_at; /* next repair retry / tombstone pass */

    struct sync_repair *repairs;
    size_t n_repairs, cap_repairs;
    struct sync_peer_seen *seen;
    size_t n_seen, cap_seen;
    struct sync_tomb_mark marks[SYNC_TOMB_MARKS]; /* ring, oldest at mark_head */
    size_t mark_head, n_marks;

    struct sync_stats stats;
};

/* Names of the live (alive or suspect) members other than self. */
struct name_list {
    char (*ids)[REC_OWNER_MAX + 1];
    size_t n, cap;
    const char *self;
};
bool repl_collect_live(void *ctx, const struct swim_member *m);
void repl_live_members(struct repl *r, struct name_list *l);

/* ---- tombs.c ---- */
/* Collects our own tombstones no peer needs any more (from housekeeping). */
void repl_tombs_collect(struct repl *r, uint64_t now);

#endif
