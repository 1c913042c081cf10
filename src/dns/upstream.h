/* dns/upstream.h — the upstream resolvers of the forwarder: their addresses, measured round-trip
 * times (smoothed, as BIND and Unbound do) and failure state. The forwarder asks the fastest
 * upstream not yet tried for a question; one that keeps failing is rested with exponential
 * backoff and only probed (asked when nothing better is left) until it answers again. Only the
 * forwarder thread changes them; readers of the counters take the forwarder's stats lock. */
#ifndef JOYRIDE_DNS_UPSTREAM_H
#define JOYRIDE_DNS_UPSTREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "dns/server.h"

#define UPSTREAM_FAILS_TO_REST 3 /* consecutive failures before an upstream is rested */
#define UPSTREAM_REST_MIN_MS 1000
#define UPSTREAM_REST_MAX_MS 60000

struct upstream {
    struct sockaddr_storage addr;
    socklen_t len;
    struct dns_upstream_stats st; /* address, zone, srtt and counters as reported */
    bool measured;
    unsigned fails;         /* consecutive */
    uint64_t rest_until_ms; /* resting until then (0: not resting) */
    uint32_t backoff_ms;    /* the last rest */
};

/* The upstreams a question may go to: DNS_FORWARDERS, or one forward zone's. */
struct upstream_set {
    struct upstream **v;
    size_t n;
};

void upstream_init(struct upstream *u, const struct dns_forward_target *t, const char *zone);

/* Index in s of the upstream to ask next: the lowest smoothed RTT among those not resting and
 * not in tried (a bit mask of indexes); else the untried resting one whose rest ends first (a
 * probe). explore (random 0-255): 1 in 32 picks a random usable one, so RTTs stay measured.
 * -1 when every upstream was tried. */
int upstream_pick(const struct upstream_set *s, uint64_t tried, uint64_t now_ms, unsigned explore);

void upstream_answered(struct upstream *u, double rtt_ms);
/* A timeout or an error; penalty_ms is what it counts as in the smoothed RTT. */
void upstream_failed(struct upstream *u, uint64_t now_ms, double penalty_ms);

#endif
