/* dns/server.h — the DNS server: one SO_REUSEPORT UDP socket per worker thread (batched
 * recvmmsg/sendmmsg) and a TCP listener, answering from the record table's lock-free snapshot. */
#ifndef JOYRIDE_DNS_SERVER_H
#define JOYRIDE_DNS_SERVER_H

#include <stddef.h>
#include <stdint.h>

#include <sys/socket.h>

#include "records/records.h"

enum dns_unknown_action { DNS_UNKNOWN_NXDOMAIN, DNS_UNKNOWN_REFUSED, DNS_UNKNOWN_DROP };

/* An upstream resolver address (IPv4 or IPv6, with its port). */
struct dns_forward_target {
    struct sockaddr_storage addr;
    socklen_t len;
};

/* Conditional forwarding: names at or under zone (presentation form) go to target. */
struct dns_forward_zone {
    const char *zone;
    struct dns_forward_target target;
};

/* A client network allowed to have names forwarded (family AF_INET or AF_INET6). */
struct dns_cidr {
    int family;
    uint8_t addr[16];
    unsigned prefix;
};

/* Forwarding, on when there is a forwarder or a forward zone. 0 in a number: its default. */
struct dns_forward_config {
    const struct dns_forward_target *forwarders;
    size_t n_forwarders;
    const struct dns_forward_zone *zones;
    size_t n_zones;
    const struct dns_cidr *allow; /* clients other than these get REFUSED for forwarded names */
    size_t n_allow;
    uint32_t timeout_ms; /* SERVFAIL (or a stale answer) when nothing answered by then; 3 s */
    uint32_t attempt_ms; /* one upstream's time to answer before the next is asked; 800 ms */
    size_t cache_size;   /* entries; 10000 */
    uint32_t cache_min_ttl, cache_max_ttl; /* lifetime clamps in seconds; 0 / 86400 */
};

struct dns_server_config {
    const char *bind_address; /* IPv4 or IPv6 literal */
    uint16_t port;
    int workers; /* UDP worker threads, >= 1 */
    uint32_t ttl;
    enum dns_unknown_action unknown_action;
    const char *const *domains; /* normalized (lowercase, no trailing dot); may be NULL */
    size_t n_domains;
    /* NS names of every domain (DNS_NS_NAMES, presentation form); none: one derived name per
     * cluster member (<label>.ns.<domain>, dns/apex.h), set with dns_server_set_ns_nodes. */
    const char *const *ns_names;
    size_t n_ns_names;
    const char *node_id;     /* this node: the first derived NS candidate, from the first answer */
    int tcp_idle_timeout_ms; /* 0: default (10 s) */
    int tcp_max_connections; /* 0: default (256) */
    struct dns_forward_config forward;
};

#define DNS_LATENCY_BUCKETS 12
/* Upper bounds in seconds of the answer-latency histogram buckets (the last is +Inf). */
extern const double dns_latency_bounds[DNS_LATENCY_BUCKETS];

struct dns_stats {
    uint64_t queries_udp, queries_tcp;
    uint64_t rcode[16]; /* responses sent, by RCODE */
    uint64_t dropped;   /* queries not answered (DNS_UNKNOWN_DROP, unparseable garbage) */
    uint64_t truncated; /* UDP answers sent with TC */
    uint64_t tcp_connections_total, tcp_connections_open, tcp_connections_refused;
    uint64_t tcp_connections_evicted;   /* closed to make room (connection cap, per-client cap) */
    uint64_t tcp_connections_timed_out; /* closed because a query did not arrive whole in time */
    uint64_t latency_count;
    double latency_sum;                           /* seconds */
    uint64_t latency_bucket[DNS_LATENCY_BUCKETS]; /* cumulative, Prometheus style */
    uint64_t rcode_badvers; /* responses with the extended rcode BADVERS (16), not in rcode[] */
    uint64_t rcode_by_proto[2][17]; /* [0] UDP, [1] TCP; by RCODE, index 16 = BADVERS */
};

#define DNS_FWD_MAX_UPSTREAMS 32

/* One upstream as the forwarder sees it. */
struct dns_upstream_stats {
    char address[56]; /* "ip:port" or "[ip6]:port" */
    char zone[256];   /* "" for DNS_FORWARDERS, else the DNS_FORWARD_ZONES zone */
    bool resting;     /* failing: rested with backoff, probed now and then */
    double srtt_ms;   /* smoothed round-trip time; 0 until measured */
    uint64_t queries, answers, timeouts, errors, spoofed, tcp_retries;
};

struct dns_forward_stats {
    bool enabled;
    uint64_t forwarded;  /* questions sent upstream (one per coalesced group) */
    uint64_t coalesced;  /* clients that joined a question already in flight */
    uint64_t refused;    /* clients outside DNS_FORWARD_ALLOW */
    uint64_t servfail;   /* answered SERVFAIL because nothing answered in time */
    uint64_t stale;      /* answered from an expired cache entry (serve-stale) */
    uint64_t spoofed;    /* upstream datagrams dropped: wrong ID or question */
    uint64_t queue_full; /* queries dropped because the forwarder was saturated */
    uint64_t in_flight;
    uint64_t cache_hits, cache_misses, cache_inserts, cache_evictions, cache_entries, cache_bytes;
    size_t n_upstreams;
    struct dns_upstream_stats upstreams[DNS_FWD_MAX_UPSTREAMS];
};

struct dns_server;

/* Binds UDP and TCP and starts the workers. On failure returns NULL with a one-line reason in
 * err (e.g. "DNS port 5353 on 0.0.0.0 is already in use") and errno set (EADDRINUSE, ...). */
struct dns_server *dns_server_start(const struct dns_server_config *cfg, struct records *t,
                                    char *err, size_t errlen);
/* Stops and joins every thread, closes every socket; returns within about 100 ms. */
void dns_server_stop(struct dns_server *s);
/* The port actually bound (cfg->port, or the kernel's choice when it was 0). */
uint16_t dns_server_port(const struct dns_server *s);
/* The node ids whose derived NS names may be answered (every known cluster member; the record
 * snapshot decides which are live). Not from a thread inside records_read_lock. Returns 1 when
 * the set changed, 0 when not (or with fixed names or no domains), -ENOMEM. */
int dns_server_set_ns_nodes(struct dns_server *s, const char *const *ids, size_t n);
/* Thread-safe; sums the per-worker counters. */
void dns_server_get_stats(struct dns_server *s, struct dns_stats *out);
/* Thread-safe; enabled is false when forwarding is off. */
void dns_server_get_forward_stats(struct dns_server *s, struct dns_forward_stats *out);

/* ---- Probe: what the server answers for one name (probe.c) ---- */

struct dns_probe_answer {
    uint16_t type;                 /* DNS_TYPE_A, DNS_TYPE_AAAA or DNS_TYPE_PTR */
    struct rec_addr addr;          /* A or AAAA */
    char target[REC_NAME_MAX + 1]; /* PTR: the name pointed to (presentation, no trailing dot) */
    uint32_t ttl;
};

#define DNS_PROBE_NAME_MAX 254 /* presentation form without the trailing dot, NUL included */

/* The response to a synthetic query, made by the same code the workers run (dns_answer on the
 * live snapshot, over TCP so nothing is truncated) and read back from the packet. */
struct dns_probe {
    int rcode;            /* the rcode sent; -1 when the server sends nothing (dropped) */
    bool forwarded;       /* not ours: the forwarder asks the upstreams (rcode is then -1) */
    bool aa;              /* authoritative answer */
    bool soa_answer;      /* a SOA in the answer section (the question is a zone apex) */
    bool soa_authority;   /* a SOA in the authority section (negative answer inside a zone) */
    int zone;             /* index in the configured domains of the one holding the name; -1 */
    bool zone_apex;       /* the name is that domain itself */
    bool name_exists;     /* the snapshot has the name (with addresses or as a parent of others) */
    uint16_t n_a, n_aaaa; /* addresses the snapshot holds for the name (or for its wildcard) */
    uint16_t n_ptr;       /* PTR targets the snapshot holds for the name (a reverse name) */
    /* The name does not exist and a wildcard answers for it (RFC 4592): its name ("*.apps.x"), and
     * the closest encloser ("apps.x"); both "" otherwise. */
    char wildcard[REC_NAME_MAX + 1];
    char encloser[REC_NAME_MAX + 1];
    uint64_t snapshot_version;
    struct dns_probe_answer *answers; /* in the order of the packet (not rotated); malloc'd */
    size_t n_answers;
    char (*ns)[DNS_PROBE_NAME_MAX]; /* NS names answered (a zone apex), in order; malloc'd */
    size_t n_ns;
    size_t n_glue; /* A/AAAA records in the additional section */
};

/* Answers (name, qtype) as a client asking over TCP without EDNS would get it. Registers the
 * calling thread as a record reader for the call, so any thread may call it. Returns 0, -EINVAL
 * for a name that is not a valid domain name, -ENOMEM. Free with dns_probe_free. */
int dns_server_probe(struct dns_server *s, const char *name, uint16_t qtype, struct dns_probe *out);
void dns_probe_free(struct dns_probe *p);

#endif
