/* dns/internal.h — what the DNS server's files share: the server state, per-thread counters and
 * the UDP worker / TCP thread entry points. Not used outside src/dns. */
#ifndef JOYRIDE_DNS_INTERNAL_H
#define JOYRIDE_DNS_INTERNAL_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "dns/respond.h"
#include "dns/server.h"

/* Counters of one thread, written only by that thread (relaxed atomic stores, so readers see
 * whole values) and summed by dns_server_get_stats. Aligned so threads never share a line. */
struct dns_counters {
    uint64_t queries;
    uint64_t rcode[17]; /* 0..15 and BADVERS */
    uint64_t dropped, truncated;
    uint64_t tcp_total, tcp_open, tcp_refused, tcp_evicted, tcp_timed_out;
    uint64_t lat_count, lat_sum_ns;
    uint64_t lat_bucket[DNS_LATENCY_BUCKETS]; /* per bucket, not cumulative */
} __attribute__((aligned(64)));

static inline void ctr_add(uint64_t *c, uint64_t n)
{
    __atomic_store_n(c, __atomic_load_n(c, __ATOMIC_RELAXED) + n, __ATOMIC_RELAXED);
}

static inline uint64_t ctr_get(const uint64_t *c)
{
    return __atomic_load_n(c, __ATOMIC_RELAXED);
}

/* Counts one response (or drop) described by o. */
void dns_count_outcome(struct dns_counters *c, const struct dns_outcome *o);
/* Counts n answers that each took ns nanoseconds from receive to send. */
void dns_count_latency(struct dns_counters *c, uint64_t ns, uint64_t n);
uint64_t dns_now_ns(void);

struct udp_worker;
struct tcp_server;
struct forwarder;

struct dns_server {
    struct records *records;
    struct dns_policy policy;
    struct dns_zone *zones;
    struct dns_apex *apex; /* NS sets of the zones; NULL without zones */
    int stop_fd;           /* eventfd: readable once stopping */
    int stopping;
    struct sockaddr_storage addr;
    socklen_t addrlen;
    bool wildcard; /* bound to 0.0.0.0 / ::, so UDP replies need the query's local address */
    uint16_t port;
    int tcp_idle_ms, tcp_max;
    int n_workers;
    struct udp_worker **workers;
    struct tcp_server *tcp;
    struct forwarder *fwd; /* NULL: forwarding off */
};

static inline bool dns_stopping(const struct dns_server *s)
{
    return __atomic_load_n(&s->stopping, __ATOMIC_ACQUIRE) != 0;
}

/* UDP worker on its own bound SO_REUSEPORT socket (taken over; closed by udp_worker_free). */
struct udp_worker *udp_worker_new(struct dns_server *s, int fd, int index);
int udp_worker_start(struct udp_worker *w); /* 0 or an errno */
void udp_worker_join(struct udp_worker *w);
void udp_worker_free(struct udp_worker *w);
const struct dns_counters *udp_worker_counters(const struct udp_worker *w);

/* TCP thread on a bound, listening, non-blocking socket (taken over). */
struct tcp_server *tcp_server_new(struct dns_server *s, int listen_fd);
int tcp_server_start(struct tcp_server *t);
void tcp_server_join(struct tcp_server *t);
void tcp_server_free(struct tcp_server *t);
const struct dns_counters *tcp_server_counters(const struct tcp_server *t);
/* Thread-safe: sends msg (one DNS message, unframed) on connection conn_id if it is still open. */
void tcp_server_deliver(struct tcp_server *t, uint64_t conn_id, const uint8_t *msg, size_t len);

/* pthread_create with every signal blocked in the new thread (signals belong to main). */
int dns_thread_create(void *thread, void *(*fn)(void *), void *arg);

#endif
