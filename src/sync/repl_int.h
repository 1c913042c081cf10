/* sync/repl_int.h — internals of the sans-IO replication core shared by repl.c (deltas, beacons,
 * merges, membership, driving), fetch.c (digests, windowed fetches, chunked owner states) and
 * tombs.c (collection of our own tombstones). */
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
/* Largest owner-state message: bigger states travel as CHUNKs of at most this many bytes. */
#define SYNC_CHUNK_MAX 8192
#define SYNC_CHUNK_OVERHEAD 160 /* CHUNK header around the STATE inside (owner <= 128 bytes) */
#define SYNC_ASM_PARTS_MAX 4096 /* chunks of one owner state: 32 MiB at most */
#define SYNC_ASM_MAX 64         /* owner states being reassembled at once */
/* Fetches of owner states in flight at once (the rest wait their turn). */
#define SYNC_FETCH_WINDOW 16
/* A burst of more local changes than this is not gossiped change by change: our version is
 * announced instead (SYNC_BURST_BEACON_MS after the burst) and peers fetch the state in chunks,
 * each from a node that already has it. */
#define SYNC_BURST_DELTAS 64
#define SYNC_BURST_BEACON_MS 200
/* Having (re)joined, or seen members come back, we announce our version this soon, at most once
 * per SYNC_ANNOUNCE_MIN_MS. */
#define SYNC_ANNOUNCE_DELAY_MS 100
#define SYNC_ANNOUNCE_MIN_MS 5000
/* A large cluster does not fetch a joining member's records from it at once (announcements
 * and digests bring them, from whoever has them); if we still hold nothing of it this long after
 * its join, we ask. */
#define SYNC_JOIN_FETCH_DELAY_MS 3000
#define SYNC_OWED_MS 10000
/* Owners whose version changed here in the last SYNC_RECENT_MS are "recent": every
 * SYNC_RECENT_DIGEST_MS their versions (at most SYNC_RECENT_MAX, newest first, one UDP packet)
 * go to one random member, which fetches what it lacks. Rumours of changes miss a few nodes;
 * this finds them within seconds, and costs nothing while nothing changes. */
#define SYNC_RECENT_MS 30000
#define SYNC_RECENT_DIGEST_MS 2000
#define SYNC_RECENT_MAX 32
#define SYNC_OWED_MAX 1024

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

/* An outstanding fetch of one owner's state (a repair of a gap, a digest difference, a beacon). */
struct sync_repair {
    char owner[REC_OWNER_MAX + 1];
    char source[REC_OWNER_MAX + 1]; /* asked first: a node known to hold it ("" none) */
    struct rec_version need;        /* settled once we hold the owner up to this */
    uint64_t detected_ms;           /* when the need was seen */
    uint64_t asked_ms;              /* when we last asked */
    uint64_t not_before;            /* not asked before this time (ms) */
    struct rec_version held;        /* a delayed fetch: what we held when it was planned */
    uint32_t tries;
    bool active;
    bool asked; /* sent at least once (else waiting for a window slot) */
    bool relay; /* once settled, announce that we hold it (epidemic pull) */
    bool once;  /* asked once, not retried (a probe of a member that came back) */
};

/* One owner's state arriving in chunks from one sender. */
struct sync_assembly {
    char owner[REC_OWNER_MAX + 1];
    char sender[REC_OWNER_MAX + 1];
    struct rec_version ver;
    uint32_t total, got;
    uint64_t started_ms;
    struct sync_state *parts;
    uint32_t firsts[SYNC_ASM_PARTS_MAX];
    size_t n_parts, cap_parts;
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
    bool in_callback; /* inside a swimmies callback: send nothing, queue it for the next tick */

    struct repl_queued *q_head, *q_tail;
    uint64_t beacon_at;       /* 0: no beacon armed */
    uint64_t housekeeping_at; /* next repair retry / tombstone pass */

    struct sync_repair *repairs;
    size_t n_repairs, cap_repairs;
    bool fetch_waiting; /* fetches wait for a window slot */
    /* Newer versions of owners we consider dead, heard from live peers (a healed partition):
     * fetched once the owner is alive again in our view. */
    struct sync_repair *parked;
    size_t n_parked, cap_parked;
    /* Fetch requests from nodes we do not know yet (we cannot address them): answered when they
     * join our view, dropped after SYNC_OWED_MS. */
    struct sync_owed {
        char requester[REC_OWNER_MAX + 1];
        char owner[REC_OWNER_MAX + 1];
        uint64_t at;
    } * owed;
    size_t n_owed, cap_owed;
    struct sync_assembly *asm_;
    size_t n_asm, cap_asm;
    struct sync_peer_seen *relayed; /* the newest version of each owner we announced */
    size_t n_relayed, cap_relayed;
    struct sync_recent {
        char owner[REC_OWNER_MAX + 1];
        uint64_t at;
    } * recent;
    size_t n_recent, cap_recent;
    uint64_t recent_at; /* next recent digest */
    size_t recent_round;
    uint64_t rng;
    bool announced;         /* our version was announced since we (re)joined */
    uint64_t last_announce; /* when (ms) */
    struct sync_peer_seen *seen;
    size_t n_seen, cap_seen;
    struct sync_tomb_mark marks[SYNC_TOMB_MARKS]; /* ring, oldest at mark_head */
    size_t mark_head, n_marks;
    uint64_t gc_epoch, gc_upto; /* our tombstones up to this version are collected */

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
bool repl_member_live(struct repl *r, const char *name); /* alive or suspect, not self */
bool repl_member_gone(struct repl *r, const char *name); /* dead or left */

static inline bool ver_newer(struct rec_version a, struct rec_version b)
{
    return a.epoch > b.epoch || (a.epoch == b.epoch && a.seq > b.seq);
}

/* ---- repl.c ---- */
/* Merges one decoded state (owners the membership says are alive, newer than ours). */
void repl_merge_state(struct repl *r, const struct sync_state *st, const char *how);
void repl_note_peer_seen(struct repl *r, const char *peer, struct rec_version ver);

/* ---- fetch.c ---- */
/* Wants owner up to need, asking `source` first (NULL: the owner); relay: announce once held. */
void repl_fetch_start(struct repl *r, const char *owner, struct rec_version need,
                      const char *source, bool relay);
/* The same, not asked before now + delay_ms (and only if still needed then). */
void repl_fetch_later(struct repl *r, const char *owner, struct rec_version need,
                      const char *source, uint64_t delay_ms);
/* owner's version changed here (a merge, deltas, our own change). */
void repl_note_recent(struct repl *r, const char *owner);
/* Counts one sync operation (a delta batch applied, a state or digest merged) and its time. */
void repl_note_synced(struct repl *r);
/* Sends the recent digest to one random live member when due. */
void repl_recent_tick(struct repl *r);
/* A member we hold `held` of came back: unless something newer arrives within delay_ms, ask one
 * member (not the owner) once for its state; it answers only if it holds more. */
void repl_fetch_probe_later(struct repl *r, const char *owner, struct rec_version held,
                            uint64_t delay_ms);
/* Announces that we hold owner at ver (as a holder others may fetch from), once per version. */
void repl_relay_version(struct repl *r, const char *owner, struct rec_version ver);
/* The owner is alive again: fetch what we parked for it (drop: it left). */
void repl_fetch_unpark(struct repl *r, const char *owner, bool drop);
/* Settles fetches of owner we now hold. */
void repl_fetch_check(struct repl *r, const char *owner);
/* Asks for waiting fetches while the window has room. */
void repl_fetch_dispatch(struct repl *r);
/* Retries unanswered fetches, drops stale chunk assemblies. */
void repl_fetch_housekeeping(struct repl *r);
/* One untracked request for owner's state, to target. */
void repl_send_fetch_req(struct repl *r, const char *target, const char *owner);
void repl_answer_fetch(struct repl *r, const uint8_t *msg, size_t len);
/* name joined our view: answer what it asked before we knew it. */
void repl_pay_owed(struct repl *r, const char *name);
/* Sends owner's state to `to` (one STATE, or CHUNKs); returns the messages sent. */
size_t repl_send_owner(struct repl *r, const char *to, const char *owner, uint8_t flags);
void repl_handle_chunk(struct repl *r, const uint8_t *msg, size_t len);
void repl_assembly_drop(struct repl *r, size_t i);
bool repl_build_digest(struct repl *r, struct sync_buf *b, uint8_t flags);
/* join: the digest came with a joining push/pull (we, or the sender, have just joined). */
void repl_merge_digest(struct repl *r, const struct sync_digest *d, bool join);
void repl_fetch_free(struct repl *r);

/* ---- tombs.c ---- */
/* Collects our own tombstones no peer needs any more (from housekeeping). */
void repl_tombs_collect(struct repl *r, uint64_t now);

#endif
