/* test_discovery.c — discovery message codec and two real instances finding each other over
 * loopback broadcast (127.255.255.255), then a goodbye. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "swimmies/discovery.h"

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

struct seen {
    struct loop *l;
    int found, goodbye, lost;
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

static void test_two_nodes_find_each_other_and_say_goodbye(void **state)
{
    (void)state;
    struct loop *l = loop_new();
    uint16_t port = free_udp_port();
    struct seen sa = {.l = l}, sb = {.l = l};
    char err[256];
    struct swim_discovery_config ca = base_cfg("node-a", "127.0.0.1", port);
    struct swim_discovery_config cb = base_cfg("node-b", "127.0.0.2", port);
    cb.bind_address = "127.0.0.2";
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
    swim_discovery_stop(a);
    loop_free(l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_encode_decode_roundtrip),
        cmocka_unit_test(test_decode_rejects_malformed),
        cmocka_unit_test(test_two_nodes_find_each_other_and_say_goodbye),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
