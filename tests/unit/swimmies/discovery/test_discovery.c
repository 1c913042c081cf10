/* test_discovery.c — discovery message codec; the signed envelope (verify, reject, replay,
 * window, key rotation); the node table (cap, a known id never moves, signed-only with a
 * keyring); two real instances finding each other over loopback broadcast (127.255.255.255),
 * plain and signed, then a goodbye. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "swimmies/discovery.h"
#include "swimmies/discovery_auth.h"

static const uint8_t KEY1[16] = "0123456789abcdef";
static const uint8_t KEY2[32] = "an entirely different 32 byte k";

static void keyring_of(struct swim_keyring *kr, const uint8_t *a, size_t alen, const uint8_t *b,
                       size_t blen)
{
    swim_keyring_init(kr);
    assert_int_equal(swim_keyring_add(kr, a, alen), SWIM_OK);
    if (b)
        assert_int_equal(swim_keyring_add(kr, b, blen), SWIM_OK);
}

static uint64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static struct swim_discovery_config base_cfg(const char *id, const char *ip, uint16_t port)
{
    struct swim_discovery_config c = {
        .node_id = id,
        .hostname = "host-a",
        .ip_address = ip,
        .service_port = 5353,
        .swim_port = 8890,
        .version = "1.2.3",
        .service_type = "joyride-dns",
        .role = "dns-server",
        .bind_address = "127.0.0.1",
        .port = port,
        .broadcast = "127.255.255.255",
        .interval_ms = 50,
        .timeout_ms = 150,
    };
    return c;
}

static void test_encode_decode_roundtrip(void **state)
{
    (void)state;
    struct swim_discovery_config c = base_cfg("node-a", "127.0.0.9", 8889);
    char buf[2048];
    int n = swim_discovery_encode(&c, "announce", 1700000000.5, buf, sizeof buf);
    assert_true(n > 0);
    assert_non_null(strstr(buf, "\"message_type\":\"announce\""));
    assert_non_null(strstr(buf, "\"service_type\":\"joyride-dns\""));
    struct swim_discovery_node node;
    char type[16], svc[65];
    assert_true(swim_discovery_decode(buf, (size_t)n, &node, type, sizeof type, svc, sizeof svc));
    assert_string_equal(type, "announce");
    assert_string_equal(svc, "joyride-dns");
    assert_string_equal(node.node_id, "node-a");
    assert_string_equal(node.ip_address, "127.0.0.9");
    assert_int_equal(node.swim_port, 8890);
    assert_int_equal(node.port, 5353);
    assert_string_equal(node.role, "dns-server");
}

static void test_decode_rejects_malformed(void **state)
{
    (void)state;
    const char *bad[] = {
        "",
        "{",
        "[]",
        "{\"message_type\":\"announce\"}",
        "{\"message_type\":\"announce\",\"node_info\":{\"node_id\":\"a\",\"ip_address\":\"1.2.3."
        "4\","
        "\"service_type\":\"joyride-dns\",\"metadata\":{\"swim_port\":0}}}",
        "{\"message_type\":\"announce\",\"node_info\":{\"node_id\":\"a\",\"ip_address\":\"banana\","
        "\"service_type\":\"joyride-dns\",\"metadata\":{\"swim_port\":8890}}}",
        "{\"message_type\":\"announce\",\"node_info\":{\"node_id\":\"\",\"ip_address\":\"1.2.3.4\","
        "\"service_type\":\"joyride-dns\",\"metadata\":{\"swim_port\":8890}}}",
        "{\"message_type\":7,\"node_info\":{\"node_id\":\"a\",\"ip_address\":\"1.2.3.4\","
        "\"service_type\":\"joyride-dns\",\"metadata\":{\"swim_port\":8890}}}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct swim_discovery_node node;
        char type[16], svc[65];
        assert_false(swim_discovery_decode(bad[i], strlen(bad[i]), &node, type, sizeof type, svc,
                                           sizeof svc));
    }
}

static const char PLAIN[] = "{\"message_type\":\"heartbeat\",\"x\":\"\u00e9\\\"q\"}";

static enum swim_disc_verdict open_at(const struct swim_keyring *kr, struct swim_disc_replay *rc,
                                      const char *env, size_t len, uint64_t now)
{
    char out[2048];
    size_t n = 0;
    uint64_t ts = 0;
    enum swim_disc_verdict v =
        swim_disc_open(kr, rc, env, len, now, SWIM_DISC_WINDOW_MS, out, sizeof out, &n, &ts);
    if (v == SWIM_DISC_AUTH_OK) {
        assert_int_equal(n, strlen(PLAIN));
        assert_memory_equal(out, PLAIN, n);
    }
    return v;
}

static void test_auth_verify_and_reject(void **state)
{
    (void)state;
    struct swim_keyring kr, other;
    keyring_of(&kr, KEY1, sizeof KEY1, NULL, 0);
    keyring_of(&other, KEY2, sizeof KEY2, NULL, 0);
    uint64_t t = 1764096420123;
    char env[2048];
    int n = swim_disc_seal(&kr, PLAIN, strlen(PLAIN), t, env, sizeof env);
    assert_true(n > 0);
    assert_non_null(strstr(env, "\"auth\":\"hmac-sha256\""));
    assert_non_null(strstr(env, "\"ts\":1764096420123"));
    /* the envelope is not a plain message: receivers without a key drop it */
    struct swim_discovery_node node;
    char type[16], svc[65];
    assert_false(swim_discovery_decode(env, (size_t)n, &node, type, sizeof type, svc, sizeof svc));

    assert_int_equal(open_at(&kr, NULL, env, (size_t)n, t), SWIM_DISC_AUTH_OK);
    assert_int_equal(open_at(&other, NULL, env, (size_t)n, t), SWIM_DISC_AUTH_BAD_MAC);
    /* a changed payload, timestamp or MAC */
    char bad[2048];
    memcpy(bad, env, (size_t)n + 1);
    char *p = strstr(bad, "heartbeat");
    memcpy(p, "announce_", 9);
    assert_int_equal(open_at(&kr, NULL, bad, (size_t)n, t), SWIM_DISC_AUTH_BAD_MAC);
    memcpy(bad, env, (size_t)n + 1);
    p = strstr(bad, "420123");
    p[5] = '4';
    assert_int_equal(open_at(&kr, NULL, bad, (size_t)n, t), SWIM_DISC_AUTH_BAD_MAC);
    memcpy(bad, env, (size_t)n + 1);
    p = strstr(bad, "\"mac\":\"") + 7;
    p[0] = p[0] == '0' ? '1' : '0';
    assert_int_equal(open_at(&kr, NULL, bad, (size_t)n, t), SWIM_DISC_AUTH_BAD_MAC);
    /* plain messages, garbage and broken envelopes */
    assert_int_equal(open_at(&kr, NULL, PLAIN, strlen(PLAIN), t), SWIM_DISC_AUTH_UNAUTHENTICATED);
    const char *broken[] = {
        "",
        "{",
        "[1]",
        "{\"auth\":\"hmac-sha256\"}",
        "{\"auth\":\"md5\",\"ts\":1,\"payload\":\"{}\",\"mac\":\"00\"}",
        "{\"auth\":\"hmac-sha256\",\"ts\":1,\"payload\":\"{}\",\"mac\":\"zz\"}",
        "{\"auth\":\"hmac-sha256\",\"ts\":-5,\"payload\":\"{}\",\"mac\":"
        "\"0000000000000000000000000000000000000000000000000000000000000000\"}",
        "{\"auth\":\"hmac-sha256\",\"ts\":\"1\",\"payload\":\"{}\",\"mac\":"
        "\"0000000000000000000000000000000000000000000000000000000000000000\"}",
    };
    for (size_t i = 0; i < sizeof broken / sizeof broken[0]; i++)
        assert_int_equal(open_at(&kr, NULL, broken[i], strlen(broken[i]), t),
                         SWIM_DISC_AUTH_MALFORMED);
    /* no key: nothing can be sealed */
    struct swim_keyring none;
    swim_keyring_init(&none);
    assert_int_equal(swim_disc_seal(&none, PLAIN, strlen(PLAIN), t, env, sizeof env), -1);
    assert_int_equal(open_at(&none, NULL, env, (size_t)n, t), SWIM_DISC_AUTH_BAD_MAC);
    swim_keyring_clear(&kr);
    swim_keyring_clear(&other);
}

static void test_auth_window_and_replay(void **state)
{
    (void)state;
    struct swim_keyring kr;
    keyring_of(&kr, KEY1, sizeof KEY1, NULL, 0);
    uint64_t t = 1764096420000;
    char env[2048];
    int n = swim_disc_seal(&kr, PLAIN, strlen(PLAIN), t, env, sizeof env);
    assert_true(n > 0);
    /* the window, either way (checked before the replay cache records anything) */
    struct swim_disc_replay *rc = calloc(1, sizeof *rc);
    assert_int_equal(open_at(&kr, rc, env, (size_t)n, t + SWIM_DISC_WINDOW_MS + 1),
                     SWIM_DISC_AUTH_STALE);
    assert_int_equal(open_at(&kr, rc, env, (size_t)n, t - SWIM_DISC_WINDOW_MS - 1),
                     SWIM_DISC_AUTH_STALE);
    assert_int_equal(rc->n, 0);
    assert_int_equal(open_at(&kr, rc, env, (size_t)n, t + SWIM_DISC_WINDOW_MS - 1000),
                     SWIM_DISC_AUTH_OK);
    /* accepted once only */
    assert_int_equal(open_at(&kr, rc, env, (size_t)n, t + 5), SWIM_DISC_AUTH_REPLAY);
    assert_int_equal(open_at(&kr, rc, env, (size_t)n, t + 5), SWIM_DISC_AUTH_REPLAY);
    /* the same payload at another time is another message */
    char env2[2048];
    int n2 = swim_disc_seal(&kr, PLAIN, strlen(PLAIN), t + 1, env2, sizeof env2);
    assert_int_equal(open_at(&kr, rc, env2, (size_t)n2, t + 5), SWIM_DISC_AUTH_OK);
    /* the cache is a ring: after SLOTS newer messages the first has gone (its timestamp is what
     * then keeps it out), and it never grows */
    for (uint64_t i = 0; i < SWIM_DISC_REPLAY_SLOTS; i++) {
        int k = swim_disc_seal(&kr, PLAIN, strlen(PLAIN), t + 100 + i, env2, sizeof env2);
        assert_int_equal(open_at(&kr, rc, env2, (size_t)k, t + 100 + i), SWIM_DISC_AUTH_OK);
    }
    assert_int_equal(rc->n, SWIM_DISC_REPLAY_SLOTS);
    assert_int_equal(open_at(&kr, rc, env2, (size_t)n2, t + 5), SWIM_DISC_AUTH_REPLAY);
    assert_int_equal(open_at(&kr, rc, env, (size_t)n, t + 5), SWIM_DISC_AUTH_OK);
    assert_int_equal(open_at(&kr, rc, env, (size_t)n, t + SWIM_DISC_WINDOW_MS + 1),
                     SWIM_DISC_AUTH_STALE);
    free(rc);
    swim_keyring_clear(&kr);
}

static void test_auth_key_rotation(void **state)
{
    (void)state;
    /* rotation as the keyring does it: add the new key second everywhere, make it primary,
     * remove the old one. Every step in between still verifies both ways. */
    struct swim_keyring old_only, both_old_first, both_new_first, new_only;
    keyring_of(&old_only, KEY1, sizeof KEY1, NULL, 0);
    keyring_of(&both_old_first, KEY1, sizeof KEY1, KEY2, sizeof KEY2);
    keyring_of(&both_new_first, KEY2, sizeof KEY2, KEY1, sizeof KEY1);
    keyring_of(&new_only, KEY2, sizeof KEY2, NULL, 0);
    const struct swim_keyring *rings[] = {&old_only, &both_old_first, &both_new_first, &new_only};
    /* accepts[sender][receiver] */
    const bool accepts[4][4] = {
        {true, true, true, false},
        {true, true, true, false},
        {false, true, true, true},
        {false, true, true, true},
    };
    uint64_t t = 1764096420000;
    for (int s = 0; s < 4; s++) {
        char env[2048];
        int n = swim_disc_seal(rings[s], PLAIN, strlen(PLAIN), t, env, sizeof env);
        assert_true(n > 0);
        for (int r = 0; r < 4; r++) {
            enum swim_disc_verdict v = open_at(rings[r], NULL, env, (size_t)n, t);
            assert_int_equal(v, accepts[s][r] ? SWIM_DISC_AUTH_OK : SWIM_DISC_AUTH_BAD_MAC);
        }
    }
    swim_keyring_clear(&old_only);
    swim_keyring_clear(&both_old_first);
    swim_keyring_clear(&both_new_first);
    swim_keyring_clear(&new_only);
}

struct seen {
    struct loop *l;
    int found, goodbye, lost, updated;
    char last_id[129];
};

static void on_event(enum swim_discovery_event ev, const struct swim_discovery_node *n, void *ctx)
{
    struct seen *s = ctx;
    strcpy(s->last_id, n->node_id);
    if (ev == SWIM_DISCOVERY_FOUND)
        s->found++;
    else if (ev == SWIM_DISCOVERY_GOODBYE)
        s->goodbye++;
    else if (ev == SWIM_DISCOVERY_LOST)
        s->lost++;
    else if (ev == SWIM_DISCOVERY_UPDATED)
        s->updated++;
}

struct waiter {
    struct loop *l;
    struct seen *a, *b;
    int phase;
    struct loop_timer *deadline;
    int timed_out;
};

static void check(void *ctx)
{
    struct waiter *w = ctx;
    bool done = w->phase == 0 ? (w->a->found >= 1 && w->b->found >= 1) : (w->a->goodbye >= 1);
    if (done) {
        loop_timer_cancel(w->l, w->deadline);
        loop_stop(w->l);
        return;
    }
    loop_timer_add(w->l, 5, check, w);
}

static void on_deadline(void *ctx)
{
    struct waiter *w = ctx;
    w->timed_out = 1;
    loop_stop(w->l);
}

static uint16_t free_udp_port(void)
{
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd, (struct sockaddr *)&a, sizeof a);
    socklen_t len = sizeof a;
    getsockname(fd, (struct sockaddr *)&a, &len);
    close(fd);
    return ntohs(a.sin_port);
}

static void two_nodes(const struct swim_keyring *kr)
{
    struct loop *l = loop_new();
    uint16_t port = free_udp_port();
    struct seen sa = {.l = l}, sb = {.l = l};
    char err[256];
    struct swim_discovery_config ca = base_cfg("node-a", "127.0.0.1", port);
    struct swim_discovery_config cb = base_cfg("node-b", "127.0.0.2", port);
    cb.bind_address = "127.0.0.2";
    ca.keyring = cb.keyring = kr;
    ca.timeout_ms = cb.timeout_ms = 10000; /* only the goodbye removes node-b, even when slow */
    struct swim_discovery *a = swim_discovery_start(l, &ca, on_event, &sa, err, sizeof err);
    assert_non_null(a);
    struct swim_discovery *b = swim_discovery_start(l, &cb, on_event, &sb, err, sizeof err);
    assert_non_null(b);

    struct waiter w = {.l = l, .a = &sa, .b = &sb};
    w.deadline = loop_timer_add(l, 5000, on_deadline, &w);
    loop_timer_add(l, 5, check, &w);
    loop_run(l);
    assert_false(w.timed_out);
    assert_string_equal(sa.last_id, "node-b");
    assert_string_equal(sb.last_id, "node-a");
    struct swim_discovery_node nodes[4];
    assert_int_equal(swim_discovery_nodes(a, nodes, 4), 1);
    assert_string_equal(nodes[0].ip_address, "127.0.0.2");

    swim_discovery_stop(b);
    w.phase = 1;
    w.deadline = loop_timer_add(l, 5000, on_deadline, &w);
    loop_timer_add(l, 5, check, &w);
    loop_run(l);
    assert_false(w.timed_out);
    assert_int_equal(swim_discovery_nodes(a, nodes, 4), 0);
    struct swim_discovery_stats st;
    swim_discovery_get_stats(a, &st);
    assert_int_equal(st.unauthenticated + st.bad_mac + st.stale + st.replayed, 0);
    swim_discovery_stop(a);
    loop_free(l);
}

static void test_two_nodes_find_each_other_and_say_goodbye(void **state)
{
    (void)state;
    two_nodes(NULL);
}

static void test_two_signed_nodes_find_each_other(void **state)
{
    (void)state;
    struct swim_keyring kr;
    keyring_of(&kr, KEY2, sizeof KEY2, KEY1, sizeof KEY1);
    two_nodes(&kr);
    swim_keyring_clear(&kr);
}

/* A plain message from node id at ip:swim_port. */
static int message(const char *type, const char *id, const char *ip, uint16_t swim_port, char *buf,
                   size_t cap)
{
    struct swim_discovery_config c = base_cfg(id, ip, 1);
    c.swim_port = swim_port;
    return swim_discovery_encode(&c, type, (double)wall_ms() / 1000.0, buf, cap);
}

static void feed(struct swim_discovery *d, const char *type, const char *id, const char *ip)
{
    char buf[2048];
    int n = message(type, id, ip, 8890, buf, sizeof buf);
    assert_true(n > 0);
    swim_discovery_receive(d, buf, (size_t)n, "127.0.0.99");
}

static void test_table_cap_evicts_oldest(void **state)
{
    (void)state;
    struct loop *l = loop_new();
    struct seen s = {.l = l};
    char err[256];
    struct swim_discovery_config c = base_cfg("self", "127.0.0.1", free_udp_port());
    c.max_nodes = 4;
    c.interval_ms = 60000; /* nobody here is heard over half an interval: all equally new */
    struct swim_discovery *d = swim_discovery_start(l, &c, on_event, &s, err, sizeof err);
    assert_non_null(d);
    char id[32];
    struct swim_discovery_node nodes[16];
    bool keep[10] = {0};
    for (int i = 0; i < 10; i++) {
        snprintf(id, sizeof id, "node-%d", i);
        feed(d, "announce", id, "127.0.0.5");
        if (i == 2)
            feed(d, "heartbeat", "node-0", "127.0.0.5"); /* node-0 heard again: kept longer */
        if (i == 4) {
            /* the fifth node took the place of node-1, heard longest ago */
            assert_int_equal(swim_discovery_nodes(d, nodes, 16), 4);
            for (int k = 0; k < 4; k++)
                keep[nodes[k].node_id[5] - '0'] = true;
            assert_true(keep[0] && keep[2] && keep[3] && keep[4]);
            assert_false(keep[1]);
        }
    }
    assert_int_equal(swim_discovery_nodes(d, nodes, 16), 4);
    memset(keep, 0, sizeof keep);
    for (int i = 0; i < 4; i++)
        keep[nodes[i].node_id[5] - '0'] = true;
    assert_true(keep[6] && keep[7] && keep[8] && keep[9]);
    struct swim_discovery_stats st;
    swim_discovery_get_stats(d, &st);
    assert_int_equal(st.evicted, 6);
    assert_int_equal(s.found, 10);
    assert_int_equal(s.lost, 6);
    swim_discovery_stop(d);

    /* the default cap; a node heard over more than half an interval (25 ms) is established: a
     * flood of new ids churns among themselves and never evicts it */
    c.max_nodes = 0;
    c.interval_ms = 50;
    d = swim_discovery_start(l, &c, on_event, &s, err, sizeof err);
    assert_non_null(d);
    feed(d, "announce", "real", "127.0.0.7");
    usleep(30000);
    feed(d, "heartbeat", "real", "127.0.0.7");
    for (int i = 0; i < SWIM_DISC_MAX_NODES + 200; i++) {
        snprintf(id, sizeof id, "flood-%d", i);
        feed(d, "announce", id, "127.0.0.6");
    }
    size_t total = swim_discovery_nodes(d, NULL, 0);
    assert_int_equal(total, SWIM_DISC_MAX_NODES);
    struct swim_discovery_node *all = calloc(total, sizeof *all);
    assert_int_equal(swim_discovery_nodes(d, all, total), total);
    bool real = false;
    for (size_t i = 0; i < total; i++)
        real = real || strcmp(all[i].node_id, "real") == 0;
    assert_true(real);
    free(all);
    swim_discovery_get_stats(d, &st);
    assert_int_equal(st.evicted, 201);
    swim_discovery_stop(d);
    loop_free(l);
}

static void test_known_id_never_moves(void **state)
{
    (void)state;
    struct loop *l = loop_new();
    struct seen s = {.l = l};
    char err[256];
    struct swim_discovery_config c = base_cfg("self", "127.0.0.1", free_udp_port());
    struct swim_discovery *d = swim_discovery_start(l, &c, on_event, &s, err, sizeof err);
    assert_non_null(d);
    feed(d, "announce", "node-b", "127.0.0.2");
    assert_int_equal(s.found, 1);
    /* the same id at another address (announce, heartbeat, goodbye), or at another port */
    feed(d, "announce", "node-b", "127.0.0.66");
    feed(d, "heartbeat", "node-b", "127.0.0.66");
    feed(d, "goodbye", "node-b", "127.0.0.66");
    char buf[2048];
    int n = message("heartbeat", "node-b", "127.0.0.2", 9999, buf, sizeof buf);
    swim_discovery_receive(d, buf, (size_t)n, NULL);
    struct swim_discovery_node nodes[4];
    assert_int_equal(swim_discovery_nodes(d, nodes, 4), 1);
    assert_string_equal(nodes[0].ip_address, "127.0.0.2");
    assert_int_equal(nodes[0].swim_port, 8890);
    assert_int_equal(s.found, 1);
    assert_int_equal(s.goodbye, 0);
    struct swim_discovery_stats st;
    swim_discovery_get_stats(d, &st);
    assert_int_equal(st.address_conflicts, 4);
    /* its own heartbeat still refreshes it; after its goodbye a new address is taken */
    feed(d, "heartbeat", "node-b", "127.0.0.2");
    assert_int_equal(s.updated, 1);
    feed(d, "goodbye", "node-b", "127.0.0.2");
    assert_int_equal(s.goodbye, 1);
    feed(d, "announce", "node-b", "127.0.0.66");
    assert_int_equal(swim_discovery_nodes(d, nodes, 4), 1);
    assert_string_equal(nodes[0].ip_address, "127.0.0.66");
    assert_int_equal(s.found, 2);
    swim_discovery_stop(d);
    loop_free(l);
}

/* A signed message from node id at wall time + skew_ms. */
static int signed_message(const struct swim_keyring *kr, const char *type, const char *id,
                          const char *ip, int64_t skew_ms, char *buf, size_t cap)
{
    char plain[2048];
    int n = message(type, id, ip, 8890, plain, sizeof plain);
    assert_true(n > 0);
    return swim_disc_seal(kr, plain, (size_t)n, (uint64_t)((int64_t)wall_ms() + skew_ms), buf, cap);
}

static void test_signed_table(void **state)
{
    (void)state;
    struct loop *l = loop_new();
    struct seen s = {.l = l};
    char err[256];
    struct swim_keyring kr, other;
    keyring_of(&kr, KEY1, sizeof KEY1, NULL, 0);
    keyring_of(&other, KEY2, sizeof KEY2, NULL, 0);
    struct swim_discovery_config c = base_cfg("self", "127.0.0.1", free_udp_port());
    c.keyring = &kr;
    struct swim_discovery *d = swim_discovery_start(l, &c, on_event, &s, err, sizeof err);
    assert_non_null(d);
    /* plain and foreign-key messages are dropped, and counted by reason */
    feed(d, "announce", "spoof", "127.0.0.66");
    char buf[4096], old[4096];
    int n = signed_message(&other, "announce", "spoof", "127.0.0.66", 0, buf, sizeof buf);
    swim_discovery_receive(d, buf, (size_t)n, NULL);
    n = signed_message(&kr, "announce", "node-b", "127.0.0.2", -SWIM_DISC_WINDOW_MS - 5000, buf,
                       sizeof buf);
    swim_discovery_receive(d, buf, (size_t)n, NULL);
    assert_int_equal(swim_discovery_nodes(d, NULL, 0), 0);
    assert_int_equal(s.found, 0);
    struct swim_discovery_stats st;
    swim_discovery_get_stats(d, &st);
    assert_int_equal(st.unauthenticated, 1);
    assert_int_equal(st.bad_mac, 1);
    assert_int_equal(st.stale, 1);
    /* a signed one is accepted once; a replay of it, or of an older one, is not */
    int on = signed_message(&kr, "heartbeat", "node-b", "127.0.0.2", -2000, old, sizeof old);
    n = signed_message(&kr, "announce", "node-b", "127.0.0.2", 0, buf, sizeof buf);
    swim_discovery_receive(d, buf, (size_t)n, NULL);
    assert_int_equal(s.found, 1);
    swim_discovery_receive(d, buf, (size_t)n, NULL);
    swim_discovery_receive(d, old, (size_t)on, NULL);
    assert_int_equal(s.updated, 0);
    swim_discovery_get_stats(d, &st);
    assert_int_equal(st.replayed, 2);
    assert_int_equal(st.received, 1);
    /* and it can not be moved either, signed or not */
    n = signed_message(&kr, "announce", "node-b", "127.0.0.9", 10, buf, sizeof buf);
    swim_discovery_receive(d, buf, (size_t)n, NULL);
    struct swim_discovery_node nodes[4];
    assert_int_equal(swim_discovery_nodes(d, nodes, 4), 1);
    assert_string_equal(nodes[0].ip_address, "127.0.0.2");
    swim_discovery_stop(d);
    swim_keyring_clear(&kr);
    swim_keyring_clear(&other);
    loop_free(l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_encode_decode_roundtrip),
        cmocka_unit_test(test_decode_rejects_malformed),
        cmocka_unit_test(test_auth_verify_and_reject),
        cmocka_unit_test(test_auth_window_and_replay),
        cmocka_unit_test(test_auth_key_rotation),
        cmocka_unit_test(test_table_cap_evicts_oldest),
        cmocka_unit_test(test_known_id_never_moves),
        cmocka_unit_test(test_signed_table),
        cmocka_unit_test(test_two_nodes_find_each_other_and_say_goodbye),
        cmocka_unit_test(test_two_signed_nodes_find_each_other),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
