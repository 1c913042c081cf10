/* simnet.c — the deterministic swimmies network simulator (see simnet.h): an event heap on a
 * virtual clock carrying datagrams, stream requests/replies and node wake-ups; the transport
 * callbacks only enqueue, so the core is never re-entered. */
#include "simnet.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "swimmies/keyring.h"

enum ev_type { EV_WAKE, EV_PACKET, EV_STREAM_REQ, EV_STREAM_REPLY, EV_STREAM_FAIL, EV_LEAVE_STOP };

struct ev {
    uint64_t t, order;
    enum ev_type type;
    size_t from, to;
    uint64_t token;
    uint8_t *data;
    size_t len;
};

struct node {
    struct simnet *net;
    size_t idx;
    char name[32];
    struct swim_addr addr;
    struct swim *swim;
    bool crashed;
    uint64_t wake_at; /* earliest queued wake-up, UINT64_MAX if none */
    uint64_t bytes, packets;
    uint64_t in_msgs, in_bytes;
    size_t in_max;
    struct simnet_app app;
    bool has_app;
    struct swim_config cfg; /* for restarts */
};

struct simnet {
    struct simnet_opts o;
    uint64_t rng;
    uint64_t now, order;
    struct ev *heap;
    size_t nheap, capheap;
    struct node **nodes;
    size_t n, cap;
    uint8_t *group;
    struct swim_keyring kr;
    simnet_event_fn ev_fn;
    void *ev_ctx;
    simnet_user_fn user_fn;
    void *user_ctx;
    uint64_t processed;
    size_t cur; /* node whose callback is running */
    size_t max_stream;
};

static uint64_t rnd(struct simnet *net)
{
    uint64_t x = net->rng;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    net->rng = x;
    return x * 0x2545F4914F6CDD1DULL;
}

static double rnd01(struct simnet *net)
{
    return (double)(rnd(net) >> 11) / 9007199254740992.0;
}

/* ---- heap --------------------------------------------------------------------------------------
 */

static bool ev_less(const struct ev *a, const struct ev *b)
{
    return a->t < b->t || (a->t == b->t && a->order < b->order);
}

static void push(struct simnet *net, struct ev e)
{
    if (net->nheap == net->capheap) {
        net->capheap = net->capheap ? net->capheap * 2 : 1024;
        net->heap = realloc(net->heap, net->capheap * sizeof(*net->heap));
        if (!net->heap)
            abort();
    }
    e.order = net->order++;
    size_t i = net->nheap++;
    net->heap[i] = e;
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (!ev_less(&net->heap[i], &net->heap[p]))
            break;
        struct ev t = net->heap[i];
        net->heap[i] = net->heap[p];
        net->heap[p] = t;
        i = p;
    }
}

static struct ev pop(struct simnet *net)
{
    struct ev top = net->heap[0];
    net->heap[0] = net->heap[--net->nheap];
    size_t i = 0;
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < net->nheap && ev_less(&net->heap[l], &net->heap[m]))
            m = l;
        if (r < net->nheap && ev_less(&net->heap[r], &net->heap[m]))
            m = r;
        if (m == i)
            break;
        struct ev t = net->heap[i];
        net->heap[i] = net->heap[m];
        net->heap[m] = t;
        i = m;
    }
    return top;
}

/* ---- helpers -----------------------------------------------------------------------------------
 */

static void schedule_wake(struct node *nd)
{
    if (nd->crashed || !nd->swim)
        return;
    uint64_t d = swim_next_deadline(nd->swim);
    if (nd->has_app && nd->app.next_deadline) {
        uint64_t a = nd->app.next_deadline(nd->app.ctx);
        if (a < d)
            d = a;
    }
    if (d < nd->net->now)
        d = nd->net->now;
    if (d >= nd->wake_at)
        return;
    nd->wake_at = d;
    push(nd->net, (struct ev){.t = d, .type = EV_WAKE, .to = nd->idx});
}

static uint64_t delay(struct simnet *net)
{
    uint64_t d = net->o.latency_ms;
    if (net->o.jitter_ms)
        d += rnd(net) % net->o.jitter_ms;
    return d;
}

/* A TCP segment lost on a lossy link costs a retransmission timeout (Linux's initial RTO is 1 s,
 * and a second loss doubles it) rather than the message. */
static uint64_t stream_delay(struct simnet *net)
{
    uint64_t d = delay(net);
    if (net->o.loss > 0 && rnd01(net) < net->o.loss) {
        d += 1000;
        if (rnd01(net) < net->o.loss)
            d += 2000;
    }
    return d;
}

static long index_of(const struct simnet *net, const struct swim_addr *a)
{
    if (a->ip_len != 4 || a->ip[0] != 127 || a->ip[1] != 1)
        return -1;
    size_t i = ((size_t)a->ip[2] << 8 | a->ip[3]) - 1;
    return i < net->n ? (long)i : -1;
}

static bool reachable(const struct simnet *net, size_t a, size_t b)
{
    return !net->group || net->group[a] == net->group[b];
}

static uint8_t *dup(const uint8_t *p, size_t len)
{
    uint8_t *d = malloc(len ? len : 1);
    if (!d)
        abort();
    memcpy(d, p, len);
    return d;
}

/* ---- transport callbacks -----------------------------------------------------------------------
 */

static int t_send_packet(void *ctx, const struct swim_addr *to, const uint8_t *buf, size_t len)
{
    struct node *nd = ctx;
    struct simnet *net = nd->net;
    nd->bytes += len;
    nd->packets++;
    long dst = index_of(net, to);
    if (dst < 0 || !reachable(net, nd->idx, (size_t)dst))
        return 0;
    if (net->o.loss > 0 && rnd01(net) < net->o.loss)
        return 0;
    push(net, (struct ev){.t = net->now + delay(net),
                          .type = EV_PACKET,
                          .from = nd->idx,
                          .to = (size_t)dst,
                          .data = dup(buf, len),
                          .len = len});
    return 0;
}

static int t_stream_send(void *ctx, const struct swim_addr *to, const uint8_t *buf, size_t len,
                         uint64_t token)
{
    struct node *nd = ctx;
    struct simnet *net = nd->net;
    nd->bytes += len;
    if (len > net->max_stream)
        net->max_stream = len;
    long dst = index_of(net, to);
    if (dst < 0)
        return -1;
    if (!reachable(net, nd->idx, (size_t)dst))
        return 0; /* the SYN vanishes: the core's own stream timeout fires */
    push(net, (struct ev){.t = net->now + stream_delay(net),
                          .type = EV_STREAM_REQ,
                          .from = nd->idx,
                          .to = (size_t)dst,
                          .token = token,
                          .data = dup(buf, len),
                          .len = len});
    return 0;
}

static void d_event(void *ctx, enum swim_event ev, const struct swim_member *m)
{
    struct node *nd = ctx;
    if (nd->net->ev_fn)
        nd->net->ev_fn(nd->net->ev_ctx, nd->idx, ev, m);
    if (nd->has_app && nd->app.delegate.on_event)
        nd->app.delegate.on_event(nd->app.ctx, ev, m);
}

static void d_user(void *ctx, const uint8_t *msg, size_t len)
{
    struct node *nd = ctx;
    if (nd->net->user_fn)
        nd->net->user_fn(nd->net->user_ctx, nd->idx, msg, len);
    if (nd->has_app && nd->app.delegate.on_user_msg)
        nd->app.delegate.on_user_msg(nd->app.ctx, msg, len);
}

static void d_local_state(void *ctx, bool join, uint8_t **out, size_t *out_len)
{
    struct node *nd = ctx;
    *out = NULL;
    *out_len = 0;
    if (nd->has_app && nd->app.delegate.local_state)
        nd->app.delegate.local_state(nd->app.ctx, join, out, out_len);
}

static void d_merge(void *ctx, const uint8_t *buf, size_t len, bool join)
{
    struct node *nd = ctx;
    if (nd->has_app && nd->app.delegate.merge_remote_state)
        nd->app.delegate.merge_remote_state(nd->app.ctx, buf, len, join);
}

/* ---- API ---------------------------------------------------------------------------------------
 */

struct simnet *simnet_new(const struct simnet_opts *o)
{
    struct simnet *net = calloc(1, sizeof(*net));
    if (!net)
        return NULL;
    net->o = *o;
    net->rng = o->seed * 0x9E3779B97F4A7C15ULL + 1;
    swim_keyring_init(&net->kr);
    if (o->key && swim_keyring_add(&net->kr, o->key, o->key_len) != SWIM_OK) {
        free(net);
        return NULL;
    }
    return net;
}

void simnet_free(struct simnet *net)
{
    if (!net)
        return;
    for (size_t i = 0; i < net->nheap; i++)
        free(net->heap[i].data);
    free(net->heap);
    for (size_t i = 0; i < net->n; i++) {
        swim_free(net->nodes[i]->swim);
        free(net->nodes[i]);
    }
    free(net->nodes);
    free(net->group);
    swim_keyring_clear(&net->kr);
    free(net);
}

void simnet_on_event(struct simnet *net, simnet_event_fn fn, void *ctx)
{
    net->ev_fn = fn;
    net->ev_ctx = ctx;
}

void simnet_on_user(struct simnet *net, simnet_user_fn fn, void *ctx)
{
    net->user_fn = fn;
    net->user_ctx = ctx;
}

long simnet_add(struct simnet *net, const struct swim_config *base)
{
    if (net->n >= 65000)
        return -1;
    if (net->n == net->cap) {
        net->cap = net->cap ? net->cap * 2 : 64;
        net->nodes = realloc(net->nodes, net->cap * sizeof(*net->nodes));
        if (!net->nodes)
            abort();
    }
    struct node *nd = calloc(1, sizeof(*nd));
    if (!nd)
        return -1;
    nd->net = net;
    nd->idx = net->n;
    nd->wake_at = UINT64_MAX;
    snprintf(nd->name, sizeof(nd->name), "node-%zu", nd->idx);
    nd->addr.ip_len = 4;
    nd->addr.ip[0] = 127;
    nd->addr.ip[1] = 1;
    nd->addr.ip[2] = (uint8_t)((nd->idx + 1) >> 8);
    nd->addr.ip[3] = (uint8_t)((nd->idx + 1) & 0xff);
    nd->addr.port = 7946;
    struct swim_config c;
    if (base)
        c = *base;
    else
        swim_config_default(&c);
    c.name = nd->name;
    c.advertise = nd->addr;
    c.seed = rnd(net) | 1;
    c.keyring = net->o.key ? &net->kr : NULL;
    c.transport = (struct swim_transport){
        .ctx = nd, .send_packet = t_send_packet, .stream_send = t_stream_send};
    c.delegate.ctx = nd;
    c.delegate.on_event = d_event;
    c.delegate.on_user_msg = d_user;
    c.delegate.local_state = d_local_state;
    c.delegate.merge_remote_state = d_merge;
    nd->cfg = c;
    net->nodes[net->n++] = nd;
    nd->swim = swim_new(&c, net->now);
    if (!nd->swim) {
        net->n--;
        free(nd);
        return -1;
    }
    schedule_wake(nd);
    return (long)nd->idx;
}

size_t simnet_count(const struct simnet *net)
{
    return net->n;
}

struct swim *simnet_swim(struct simnet *net, size_t i)
{
    return net->nodes[i]->swim;
}

struct swim_addr simnet_addr(const struct simnet *net, size_t i)
{
    return net->nodes[i]->addr;
}

const char *simnet_name(const struct simnet *net, size_t i)
{
    return net->nodes[i]->name;
}

void simnet_join(struct simnet *net, size_t i, size_t j)
{
    struct node *nd = net->nodes[i];
    struct swim_addr a = net->nodes[j]->addr;
    swim_join(nd->swim, net->now, &a, 1);
    schedule_wake(nd);
}

static void handle(struct simnet *net, struct ev *e)
{
    struct node *to = net->nodes[e->to];
    switch (e->type) {
    case EV_WAKE:
        if (to->wake_at != e->t)
            break; /* superseded */
        to->wake_at = UINT64_MAX;
        if (to->crashed)
            break;
        swim_tick(to->swim, net->now);
        if (to->has_app && to->app.tick)
            to->app.tick(to->app.ctx, net->now);
        schedule_wake(to);
        break;
    case EV_PACKET:
        if (to->crashed)
            break;
        to->in_msgs++;
        to->in_bytes += e->len;
        if (e->len > to->in_max)
            to->in_max = e->len;
        swim_recv_packet(to->swim, net->now, &net->nodes[e->from]->addr, e->data, e->len);
        schedule_wake(to);
        break;
    case EV_STREAM_REQ: {
        struct node *from = net->nodes[e->from];
        if (to->crashed) {
            if (e->token)
                push(net, (struct ev){.t = net->now + delay(net),
                                      .type = EV_STREAM_FAIL,
                                      .from = e->to,
                                      .to = e->from,
                                      .token = e->token});
            break;
        }
        to->in_msgs++;
        to->in_bytes += e->len;
        if (e->len > to->in_max)
            to->in_max = e->len;
        uint8_t *reply = NULL;
        size_t rl = 0;
        swim_recv_stream(to->swim, net->now, &from->addr, e->data, e->len, &reply, &rl);
        schedule_wake(to);
        if (e->token && reachable(net, e->to, e->from)) {
            to->bytes += rl;
            if (rl > net->max_stream)
                net->max_stream = rl;
            if (reply && rl)
                push(net, (struct ev){.t = net->now + stream_delay(net),
                                      .type = EV_STREAM_REPLY,
                                      .from = e->to,
                                      .to = e->from,
                                      .token = e->token,
                                      .data = reply,
                                      .len = rl});
            else
                push(net, (struct ev){.t = net->now + delay(net),
                                      .type = EV_STREAM_FAIL,
                                      .from = e->to,
                                      .to = e->from,
                                      .token = e->token});
            reply = NULL;
        }
        free(reply);
        break;
    }
    case EV_STREAM_REPLY:
        if (to->crashed)
            break;
        to->in_msgs++;
        to->in_bytes += e->len;
        if (e->len > to->in_max)
            to->in_max = e->len;
        swim_stream_reply(to->swim, net->now, e->token, e->data, e->len);
        schedule_wake(to);
        break;
    case EV_STREAM_FAIL:
        if (to->crashed)
            break;
        swim_stream_reply(to->swim, net->now, e->token, NULL, 0);
        schedule_wake(to);
        break;
    case EV_LEAVE_STOP:
        to->crashed = true;
        break;
    }
}

void simnet_run_until(struct simnet *net, uint64_t t)
{
    while (net->nheap > 0 && net->heap[0].t <= t) {
        struct ev e = pop(net);
        net->now = e.t;
        net->processed++;
        handle(net, &e);
        free(e.data);
        /* a leaving node stops as soon as its leave has spread */
    }
    if (net->now < t)
        net->now = t;
}

uint64_t simnet_now(const struct simnet *net)
{
    return net->now;
}

void simnet_crash(struct simnet *net, size_t i)
{
    net->nodes[i]->crashed = true;
}

bool simnet_crashed(const struct simnet *net, size_t i)
{
    return net->nodes[i]->crashed;
}

void simnet_leave(struct simnet *net, size_t i)
{
    struct node *nd = net->nodes[i];
    swim_leave(nd->swim, net->now);
    schedule_wake(nd);
    push(net, (struct ev){.t = net->now + 5000, .type = EV_LEAVE_STOP, .to = i});
}

void simnet_set_loss(struct simnet *net, double loss)
{
    net->o.loss = loss;
}

void simnet_partition(struct simnet *net, const uint8_t *group)
{
    free(net->group);
    net->group = NULL;
    if (group) {
        net->group = malloc(net->n);
        if (!net->group)
            abort();
        memcpy(net->group, group, net->n);
    }
}

uint64_t simnet_bytes_sent(const struct simnet *net, size_t i)
{
    return net->nodes[i]->bytes;
}

uint64_t simnet_packets_sent(const struct simnet *net, size_t i)
{
    return net->nodes[i]->packets;
}

uint64_t simnet_msgs_received(const struct simnet *net, size_t i)
{
    return net->nodes[i]->in_msgs;
}

uint64_t simnet_bytes_received(const struct simnet *net, size_t i)
{
    return net->nodes[i]->in_bytes;
}

size_t simnet_max_received(const struct simnet *net, size_t i)
{
    return net->nodes[i]->in_max;
}

size_t simnet_max_stream(const struct simnet *net)
{
    return net->max_stream;
}

void simnet_set_app(struct simnet *net, size_t i, const struct simnet_app *app)
{
    struct node *nd = net->nodes[i];
    nd->has_app = app != NULL;
    if (app)
        nd->app = *app;
    schedule_wake(nd);
}

void simnet_wake(struct simnet *net, size_t i)
{
    schedule_wake(net->nodes[i]);
}

void simnet_restart(struct simnet *net, size_t i)
{
    struct node *nd = net->nodes[i];
    swim_free(nd->swim);
    nd->has_app = false;
    nd->crashed = false;
    nd->wake_at = UINT64_MAX;
    nd->cfg.seed = rnd(net) | 1;
    nd->swim = swim_new(&nd->cfg, net->now);
    if (!nd->swim)
        abort();
    schedule_wake(nd);
}

uint64_t simnet_events_processed(const struct simnet *net)
{
    return net->processed;
}

size_t simnet_count_seeing(const struct simnet *net, const char *name, enum swim_state st)
{
    size_t c = 0;
    for (size_t i = 0; i < net->n; i++) {
        if (net->nodes[i]->crashed)
            continue;
        struct swim_member m;
        if (swim_get_member(net->nodes[i]->swim, name, &m) && m.state == st)
            c++;
    }
    return c;
}

bool simnet_converged(const struct simnet *net, size_t expect)
{
    /* cheap pass first: member counts */
    for (size_t i = 0; i < net->n; i++)
        if (!net->nodes[i]->crashed && swim_num_alive(net->nodes[i]->swim) != expect)
            return false;
    for (size_t i = 0; i < net->n; i++) {
        if (net->nodes[i]->crashed)
            continue;
        if (swim_num_alive(net->nodes[i]->swim) != expect)
            return false;
        for (size_t j = 0; j < net->n; j++) {
            if (net->nodes[j]->crashed)
                continue;
            struct swim_member m;
            if (!swim_get_member(net->nodes[i]->swim, net->nodes[j]->name, &m) ||
                (m.state != SWIM_ALIVE && m.state != SWIM_SUSPECT))
                return false;
        }
    }
    return true;
}
