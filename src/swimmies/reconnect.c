/* reconnect.c — retrying failed members, as serf does on top of memberlist: dead members that
 * were reaped are remembered for reconnect_timeout and, every reconnect_interval, one failed
 * member (dead or reaped) is sent a joining push/pull with probability failed/alive. This is what
 * heals a cluster after a partition: once the two sides talk again, refutation brings each node
 * back alive. */
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
    if (!vec_push(&s->failed, ((struct failed_member){name, m->addr, m->state_change})))
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
