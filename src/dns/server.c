/* server.c — the DNS server's lifecycle: binds TCP then one SO_REUSEPORT UDP socket per worker
 * (so a busy port fails before any thread starts), starts the workers and the TCP thread, stops
 * them through one eventfd, and sums their counters. */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "dns/internal.h"
#include "core/log.h"
#include "dns/apex.h"
#include "dns/forward.h"

#define DEFAULT_IDLE_MS 10000
#define DEFAULT_MAX_CONN 256
#define UDP_RCVBUF (4 << 20) /* requested; the kernel caps it at net.core.rmem_max */

const double dns_latency_bounds[DNS_LATENCY_BUCKETS] = {
    10e-6, 25e-6, 50e-6, 100e-6, 250e-6, 500e-6, 1e-3, 2.5e-3, 5e-3, 10e-3, 50e-3, INFINITY,
};
static const uint64_t latency_bounds_ns[DNS_LATENCY_BUCKETS - 1] = {
    10000, 25000, 50000, 100000, 250000, 500000, 1000000, 2500000, 5000000, 10000000, 50000000,
};

uint64_t dns_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void dns_count_outcome(struct dns_counters *c, const struct dns_outcome *o)
{
    if (o->rcode == DNS_OUTCOME_FORWARDED)
        return; /* the forwarder counts its answer */
    if (o->rcode < 0) {
        ctr_add(&c->dropped, 1);
        return;
    }
    ctr_add(&c->rcode[o->rcode <= 16 ? o->rcode : 16], 1);
    if (o->truncated)
        ctr_add(&c->truncated, 1);
}

void dns_count_latency(struct dns_counters *c, uint64_t ns, uint64_t n)
{
    size_t b = 0;
    while (b < DNS_LATENCY_BUCKETS - 1 && ns > latency_bounds_ns[b])
        b++;
    ctr_add(&c->lat_bucket[b], n);
    ctr_add(&c->lat_count, n);
    ctr_add(&c->lat_sum_ns, ns * n);
}

int dns_thread_create(void *thread, void *(*fn)(void *), void *arg)
{
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int rc = pthread_create((pthread_t *)thread, NULL, fn, arg);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return rc;
}

static bool parse_bind(struct dns_server *s, const char *addr, uint16_t port)
{
    struct sockaddr_in *v4 = (struct sockaddr_in *)&s->addr;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&s->addr;
    memset(&s->addr, 0, sizeof s->addr);
    if (inet_pton(AF_INET, addr, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons(port);
        s->addrlen = sizeof *v4;
        s->wildcard = v4->sin_addr.s_addr == htonl(INADDR_ANY);
        return true;
    }
    if (inet_pton(AF_INET6, addr, &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons(port);
        s->addrlen = sizeof *v6;
        s->wildcard = IN6_IS_ADDR_UNSPECIFIED(&v6->sin6_addr);
        return true;
    }
    return false;
}

static void set_port(struct dns_server *s, uint16_t port)
{
    if (s->addr.ss_family == AF_INET)
        ((struct sockaddr_in *)&s->addr)->sin_port = htons(port);
    else
        ((struct sockaddr_in6 *)&s->addr)->sin6_port = htons(port);
    s->port = port;
}

static void bind_error(const struct dns_server_config *cfg, int e, const char *what, char *err,
                       size_t errlen)
{
    if (e == EADDRINUSE)
        snprintf(err, errlen, "DNS port %u on %s is already in use (%s)", cfg->port,
                 cfg->bind_address, what);
    else
        snprintf(err, errlen, "cannot bind DNS port %u on %s (%s): %s", cfg->port,
                 cfg->bind_address, what, strerror(e));
}

static int open_tcp(struct dns_server *s, const struct dns_server_config *cfg, char *err,
                    size_t errlen)
{
    int one = 1;
    int fd = socket(s->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(err, errlen, "cannot create TCP socket: %s", strerror(errno));
        return -1;
    }
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, (struct sockaddr *)&s->addr, s->addrlen) < 0 || listen(fd, 1024) < 0) {
        int e = errno;
        bind_error(cfg, e, "TCP", err, errlen);
        close(fd);
        errno = e;
        return -1;
    }
    if (s->port == 0) {
        struct sockaddr_storage a;
        socklen_t al = sizeof a;
        memset(&a, 0, sizeof a);
        if (getsockname(fd, (struct sockaddr *)&a, &al) < 0) {
            int e = errno;
            snprintf(err, errlen, "cannot read the DNS port bound: %s", strerror(e));
            close(fd);
            errno = e;
            return -1;
        }
        set_port(s, ntohs(a.ss_family == AF_INET ? ((struct sockaddr_in *)&a)->sin_port
                                                 : ((struct sockaddr_in6 *)&a)->sin6_port));
    }
    return fd;
}

static int open_udp(struct dns_server *s, const struct dns_server_config *cfg, char *err,
                    size_t errlen)
{
    int one = 1, rcvbuf = UDP_RCVBUF;
    int fd = socket(s->addr.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(err, errlen, "cannot create UDP socket: %s", strerror(errno));
        return -1;
    }
    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    /* DF set and the interface MTU used, whatever ICMP says (answers stay <= 1232 bytes): no
     * fragments, and no per-datagram IP ID hashing. */
    int probe = IP_PMTUDISC_PROBE;
    setsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, &probe, sizeof probe);
    if (s->addr.ss_family == AF_INET6) {
        int probe6 = IPV6_PMTUDISC_PROBE;
        setsockopt(fd, IPPROTO_IPV6, IPV6_MTU_DISCOVER, &probe6, sizeof probe6);
    }
    if (s->wildcard) {
        if (s->addr.ss_family == AF_INET6)
            setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof one);
        setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof one); /* also v4 on a dual socket */
    }
    if (bind(fd, (struct sockaddr *)&s->addr, s->addrlen) < 0) {
        int e = errno;
        bind_error(cfg, e, "UDP", err, errlen);
        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

static void server_free(struct dns_server *s)
{
    if (s->workers)
        for (int i = 0; i < s->n_workers; i++)
            udp_worker_free(s->workers[i]);
    tcp_server_free(s->tcp);
    fwd_free(s->fwd);
    if (s->stop_fd >= 0)
        close(s->stop_fd);
    free(s->workers);
    dns_apex_free(s->apex);
    free(s->zones);
    free(s);
}

static void stop_threads(struct dns_server *s)
{
    uint64_t one = 1;
    __atomic_store_n(&s->stopping, 1, __ATOMIC_RELEASE);
    if (write(s->stop_fd, &one, sizeof one) < 0)
        log_error("dns", "cannot signal DNS threads to stop: %s", strerror(errno));
    if (s->tcp)
        tcp_server_join(s->tcp);
    for (int i = 0; i < s->n_workers; i++)
        if (s->workers[i])
            udp_worker_join(s->workers[i]);
    fwd_stop(s->fwd); /* last: the others hand it queries and it sends on their sockets */
}

struct dns_server *dns_server_start(const struct dns_server_config *cfg, struct records *t,
                                    char *err, size_t errlen)
{
    struct dns_server *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errlen, "out of memory");
        errno = ENOMEM;
        return NULL;
    }
    s->stop_fd = -1;
    s->records = t;
    s->port = cfg->port;
    s->tcp_idle_ms = cfg->tcp_idle_timeout_ms > 0 ? cfg->tcp_idle_timeout_ms : DEFAULT_IDLE_MS;
    s->tcp_max = cfg->tcp_max_connections > 0 ? cfg->tcp_max_connections : DEFAULT_MAX_CONN;
    s->n_workers = cfg->workers > 0 ? cfg->workers : 1;
    s->policy.ttl = cfg->ttl;
    s->policy.unknown = cfg->unknown_action;
    if (cfg->n_domains > 0) {
        size_t bad = 0;
        s->zones = calloc(cfg->n_domains, sizeof *s->zones);
        if (!s->zones) {
            snprintf(err, errlen, "out of memory");
            errno = ENOMEM;
            goto fail;
        }
        if (!dns_zones_from_text(cfg->domains, cfg->n_domains, s->zones, &bad)) {
            snprintf(err, errlen, "DNS_DOMAINS: '%s' is not a valid domain name",
                     cfg->domains[bad]);
            errno = EINVAL;
            goto fail;
        }
        s->policy.zones = s->zones;
        s->policy.n_zones = cfg->n_domains;
        bad = SIZE_MAX;
        s->apex = dns_apex_new(s->zones, cfg->n_domains, cfg->ns_names, cfg->n_ns_names, &bad);
        if (!s->apex) {
            bool oom = bad >= cfg->n_ns_names;
            if (oom)
                snprintf(err, errlen, "out of memory");
            else
                snprintf(err, errlen, "DNS_NS_NAMES: '%s' is not a valid domain name",
                         cfg->ns_names[bad]);
            errno = oom ? ENOMEM : EINVAL;
            goto fail;
        }
        s->policy.apex = s->apex;
        if (cfg->node_id && dns_apex_set_nodes(s->apex, &cfg->node_id, 1) < 0) {
            snprintf(err, errlen, "out of memory");
            errno = ENOMEM;
            goto fail;
        }
    }
    if (cfg->forward.n_forwarders > 0 || cfg->forward.n_zones > 0) {
        char why[200];
        s->fwd = fwd_new(&cfg->forward, why, sizeof why);
        if (!s->fwd) {
            snprintf(err, errlen, "cannot set up forwarding: %s", why);
            errno = EINVAL;
            goto fail;
        }
        s->policy.forward = true;
    }
    if (!cfg->bind_address || !parse_bind(s, cfg->bind_address, cfg->port)) {
        snprintf(err, errlen, "DNS_BIND_ADDRESS '%s' is not an IPv4 or IPv6 address",
                 cfg->bind_address ? cfg->bind_address : "");
        errno = EINVAL;
        goto fail;
    }
    s->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    s->workers = calloc((size_t)s->n_workers, sizeof(struct udp_worker *));
    if (s->stop_fd < 0 || !s->workers) {
        snprintf(err, errlen, "cannot set up the DNS server: %s", strerror(errno));
        goto fail;
    }

    int lfd = open_tcp(s, cfg, err, errlen);
    if (lfd < 0)
        goto fail;
    s->tcp = tcp_server_new(s, lfd);
    if (!s->tcp) {
        close(lfd);
        snprintf(err, errlen, "cannot set up the DNS TCP listener: %s", strerror(errno));
        goto fail;
    }
    for (int i = 0; i < s->n_workers; i++) {
        int fd = open_udp(s, cfg, err, errlen);
        if (fd < 0)
            goto fail;
        s->workers[i] = udp_worker_new(s, fd, i);
        if (!s->workers[i]) {
            close(fd);
            snprintf(err, errlen, "out of memory");
            errno = ENOMEM;
            goto fail;
        }
    }

    int rc = s->fwd ? fwd_start(s->fwd) : 0;
    if (rc == 0)
        rc = tcp_server_start(s->tcp);
    for (int i = 0; rc == 0 && i < s->n_workers; i++)
        rc = udp_worker_start(s->workers[i]);
    if (rc != 0) {
        snprintf(err, errlen, "cannot start DNS threads: %s", strerror(rc));
        stop_threads(s);
        errno = rc;
        goto fail;
    }
    log_info("dns", "listening on %s port %u (UDP: %d workers, TCP: up to %d connections)",
             cfg->bind_address, s->port, s->n_workers, s->tcp_max);
    return s;

fail : {
    int e = errno;
    server_free(s);
    errno = e;
    return NULL;
}
}

void dns_server_stop(struct dns_server *s)
{
    if (!s)
        return;
    stop_threads(s);
    server_free(s);
}

int dns_server_set_ns_nodes(struct dns_server *s, const char *const *ids, size_t n)
{
    return s->apex ? dns_apex_set_nodes(s->apex, ids, n) : 0;
}

uint16_t dns_server_port(const struct dns_server *s)
{
    return s->port;
}

static void add_counters(struct dns_stats *out, const struct dns_counters *c, bool tcp,
                         uint64_t bucket[DNS_LATENCY_BUCKETS], uint64_t *sum_ns)
{
    uint64_t q = ctr_get(&c->queries);
    if (tcp)
        out->queries_tcp += q;
    else
        out->queries_udp += q;
    for (int i = 0; i < 16; i++)
        out->rcode[i] += ctr_get(&c->rcode[i]);
    out->rcode_badvers += ctr_get(&c->rcode[16]);
    for (int i = 0; i < 17; i++)
        out->rcode_by_proto[tcp ? 1 : 0][i] += ctr_get(&c->rcode[i]);
    out->dropped += ctr_get(&c->dropped);
    out->truncated += ctr_get(&c->truncated);
    out->tcp_connections_total += ctr_get(&c->tcp_total);
    out->tcp_connections_open += ctr_get(&c->tcp_open);
    out->tcp_connections_refused += ctr_get(&c->tcp_refused);
    out->tcp_connections_evicted += ctr_get(&c->tcp_evicted);
    out->tcp_connections_timed_out += ctr_get(&c->tcp_timed_out);
    out->latency_count += ctr_get(&c->lat_count);
    *sum_ns += ctr_get(&c->lat_sum_ns);
    for (int i = 0; i < DNS_LATENCY_BUCKETS; i++)
        bucket[i] += ctr_get(&c->lat_bucket[i]);
}

void dns_server_get_stats(struct dns_server *s, struct dns_stats *out)
{
    uint64_t bucket[DNS_LATENCY_BUCKETS] = {0}, sum_ns = 0;
    memset(out, 0, sizeof *out);
    for (int i = 0; i < s->n_workers; i++)
        add_counters(out, udp_worker_counters(s->workers[i]), false, bucket, &sum_ns);
    add_counters(out, tcp_server_counters(s->tcp), true, bucket, &sum_ns);
    if (s->fwd) {
        add_counters(out, fwd_counters(s->fwd, 0), false, bucket, &sum_ns);
        add_counters(out, fwd_counters(s->fwd, 1), true, bucket, &sum_ns);
    }
    uint64_t cum = 0;
    for (int i = 0; i < DNS_LATENCY_BUCKETS; i++) {
        cum += bucket[i];
        out->latency_bucket[i] = cum;
    }
    out->latency_count = cum;
    out->latency_sum = (double)sum_ns / 1e9;
}

void dns_server_get_forward_stats(struct dns_server *s, struct dns_forward_stats *out)
{
    if (!s->fwd) {
        memset(out, 0, sizeof *out);
        return;
    }
    fwd_get_stats(s->fwd, out);
}
