/* dns/fwd_internal.h — what the forwarder's files share (forward.c: flights, upstream attempts,
 * the thread; fwd_clients.c: access control, the server threads' entry point, replies to
 * clients). Not used outside src/dns. */
#ifndef JOYRIDE_DNS_FWD_INTERNAL_H
#define JOYRIDE_DNS_FWD_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/loop.h"
#include "dns/cache.h"
#include "dns/forward.h"
#include "dns/internal.h"
#include "dns/upstream.h"

#define DEFAULT_TIMEOUT_MS 3000
#define DEFAULT_ATTEMPT_MS 800
#define DEFAULT_CACHE 10000
#define DEFAULT_MAX_TTL 86400
#define NEGATIVE_MAX_TTL 10800 /* RFC 2308 section 5: one to three hours */
#define MAX_PENDING 16384      /* clients queued or waiting, in all */
#define MAX_WAITERS 1024       /* clients sharing one flight */
#define MAX_ROUNDS 2           /* passes over every upstream before giving up */
#define FLIGHT_BUCKETS 4096

struct waiter {
    struct waiter *next;
    struct forwarder *f;
    struct fwd_reply_to to;
    struct dns_query q; /* q.question points at question below */
    uint8_t question[DNS_NAME_MAX + 4];
};

struct flight {
    struct flight *chain;
    uint64_t hash;
    struct forwarder *f;
    struct dns_query q; /* the first client's; the key: qname, qtype, qclass, DO, CD */
    const struct upstream_set *set;
    uint64_t tried;
    int rounds;
    uint64_t deadline_ms;
    struct loop_timer *attempt_timer, *deadline_timer;
    struct waiter *waiters, *last;
    size_t n_waiters;
    /* the attempt in progress */
    int fd, up;
    bool tcp, tcp_reading;
    uint16_t id;
    uint64_t sent_ns;
    uint8_t *tbuf; /* TCP: the framed query, then the framed answer */
    size_t tlen, toff;
};

struct fzone {
    uint8_t wire[DNS_NAME_MAX];
    uint16_t len;
    struct upstream_set set;
};

struct forwarder {
    struct dns_counters ctr[2]; /* first: aligned; answers sent by this thread, UDP and TCP */
    struct loop *loop;
    pthread_t thread;
    bool started;
    int wake_fd;
    pthread_mutex_t q_mu; /* guards queue */
    struct waiter *queue, *queue_last;
    struct fwd_cache *cache;
    struct upstream *ups;
    size_t n_ups;
    struct upstream_set def;
    struct fzone *zones;
    size_t n_zones;
    struct dns_cidr *allow;
    size_t n_allow;
    uint32_t timeout_ms, attempt_ms, min_ttl, max_ttl;
    struct flight *buckets[FLIGHT_BUCKETS];
    pthread_mutex_t st_mu; /* guards the upstreams' st and the counters below for readers */
    uint64_t forwarded, coalesced, refused, servfail, stale, spoofed, queue_full;
    uint64_t pending; /* atomic */
    uint64_t in_flight;
    uint8_t rbuf[DNS_MSG_MAX], nbuf[DNS_MSG_MAX], obuf[DNS_MSG_MAX];
};

static inline void count_up(uint64_t *c)
{
    __atomic_add_fetch(c, 1, __ATOMIC_RELAXED);
}

/* The upstreams for q: the longest matching forward zone's, else DNS_FORWARDERS; NULL: none. */
const struct upstream_set *fwd_set_for(const struct forwarder *f, const struct dns_query *q);

/* On the forwarder thread: sends one answer to w's client and counts it. */
void fwd_send_reply(struct forwarder *f, struct waiter *w, const uint8_t *msg, size_t len,
                    int rcode, bool truncated);
void fwd_free_waiter(struct forwarder *f, struct waiter *w);
/* An upstream's answer (normal form) to every client of list; frees them. */
void fwd_answer_waiters(struct forwarder *f, struct waiter *list, const uint8_t *msg, size_t len,
                        uint16_t rcode);
/* Nothing answered: a stale entry, else SERVFAIL, to every client of list; frees them. */
void fwd_fail_waiters(struct forwarder *f, struct waiter *list);

#endif
