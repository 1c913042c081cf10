/* reconnect.c — retrying failed members, as serf does on top of memberlist: dead members that
 * were reaped are remembered for reconnect_timeout and, every reconnect_interval, one failed
 * member (dead or reaped) is sent a joining push/pull with probability failed/alive. This is what
 * heals a cluster after a partition: once the two sides talk again, refutation brings each node
 * back alive.
 *
 * Beyond serf, so that a healed partition is noticed within a second rather than at the next
 * discovery heartbeat or reconnect: every dead or failed member gets a heal ping (an ordinary
 * memberlist ping, ~60 bytes) every heal_ping_min_ms at first, then less often the longer it stays
 * dead (a twentieth of its time dead, at most every 30 s), and any valid packet from the address
 * of a dead or failed member (a heal ping's ack, its own probes or heal pings) triggers a joining
 * push/pull to it at once, at most once a second per member. */
#include <stdlib.h>
#include <string.h>

#include "swimmies/swim_int.h"

#define FAILED_MAX 4096

void swim_reconnect_remember(struct swim *s, const struct member *m)
{
    if (!s->cfg.reconnect_interval_ms)
        return;
    for (size_t i = 0; i < s->failed.n; i++) {
        if (strcmp(s->failed.v[i].name, m->name) == 0) {
            s->failed.v[i].addr = m->addr;
            return;
        }
    }
    if (s->failed.n >= FAILED_MAX)
        return;
    char *name = strdup(m->name);
    if (!name)
        return;
    if (!vec_push(&s->failed, ((struct failed_member){name, m->addr, m->state_change, m->heal_next,
                                                      m->heal_pushed})))
        free(name);
}

static void drop_at(struct swim *s, size_t i)
{
    free(s->failed.v[i].name);
    s->failed.v[i] = s->failed.v[--s->failed.n];
}

void swim_reconnect_forget(struct swim *s, const char *name)
{
    for (size_t i = 0; i < s->failed.n; i++) {
        if (strcmp(s->failed.v[i].name, name) == 0) {
            drop_at(s, i);
            return;
        }
    }
}

void swim_reconnect_free(struct swim *s)
{
    while (s->failed.n)
        drop_at(s, s->failed.n - 1);
    free(s->failed.v);
    s->failed.v = NULL;
    s->failed.cap = 0;
}

void swim_reconnect_tick(struct swim *s)
{
    for (size_t i = 0; i < s->failed.n;) {
        if (s->now - s->failed.v[i].since > s->cfg.reconnect_timeout_ms)
            drop_at(s, i);
        else
            i++;
    }
    size_t dead = 0, left = 0;
    for (size_t i = 0; i < s->nodes.n; i++) {
        if (s->nodes.v[i]->state == SWIM_DEAD)
            dead++;
        else if (s->nodes.v[i]->state == SWIM_LEFT)
            left++;
    }
    size_t failed = dead + s->failed.n;
    if (failed == 0)
        return;
    size_t alive = s->nodes.n - dead - left;
    if (alive == 0)
        alive = 1;
    /* serf: reconnect with probability failed/alive, so a big healthy cluster is not flooded */
    double prob = (double)failed / (double)alive;
    double r = (double)(swim_rand(s) >> 11) / 9007199254740992.0;
    if (r > prob)
        return;
    size_t pick = swim_rand_below(s, (uint32_t)failed);
    struct swim_addr to;
    if (pick < s->failed.n) {
        to = s->failed.v[pick].addr;
    } else {
        pick -= s->failed.n;
        const struct member *m = NULL;
        for (size_t i = 0; i < s->nodes.n; i++) {
            if (s->nodes.v[i]->state == SWIM_DEAD && pick-- == 0) {
                m = s->nodes.v[i];
                break;
            }
        }
        if (!m)
            return;
        to = m->addr;
    }
    uint8_t *buf;
    size_t len;
    if (swim_pushpull_encode(s, true, &buf, &len) < 0)
        return;
    s->m.reconnects++;
    if (swim_stream_send(s, &to, buf, len, ST_PUSHPULL_JOIN, 0) < 0)
        s->m.pushpull_failures++;
    free(buf);
}

#define HEAL_MAX_MS 30000
#define HEAL_PUSH_GAP_MS 1000
#define HEAL_TICK_MS 100

static uint64_t heal_interval(const struct swim *s, uint64_t since)
{
    uint64_t iv = (s->now - since) / 20;
    if (iv < s->cfg.heal_ping_min_ms)
        iv = s->cfg.heal_ping_min_ms;
    return iv > HEAL_MAX_MS ? HEAL_MAX_MS : iv;
}

static void heal_ping(struct swim *s, const char *name, const struct swim_addr *to)
{
    uint8_t buf[512];
    struct swim_ping p = {.seq_no = ++s->seq,
                          .node = swim_str(name),
                          .source_addr = swim_mem(s->cfg.advertise.ip, s->cfg.advertise.ip_len),
                          .source_port = s->cfg.advertise.port,
                          .source_node = swim_mem(s->name, s->name_len)};
    ssize_t n = swim_encode_ping(buf, sizeof(buf), &p);
    if (n > 0) {
        swim_send_msg(s, to, NULL, buf, (size_t)n, true);
        s->m.heal_pings++;
    }
}

void swim_heal_tick(struct swim *s)
{
    s->next_heal = UINT64_MAX;
    if (!s->cfg.heal_ping_min_ms || s->left)
        return;
    bool any = false;
    for (size_t i = 0; i < s->nodes.n; i++) {
        struct member *m = s->nodes.v[i];
        if (m == s->self || m->state != SWIM_DEAD)
            continue;
        any = true;
        if (s->now >= m->heal_next) {
            heal_ping(s, m->name, &m->addr);
            m->heal_next = s->now + heal_interval(s, m->state_change);
        }
    }
    for (size_t i = 0; i < s->failed.n; i++) {
        struct failed_member *f = &s->failed.v[i];
        any = true;
        if (s->now >= f->heal_next) {
            heal_ping(s, f->name, &f->addr);
            f->heal_next = s->now + heal_interval(s, f->since);
        }
    }
    if (any)
        s->next_heal = s->now + HEAL_TICK_MS;
}

static void heal_push(struct swim *s, const struct swim_addr *to, uint64_t *pushed)
{
    if (*pushed && s->now - *pushed < HEAL_PUSH_GAP_MS)
        return;
    *pushed = s->now;
    uint8_t *buf;
    size_t len;
    if (swim_pushpull_encode(s, true, &buf, &len) < 0)
        return;
    s->m.heals++;
    if (swim_stream_send(s, to, buf, len, ST_PUSHPULL_JOIN, 0) < 0)
        s->m.pushpull_failures++;
    free(buf);
}

void swim_heal_heard(struct swim *s, const struct swim_addr *from)
{
    if (!s->cfg.heal_ping_min_ms || s->left)
        return;
    for (size_t i = 0; i < s->nodes.n; i++) {
        struct member *m = s->nodes.v[i];
        if (m != s->self && m->state == SWIM_DEAD && swim_addr_eq(&m->addr, from)) {
            heal_push(s, from, &m->heal_pushed);
            return;
        }
    }
    for (size_t i = 0; i < s->failed.n; i++) {
        if (swim_addr_eq(&s->failed.v[i].addr, from)) {
            heal_push(s, from, &s->failed.v[i].heal_pushed);
            return;
        }
    }
}
