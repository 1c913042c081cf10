/* sync/joinlimit.h — how often discovery may make this node join a peer it heard of: a token
 * bucket over every such join (a burst, then a few per second) and, per address, a backoff that
 * doubles after each attempt that did not make the peer a member. So a flood of announces (with
 * new node ids, or pointing at someone else's address) can not turn this node into a connection
 * cannon. Sans-IO: the caller passes the time. Loop thread only. */
#ifndef JOYRIDE_SYNC_JOINLIMIT_H
#define JOYRIDE_SYNC_JOINLIMIT_H

#include <stdbool.h>
#include <stdint.h>

#include "swimmies/swim.h"

/* A burst of joins at once (a LAN of nodes starting together), then SYNC_JOIN_PER_S a second. */
#define SYNC_JOIN_BURST 8
#define SYNC_JOIN_PER_S 2
/* After a join to an address the next waits this long, doubling per attempt up to the maximum. */
#define SYNC_JOIN_BACKOFF_MIN_MS 1000
#define SYNC_JOIN_BACKOFF_MAX_MS 16000
/* Addresses remembered; the least recently tried gives its slot up. */
#define SYNC_JOIN_ADDRS 256

enum sync_join_verdict {
    SYNC_JOIN_GO,      /* join now (counted) */
    SYNC_JOIN_BACKOFF, /* this address was tried too recently */
    SYNC_JOIN_RATE     /* too many joins lately */
};

struct sync_join_addr {
    struct swim_addr addr;
    uint64_t next_ms; /* no attempt before */
    uint64_t last_ms; /* last attempt (for eviction) */
    uint32_t backoff_ms;
    bool used;
};

struct sync_join_limiter {
    uint64_t tokens_milli; /* tokens × 1000 */
    uint64_t refill_ms;    /* when tokens were last topped up */
    struct sync_join_addr a[SYNC_JOIN_ADDRS];
};

void sync_join_limiter_init(struct sync_join_limiter *l, uint64_t now_ms);
/* May we join addr now? SYNC_JOIN_GO takes a token and starts (or doubles) addr's backoff. */
enum sync_join_verdict sync_join_check(struct sync_join_limiter *l, const struct swim_addr *addr,
                                       uint64_t now_ms);
/* The peer at addr is a member: forget its backoff, so the next loss retries at once. */
void sync_join_reset(struct sync_join_limiter *l, const struct swim_addr *addr);

#endif
