/* dns/cache.h — the forwarding cache: upstream answers in their normal form (fwd_wire.h), keyed by
 * (lowercase qname, qtype, qclass, DO bit), positive and negative alike, bounded in entries with
 * least-recently-used eviction. Thread-safe: the table is split into stripes, each behind its
 * own mutex with its own LRU list and its share of the bound, so UDP workers look answers up in
 * parallel without a round trip to the forwarder thread. An entry outlives its TTL by the stale
 * window (RFC 8767) so that it can still be served when every upstream fails. */
#ifndef JOYRIDE_DNS_CACHE_H
#define JOYRIDE_DNS_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dns/wire.h"

#define FWD_STALE_WINDOW_S 86400 /* an expired entry may be served for this long */
#define FWD_STALE_TTL 30         /* TTL of a stale answer (RFC 8767 recommends 30 s) */

struct fwd_cache;

struct fwd_cache_stats {
    uint64_t hits, misses, stale_hits, inserts, evictions;
    uint64_t entries, bytes;
};

enum fwd_cache_result { FWD_CACHE_MISS, FWD_CACHE_FRESH, FWD_CACHE_STALE };

/* Why a lookup is made, so every client query is counted once as a hit or a miss. */
enum fwd_cache_mode {
    FWD_LOOKUP_CLIENT,  /* a client's query as it arrives: fresh entries; counts a hit or a miss */
    FWD_LOOKUP_RECHECK, /* the same query again before it is sent upstream: counts nothing */
    FWD_LOOKUP_STALE,   /* every upstream failed: fresh or stale entries; counts stale hits */
};

/* max_entries >= 1. NULL when memory runs out. */
struct fwd_cache *fwd_cache_new(size_t max_entries);
void fwd_cache_free(struct fwd_cache *c);

/* Stores (or replaces) the normal-form msg[0..len) for its own question and do_bit; rcode is
 * the full rcode, lifetime_s > 0 how long it is fresh. now_ms: a monotonic clock in ms. */
bool fwd_cache_put(struct fwd_cache *c, const uint8_t *msg, size_t len, bool do_bit, uint16_t rcode,
                   uint32_t lifetime_s, uint64_t now_ms);

/* Looks up client query q (parsed, has_question). A fresh entry, or with FWD_LOOKUP_STALE an
 * entry expired less than FWD_STALE_WINDOW_S ago, is answered into out (fwd_answer: TTLs counted
 * down, or FWD_STALE_TTL when stale) with *outlen, *rcode and *truncated set. */
enum fwd_cache_result fwd_cache_answer(struct fwd_cache *c, const struct dns_query *q,
                                       uint64_t now_ms, enum fwd_cache_mode mode, size_t limit,
                                       uint8_t *out, size_t cap, size_t *outlen, uint16_t *rcode,
                                       bool *truncated);

void fwd_cache_get_stats(struct fwd_cache *c, struct fwd_cache_stats *out);

#endif
