/* sync/repl.h — the sans-IO replication core: record deltas, owner versions, full owner states,
 * gap repairs and tombstone collection on top of a swimmies node, with no event loop, no sockets,
 * no threads and no clock of its own.
 *
 * Inputs: the current time (milliseconds, any monotonic origin) with every call that can act,
 * this node's own record changes (repl_local_deltas), and what swimmies hands its delegate
 * (membership events, user messages, push/pull states; the repl_on_* functions have the
 * delegate's signatures and only queue). Outputs: messages, through the swimmies API (gossip
 * broadcasts, user messages; swimmies is sans-IO too, its transport does the sending), and timer
 * requests: after every call repl_next_deadline() says when repl_tick() wants to run, and
 * config.schedule (if set) is told whenever that deadline moves earlier.
 *
 * The record table is reached through struct repl_store, so the same core runs over the real
 * table (store_records.c, in the program) or over a compact model of it (the simulator, with
 * thousands of nodes in one process). The loop driver is driver.c; the simulator is tests/sim.
 * Not thread-safe: one thread drives one struct repl. */
#ifndef JOYRIDE_SYNC_REPL_H
#define JOYRIDE_SYNC_REPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "records/records.h"
#include "swimmies/swim.h"
#include "sync/sync.h"

/* What the core needs of a record table (records.h's remote-owner functions have these
 * contracts; foreach_owner lists every owner holding state, the local one included). */
struct repl_store {
    void *ctx;
    bool (*owner_version)(void *ctx, const char *owner, struct rec_version *out);
    bool (*export_owner)(void *ctx, const char *owner, struct rec_version *ver_out,
                         void (*cb)(const struct rec_view *v, void *cbctx), void *cbctx);
    void (*foreach_owner)(void *ctx, void (*cb)(const char *owner, void *cbctx), void *cbctx);
    size_t (*apply_deltas)(void *ctx, const struct rec_delta *d, size_t n, enum rec_apply *results);
    int (*merge_owner)(void *ctx, const char *owner, struct rec_version ver,
                       const struct rec_view *entries, size_t n);
    void (*set_owner_alive)(void *ctx, const char *owner, bool alive);
    void (*drop_owner)(void *ctx, const char *owner);
    size_t (*gc_tombstones)(void *ctx, const char *owner, uint64_t upto_seq);
};

/* The store over the real record table (store_records.c). */
struct repl_store repl_store_records(struct records *t);

struct repl_config {
    const char *node_id; /* this node's member name and record owner (copied) */
    struct swim *swim;   /* the membership node messages go through (borrowed) */
    struct repl_store store;
    size_t direct_max;    /* up to this many live peers, deltas also go straight to each */
    bool keep_on_failure; /* a failed owner's records stay served */
    /* Optional: the deadline moved earlier (to `deadline_ms`, possibly already due). Called
     * from inside core calls; it must not call back into the core. */
    void (*schedule)(void *ctx, uint64_t deadline_ms);
    void *ctx;
};

struct repl;

struct repl *repl_new(const struct repl_config *c, uint64_t now_ms);
void repl_free(struct repl *r);
/* Stops all work (queued messages are dropped, no more sends): the node is leaving. */
void repl_stop(struct repl *r);

/* This node's own changes, in order (gossiped, and sent directly to few peers). */
void repl_local_deltas(struct repl *r, uint64_t now_ms, const struct rec_delta *d, size_t n);
/* Sends our full state, asking for theirs, to every live member. Returns how many. */
size_t repl_exchange_all(struct repl *r, uint64_t now_ms);
/* Runs queued work and whatever timer is due. */
void repl_tick(struct repl *r, uint64_t now_ms);
/* When repl_tick wants to run next (UINT64_MAX: nothing pending; <= now: at once). */
uint64_t repl_next_deadline(const struct repl *r);

/* swimmies delegate functions (ctx is the struct repl). They queue; repl_tick processes. */
void repl_on_event(void *ctx, enum swim_event ev, const struct swim_member *m);
void repl_on_user_msg(void *ctx, const uint8_t *msg, size_t len);
void repl_local_state(void *ctx, bool join, uint8_t **out, size_t *out_len);
void repl_merge_remote_state(void *ctx, const uint8_t *buf, size_t len, bool join);

/* Counters (sync.h's struct sync_stats); the driver copies them for other threads. */
const struct sync_stats *repl_stats(const struct repl *r);

#endif
