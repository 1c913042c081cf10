/* swim.c — the swimmies core's lifecycle and public API: configuration defaults (memberlist LAN),
 * creation of the local node, the timer schedule (probe, gossip, push/pull, suspicion, relays,
 * streams) behind swim_tick/swim_next_deadline, join/leave/meta updates, user messages, and
 * introspection. Protocol details live in state.c, probe.c, send.c, recv.c, pushpull.c,
 * broadcast.c. */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "swimmies/swim_int.h"

void swim_config_default(struct swim_config *c)
{
    memset(c, 0, sizeof(*c));
    static const uint8_t vsn[6] = {1, 5, 2, 2, 5, 4};
    memcpy(c->vsn, vsn, 6);
    c->probe_interval_ms = 1000;
    c->probe_timeout_ms = 500;
    c->gossip_interval_ms = 200;
    c->gossip_nodes = 3;
    c->gossip_to_dead_ms = 30000;
    c->indirect_checks = 3;
    c->retransmit_mult = 4;
    c->suspicion_mult = 4;
    c->suspicion_max_timeout_mult = 6;
    c->awareness_max_mult = 8;
    c->pushpull_interval_ms = 30000;
    c->user_queue_max = 4096;
    c->dead_node_reclaim_ms = 0;
    c->reconnect_interval_ms = 30000;
    c->heal_ping_min_ms = 500;
    c->reconnect_timeout_ms = 86400000;
    c->tcp_timeout_ms = 10000;
    c->udp_buffer_size = SWIM_UDP_BUFFER_SIZE;
    c->compress_tcp = true;
}

static uint64_t pushpull_scale(uint64_t interval, size_t n)
{
    if (n <= 32)
        return interval;
    double mult = ceil(log2((double)n) - log2(32.0)) + 1.0;
    return (uint64_t)mult * interval;
}

struct swim *swim_new(const struct swim_config *c, uint64_t now_ms)
{
    if (!c->name || !c->name[0] || strlen(c->name) > 255 || c->meta_len > SWIM_META_MAX ||
        (c->advertise.ip_len != 4 && c->advertise.ip_len != 16) || c->probe_interval_ms == 0 ||
        c->gossip_interval_ms == 0 || c->udp_buffer_size < 64 ||
        c->udp_buffer_size > SWIM_PKT_MAX - 1024 || c->awareness_max_mult == 0)
        return NULL;
    struct swim *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    s->cfg = *c;
    s->name = strdup(c->name);
    s->name_len = strlen(c->name);
    s->rx_scratch_cap = (size_t)4 * SWIM_PKT_MAX;
    s->rx_scratch = malloc(s->rx_scratch_cap);
    s->tx_store = malloc(SWIM_PKT_MAX);
    s->tx_buf = malloc(SWIM_PKT_MAX);
    s->tx_wire = malloc(SWIM_PKT_MAX);
    if (!s->name || !s->rx_scratch || !s->tx_store || !s->tx_buf || !s->tx_wire)
        goto fail;
    s->cfg.name = s->name;
    s->cfg.meta = NULL;
    s->now = now_ms;
    uint64_t seed = c->seed;
    if (!seed) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        seed = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 32) ^ (uint64_t)(uintptr_t)s;
    }
    s->rng = seed ^ swim_hash_name((const uint8_t *)c->name, strlen(c->name));
    if (!s->rng)
        s->rng = 0x9E3779B97F4A7C15ULL;

    struct alive_in a = {.node = (const uint8_t *)s->name,
                         .node_len = strlen(s->name),
                         .addr = c->advertise.ip,
                         .addr_len = c->advertise.ip_len,
                         .port = c->advertise.port,
                         .meta = c->meta,
                         .meta_len = c->meta ? c->meta_len : 0,
                         .incarnation = ++s->incarnation,
                         .vsn = c->vsn,
                         .vsn_len = 6};
    /* self is created on the first alive; find it afterwards */
    swim_state_alive(s, &a, true);
    s->self = swim_members_find(s, a.node, a.node_len);
    if (!s->self)
        goto fail;

    s->next_probe = now_ms + swim_rand_below(s, c->probe_interval_ms);
    s->next_gossip = now_ms + swim_rand_below(s, c->gossip_interval_ms);
    s->next_pushpull =
        c->pushpull_interval_ms ? now_ms + swim_rand_below(s, c->pushpull_interval_ms) : UINT64_MAX;
    s->next_reconnect = c->reconnect_interval_ms ? now_ms + c->reconnect_interval_ms : UINT64_MAX;
    s->next_heal = UINT64_MAX;
    return s;
fail:
    swim_free(s);
    return NULL;
}

void swim_free(struct swim *s)
{
    if (!s)
        return;
    swim_bq_free_all(s, &s->bq);
    swim_bq_free_all(s, &s->uq);
    while (s->nodes.n)
        swim_members_remove(s, s->nodes.v[s->nodes.n - 1]);
    swim_probe_forget(s);
    swim_reconnect_free(s);
    free(s->nodes.v);
    free(s->table);
    free(s->table_tag);
    free(s->suspects.v);
    free(s->relays.v);
    free(s->streams.v);
    free(s->rx_scratch);
    free(s->tx_store);
    free(s->tx_buf);
    free(s->tx_wire);
    free(s->name);
    free(s);
}

void swim_tick(struct swim *s, uint64_t now_ms)
{
    s->now = now_ms;
    swim_state_suspicion_timeouts(s);
    swim_probe_relay_timeouts(s);
    swim_probe_tick(s);
    if (now_ms >= s->next_gossip) {
        while (s->next_gossip <= now_ms)
            s->next_gossip += s->cfg.gossip_interval_ms;
        swim_gossip(s);
    }
    if (now_ms >= s->next_pushpull) {
        swim_pushpull_periodic(s);
        s->next_pushpull = now_ms + pushpull_scale(s->cfg.pushpull_interval_ms, s->nodes.n);
    }
    if (now_ms >= s->next_reconnect) {
        swim_reconnect_tick(s);
        s->next_reconnect = now_ms + s->cfg.reconnect_interval_ms;
    }
    if (now_ms >= s->next_heal)
        swim_heal_tick(s);
    swim_streams_timeouts(s);
}

uint64_t swim_next_deadline(const struct swim *s)
{
    uint64_t d = swim_probe_next_deadline(s);
    if (s->next_gossip < d)
        d = s->next_gossip;
    if (s->next_pushpull < d)
        d = s->next_pushpull;
    if (s->next_reconnect < d)
        d = s->next_reconnect;
    if (s->next_heal < d)
        d = s->next_heal;
    for (size_t i = 0; i < s->suspects.n; i++)
        if (s->suspects.v[i]->susp->deadline < d)
            d = s->suspects.v[i]->susp->deadline;
    for (size_t i = 0; i < s->streams.n; i++)
        if (s->streams.v[i].deadline < d)
            d = s->streams.v[i].deadline;
    return d;
}

static void wake_transport(struct swim *s)
{
    if (s->cfg.transport.schedule)
        s->cfg.transport.schedule(s->cfg.transport.ctx, swim_next_deadline(s));
}

static int join_seeds(struct swim *s, uint64_t now_ms, const struct swim_addr *seeds, size_t n)
{
    s->now = now_ms;
    int started = 0;
    for (size_t i = 0; i < n; i++) {
        uint8_t *buf;
        size_t len;
        if (swim_pushpull_encode(s, true, &buf, &len) < 0)
            continue;
        if (swim_stream_send(s, &seeds[i], buf, len, ST_PUSHPULL_JOIN, 0) == 0)
            started++;
        else
            s->m.pushpull_failures++;
        free(buf);
    }
    return started;
}

static bool any_other_alive(const struct swim *s)
{
    for (size_t i = 0; i < s->nodes.n; i++) {
        const struct member *m = s->nodes.v[i];
        if (m != s->self && (m->state == SWIM_ALIVE || m->state == SWIM_SUSPECT))
            return true;
    }
    return false;
}

static int leave(struct swim *s, uint64_t now_ms)
{
    s->now = now_ms;
    if (s->left)
        return 0;
    s->left = true;
    swim_state_dead(s, (uint8_t *)s->name, s->name_len, s->self->incarnation, (uint8_t *)s->name,
                    s->name_len);
    if (!any_other_alive(s)) {
        s->leave_done = true;
        return 0;
    }
    /* Besides gossiping it, tell every live member at once (with whatever else is queued
     * piggybacked), so a stopping node is seen as left even if it stops gossiping early. */
    uint8_t buf[640];
    struct swim_dead d = {.incarnation = s->self->incarnation,
                          .node = swim_mem(s->name, s->name_len),
                          .from = swim_mem(s->name, s->name_len)};
    ssize_t n = swim_encode_dead(buf, sizeof buf, &d);
    for (size_t i = 0; n > 0 && i < s->nodes.n; i++) {
        const struct member *m = s->nodes.v[i];
        if (m != s->self && (m->state == SWIM_ALIVE || m->state == SWIM_SUSPECT))
            swim_send_msg(s, &m->addr, m, buf, (size_t)n, true);
    }
    return 0;
}

bool swim_leave_done(const struct swim *s)
{
    return s->leave_done;
}

static int update_meta(struct swim *s, uint64_t now_ms, const uint8_t *meta, size_t len)
{
    if (len > SWIM_META_MAX)
        return -EMSGSIZE;
    s->now = now_ms;
    struct alive_in a = {.node = (const uint8_t *)s->name,
                         .node_len = s->name_len,
                         .addr = s->self->addr.ip,
                         .addr_len = s->self->addr.ip_len,
                         .port = s->self->addr.port,
                         .meta = meta,
                         .meta_len = len,
                         .incarnation = ++s->incarnation,
                         .vsn = s->self->vsn,
                         .vsn_len = 6};
    struct swim_addr keep = s->self->addr;
    a.addr = keep.ip;
    uint8_t vsn[6];
    memcpy(vsn, s->self->vsn, 6);
    a.vsn = vsn;
    swim_state_alive(s, &a, true);
    return 0;
}

static int broadcast(struct swim *s, const char *name, const uint8_t *msg, size_t len)
{
    if (!msg || len == 0)
        return -EINVAL;
    if (len + 1 + 4 > s->cfg.udp_buffer_size)
        return -EMSGSIZE;
    uint8_t *buf = malloc(len + 1);
    if (!buf)
        return -ENOMEM;
    ssize_t n = swim_encode_user_udp(buf, len + 1, msg, len);
    int rc = n > 0 ? swim_bq_queue_user(s, name, buf, (size_t)n) : -EINVAL;
    free(buf);
    return rc;
}

static int send_user(struct swim *s, const char *node, const uint8_t *msg, size_t len,
                     bool reliable)
{
    struct member *m = swim_members_find(s, (const uint8_t *)node, strlen(node));
    if (!m)
        return -ENOENT;
    uint8_t *buf = malloc(len + 32);
    if (!buf)
        return -ENOMEM;
    int rc = -EINVAL;
    if (reliable) {
        struct swim_user_header h = {.user_msg_len = (uint32_t)len};
        ssize_t n = swim_encode_user_header(buf, 32, &h);
        if (n > 0) {
            memcpy(buf + n, msg, len);
            rc = swim_stream_send(s, &m->addr, buf, (size_t)n + len, ST_ONEWAY, 0) == 0 ? 0 : -EIO;
        }
    } else {
        if (len + 1 > s->cfg.udp_buffer_size) {
            free(buf);
            return -EMSGSIZE;
        }
        ssize_t n = swim_encode_user_udp(buf, len + 32, msg, len);
        if (n > 0) {
            swim_send_msg(s, &m->addr, m, buf, (size_t)n, false);
            rc = 0;
        }
    }
    free(buf);
    return rc;
}

/* ---- API calls that queue work ---------------------------------------------------------------
 * Each tells the transport its new next deadline when it is done (transport.schedule), so an
 * event-loop transport re-arms its timer without the caller having to ask. */

int swim_join(struct swim *s, uint64_t now_ms, const struct swim_addr *seeds, size_t n)
{
    int rc = join_seeds(s, now_ms, seeds, n);
    wake_transport(s);
    return rc;
}

int swim_leave(struct swim *s, uint64_t now_ms)
{
    int rc = leave(s, now_ms);
    wake_transport(s);
    return rc;
}

int swim_update_meta(struct swim *s, uint64_t now_ms, const uint8_t *meta, size_t len)
{
    int rc = update_meta(s, now_ms, meta, len);
    wake_transport(s);
    return rc;
}

int swim_broadcast(struct swim *s, const char *name, const uint8_t *msg, size_t len)
{
    int rc = broadcast(s, name, msg, len);
    wake_transport(s);
    return rc;
}

int swim_send_user(struct swim *s, const char *node, const uint8_t *msg, size_t len, bool reliable)
{
    int rc = send_user(s, node, msg, len, reliable);
    wake_transport(s);
    return rc;
}

const char *swim_name(const struct swim *s)
{
    return s->name;
}

size_t swim_num_members(const struct swim *s)
{
    return s->nodes.n;
}

size_t swim_num_alive(const struct swim *s)
{
    size_t n = 0;
    for (size_t i = 0; i < s->nodes.n; i++)
        if (s->nodes.v[i]->state == SWIM_ALIVE || s->nodes.v[i]->state == SWIM_SUSPECT)
            n++;
    return n;
}

void swim_foreach_member(const struct swim *s, bool (*fn)(void *ctx, const struct swim_member *m),
                         void *ctx)
{
    for (size_t i = 0; i < s->nodes.n; i++) {
        struct swim_member v;
        swim_members_fill_view(s, s->nodes.v[i], &v);
        if (!fn(ctx, &v))
            return;
    }
}

bool swim_get_member(const struct swim *s, const char *name, struct swim_member *out)
{
    const struct member *m = swim_members_find(s, (const uint8_t *)name, strlen(name));
    if (!m)
        return false;
    swim_members_fill_view(s, m, out);
    return true;
}

void swim_get_metrics(const struct swim *s, struct swim_metrics *out)
{
    *out = s->m;
    out->members_alive = out->members_suspect = out->members_dead = out->members_left = 0;
    for (size_t i = 0; i < s->nodes.n; i++) {
        switch (s->nodes.v[i]->state) {
        case SWIM_ALIVE:
            out->members_alive++;
            break;
        case SWIM_SUSPECT:
            out->members_suspect++;
            break;
        case SWIM_DEAD:
            out->members_dead++;
            break;
        case SWIM_LEFT:
            out->members_left++;
            break;
        }
    }
    out->health_score = (uint32_t)s->awareness;
    out->queued_broadcasts = (uint32_t)(s->bq.count + s->uq.count);
}

int swim_health_score(const struct swim *s)
{
    return s->awareness;
}

const char *swim_state_name(enum swim_state st)
{
    switch (st) {
    case SWIM_ALIVE:
        return "alive";
    case SWIM_SUSPECT:
        return "suspect";
    case SWIM_DEAD:
        return "failed";
    case SWIM_LEFT:
        return "left";
    }
    return "unknown";
}

const char *swim_event_name(enum swim_event ev)
{
    switch (ev) {
    case SWIM_EV_JOIN:
        return "join";
    case SWIM_EV_UPDATE:
        return "update";
    case SWIM_EV_SUSPECT:
        return "suspect";
    case SWIM_EV_ALIVE:
        return "alive";
    case SWIM_EV_FAIL:
        return "fail";
    case SWIM_EV_LEAVE:
        return "leave";
    }
    return "unknown";
}

const char *swim_addr_str(const struct swim_addr *a, char *buf, size_t len)
{
    char ip[INET6_ADDRSTRLEN] = "?";
    if (a->ip_len == 4)
        inet_ntop(AF_INET, a->ip, ip, sizeof(ip));
    else if (a->ip_len == 16)
        inet_ntop(AF_INET6, a->ip, ip, sizeof(ip));
    snprintf(buf, len, a->ip_len == 16 ? "[%s]:%u" : "%s:%u", ip, (unsigned)a->port);
    return buf;
}

int swim_addr_parse(const char *str, uint16_t default_port, struct swim_addr *out)
{
    char host[INET6_ADDRSTRLEN + 2];
    const char *port_s = NULL;
    memset(out, 0, sizeof(*out));
    if (str[0] == '[') {
        const char *e = strchr(str, ']');
        if (!e || (size_t)(e - str - 1) >= sizeof(host))
            return -1;
        memcpy(host, str + 1, (size_t)(e - str - 1));
        host[e - str - 1] = 0;
        if (e[1] == ':')
            port_s = e + 2;
        else if (e[1])
            return -1;
    } else {
        const char *c = strrchr(str, ':');
        size_t hl = c ? (size_t)(c - str) : strlen(str);
        if (hl >= sizeof(host) || (c && strchr(str, ':') != c))
            return -1;
        memcpy(host, str, hl);
        host[hl] = 0;
        if (c)
            port_s = c + 1;
    }
    unsigned long port = default_port;
    if (port_s) {
        char *end;
        port = strtoul(port_s, &end, 10);
        if (!*port_s || *end || port > 65535)
            return -1;
    }
    if (inet_pton(AF_INET, host, out->ip) == 1)
        out->ip_len = 4;
    else if (inet_pton(AF_INET6, host, out->ip) == 1)
        out->ip_len = 16;
    else
        return -1;
    out->port = (uint16_t)port;
    return 0;
}

void swim_ip_to_addr(const uint8_t *ip, size_t ip_len, uint16_t port, struct swim_addr *out)
{
    memset(out, 0, sizeof(*out));
    if (ip_len > 16)
        ip_len = 16;
    if (ip_len) /* an absent address is (NULL, 0) */
        memcpy(out->ip, ip, ip_len);
    out->ip_len = (uint8_t)ip_len;
    out->port = port;
}

bool swim_addr_eq(const struct swim_addr *a, const struct swim_addr *b)
{
    return a->ip_len == b->ip_len && a->port == b->port && memcmp(a->ip, b->ip, a->ip_len) == 0;
}
