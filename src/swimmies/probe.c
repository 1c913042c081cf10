/* probe.c — failure detection (memberlist state.go probe/probeNode, net.go handlePing and
 * handleIndirectPing): round-robin probing of a shuffled member list with ping/ack, indirect
 * probes through k members with nacks, the TCP ping fallback, awareness updates, and relaying
 * indirect pings for others. Runs as phases on the virtual clock instead of blocking. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "swimmies/swim_int.h"

#define RELAYS_MAX 1024 /* indirect pings relayed at once; more are dropped */

static void self_source(struct swim *s, struct swim_bytes *addr, uint16_t *port,
                        struct swim_bytes *node)
{
    *addr = swim_mem(s->cfg.advertise.ip, s->cfg.advertise.ip_len);
    *port = s->cfg.advertise.port;
    *node = swim_mem(s->name, s->name_len);
}

static ssize_t encode_ping(struct swim *s, uint8_t *buf, size_t cap, uint32_t seq,
                           const struct member *target)
{
    struct swim_ping p = {.seq_no = seq, .node = swim_mem(target->name, target->name_len)};
    self_source(s, &p.source_addr, &p.source_port, &p.source_node);
    return swim_encode_ping(buf, cap, &p);
}

void swim_probe_forget(struct swim *s)
{
    free(s->probe.target);
    memset(&s->probe, 0, sizeof(s->probe));
    s->probe.phase = PROBE_IDLE;
}

static void probe_finish(struct swim *s, int awareness_delta)
{
    swim_awareness_apply(s, awareness_delta);
    swim_probe_forget(s);
}

static void probe_start(struct swim *s, struct member *m)
{
    uint8_t buf[1024];
    swim_probe_forget(s);
    s->m.probes++;
    struct probe *p = &s->probe;
    p->target = strdup(m->name);
    if (!p->target)
        return;
    p->seq = ++s->seq;
    p->sent = s->now;
    p->timeout_at = s->now + s->cfg.probe_timeout_ms;
    p->deadline = s->now + swim_awareness_scale(s, s->cfg.probe_interval_ms);
    p->phase = PROBE_DIRECT;

    ssize_t n = encode_ping(s, buf, sizeof(buf) / 2, p->seq, m);
    if (n < 0) {
        swim_probe_forget(s);
        return;
    }
    if (m->state == SWIM_ALIVE) {
        swim_send_msg(s, &m->addr, NULL, buf, (size_t)n, true);
    } else {
        /* A suspect gets ping + suspect so it can refute at once. */
        struct swim_suspect su = {.incarnation = m->incarnation,
                                  .node = swim_mem(m->name, m->name_len),
                                  .from = swim_mem(s->name, s->name_len)};
        ssize_t n2 = swim_encode_suspect(buf + n, sizeof(buf) / 2, &su);
        uint8_t comp[1100];
        struct swim_bytes parts[2] = {{buf, (size_t)n}, {buf + n, n2 > 0 ? (size_t)n2 : 0}};
        ssize_t cl = n2 > 0 ? swim_compound_build(comp, sizeof(comp), parts, 2) : -1;
        if (cl > 0)
            swim_send_msg(s, &m->addr, m, comp, (size_t)cl, false);
        else
            swim_send_msg(s, &m->addr, NULL, buf, (size_t)n, true);
    }
}

static bool skip_indirect(struct swim *s, struct member *m, void *ctx)
{
    const struct member *target = ctx;
    return m == s->self || m == target || m->state != SWIM_ALIVE;
}

/* Direct ping timed out: ask k others and try TCP. */
static void probe_go_indirect(struct swim *s)
{
    struct probe *p = &s->probe;
    p->phase = PROBE_INDIRECT;
    s->m.probe_failures++;
    struct member *t = swim_members_find(s, (uint8_t *)p->target, strlen(p->target));
    if (!t) {
        swim_probe_forget(s);
        return;
    }
    struct member *peers[16];
    size_t k = s->cfg.indirect_checks < 16 ? s->cfg.indirect_checks : 16;
    size_t got = swim_members_k_random(s, k, peers, skip_indirect, t);
    struct swim_indirect_ping ind = {
        .seq_no = p->seq,
        .target = swim_mem(t->addr.ip, t->addr.ip_len),
        .port = t->addr.port,
        .node = swim_mem(t->name, t->name_len),
    };
    self_source(s, &ind.source_addr, &ind.source_port, &ind.source_node);
    for (size_t i = 0; i < got; i++) {
        uint8_t buf[1024];
        ind.nack = peers[i]->vsn[1] >= 4;
        if (ind.nack)
            p->expected_nacks++;
        ssize_t n = swim_encode_indirect_ping(buf, sizeof(buf), &ind);
        if (n > 0) {
            swim_send_msg(s, &peers[i]->addr, NULL, buf, (size_t)n, true);
            s->m.indirect_probes++;
        }
    }
    if (!s->cfg.disable_tcp_pings && t->vsn[1] >= 3) {
        uint8_t buf[1024];
        ssize_t n = encode_ping(s, buf, sizeof(buf), p->seq, t);
        if (n > 0 && swim_stream_send(s, &t->addr, buf, (size_t)n, ST_TCP_PING, p->seq) == 0) {
            s->m.tcp_fallback_probes++;
            p->fallback_token = s->next_token; /* the token swim_stream_send just used */
        }
    }
}

/* The deadline passed without an ack (or every relay nacked a refused target). */
static void probe_give_up(struct swim *s)
{
    struct probe *p = &s->probe;
    if (p->refused && !p->fallback_contact) {
        /* Nothing listens at its address and nobody reached it: the process is gone. */
        struct member *t = swim_members_find(s, (uint8_t *)p->target, strlen(p->target));
        if (t && t->state != SWIM_DEAD && t->state != SWIM_LEFT) {
            SWIM_INFO(s, "%s refused probes (nothing listens at its address), declaring it dead",
                      t->name);
            uint32_t inc = t->incarnation;
            s->m.refused_deaths++;
            probe_finish(s, 0);
            swim_state_dead(s, (uint8_t *)t->name, t->name_len, inc, (uint8_t *)s->name,
                            s->name_len);
            return;
        }
    }
    if (p->fallback_contact) {
        SWIM_WARN(s,
                  "was able to connect to %s over TCP but UDP probes failed, network "
                  "may be misconfigured",
                  p->target);
        probe_finish(s, -1);
        return;
    }
    int delta = 0;
    if (p->expected_nacks > 0) {
        if (p->nacks < p->expected_nacks)
            delta += (int)(p->expected_nacks - p->nacks);
    } else {
        delta += 1;
    }
    struct member *t = swim_members_find(s, (uint8_t *)p->target, strlen(p->target));
    if (t) {
        SWIM_INFO(s, "suspect %s has failed, no acks received", t->name);
        uint32_t inc = t->incarnation;
        probe_finish(s, delta);
        swim_state_suspect(s, (uint8_t *)t->name, t->name_len, inc, (uint8_t *)s->name,
                           s->name_len);
    } else {
        probe_finish(s, delta);
    }
}

static void probe_next(struct swim *s)
{
    size_t checked = 0;
    while (checked < s->nodes.n) {
        if (s->probe_index >= s->nodes.n) {
            swim_members_reap(s);
            s->probe_index = 0;
            checked++;
            continue;
        }
        struct member *m = s->nodes.v[s->probe_index++];
        if (m == s->self || m->state == SWIM_DEAD || m->state == SWIM_LEFT) {
            checked++;
            continue;
        }
        probe_start(s, m);
        return;
    }
}

void swim_probe_tick(struct swim *s)
{
    struct probe *p = &s->probe;
    if (p->phase == PROBE_DIRECT && s->now >= p->timeout_at)
        probe_go_indirect(s);
    if (p->phase == PROBE_INDIRECT && s->now >= p->deadline)
        probe_give_up(s);
    if (s->now >= s->next_probe) {
        /* memberlist's ticker fires every ProbeInterval; a probe still running swallows it */
        while (s->next_probe <= s->now)
            s->next_probe += s->cfg.probe_interval_ms;
        if (p->phase == PROBE_IDLE && !s->left)
            probe_next(s);
    }
}

uint64_t swim_probe_next_deadline(const struct swim *s)
{
    uint64_t d = s->next_probe;
    if (s->probe.phase == PROBE_DIRECT && s->probe.timeout_at < d)
        d = s->probe.timeout_at;
    if (s->probe.phase == PROBE_INDIRECT && s->probe.deadline < d)
        d = s->probe.deadline;
    for (size_t i = 0; i < s->relays.n; i++)
        if (s->relays.v[i].deadline < d)
            d = s->relays.v[i].deadline;
    return d;
}

static void send_ack(struct swim *s, const struct swim_addr *to, uint32_t seq)
{
    uint8_t buf[64];
    struct swim_ack a = {.seq_no = seq};
    ssize_t n = swim_encode_ack(buf, sizeof(buf), &a);
    if (n > 0)
        swim_send_msg(s, to, NULL, buf, (size_t)n, true);
}

static void send_nack(struct swim *s, const struct swim_addr *to, uint32_t seq)
{
    uint8_t buf[64];
    struct swim_nack a = {.seq_no = seq};
    ssize_t n = swim_encode_nack(buf, sizeof(buf), &a);
    if (n > 0)
        swim_send_msg(s, to, NULL, buf, (size_t)n, true);
}

void swim_probe_handle_ack(struct swim *s, uint32_t seq)
{
    struct probe *p = &s->probe;
    if (p->phase != PROBE_IDLE && p->seq == seq && s->now <= p->deadline) {
        probe_finish(s, -1);
        return;
    }
    for (size_t i = 0; i < s->relays.n; i++) {
        if (s->relays.v[i].local_seq == seq) {
            struct relay r = s->relays.v[i];
            s->relays.v[i] = s->relays.v[--s->relays.n];
            send_ack(s, &r.origin, r.orig_seq);
            return;
        }
    }
}

void swim_probe_handle_nack(struct swim *s, uint32_t seq)
{
    struct probe *p = &s->probe;
    if (p->phase == PROBE_INDIRECT && p->seq == seq) {
        p->nacks++;
        if (p->refused && p->nacks >= p->expected_nacks)
            probe_give_up(s); /* refused by us, unreachable for every relay: no need to wait */
    }
}

void swim_probe_unreachable(struct swim *s, const struct swim_addr *to)
{
    /* pings we relay to that address: nack at once */
    for (size_t i = 0; i < s->relays.n;) {
        struct relay *r = &s->relays.v[i];
        if (!swim_addr_eq(&r->target, to)) {
            i++;
            continue;
        }
        struct relay done = *r;
        s->relays.v[i] = s->relays.v[--s->relays.n];
        if (done.nack)
            send_nack(s, &done.origin, done.orig_seq);
    }
    struct probe *p = &s->probe;
    if (p->phase == PROBE_IDLE && !s->left) {
        /* gossip to an alive member bounced: probe it now instead of at its turn */
        for (size_t i = 0; i < s->nodes.n; i++) {
            struct member *m = s->nodes.v[i];
            if (m != s->self && (m->state == SWIM_ALIVE || m->state == SWIM_SUSPECT) &&
                swim_addr_eq(&m->addr, to)) {
                probe_start(s, m);
                break;
            }
        }
        return;
    }
    if (!p->target || p->refused)
        return;
    struct member *t = swim_members_find(s, (uint8_t *)p->target, strlen(p->target));
    if (!t || !swim_addr_eq(&t->addr, to))
        return;
    s->m.probes_refused++;
    p->refused = true;
    if (p->phase == PROBE_DIRECT)
        probe_go_indirect(s); /* confirm through others now rather than after the timeout */
    if (p->phase == PROBE_INDIRECT && p->expected_nacks == 0 && p->fallback_token == 0)
        probe_give_up(s); /* nobody to ask and no TCP fallback: our own evidence decides */
}

void swim_probe_fallback_result(struct swim *s, uint64_t token, bool contact)
{
    struct probe *p = &s->probe;
    if (p->phase != PROBE_IDLE && p->fallback_token == token && contact)
        p->fallback_contact = true;
}

static void reply_addr(const struct swim_addr *from, struct swim_bytes src_addr, uint16_t src_port,
                       struct swim_addr *out)
{
    if ((src_addr.len == 4 || src_addr.len == 16) && src_port > 0)
        swim_ip_to_addr(src_addr.p, src_addr.len, src_port, out);
    else
        *out = *from;
}

void swim_probe_handle_ping(struct swim *s, const struct swim_addr *from, const uint8_t *body,
                            size_t len)
{
    struct swim_ping p;
    if (swim_decode_ping(body, len, &p, NULL) != SWIM_OK) {
        s->m.dropped_malformed++;
        return;
    }
    if (p.node.len && !swim_bytes_eq_str(p.node, s->name)) {
        s->m.dropped_other++;
        return;
    }
    struct swim_addr to;
    reply_addr(from, p.source_addr, p.source_port, &to);
    send_ack(s, &to, p.seq_no);
}

void swim_probe_handle_indirect(struct swim *s, const struct swim_addr *from, const uint8_t *body,
                                size_t len)
{
    struct swim_indirect_ping ind;
    if (swim_decode_indirect_ping(body, len, &ind, NULL) != SWIM_OK ||
        (ind.target.len != 4 && ind.target.len != 16)) {
        s->m.dropped_malformed++;
        return;
    }
    if (ind.port == 0)
        ind.port = s->cfg.advertise.port;
    if (s->relays.n >= RELAYS_MAX) /* a flood of relay requests; drop */
        return;
    struct relay *r = vec_push_zero(&s->relays);
    if (!r)
        return;
    r->local_seq = ++s->seq;
    r->orig_seq = ind.seq_no;
    r->nack = ind.nack;
    r->deadline = s->now + s->cfg.probe_timeout_ms;
    reply_addr(from, ind.source_addr, ind.source_port, &r->origin);

    struct swim_ping p = {.seq_no = r->local_seq, .node = ind.node};
    self_source(s, &p.source_addr, &p.source_port, &p.source_node);
    uint8_t buf[1024];
    ssize_t n = swim_encode_ping(buf, sizeof(buf), &p);
    swim_ip_to_addr(ind.target.p, ind.target.len, ind.port, &r->target);
    if (n > 0)
        swim_send_msg(s, &r->target, NULL, buf, (size_t)n, true);
}

void swim_probe_relay_timeouts(struct swim *s)
{
    for (size_t i = 0; i < s->relays.n;) {
        if (s->relays.v[i].deadline > s->now) {
            i++;
            continue;
        }
        struct relay r = s->relays.v[i];
        s->relays.v[i] = s->relays.v[--s->relays.n];
        if (r.nack)
            send_nack(s, &r.origin, r.orig_seq);
    }
}
