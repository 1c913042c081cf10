/* sync/joinlimit.c — token bucket plus per-address exponential backoff for the joins discovery
 * triggers (see joinlimit.h). */
#include "sync/joinlimit.h"

#include <string.h>

#define MILLI 1000u

void sync_join_limiter_init(struct sync_join_limiter *l, uint64_t now_ms)
{
    memset(l, 0, sizeof *l);
    l->tokens_milli = (uint64_t)SYNC_JOIN_BURST * MILLI;
    l->refill_ms = now_ms;
}

static void refill(struct sync_join_limiter *l, uint64_t now_ms)
{
    if (now_ms <= l->refill_ms)
        return;
    uint64_t add = (now_ms - l->refill_ms) * SYNC_JOIN_PER_S; /* ms × per-second = milli-tokens */
    uint64_t cap = (uint64_t)SYNC_JOIN_BURST * MILLI;
    l->tokens_milli = l->tokens_milli + add > cap ? cap : l->tokens_milli + add;
    l->refill_ms = now_ms;
}

static struct sync_join_addr *find(struct sync_join_limiter *l, const struct swim_addr *addr)
{
    for (size_t i = 0; i < SYNC_JOIN_ADDRS; i++)
        if (l->a[i].used && swim_addr_eq(&l->a[i].addr, addr))
            return &l->a[i];
    return NULL;
}

/* A slot for a new address: a free one, else the one tried longest ago. */
static struct sync_join_addr *slot(struct sync_join_limiter *l)
{
    struct sync_join_addr *oldest = &l->a[0];
    for (size_t i = 0; i < SYNC_JOIN_ADDRS; i++) {
        if (!l->a[i].used)
            return &l->a[i];
        if (l->a[i].last_ms < oldest->last_ms)
            oldest = &l->a[i];
    }
    return oldest;
}

enum sync_join_verdict sync_join_check(struct sync_join_limiter *l, const struct swim_addr *addr,
                                       uint64_t now_ms)
{
    struct sync_join_addr *e = find(l, addr);
    if (e && now_ms < e->next_ms)
        return SYNC_JOIN_BACKOFF;
    refill(l, now_ms);
    if (l->tokens_milli < MILLI)
        return SYNC_JOIN_RATE;
    l->tokens_milli -= MILLI;
    if (!e) {
        e = slot(l);
        *e = (struct sync_join_addr){.addr = *addr, .used = true};
    }
    e->backoff_ms = e->backoff_ms == 0                             ? SYNC_JOIN_BACKOFF_MIN_MS
                    : e->backoff_ms * 2 > SYNC_JOIN_BACKOFF_MAX_MS ? SYNC_JOIN_BACKOFF_MAX_MS
                                                                   : e->backoff_ms * 2;
    e->next_ms = now_ms + e->backoff_ms;
    e->last_ms = now_ms;
    return SYNC_JOIN_GO;
}

void sync_join_reset(struct sync_join_limiter *l, const struct swim_addr *addr)
{
    struct sync_join_addr *e = find(l, addr);
    if (e)
        memset(e, 0, sizeof *e);
}
