/* upstream.c — choosing an upstream by smoothed RTT, and resting the ones that fail. */
#include "dns/upstream.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#define SRTT_ALPHA 0.3 /* weight of a new sample */

void upstream_init(struct upstream *u, const struct dns_forward_target *t, const char *zone)
{
    memset(u, 0, sizeof *u);
    memcpy(&u->addr, &t->addr, sizeof u->addr);
    u->len = t->len;
    char ip[INET6_ADDRSTRLEN] = "?";
    if (t->addr.ss_family == AF_INET6) {
        const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)&t->addr;
        inet_ntop(AF_INET6, &a->sin6_addr, ip, sizeof ip);
        snprintf(u->st.address, sizeof u->st.address, "[%s]:%u", ip, ntohs(a->sin6_port));
    } else {
        const struct sockaddr_in *a = (const struct sockaddr_in *)&t->addr;
        inet_ntop(AF_INET, &a->sin_addr, ip, sizeof ip);
        snprintf(u->st.address, sizeof u->st.address, "%s:%u", ip, ntohs(a->sin_port));
    }
    snprintf(u->st.zone, sizeof u->st.zone, "%s", zone ? zone : "");
}

static bool usable(const struct upstream_set *s, size_t i, uint64_t tried, uint64_t now_ms)
{
    return !(tried & (1ull << i)) && s->v[i]->rest_until_ms <= now_ms;
}

int upstream_pick(const struct upstream_set *s, uint64_t tried, uint64_t now_ms, unsigned explore)
{
    int best = -1, probe = -1, n_usable = 0;
    for (size_t i = 0; i < s->n && i < 64; i++) {
        const struct upstream *u = s->v[i];
        if (tried & (1ull << i))
            continue;
        if (u->rest_until_ms > now_ms) {
            if (probe < 0 || u->rest_until_ms < s->v[probe]->rest_until_ms)
                probe = (int)i;
            continue;
        }
        n_usable++;
        if (best < 0 || u->st.srtt_ms < s->v[best]->st.srtt_ms)
            best = (int)i;
    }
    if (n_usable > 1 && (explore & 31) == 0) {
        int k = (int)((explore >> 5) % (unsigned)n_usable);
        for (size_t i = 0; i < s->n && i < 64; i++)
            if (usable(s, i, tried, now_ms) && k-- == 0)
                return (int)i;
    }
    return best >= 0 ? best : probe;
}

void upstream_answered(struct upstream *u, double rtt_ms)
{
    u->st.srtt_ms = u->measured ? (1 - SRTT_ALPHA) * u->st.srtt_ms + SRTT_ALPHA * rtt_ms : rtt_ms;
    u->measured = true;
    u->fails = 0;
    u->backoff_ms = 0;
    u->rest_until_ms = 0;
    u->st.resting = false;
}

void upstream_failed(struct upstream *u, uint64_t now_ms, double penalty_ms)
{
    /* a failure counts as a slow answer, so a failing upstream sinks in the order */
    u->st.srtt_ms =
        u->measured ? (1 - SRTT_ALPHA) * u->st.srtt_ms + SRTT_ALPHA * penalty_ms : penalty_ms;
    u->measured = true;
    if (++u->fails < UPSTREAM_FAILS_TO_REST)
        return;
    u->backoff_ms = u->backoff_ms ? u->backoff_ms * 2 : UPSTREAM_REST_MIN_MS;
    if (u->backoff_ms > UPSTREAM_REST_MAX_MS)
        u->backoff_ms = UPSTREAM_REST_MAX_MS;
    u->rest_until_ms = now_ms + u->backoff_ms;
    u->st.resting = true;
}
