/* test_swim.c — cmocka tests of the swimmies core: formulas (suspicion, retransmit limit),
 * behaviour of one node driven by hand-made packets through a capturing transport (acks to
 * SourceAddr, refutation, indirect relay with nack, leave, push/pull, version checks, keyring
 * drops, garbage), and small clusters on the simulated network (crash detection time, refuted
 * suspicion, user messages, partitions healing). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "simnet.h"
#include "swimmies/keyring.h"
#include "swimmies/swim_int.h"

/* ---- capturing transport ----------------------------------------------------------------------
 */

#define CAP_MAX 256

struct sent {
    struct swim_addr to;
    uint8_t *buf;
    size_t len;
    uint64_t token;
    bool stream;
};

struct capture {
    struct sent s[CAP_MAX];
    size_t n;
    size_t events[8];
    char last_event_name[64];
    size_t n_sched; /* transport.schedule calls */
    uint64_t last_sched;
    size_t n_logs; /* lines the core logged through cfg.log */
    enum swim_log_level last_level;
    char last_component[16];
    char last_log[256];
};

static void cap_schedule(void *ctx, uint64_t deadline_ms)
{
    struct capture *c = ctx;
    c->n_sched++;
    c->last_sched = deadline_ms;
}

static void cap_log(void *ctx, enum swim_log_level level, const char *component, const char *msg)
{
    struct capture *c = ctx;
    c->n_logs++;
    c->last_level = level;
    snprintf(c->last_component, sizeof c->last_component, "%s", component);
    snprintf(c->last_log, sizeof c->last_log, "%s", msg);
}

static int cap_packet(void *ctx, const struct swim_addr *to, const uint8_t *buf, size_t len)
{
    struct capture *c = ctx;
    if (c->n < CAP_MAX) {
        c->s[c->n].to = *to;
        c->s[c->n].buf = malloc(len);
        memcpy(c->s[c->n].buf, buf, len);
        c->s[c->n].len = len;
        c->s[c->n].stream = false;
        c->n++;
    }
    return 0;
}

static int cap_stream(void *ctx, const struct swim_addr *to, const uint8_t *buf, size_t len,
                      uint64_t token)
{
    struct capture *c = ctx;
    if (c->n < CAP_MAX) {
        c->s[c->n].to = *to;
        c->s[c->n].buf = malloc(len);
        memcpy(c->s[c->n].buf, buf, len);
        c->s[c->n].len = len;
        c->s[c->n].token = token;
        c->s[c->n].stream = true;
        c->n++;
    }
    return 0;
}

static void cap_event(void *ctx, enum swim_event ev, const struct swim_member *m)
{
    struct capture *c = ctx;
    c->events[ev]++;
    snprintf(c->last_event_name, sizeof(c->last_event_name), "%s", m->name);
}

static void cap_clear(struct capture *c)
{
    for (size_t i = 0; i < c->n; i++)
        free(c->s[i].buf);
    c->n = 0;
}

/* Messages found in captured packets. */
struct found {
    uint8_t type;
    uint8_t body[2048];
    size_t len;
};
struct walk {
    struct found f[64];
    size_t n;
};

static void walk_cb(void *ctx, uint8_t type, const uint8_t *body, size_t len)
{
    struct walk *w = ctx;
    if (w->n < 64 && len <= sizeof(w->f[0].body)) {
        w->f[w->n].type = type;
        memcpy(w->f[w->n].body, body, len);
        w->f[w->n].len = len;
        w->n++;
    }
}

static void walk_packet(const struct sent *s, struct walk *w, struct swim_keyring *kr)
{
    static uint8_t scratch[1 << 18];
    memset(w, 0, sizeof(*w));
    assert_int_equal(
        swim_packet_receive(s->buf, s->len, kr, true, scratch, sizeof(scratch), walk_cb, w, NULL),
        SWIM_OK);
}

static const struct found *find_msg(const struct walk *w, uint8_t type)
{
    for (size_t i = 0; i < w->n; i++)
        if (w->f[i].type == type)
            return &w->f[i];
    return NULL;
}

static struct swim_addr addr4(uint8_t a, uint8_t b, uint8_t c, uint8_t d, uint16_t port)
{
    struct swim_addr x = {.ip = {a, b, c, d}, .ip_len = 4, .port = port};
    return x;
}

static struct swim *make_node_q(struct capture *c, struct swim_keyring *kr, uint32_t queue_max)
{
    struct swim_config cfg;
    swim_config_default(&cfg);
    if (queue_max)
        cfg.user_queue_max = queue_max;
    cfg.name = "me";
    cfg.advertise = addr4(127, 0, 0, 10, 7946);
    cfg.seed = 42;
    cfg.keyring = kr;
    cfg.transport = (struct swim_transport){
        .ctx = c, .send_packet = cap_packet, .stream_send = cap_stream, .schedule = cap_schedule};
    cfg.delegate.ctx = c;
    cfg.delegate.on_event = cap_event;
    cfg.log = (struct swim_logger){cap_log, c};
    struct swim *s = swim_new(&cfg, 1000);
    assert_non_null(s);
    return s;
}

static struct swim *make_node(struct capture *c, struct swim_keyring *kr)
{
    return make_node_q(c, kr, 0);
}

static void feed(struct swim *s, uint64_t now, const struct swim_addr *from, const uint8_t *msg,
                 size_t len)
{
    uint8_t pkt[4096];
    ssize_t n = swim_packet_wrap(pkt, sizeof(pkt), msg, (size_t)len, false, false, NULL);
    assert_true(n > 0);
    swim_recv_packet(s, now, from, pkt, (size_t)n);
}

static void feed_alive(struct swim *s, uint64_t now, const char *name, const struct swim_addr *a,
                       uint32_t inc)
{
    uint8_t buf[512];
    struct swim_alive al = {.incarnation = inc,
                            .node = swim_str(name),
                            .addr = swim_mem(a->ip, 4),
                            .port = a->port,
                            .vsn = {1, 5, 2, 2, 5, 4},
                            .vsn_len = 6};
    ssize_t n = swim_encode_alive(buf, sizeof(buf), &al);
    assert_true(n > 0);
    feed(s, now, a, buf, (size_t)n);
}

/* ---- formulas ----------------------------------------------------------------------------------
 */

static void test_formulas(void **state)
{
    (void)state;
    /* memberlist util.go: SuspicionMult * max(1, log10(n)) * ProbeInterval */
    assert_int_equal(swim_suspicion_timeout_ms(4, 3, 1000), 4000);
    assert_int_equal(swim_suspicion_timeout_ms(4, 10, 1000), 4000);
    assert_int_equal(swim_suspicion_timeout_ms(4, 100, 1000), 8000);
    assert_int_equal(swim_suspicion_timeout_ms(4, 1000, 1000), 12000);
    /* RetransmitMult * ceil(log10(n + 1)) */
    assert_int_equal(swim_retransmit_limit(4, 1), 4);
    assert_int_equal(swim_retransmit_limit(4, 9), 4);
    assert_int_equal(swim_retransmit_limit(4, 10), 8);
    assert_int_equal(swim_retransmit_limit(4, 1000), 16);
    /* Lifeguard: max with no confirmations, min once k arrived, in between otherwise */
    assert_int_equal(swim_suspicion_remaining(0, 2, 0, 8000, 48000), 48000);
    assert_int_equal(swim_suspicion_remaining(2, 2, 0, 8000, 48000), 8000);
    uint64_t mid = swim_suspicion_remaining(1, 2, 0, 8000, 48000);
    assert_true(mid > 8000 && mid < 48000);
    assert_int_equal(swim_suspicion_remaining(1, 2, 50000, 8000, 48000), 0);
    struct suspicion *sp = swim_suspicion_new(0, (const uint8_t *)"a", 1, 2, 8000, 48000);
    assert_int_equal(sp->deadline, 48000);
    assert_false(swim_suspicion_confirm(sp, 100, (const uint8_t *)"a", 1)); /* same accuser */
    assert_true(swim_suspicion_confirm(sp, 100, (const uint8_t *)"b", 1));
    assert_int_equal(sp->deadline, mid);
    assert_true(swim_suspicion_confirm(sp, 200, (const uint8_t *)"c", 1));
    assert_int_equal(sp->deadline, 8000);
    assert_false(swim_suspicion_confirm(sp, 300, (const uint8_t *)"d", 1)); /* k reached */
    free(sp);
}

/* ---- one node, hand-made packets ---------------------------------------------------------------
 */

static void test_ack_goes_to_source_addr(void **state)
{
    (void)state;
    struct capture c = {0};
    struct swim *s = make_node(&c, NULL);
    uint8_t buf[256];
    struct swim_addr src = addr4(127, 0, 0, 20, 4000);
    struct swim_ping p = {.seq_no = 77,
                          .node = swim_str("me"),
                          .source_addr = swim_mem(src.ip, 4),
                          .source_port = src.port,
                          .source_node = swim_str("x")};
    ssize_t n = swim_encode_ping(buf, sizeof(buf), &p);
    struct swim_addr from = addr4(127, 0, 0, 99, 5555); /* a NAT-ed socket address */
    feed(s, 1001, &from, buf, (size_t)n);
    assert_int_equal(c.n, 1);
    assert_true(swim_addr_eq(&c.s[0].to, &src));
    struct walk w;
    walk_packet(&c.s[0], &w, NULL);
    const struct found *f = find_msg(&w, SWIM_MSG_ACK);
    assert_non_null(f);
    struct swim_ack a;
    assert_int_equal(swim_decode_ack(f->body, f->len, &a, NULL), SWIM_OK);
    assert_int_equal(a.seq_no, 77);

    /* without SourceAddr the ack goes back to the socket address */
    cap_clear(&c);
    struct swim_ping p2 = {.seq_no = 78, .node = swim_str("")};
    n = swim_encode_ping(buf, sizeof(buf), &p2);
    feed(s, 1002, &from, buf, (size_t)n);
    assert_int_equal(c.n, 1);
    assert_true(swim_addr_eq(&c.s[0].to, &from));

    /* a ping for another node name is dropped */
    cap_clear(&c);
    struct swim_ping p3 = {.seq_no = 79, .node = swim_str("someone-else")};
    n = swim_encode_ping(buf, sizeof(buf), &p3);
    feed(s, 1003, &from, buf, (size_t)n);
    assert_int_equal(c.n, 0);
    cap_clear(&c);
    swim_free(s);
}

static void test_refutes_suspicion_of_itself(void **state)
{
    (void)state;
    struct capture c = {0};
    struct swim *s = make_node(&c, NULL);
    struct swim_addr pa = addr4(127, 0, 0, 21, 7946);
    feed_alive(s, 1001, "peer", &pa, 1);
    assert_int_equal(swim_num_alive(s), 2);
    struct swim_member me;
    assert_true(swim_get_member(s, "me", &me));
    assert_int_equal(me.incarnation, 1);

    uint8_t buf[256];
    struct swim_suspect su = {.incarnation = 5, .node = swim_str("me"), .from = swim_str("peer")};
    ssize_t n = swim_encode_suspect(buf, sizeof(buf), &su);
    feed(s, 1002, &pa, buf, (size_t)n);
    assert_true(swim_get_member(s, "me", &me));
    assert_int_equal(me.incarnation, 6); /* accused 5 -> refute with 6 */
    assert_int_equal(me.state, SWIM_ALIVE);
    /* the refutation is logged through the configured callback, as one line */
    assert_int_equal(c.n_logs, 1);
    assert_int_equal(c.last_level, SWIM_LOG_WARNING);
    assert_string_equal(c.last_component, "swim");
    assert_string_equal(c.last_log, "refuting a suspect message from peer");
    assert_int_equal(swim_health_score(s), 1); /* refuting costs local health */

    /* the refutation is gossiped: tick past the gossip interval */
    cap_clear(&c);
    swim_tick(s, 1300);
    bool found_alive = false;
    for (size_t i = 0; i < c.n; i++) {
        if (c.s[i].stream)
            continue;
        struct walk w;
        walk_packet(&c.s[i], &w, NULL);
        for (size_t j = 0; j < w.n; j++) {
            struct swim_alive al;
            if (w.f[j].type == SWIM_MSG_ALIVE &&
                swim_decode_alive(w.f[j].body, w.f[j].len, &al, NULL) == SWIM_OK &&
                swim_bytes_eq_str(al.node, "me") && al.incarnation == 6)
                found_alive = true;
        }
    }
    assert_true(found_alive);

    /* a dead message about us is refuted too */
    struct swim_dead d = {.incarnation = 6, .node = swim_str("me"), .from = swim_str("peer")};
    n = swim_encode_dead(buf, sizeof(buf), &d);
    feed(s, 1400, &pa, buf, (size_t)n);
    assert_true(swim_get_member(s, "me", &me));
    assert_int_equal(me.state, SWIM_ALIVE);
    assert_int_equal(me.incarnation, 7);
    cap_clear(&c);
    swim_free(s);
}

static void test_incarnation_ordering_and_leave(void **state)
{
    (void)state;
    struct capture c = {0};
    struct swim *s = make_node(&c, NULL);
    struct swim_addr pa = addr4(127, 0, 0, 22, 7946);
    feed_alive(s, 1001, "peer", &pa, 3);
    assert_int_equal(c.events[SWIM_EV_JOIN], 2); /* self + peer */
    uint8_t buf[256];
    /* stale suspect (older incarnation) is ignored */
    struct swim_suspect su = {.incarnation = 2, .node = swim_str("peer"), .from = swim_str("x")};
    ssize_t n = swim_encode_suspect(buf, sizeof(buf), &su);
    feed(s, 1002, &pa, buf, (size_t)n);
    struct swim_member m;
    assert_true(swim_get_member(s, "peer", &m));
    assert_int_equal(m.state, SWIM_ALIVE);
    /* current suspect is applied */
    su.incarnation = 3;
    n = swim_encode_suspect(buf, sizeof(buf), &su);
    feed(s, 1003, &pa, buf, (size_t)n);
    assert_true(swim_get_member(s, "peer", &m));
    assert_int_equal(m.state, SWIM_SUSPECT);
    assert_int_equal(c.events[SWIM_EV_SUSPECT], 1);
    /* an alive with a higher incarnation clears it */
    feed_alive(s, 1004, "peer", &pa, 4);
    assert_true(swim_get_member(s, "peer", &m));
    assert_int_equal(m.state, SWIM_ALIVE);
    assert_int_equal(c.events[SWIM_EV_ALIVE], 1);
    /* graceful leave: dead with From == Node */
    struct swim_dead d = {.incarnation = 4, .node = swim_str("peer"), .from = swim_str("peer")};
    n = swim_encode_dead(buf, sizeof(buf), &d);
    feed(s, 1005, &pa, buf, (size_t)n);
    assert_true(swim_get_member(s, "peer", &m));
    assert_int_equal(m.state, SWIM_LEFT);
    assert_int_equal(c.events[SWIM_EV_LEAVE], 1);
    assert_int_equal(c.events[SWIM_EV_FAIL], 0);
    /* same-incarnation alive does not resurrect it; a newer one does (rejoin) */
    feed_alive(s, 1006, "peer", &pa, 4);
    assert_true(swim_get_member(s, "peer", &m));
    assert_int_equal(m.state, SWIM_LEFT);
    feed_alive(s, 1007, "peer", &pa, 5);
    assert_true(swim_get_member(s, "peer", &m));
    assert_int_equal(m.state, SWIM_ALIVE);
    /* an alive with broken versions (PMin > PMax) is ignored */
    uint8_t b2[512];
    struct swim_addr qa = addr4(127, 0, 0, 23, 7946);
    struct swim_alive al = {.incarnation = 1,
                            .node = swim_str("bad"),
                            .addr = swim_mem(qa.ip, 4),
                            .port = 7946,
                            .vsn = {3, 1, 2, 2, 5, 4},
                            .vsn_len = 6};
    n = swim_encode_alive(b2, sizeof(b2), &al);
    feed(s, 1008, &qa, b2, (size_t)n);
    assert_false(swim_get_member(s, "bad", &m));
    cap_clear(&c);
    swim_free(s);
}

static void test_indirect_relay_ack_and_nack(void **state)
{
    (void)state;
    struct capture c = {0};
    struct swim *s = make_node(&c, NULL);
    struct swim_addr origin = addr4(127, 0, 0, 30, 7946), target = addr4(127, 0, 0, 31, 7946);
    uint8_t buf[512];
    struct swim_indirect_ping ind = {.seq_no = 900,
                                     .target = swim_mem(target.ip, 4),
                                     .port = target.port,
                                     .node = swim_str("t"),
                                     .nack = true,
                                     .source_addr = swim_mem(origin.ip, 4),
                                     .source_port = origin.port,
                                     .source_node = swim_str("o")};
    ssize_t n = swim_encode_indirect_ping(buf, sizeof(buf), &ind);
    feed(s, 2000, &origin, buf, (size_t)n);
    assert_int_equal(c.n, 1);
    assert_true(swim_addr_eq(&c.s[0].to, &target));
    struct walk w;
    walk_packet(&c.s[0], &w, NULL);
    const struct found *f = find_msg(&w, SWIM_MSG_PING);
    assert_non_null(f);
    struct swim_ping p;
    assert_int_equal(swim_decode_ping(f->body, f->len, &p, NULL), SWIM_OK);
    assert_true(swim_bytes_eq_str(p.node, "t"));
    /* target acks our local seq: we forward an ack with the original seq to the origin */
    cap_clear(&c);
    struct swim_ack a = {.seq_no = p.seq_no};
    n = swim_encode_ack(buf, sizeof(buf), &a);
    feed(s, 2100, &target, buf, (size_t)n);
    assert_int_equal(c.n, 1);
    assert_true(swim_addr_eq(&c.s[0].to, &origin));
    walk_packet(&c.s[0], &w, NULL);
    f = find_msg(&w, SWIM_MSG_ACK);
    assert_non_null(f);
    assert_int_equal(swim_decode_ack(f->body, f->len, &a, NULL), SWIM_OK);
    assert_int_equal(a.seq_no, 900);
    /* no nack after an ack */
    cap_clear(&c);
    swim_tick(s, 2700);
    for (size_t i = 0; i < c.n; i++) {
        walk_packet(&c.s[i], &w, NULL);
        assert_null(find_msg(&w, SWIM_MSG_NACK));
    }
    /* a second relay whose target stays silent: nack after the probe timeout */
    cap_clear(&c);
    ind.seq_no = 901;
    n = swim_encode_indirect_ping(buf, sizeof(buf), &ind);
    feed(s, 3000, &origin, buf, (size_t)n);
    cap_clear(&c);
    assert_true(swim_next_deadline(s) <= 3500);
    swim_tick(s, 3500);
    bool nacked = false;
    for (size_t i = 0; i < c.n; i++) {
        walk_packet(&c.s[i], &w, NULL);
        f = find_msg(&w, SWIM_MSG_NACK);
        if (f && swim_addr_eq(&c.s[i].to, &origin)) {
            struct swim_nack nk;
            assert_int_equal(swim_decode_nack(f->body, f->len, &nk, NULL), SWIM_OK);
            assert_int_equal(nk.seq_no, 901);
            nacked = true;
        }
    }
    assert_true(nacked);
    cap_clear(&c);
    swim_free(s);
}

/* Ticks the node; q answers every ping sent to it, p never answers anything. */
struct probe_watch {
    bool pinged_p, indirect_nack, tcp_p;
};

static void pump(struct swim *s, struct capture *c, uint64_t now, const struct swim_addr *pa,
                 const struct swim_addr *qa, struct probe_watch *pw)
{
    swim_tick(s, now);
    size_t n = c->n;
    for (size_t i = 0; i < n; i++) {
        if (c->s[i].stream) {
            if (swim_addr_eq(&c->s[i].to, pa))
                pw->tcp_p = true;
            continue;
        }
        struct walk w;
        walk_packet(&c->s[i], &w, NULL);
        const struct found *f = find_msg(&w, SWIM_MSG_PING);
        if (f && swim_addr_eq(&c->s[i].to, pa))
            pw->pinged_p = true;
        struct swim_ping p;
        if (f && swim_addr_eq(&c->s[i].to, qa) &&
            swim_decode_ping(f->body, f->len, &p, NULL) == SWIM_OK) {
            uint8_t buf[64];
            struct swim_ack a = {.seq_no = p.seq_no};
            ssize_t al = swim_encode_ack(buf, sizeof(buf), &a);
            feed(s, now, qa, buf, (size_t)al);
        }
        f = find_msg(&w, SWIM_MSG_INDIRECT_PING);
        struct swim_indirect_ping ind;
        if (f && swim_addr_eq(&c->s[i].to, qa) &&
            swim_decode_indirect_ping(f->body, f->len, &ind, NULL) == SWIM_OK &&
            swim_bytes_eq_str(ind.node, "p") && ind.nack)
            pw->indirect_nack = true;
    }
    /* drop what was inspected; keep what feeding acks may have added */
    for (size_t i = 0; i < n; i++)
        free(c->s[i].buf);
    memmove(c->s, c->s + n, (c->n - n) * sizeof(c->s[0]));
    c->n -= n;
}

static void test_probe_failure_goes_indirect_then_suspect(void **state)
{
    (void)state;
    struct capture c = {0};
    struct swim *s = make_node(&c, NULL);
    struct swim_addr pa = addr4(127, 0, 0, 40, 7946), qa = addr4(127, 0, 0, 41, 7946);
    feed_alive(s, 1001, "p", &pa, 1);
    feed_alive(s, 1001, "q", &qa, 1);
    cap_clear(&c);
    struct probe_watch pw = {0};
    struct swim_member m = {0};
    uint64_t now = 1001;
    for (; now < 10000; now += 10) {
        pump(s, &c, now, &pa, &qa, &pw);
        assert_true(swim_get_member(s, "p", &m));
        if (m.state != SWIM_ALIVE)
            break;
    }
    assert_int_equal(m.state, SWIM_SUSPECT);
    assert_true(pw.pinged_p);
    assert_true(pw.indirect_nack); /* q has PMax 5: the indirect ping asks for a nack */
    assert_true(pw.tcp_p);         /* PMax >= 3: TCP ping fallback */
    /* the expected nack never came: local health gets worse by one */
    assert_int_equal(swim_health_score(s), 1);
    assert_true(swim_get_member(s, "q", &m));
    assert_int_equal(m.state, SWIM_ALIVE);
    cap_clear(&c);
    swim_free(s);
}

/* The address of the member being probed answers "nothing listens here" (ICMP port unreachable):
 * the probe goes indirect at once, and when the relay nacks too the member is dead, without the
 * seconds of suspicion that silence gets. */
static void test_refused_probe_declares_dead(void **state)
{
    (void)state;
    struct capture c = {0};
    struct swim *s = make_node(&c, NULL);
    struct swim_addr pa = addr4(127, 0, 0, 42, 7946), qa = addr4(127, 0, 0, 43, 7946);
    feed_alive(s, 1001, "p", &pa, 1);
    feed_alive(s, 1001, "q", &qa, 1);
    cap_clear(&c);
    /* tick until a ping goes to one of them */
    const struct swim_addr *target = NULL, *relay = NULL;
    const char *target_name = NULL;
    uint64_t now = 1001;
    for (; now < 5000 && !target; now += 10) {
        swim_tick(s, now);
        for (size_t i = 0; i < c.n && !target; i++) {
            struct walk w;
            if (c.s[i].stream)
                continue;
            walk_packet(&c.s[i], &w, NULL);
            if (!find_msg(&w, SWIM_MSG_PING))
                continue;
            bool to_p = swim_addr_eq(&c.s[i].to, &pa);
            target = to_p ? &pa : &qa;
            relay = to_p ? &qa : &pa;
            target_name = to_p ? "p" : "q";
        }
        cap_clear(&c);
    }
    assert_non_null(target);
    uint64_t refused_at = now;
    swim_recv_unreachable(s, now, target);
    /* at once: an indirect ping to the relay */
    uint32_t seq = 0;
    bool indirect = false;
    for (size_t i = 0; i < c.n; i++) {
        struct walk w;
        if (c.s[i].stream || !swim_addr_eq(&c.s[i].to, relay))
            continue;
        walk_packet(&c.s[i], &w, NULL);
        const struct found *f = find_msg(&w, SWIM_MSG_INDIRECT_PING);
        if (!f)
            continue;
        struct swim_indirect_ping ind;
        assert_int_equal(swim_decode_indirect_ping(f->body, f->len, &ind, NULL), SWIM_OK);
        assert_true(ind.nack);
        seq = ind.seq_no;
        indirect = true;
    }
    assert_true(indirect);
    cap_clear(&c);
    struct swim_member m;
    assert_true(swim_get_member(s, target_name, &m));
    assert_int_equal(m.state, SWIM_ALIVE); /* not yet: the relay has not answered */
    /* the relay nacks (it was refused too): dead now, not suspect */
    uint8_t buf[64];
    struct swim_nack nk = {.seq_no = seq};
    ssize_t n = swim_encode_nack(buf, sizeof(buf), &nk);
    assert_true(n > 0);
    feed(s, refused_at + 5, relay, buf, (size_t)n);
    assert_true(swim_get_member(s, target_name, &m));
    assert_int_equal(m.state, SWIM_DEAD);
    struct swim_metrics met;
    swim_get_metrics(s, &met);
    assert_int_equal(met.probes_refused, 1);
    assert_int_equal(met.refused_deaths, 1);
    assert_true(swim_get_member(s, relay == &pa ? "p" : "q", &m));
    assert_int_equal(m.state, SWIM_ALIVE);
    cap_clear(&c);
    swim_free(s);
}

/* A relay whose ping to the target is refused nacks its origin at once. */
static void test_relay_nacks_refused_target_at_once(void **state)
{
    (void)state;
    struct capture c = {0};
    struct swim *s = make_node(&c, NULL);
    struct swim_addr origin = addr4(127, 0, 0, 44, 7946), tgt = addr4(127, 0, 0, 45, 7946);
    uint8_t buf[256];
    struct swim_indirect_ping ind = {.seq_no = 321,
                                     .target = swim_mem(tgt.ip, 4),
                                     .port = tgt.port,
                                     .node = swim_str("t"),
                                     .nack = true,
                                     .source_addr = swim_mem(origin.ip, 4),
                                     .source_port = origin.port,
                                     .source_node = swim_str("o")};
    ssize_t n = swim_encode_indirect_ping(buf, sizeof(buf), &ind);
    assert_true(n > 0);
    feed(s, 1001, &origin, buf, (size_t)n);
    cap_clear(&c);
    swim_recv_unreachable(s, 1002, &tgt);
    bool nacked = false;
    for (size_t i = 0; i < c.n; i++) {
        struct walk w;
        if (c.s[i].stream || !swim_addr_eq(&c.s[i].to, &origin))
            continue;
        walk_packet(&c.s[i], &w, NULL);
        nacked |= find_msg(&w, SWIM_MSG_NACK) != NULL;
    }
    assert_true(nacked);
    cap_clear(&c);
    swim_free(s);
}

/* A dead member gets heal pings, and the first packet heard from its address again (here: an
 * ack) starts a joining push/pull to it at once, at most once a second. */
static void test_dead_member_heal_pings_and_push(void **state)
{
    (void)state;
    struct capture c = {0};
    struct swim *s = make_node(&c, NULL);
    struct swim_addr pa = addr4(127, 0, 0, 46, 7946), qa = addr4(127, 0, 0, 47, 7946);
    feed_alive(s, 1001, "p", &pa, 1);
    feed_alive(s, 1001, "q", &qa, 1);
    uint8_t buf[256];
    struct swim_dead d = {.incarnation = 1, .node = swim_str("p"), .from = swim_str("q")};
    ssize_t n = swim_encode_dead(buf, sizeof(buf), &d);
    assert_true(n > 0);
    feed(s, 1002, &qa, buf, (size_t)n);
    struct swim_member m;
    assert_true(swim_get_member(s, "p", &m));
    assert_int_equal(m.state, SWIM_DEAD);
    cap_clear(&c);
    /* pings to p's address within the first second and a half, although p is dead */
    size_t pings = 0;
    for (uint64_t now = 1002; now <= 2600; now += 10) {
        swim_tick(s, now);
        for (size_t i = 0; i < c.n; i++) {
            struct walk w;
            if (c.s[i].stream || !swim_addr_eq(&c.s[i].to, &pa))
                continue;
            walk_packet(&c.s[i], &w, NULL);
            if (find_msg(&w, SWIM_MSG_PING))
                pings++;
        }
        cap_clear(&c);
    }
    assert_true(pings >= 2);
    struct swim_metrics met;
    swim_get_metrics(s, &met);
    assert_true(met.heal_pings >= 2);
    /* p answers: a joining push/pull goes to it at once */
    struct swim_ack a = {.seq_no = 999999};
    n = swim_encode_ack(buf, sizeof(buf), &a);
    feed(s, 2601, &pa, buf, (size_t)n);
    size_t streams = 0;
    for (size_t i = 0; i < c.n; i++)
        if (c.s[i].stream && swim_addr_eq(&c.s[i].to, &pa))
            streams++;
    assert_int_equal(streams, 1);
    cap_clear(&c);
    /* heard again at once: no second push/pull within the second */
    feed(s, 2700, &pa, buf, (size_t)n);
    for (size_t i = 0; i < c.n; i++)
        assert_false(c.s[i].stream && swim_addr_eq(&c.s[i].to, &pa));
    cap_clear(&c);
    swim_get_metrics(s, &met);
    assert_int_equal(met.heals, 1);
    swim_free(s);
}

static void test_pushpull_server_and_version_check(void **state)
{
    (void)state;
    struct capture c = {0};
    struct swim *s = make_node(&c, NULL);
    uint8_t msg[2048];
    struct swim_push_pull_header h = {.nodes = 2, .user_state_len = 0, .join = true};
    ssize_t n = swim_encode_push_pull_header(msg, sizeof(msg), &h);
    size_t pos = (size_t)n;
    struct swim_addr a1 = addr4(127, 0, 0, 50, 7946), a2 = addr4(127, 0, 0, 51, 7946);
    struct swim_push_node pn = {.name = swim_str("n1"),
                                .addr = swim_mem(a1.ip, 4),
                                .port = 7946,
                                .incarnation = 1,
                                .state = SWIM_STATE_ALIVE,
                                .vsn = {1, 5, 2, 2, 5, 5},
                                .vsn_len = 6};
    pos += (size_t)swim_encode_push_node(msg + pos, sizeof(msg) - pos, &pn);
    pn.name = swim_str("n2");
    pn.addr = swim_mem(a2.ip, 4);
    pn.state = SWIM_STATE_LEFT;
    pos += (size_t)swim_encode_push_node(msg + pos, sizeof(msg) - pos, &pn);
    uint8_t wire[4096];
    n = swim_stream_wrap(wire, sizeof(wire), msg, pos, true, NULL);
    assert_true(n > 0);
    uint8_t *reply = NULL;
    size_t rl = 0;
    /* a partial stream asks for more */
    assert_int_equal(swim_recv_stream(s, 1001, &a1, wire, (size_t)n - 3, &reply, &rl), 1);
    assert_int_equal(swim_recv_stream(s, 1001, &a1, wire, (size_t)n, &reply, &rl), 0);
    assert_non_null(reply);
    struct swim_stream_msg sm;
    static uint8_t scratch[1 << 16];
    assert_int_equal(swim_stream_read(reply, rl, NULL, true, scratch, sizeof(scratch), &sm),
                     SWIM_OK);
    assert_int_equal(sm.type, SWIM_MSG_PUSH_PULL);
    assert_int_equal(sm.u.push_pull.header.nodes, 1); /* only ourselves so far */
    free(reply);
    struct swim_member m;
    assert_true(swim_get_member(s, "n1", &m));
    assert_int_equal(m.state, SWIM_ALIVE);
    assert_false(swim_get_member(s, "n2", &m)); /* left and unknown: nothing to record */

    /* a remote whose delegate versions exclude ours (DMin 6) is refused */
    h.nodes = 1;
    n = swim_encode_push_pull_header(msg, sizeof(msg), &h);
    pos = (size_t)n;
    struct swim_addr a3 = addr4(127, 0, 0, 52, 7946);
    pn.name = swim_str("n3");
    pn.addr = swim_mem(a3.ip, 4);
    pn.state = SWIM_STATE_ALIVE;
    uint8_t bad[6] = {1, 5, 2, 6, 7, 6};
    memcpy(pn.vsn, bad, 6);
    pos += (size_t)swim_encode_push_node(msg + pos, sizeof(msg) - pos, &pn);
    n = swim_stream_wrap(wire, sizeof(wire), msg, pos, false, NULL);
    assert_int_equal(swim_recv_stream(s, 1002, &a3, wire, (size_t)n, &reply, &rl), 0);
    free(reply);
    assert_false(swim_get_member(s, "n3", &m));
    cap_clear(&c);
    swim_free(s);
}

static void test_keyring_drops_and_plaintext_stream(void **state)
{
    (void)state;
    struct capture c = {0};
    struct swim_keyring kr, other;
    swim_keyring_init(&kr);
    swim_keyring_init(&other);
    uint8_t k1[16], k2[32];
    memset(k1, 0x11, sizeof(k1));
    memset(k2, 0x22, sizeof(k2));
    assert_int_equal(swim_keyring_add(&kr, k1, sizeof(k1)), SWIM_OK);
    assert_int_equal(swim_keyring_add(&other, k2, sizeof(k2)), SWIM_OK);
    struct swim *s = make_node(&c, &kr);
    struct swim_addr from = addr4(127, 0, 0, 60, 7946);
    uint8_t msg[128], pkt[512];
    struct swim_ping p = {.seq_no = 5, .node = swim_str("me")};
    ssize_t n = swim_encode_ping(msg, sizeof(msg), &p);
    /* wrong key: dropped and counted, no ack */
    ssize_t pl = swim_packet_wrap(pkt, sizeof(pkt), msg, (size_t)n, false, false, &other);
    swim_recv_packet(s, 1001, &from, pkt, (size_t)pl);
    struct swim_metrics m;
    swim_get_metrics(s, &m);
    assert_int_equal(m.dropped_decrypt, 1);
    assert_int_equal(c.n, 0);
    /* right key: answered, and the answer is encrypted */
    pl = swim_packet_wrap(pkt, sizeof(pkt), msg, (size_t)n, false, false, &kr);
    swim_recv_packet(s, 1002, &from, pkt, (size_t)pl);
    assert_int_equal(c.n, 1);
    struct walk w;
    walk_packet(&c.s[0], &w, &kr);
    assert_non_null(find_msg(&w, SWIM_MSG_ACK));
    /* plaintext stream to an encrypted node: rejected, counted */
    uint8_t *reply = NULL;
    size_t rl = 0;
    uint8_t wire[512];
    n = swim_stream_wrap(wire, sizeof(wire), msg, (size_t)n, false, NULL);
    assert_int_equal(swim_recv_stream(s, 1003, &from, wire, (size_t)n, &reply, &rl), -1);
    free(reply);
    swim_get_metrics(s, &m);
    assert_int_equal(m.dropped_plaintext, 1);
    cap_clear(&c);
    swim_free(s);
}

static void test_garbage_is_dropped(void **state)
{
    (void)state;
    struct capture c = {0};
    struct swim *s = make_node(&c, NULL);
    struct swim_addr from = addr4(127, 0, 0, 70, 7946);
    uint64_t x = 12345;
    uint8_t buf[1500];
    for (int round = 0; round < 3000; round++) {
        size_t len = (size_t)(x % sizeof(buf));
        for (size_t i = 0; i < len; i++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            buf[i] = (uint8_t)x;
        }
        if (len && round % 3 == 0)
            buf[0] = (uint8_t)(round % 14); /* plausible type bytes */
        swim_recv_packet(s, 1000 + (uint64_t)round, &from, buf, len);
        uint8_t *reply = NULL;
        size_t rl = 0;
        swim_recv_stream(s, 1000 + (uint64_t)round, &from, buf, len, &reply, &rl);
        free(reply);
    }
    struct swim_metrics m;
    swim_get_metrics(s, &m);
    assert_true(m.dropped_malformed + m.dropped_other > 0);
    assert_true(swim_num_alive(s) >= 1);
    cap_clear(&c);
    swim_free(s);
}

static bool accept_all(void *ctx, const struct swim_member *nodes, size_t n)
{
    size_t *seen = ctx;
    for (size_t i = 0; i < n; i++)
        assert_non_null(nodes[i].name);
    *seen += n;
    return true;
}

/* A member name with a NUL byte cannot be named through the API: dropped. A joining push/pull
 * reply whose node has nil Name and Addr reaches accept_merge as an empty view, then is dropped. */
static void test_malformed_names_dropped(void **state)
{
    (void)state;
    struct capture c = {0};
    size_t seen = 0;
    struct swim_config cfg;
    swim_config_default(&cfg);
    cfg.name = "me";
    cfg.advertise = addr4(127, 0, 0, 10, 7946);
    cfg.seed = 42;
    cfg.transport =
        (struct swim_transport){.ctx = &c, .send_packet = cap_packet, .stream_send = cap_stream};
    cfg.delegate.ctx = &seen;
    cfg.delegate.accept_merge = accept_all;
    struct swim *s = swim_new(&cfg, 1000);
    assert_non_null(s);
    struct swim_addr pa = addr4(127, 0, 0, 90, 7946);
    uint8_t buf[512];
    struct swim_alive al = {.incarnation = 1,
                            .node = swim_mem("ev\0il", 5),
                            .addr = swim_mem(pa.ip, 4),
                            .port = pa.port,
                            .vsn = {1, 5, 2, 2, 5, 4},
                            .vsn_len = 6};
    ssize_t n = swim_encode_alive(buf, sizeof(buf), &al);
    assert_true(n > 0);
    feed(s, 1001, &pa, buf, (size_t)n);
    struct swim_metrics m;
    swim_get_metrics(s, &m);
    assert_int_equal(m.dropped_malformed, 1);
    assert_int_equal(swim_num_members(s), 1);

    assert_int_equal(swim_join(s, 1002, &pa, 1), 1);
    assert_int_equal(c.n, 1);
    assert_true(c.s[0].stream && c.s[0].token != 0);
    static const uint8_t reply[] = "\x06\x83\xa4Join\xc3\xa5Nodes\x01\xacUserStateLen\x00"
                                   "\x87\xa4"
                                   "Addr\xc0\xabIncarnation\x01\xa4Meta\xc0\xa4Name\xc0"
                                   "\xa4Port\x00\xa5State\x00\xa3Vsn\xa6\x01\x05\x02\x02\x05\x04";
    uint8_t wire[512];
    n = swim_stream_wrap(wire, sizeof(wire), reply, sizeof(reply) - 1, false, NULL);
    assert_true(n > 0);
    assert_int_equal(swim_stream_reply(s, 1003, c.s[0].token, wire, (size_t)n), 0);
    assert_int_equal(seen, 1);
    assert_int_equal(swim_num_members(s), 1);
    cap_clear(&c);
    swim_free(s);
}

static void test_broadcast_queue_replaces_and_limits(void **state)
{
    (void)state;
    struct capture c = {0};
    struct swim *s = make_node(&c, NULL);
    struct swim_addr pa = addr4(127, 0, 0, 80, 7946);
    feed_alive(s, 1001, "peer", &pa, 1);
    /* named user broadcasts replace the queued older one */
    assert_int_equal(c.n_sched, 0); /* feeding packets is the transport's own doing */
    assert_int_equal(swim_broadcast(s, "k", (const uint8_t *)"v1", 2), 0);
    assert_int_equal(swim_broadcast(s, "k", (const uint8_t *)"v2", 2), 0);
    assert_int_equal(swim_broadcast(s, NULL, (const uint8_t *)"u", 1), 0);
    /* each API call hands the transport the core's next deadline */
    assert_int_equal(c.n_sched, 3);
    assert_int_equal(c.last_sched, swim_next_deadline(s));
    struct swim_metrics m;
    swim_get_metrics(s, &m);
    /* alive(me) + alive(peer) + 2 user */
    assert_int_equal(m.queued_broadcasts, 4);
    uint8_t big[1500];
    memset(big, 'x', sizeof(big));
    assert_int_equal(swim_broadcast(s, NULL, big, sizeof(big)), -EMSGSIZE);
    /* gossip until the queue drains: each message goes out swim_retransmit_limit(4, 2) = 4 times */
    size_t user_v2 = 0, user_v1 = 0;
    for (uint64_t now = 1001; now < 10000; now += 50) {
        swim_tick(s, now);
        for (size_t i = 0; i < c.n; i++) {
            if (c.s[i].stream)
                continue;
            struct walk w;
            walk_packet(&c.s[i], &w, NULL);
            assert_true(c.s[i].len <= 1400);
            for (size_t j = 0; j < w.n; j++) {
                if (w.f[j].type == SWIM_MSG_USER && w.f[j].len == 2 &&
                    memcmp(w.f[j].body, "v2", 2) == 0)
                    user_v2++;
                if (w.f[j].type == SWIM_MSG_USER && w.f[j].len == 2 &&
                    memcmp(w.f[j].body, "v1", 2) == 0)
                    user_v1++;
            }
        }
        cap_clear(&c);
    }
    assert_int_equal(user_v1, 0);
    assert_int_equal(user_v2, swim_retransmit_limit(4, 2));
    swim_get_metrics(s, &m);
    assert_int_equal(m.queued_broadcasts, 0);
    swim_free(s);
}

/* A full user queue drops its oldest broadcasts, so it stays bounded with nobody to gossip to. */
static void test_user_queue_is_capped_oldest_first(void **state)
{
    (void)state;
    struct capture c = {0};
    struct swim *s = make_node_q(&c, NULL, 64);
    char msg[16];
    for (int i = 0; i < 1000; i++) {
        int n = snprintf(msg, sizeof(msg), "m%04d", i);
        assert_int_equal(swim_broadcast(s, NULL, (const uint8_t *)msg, (size_t)n), 0);
        struct swim_metrics m;
        swim_get_metrics(s, &m);
        assert_true(m.queued_broadcasts <= 64 + 1); /* + alive(me) */
    }
    struct swim_metrics m;
    swim_get_metrics(s, &m);
    assert_true(m.broadcasts_dropped >= 1000 - 64);
    assert_int_equal(m.broadcasts_dropped + m.queued_broadcasts - 1, 1000);
    /* a member joins: what it hears is the newest broadcasts, never the oldest */
    struct swim_addr pa = addr4(127, 0, 0, 82, 7946);
    feed_alive(s, 1001, "peer", &pa, 1);
    bool newest = false;
    for (uint64_t now = 1001; now < 20000; now += 50) {
        swim_tick(s, now);
        for (size_t i = 0; i < c.n; i++) {
            if (c.s[i].stream)
                continue;
            struct walk w;
            walk_packet(&c.s[i], &w, NULL);
            for (size_t j = 0; j < w.n; j++) {
                if (w.f[j].type != SWIM_MSG_USER || w.f[j].len != 5)
                    continue;
                char num[5] = {0};
                memcpy(num, w.f[j].body + 1, 4);
                int k = atoi(num);
                assert_true(k >= 1000 - 64);
                newest |= k == 999;
            }
        }
        cap_clear(&c);
    }
    assert_true(newest);
    swim_free(s);
}

static void test_many_broadcasts_pack_into_one_packet(void **state)
{
    (void)state;
    struct capture c = {0};
    struct swim *s = make_node(&c, NULL);
    struct swim_addr pa = addr4(127, 0, 0, 81, 7946);
    feed_alive(s, 1001, "peer", &pa, 1);
    char name[32];
    uint8_t payload[100];
    memset(payload, 'y', sizeof(payload));
    for (int i = 0; i < 40; i++) {
        snprintf(name, sizeof(name), "b%d", i);
        assert_int_equal(swim_broadcast(s, name, payload, sizeof(payload)), 0);
    }
    cap_clear(&c);
    uint64_t now = 1001;
    while (c.n == 0 && now < 2000)
        swim_tick(s, now += 10);
    assert_true(c.n >= 1);
    struct walk w;
    walk_packet(&c.s[0], &w, NULL);
    assert_true(c.s[0].len <= 1400);
    assert_true(w.n >= 10); /* ~1400 / 103 */
    cap_clear(&c);
    swim_free(s);
}

static void test_update_meta_and_address_conflicts(void **state)
{
    (void)state;
    struct capture c = {0};
    struct swim *s = make_node(&c, NULL);
    struct swim_addr pa = addr4(127, 0, 0, 90, 7946), other = addr4(127, 0, 0, 91, 7946);
    feed_alive(s, 1001, "peer", &pa, 1);
    /* our own meta update bumps the incarnation and tells the application */
    assert_int_equal(swim_update_meta(s, 1002, (const uint8_t *)"role=x", 6), 0);
    struct swim_member m;
    assert_true(swim_get_member(s, "me", &m));
    assert_int_equal(m.incarnation, 2);
    assert_int_equal(m.meta_len, 6);
    assert_memory_equal(m.meta, "role=x", 6);
    assert_int_equal(c.events[SWIM_EV_UPDATE], 1);
    /* an alive node claiming a new address is a conflict: ignored */
    feed_alive(s, 1003, "peer", &other, 2);
    assert_true(swim_get_member(s, "peer", &m));
    assert_true(swim_addr_eq(&m.addr, &pa));
    assert_int_equal(m.incarnation, 1);
    /* once it has left, its name may come back on another address */
    uint8_t buf[256];
    struct swim_dead d = {.incarnation = 1, .node = swim_str("peer"), .from = swim_str("peer")};
    ssize_t n = swim_encode_dead(buf, sizeof(buf), &d);
    feed(s, 1004, &pa, buf, (size_t)n);
    feed_alive(s, 1005, "peer", &other, 2);
    assert_true(swim_get_member(s, "peer", &m));
    assert_true(swim_addr_eq(&m.addr, &other));
    assert_int_equal(m.state, SWIM_ALIVE);
    struct swim_metrics mt;
    swim_get_metrics(s, &mt);
    assert_int_equal(mt.members_alive, 2);
    assert_true(mt.packets_in >= 4);
    cap_clear(&c);
    swim_free(s);
}

static void test_stale_rumour_is_corrected(void **state)
{
    (void)state;
    struct capture c = {0};
    struct swim *s = make_node(&c, NULL);
    struct swim_addr pa = addr4(127, 0, 0, 95, 7946), gossiper = addr4(127, 0, 0, 96, 7946);
    feed_alive(s, 1001, "peer", &pa, 3);
    cap_clear(&c);
    uint8_t buf[256];
    struct swim_suspect su = {.incarnation = 2, .node = swim_str("peer"), .from = swim_str("x")};
    ssize_t n = swim_encode_suspect(buf, sizeof(buf), &su);
    feed(s, 1002, &gossiper, buf, (size_t)n);
    /* the sender of the outdated rumour gets the current alive straight back */
    assert_int_equal(c.n, 1);
    assert_true(swim_addr_eq(&c.s[0].to, &gossiper));
    struct walk w;
    walk_packet(&c.s[0], &w, NULL);
    const struct found *f = find_msg(&w, SWIM_MSG_ALIVE);
    assert_non_null(f);
    struct swim_alive al;
    assert_int_equal(swim_decode_alive(f->body, f->len, &al, NULL), SWIM_OK);
    assert_true(swim_bytes_eq_str(al.node, "peer"));
    assert_int_equal(al.incarnation, 3);
    /* a current rumour is not answered */
    cap_clear(&c);
    su.incarnation = 3;
    n = swim_encode_suspect(buf, sizeof(buf), &su);
    feed(s, 1003, &gossiper, buf, (size_t)n);
    assert_int_equal(c.n, 0);
    struct swim_metrics m;
    swim_get_metrics(s, &m);
    assert_int_equal(m.stale_corrections, 1);
    cap_clear(&c);
    swim_free(s);
}

/* ---- small clusters on the simulator -----------------------------------------------------------
 */

struct sim_obs {
    size_t fails, leaves, users, directs;
    struct simnet *net;
    uint8_t seen[16];
};

static void sim_event(void *ctx, size_t node, enum swim_event ev, const struct swim_member *m)
{
    struct sim_obs *o = ctx;
    (void)node;
    (void)m;
    if (ev == SWIM_EV_FAIL)
        o->fails++;
    if (ev == SWIM_EV_LEAVE)
        o->leaves++;
}

static void sim_user(void *ctx, size_t node, const uint8_t *msg, size_t len)
{
    struct sim_obs *o = ctx;
    if (len == 5 && memcmp(msg, "hello", 5) == 0 && node < sizeof(o->seen) && !o->seen[node]) {
        o->seen[node] = 1; /* epidemic: re-broadcast what is new, as serf does */
        o->users++;
        swim_broadcast(simnet_swim(o->net, node), "hello", msg, len);
    }
    if (len == 6 && memcmp(msg, "direct", 6) == 0)
        o->directs++;
}

static struct simnet *cluster(size_t n, struct sim_obs *o, const uint8_t *key, size_t key_len)
{
    struct simnet_opts so = {
        .seed = 7, .latency_ms = 1, .jitter_ms = 2, .key = key, .key_len = key_len};
    struct simnet *net = simnet_new(&so);
    assert_non_null(net);
    o->net = net;
    simnet_on_event(net, sim_event, o);
    simnet_on_user(net, sim_user, o);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(simnet_add(net, NULL), (long)i);
        if (i)
            simnet_join(net, i, 0);
    }
    for (int i = 0; i < 100 && !simnet_converged(net, n); i++)
        simnet_run_until(net, simnet_now(net) + 100);
    assert_true(simnet_converged(net, n));
    return net;
}

static void test_sim_three_nodes_crash_time(void **state)
{
    (void)state;
    struct sim_obs o = {0};
    struct simnet *net = cluster(3, &o, NULL, 0);
    simnet_run_until(net, simnet_now(net) + 3000);
    uint64_t t0 = simnet_now(net);
    simnet_crash(net, 2);
    while (simnet_count_seeing(net, "node-2", SWIM_DEAD) < 2 && simnet_now(net) - t0 < 30000)
        simnet_run_until(net, simnet_now(net) + 10);
    uint64_t took = simnet_now(net) - t0;
    /* n - 2 < SuspicionMult - 2 -> no confirmations expected, timeout = 4 s after the first
     * suspicion, which comes within about two probe rounds */
    assert_int_equal(simnet_count_seeing(net, "node-2", SWIM_DEAD), 2);
    assert_true(took >= 4000);
    assert_true(took <= 4000 + 3000);
    assert_int_equal(o.fails, 2);
    simnet_free(net);
}

static void test_sim_user_messages_and_leave(void **state)
{
    (void)state;
    struct sim_obs o = {0};
    static const uint8_t key[32] = {1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15, 16,
                                    17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32};
    struct simnet *net = cluster(5, &o, key, sizeof(key));
    /* a broadcast from node 0 reaches every other node (encrypted gossip); reliable (TCP) and
     * best-effort (UDP) messages reach their destination */
    o.seen[0] = 1;
    assert_int_equal(swim_broadcast(simnet_swim(net, 0), "hello", (const uint8_t *)"hello", 5), 0);
    simnet_run_until(net, simnet_now(net) + 3000);
    assert_int_equal(o.users, 4);
    assert_int_equal(
        swim_send_user(simnet_swim(net, 1), "node-2", (const uint8_t *)"direct", 6, true), 0);
    assert_int_equal(
        swim_send_user(simnet_swim(net, 1), "node-3", (const uint8_t *)"direct", 6, false), 0);
    assert_int_equal(swim_send_user(simnet_swim(net, 1), "nobody", (const uint8_t *)"x", 1, false),
                     -ENOENT);
    simnet_run_until(net, simnet_now(net) + 100);
    assert_int_equal(o.directs, 2);
    simnet_leave(net, 4);
    simnet_run_until(net, simnet_now(net) + 3000);
    /* the four others and node-4 itself (it stops 5 s after leaving) */
    assert_int_equal(simnet_count_seeing(net, "node-4", SWIM_LEFT), 5);
    assert_int_equal(o.fails, 0);
    simnet_free(net);
}

static void test_sim_partition_heals(void **state)
{
    (void)state;
    struct sim_obs o = {0};
    struct simnet *net = cluster(6, &o, NULL, 0);
    uint8_t group[6] = {0, 0, 0, 1, 1, 1};
    simnet_partition(net, group);
    simnet_run_until(net, simnet_now(net) + 40000);
    assert_true(o.fails > 0);
    assert_false(simnet_converged(net, 6));
    simnet_partition(net, NULL);
    uint64_t t0 = simnet_now(net);
    while (!simnet_converged(net, 6) && simnet_now(net) - t0 < 180000)
        simnet_run_until(net, simnet_now(net) + 500);
    assert_true(simnet_converged(net, 6));
    simnet_free(net);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_formulas),
        cmocka_unit_test(test_ack_goes_to_source_addr),
        cmocka_unit_test(test_refutes_suspicion_of_itself),
        cmocka_unit_test(test_incarnation_ordering_and_leave),
        cmocka_unit_test(test_indirect_relay_ack_and_nack),
        cmocka_unit_test(test_probe_failure_goes_indirect_then_suspect),
        cmocka_unit_test(test_refused_probe_declares_dead),
        cmocka_unit_test(test_relay_nacks_refused_target_at_once),
        cmocka_unit_test(test_dead_member_heal_pings_and_push),
        cmocka_unit_test(test_pushpull_server_and_version_check),
        cmocka_unit_test(test_keyring_drops_and_plaintext_stream),
        cmocka_unit_test(test_garbage_is_dropped),
        cmocka_unit_test(test_malformed_names_dropped),
        cmocka_unit_test(test_broadcast_queue_replaces_and_limits),
        cmocka_unit_test(test_user_queue_is_capped_oldest_first),
        cmocka_unit_test(test_many_broadcasts_pack_into_one_packet),
        cmocka_unit_test(test_update_meta_and_address_conflicts),
        cmocka_unit_test(test_stale_rumour_is_corrected),
        cmocka_unit_test(test_sim_three_nodes_crash_time),
        cmocka_unit_test(test_sim_user_messages_and_leave),
        cmocka_unit_test(test_sim_partition_heals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
