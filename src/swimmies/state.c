/* state.c — membership state transitions (memberlist state.go aliveNode/suspectNode/deadNode):
 * incarnation ordering, refutation of rumours about ourselves, suspicion timers, graceful leave,
 * address reclaim of dead nodes, and the events the application sees. */
#include <stdlib.h>
#include <string.h>

#include "swimmies/swim_int.h"

void swim_state_emit(struct swim *s, enum swim_event ev, const struct member *m)
{
    if (!s->cfg.delegate.on_event)
        return;
    struct swim_member v;
    swim_members_fill_view(s, m, &v);
    s->cfg.delegate.on_event(s->cfg.delegate.ctx, ev, &v);
}

static ssize_t encode_alive(const struct member *m, uint8_t *buf, size_t cap)
{
    struct swim_alive a = {
        .incarnation = m->incarnation,
        .node = swim_mem(m->name, m->name_len),
        .addr = swim_mem(m->addr.ip, m->addr.ip_len),
        .port = m->addr.port,
        .meta = m->meta_len ? swim_mem(m->meta, m->meta_len) : (struct swim_bytes){NULL, 0},
        .vsn_len = 6,
    };
    memcpy(a.vsn, m->vsn, 6);
    return swim_encode_alive(buf, cap, &a);
}

void swim_state_correct_stale(struct swim *s, const struct swim_addr *to, const uint8_t *node,
                              size_t node_len, uint32_t inc)
{
    struct member *m = swim_members_find(s, node, node_len);
    if (!m || inc >= m->incarnation || m->state != SWIM_ALIVE || (m == s->self && s->left))
        return;
    uint8_t buf[1024];
    ssize_t n = encode_alive(m, buf, sizeof(buf));
    if (n > 0) {
        s->m.stale_corrections++;
        swim_send_msg(s, to, NULL, buf, (size_t)n, false);
    }
}

static void queue_alive(struct swim *s, struct member *m)
{
    uint8_t buf[1024];
    ssize_t n = encode_alive(m, buf, sizeof(buf));
    if (n > 0)
        swim_bq_queue_member(s, m, buf, (size_t)n, false);
}

static void queue_suspect(struct swim *s, struct member *m, uint32_t inc, const uint8_t *from,
                          size_t from_len)
{
    uint8_t buf[640];
    struct swim_suspect x = {.incarnation = inc,
                             .node = swim_mem(m->name, m->name_len),
                             .from = swim_mem(from, from_len)};
    ssize_t n = swim_encode_suspect(buf, sizeof(buf), &x);
    if (n > 0)
        swim_bq_queue_member(s, m, buf, (size_t)n, false);
}

static void queue_dead(struct swim *s, struct member *m, uint32_t inc, const uint8_t *from,
                       size_t from_len, bool notify_leave)
{
    uint8_t buf[640];
    struct swim_dead x = {.incarnation = inc,
                          .node = swim_mem(m->name, m->name_len),
                          .from = swim_mem(from, from_len)};
    ssize_t n = swim_encode_dead(buf, sizeof(buf), &x);
    if (n > 0)
        swim_bq_queue_member(s, m, buf, (size_t)n, notify_leave);
}

/* memberlist refute: bump our incarnation past the accusation and broadcast alive. */
static void refute(struct swim *s, uint32_t accused)
{
    uint32_t inc = ++s->incarnation;
    if (accused >= inc) {
        inc = accused + 1;
        s->incarnation = inc;
    }
    s->self->incarnation = inc;
    swim_awareness_apply(s, 1);
    s->m.refutes++;
    queue_alive(s, s->self);
}

void swim_state_alive(struct swim *s, const struct alive_in *a, bool bootstrap)
{
    bool is_local = a->node_len == s->name_len && memcmp(a->node, s->name, a->node_len) == 0;
    if (s->left && is_local)
        return;
    if (a->vsn_len >= 3) {
        uint8_t pmin = a->vsn[0], pmax = a->vsn[1];
        if (pmin == 0 || pmax == 0 || pmin > pmax) {
            s->m.dropped_other++;
            return;
        }
    }
    if (a->addr_len != 4 && a->addr_len != 16) {
        s->m.dropped_malformed++;
        return;
    }
    /* members are named by C strings in the API: a name with a NUL byte cannot be one */
    if (a->node_len == 0 || memchr(a->node, '\0', a->node_len) || a->meta_len > SWIM_META_MAX) {
        s->m.dropped_malformed++;
        return;
    }
    struct swim_addr addr;
    swim_ip_to_addr(a->addr, a->addr_len, a->port, &addr);

    struct member *m = swim_members_find(s, a->node, a->node_len);
    bool updates_node = false;
    if (!m) {
        m = swim_members_add(s, a->node, a->node_len);
        if (!m)
            return;
        m->addr = addr;
        if (a->vsn_len >= 6)
            memcpy(m->vsn, a->vsn, 6);
        if (swim_members_set_meta(m, a->meta, a->meta_len) < 0) {
            swim_members_remove(s, m);
            return;
        }
        m->state = SWIM_DEAD;
        m->state_change = s->now;
    } else if (!swim_addr_eq(&m->addr, &addr)) {
        bool reclaim = s->cfg.dead_node_reclaim_ms > 0 &&
                       s->now - m->state_change > s->cfg.dead_node_reclaim_ms;
        if (m->state == SWIM_LEFT || (m->state == SWIM_DEAD && reclaim)) {
            updates_node = true;
        } else {
            char b1[64], b2[64];
            SWIM_WARN(s, "conflicting address for %s: mine %s theirs %s", m->name,
                      swim_addr_str(&m->addr, b1, sizeof(b1)),
                      swim_addr_str(&addr, b2, sizeof(b2)));
            s->m.dropped_other++;
            return;
        }
    }

    if (a->incarnation <= m->incarnation && !is_local && !updates_node)
        return;
    if (a->incarnation < m->incarnation && is_local)
        return;

    swim_members_suspect_del(s, m);
    enum swim_state old_state = m->state;

    if (!bootstrap && is_local) {
        if (a->incarnation == m->incarnation && a->meta_len == m->meta_len &&
            (a->meta_len == 0 || memcmp(a->meta, m->meta, a->meta_len) == 0) && a->vsn_len == 6 &&
            memcmp(a->vsn, m->vsn, 6) == 0)
            return;
        refute(s, a->incarnation);
        SWIM_WARN(s, "refuting an alive message about us (incarnation %u)",
                  (unsigned)a->incarnation);
        return;
    }

    int meta_changed = swim_members_set_meta(m, a->meta, a->meta_len);
    if (meta_changed < 0)
        return;
    if (a->vsn_len >= 6)
        memcpy(m->vsn, a->vsn, 6);
    m->incarnation = a->incarnation;
    bool addr_changed = !swim_addr_eq(&m->addr, &addr);
    m->addr = addr;
    if (m->state != SWIM_ALIVE) {
        m->state = SWIM_ALIVE;
        m->state_change = s->now;
    }
    queue_alive(s, m);

    if (old_state == SWIM_DEAD || old_state == SWIM_LEFT) {
        if (s->failed.n)
            swim_reconnect_forget(s, m->name);
        swim_state_emit(s, SWIM_EV_JOIN, m);
    } else if (old_state == SWIM_SUSPECT)
        swim_state_emit(s, SWIM_EV_ALIVE, m);
    else if (meta_changed > 0 || addr_changed)
        swim_state_emit(s, SWIM_EV_UPDATE, m);
}

void swim_state_suspect(struct swim *s, const uint8_t *node, size_t node_len, uint32_t inc,
                        const uint8_t *from, size_t from_len)
{
    struct member *m = swim_members_find(s, node, node_len);
    if (!m || inc < m->incarnation)
        return;
    if (m->susp) {
        if (swim_suspicion_confirm(m->susp, s->now, from, from_len))
            queue_suspect(s, m, inc, from, from_len);
        return;
    }
    if (m->state != SWIM_ALIVE)
        return;
    if (m == s->self) {
        refute(s, inc);
        SWIM_WARN(s, "refuting a suspect message from %.*s", (int)from_len, (const char *)from);
        return;
    }
    queue_suspect(s, m, inc, from, from_len);
    s->m.suspects++;
    m->incarnation = inc;
    m->state = SWIM_SUSPECT;
    m->state_change = s->now;

    uint32_t k = s->cfg.suspicion_mult >= 2 ? s->cfg.suspicion_mult - 2 : 0;
    size_t n = s->nodes.n;
    if ((long)n - 2 < (long)k)
        k = 0;
    uint64_t min = swim_suspicion_timeout_ms(s->cfg.suspicion_mult, n, s->cfg.probe_interval_ms);
    uint64_t max = (uint64_t)s->cfg.suspicion_max_timeout_mult * min;
    m->susp = swim_suspicion_new(s->now, from, from_len, k, min, max);
    if (m->susp)
        swim_members_suspect_add(s, m);
    swim_state_emit(s, SWIM_EV_SUSPECT, m);
}

void swim_state_dead(struct swim *s, const uint8_t *node, size_t node_len, uint32_t inc,
                     const uint8_t *from, size_t from_len)
{
    struct member *m = swim_members_find(s, node, node_len);
    if (!m || inc < m->incarnation)
        return;
    swim_members_suspect_del(s, m);
    if (m->state == SWIM_DEAD || m->state == SWIM_LEFT)
        return;
    if (m == s->self) {
        if (!s->left) {
            refute(s, inc);
            SWIM_WARN(s, "refuting a dead message from %.*s", (int)from_len, (const char *)from);
            return;
        }
        queue_dead(s, m, inc, from, from_len, true);
    } else {
        queue_dead(s, m, inc, from, from_len, false);
    }
    m->incarnation = inc;
    bool leave = from_len == node_len && memcmp(from, node, node_len) == 0;
    m->state = leave ? SWIM_LEFT : SWIM_DEAD;
    m->state_change = s->now;
    if (!leave) {
        s->m.deaths++;
        /* heal pings start soon (reconnect.c) */
        m->heal_next = s->now + s->cfg.heal_ping_min_ms;
        m->heal_pushed = 0;
        if (s->cfg.heal_ping_min_ms && m->heal_next < s->next_heal)
            s->next_heal = m->heal_next;
    }
    swim_state_emit(s, leave ? SWIM_EV_LEAVE : SWIM_EV_FAIL, m);
}

void swim_state_suspicion_timeouts(struct swim *s)
{
    for (size_t i = 0; i < s->suspects.n;) {
        struct member *m = s->suspects.v[i];
        struct suspicion *sp = m->susp;
        if (sp->deadline > s->now) {
            i++;
            continue;
        }
        if (m->state != SWIM_SUSPECT) {
            swim_members_suspect_del(s, m);
            continue;
        }
        SWIM_INFO(s, "marking %s as failed, suspect timeout reached (%u peer confirmations)",
                  m->name, (unsigned)sp->n);
        /* swim_state_dead removes m from the suspect list (swapping the last one into i) */
        swim_state_dead(s, (uint8_t *)m->name, m->name_len, m->incarnation, (uint8_t *)s->name,
                        s->name_len);
    }
}
