/* test_server.c — the DNS server over real sockets on loopback: UDP answers and counters,
 * replies from the right address when bound to the wildcard, garbage survived, TCP pipelining,
 * byte-at-a-time framing, a client that reads late (partial writes), oversized frames, idle
 * timeout, the connection cap, IPv6, a busy port, and how long stopping takes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "dns/server.h"
#include "dns/wire.h"
#include "dnstest.h"
#include "records/records.h"
#include "testlib.h"

#define DEADLINE_MS 5000

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

struct fixture {
    struct records *t;
    struct dns_server *s;
    uint16_t port;
    const char *addr;
};

static struct records *make_table(void)
{
    struct records *t = records_new("node-a", 1);
    assert_non_null(t);
    struct rec_input a[202];
    size_t n = 0;
    a[n++] = tl_in("web.test", "10.0.0.1");
    a[n++] = tl_in("web.test", "fd00::1");
    char name[64], addr[64];
    for (int i = 0; i < 200; i++) {
        snprintf(name, sizeof name, "big.test");
        snprintf(addr, sizeof addr, "10.9.%d.%d", i / 250, i % 250);
        a[n++] = tl_in(name, addr);
    }
    assert_true(records_set_source(t, "hosts:test", a, n) > 0);
    return t;
}

static void start(struct fixture *f, const char *addr, int idle_ms, int max_conn)
{
    char err[256];
    struct dns_server_config cfg = {
        .bind_address = addr,
        .port = 0,
        .workers = 2,
        .ttl = 60,
        .unknown_action = DNS_UNKNOWN_NXDOMAIN,
        .tcp_idle_timeout_ms = idle_ms,
        .tcp_max_connections = max_conn,
    };
    f->t = make_table();
    f->addr = addr;
    f->s = dns_server_start(&cfg, f->t, err, sizeof err);
    if (!f->s)
        fail_msg("start failed: %s", err);
    f->port = dns_server_port(f->s);
    assert_true(f->port != 0);
}

static void stop(struct fixture *f)
{
    dns_server_stop(f->s);
    records_free(f->t);
}

static socklen_t sockaddr_of(const char *addr, uint16_t port, struct sockaddr_storage *ss)
{
    memset(ss, 0, sizeof *ss);
    struct sockaddr_in *v4 = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)ss;
    if (inet_pton(AF_INET, addr, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons(port);
        return sizeof *v4;
    }
    assert_int_equal(inet_pton(AF_INET6, addr, &v6->sin6_addr), 1);
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    return sizeof *v6;
}

/* A connected UDP socket: it only receives datagrams from addr:port. */
static int udp_to(const char *addr, uint16_t port)
{
    struct sockaddr_storage ss;
    socklen_t sl = sockaddr_of(addr, port, &ss);
    int fd = socket(ss.ss_family, SOCK_DGRAM, 0);
    assert_true(fd >= 0);
    assert_int_equal(connect(fd, (struct sockaddr *)&ss, sl), 0);
    return fd;
}

static int tcp_to(const char *addr, uint16_t port)
{
    struct sockaddr_storage ss;
    socklen_t sl = sockaddr_of(addr, port, &ss);
    int fd = socket(ss.ss_family, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    assert_int_equal(connect(fd, (struct sockaddr *)&ss, sl), 0);
    return fd;
}

/* Receives one datagram within the deadline; returns its length or -1. */
static ssize_t recv_within(int fd, uint8_t *buf, size_t cap, int ms)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    if (poll(&p, 1, ms) <= 0)
        return -1;
    return recv(fd, buf, cap, 0);
}

static void udp_ask(int fd, const char *name, uint16_t type, int edns, struct dt_msg *m,
                    uint8_t *buf)
{
    uint8_t q[512];
    uint16_t id = (uint16_t)rand();
    size_t n = dt_query(q, id, name, type, DNS_CLASS_IN, edns, false);
    ssize_t r = -1;
    for (int attempt = 0; attempt < 5 && r < 0; attempt++) {
        assert_int_equal(send(fd, q, n, 0), (ssize_t)n);
        r = recv_within(fd, buf, 65535, 1000);
    }
    assert_true(r > 0);
    const char *e = dt_parse(buf, (size_t)r, m);
    if (e)
        fail_msg("bad response: %s", e);
    assert_int_equal(m->id, id);
}

/* Reads exactly n bytes within the deadline; false on EOF/timeout. */
static bool read_full(int fd, uint8_t *buf, size_t n)
{
    size_t got = 0;
    uint64_t end = now_ms() + DEADLINE_MS;
    while (got < n) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int left = (int)(end - now_ms());
        if (left <= 0 || poll(&p, 1, left) <= 0)
            return false;
        ssize_t r = recv(fd, buf + got, n - got, 0);
        if (r <= 0)
            return false;
        got += (size_t)r;
    }
    return true;
}

static bool tcp_read_msg(int fd, uint8_t *buf, struct dt_msg *m)
{
    uint8_t l[2];
    if (!read_full(fd, l, 2))
        return false;
    size_t len = (size_t)l[0] << 8 | l[1];
    if (!read_full(fd, buf, len))
        return false;
    const char *e = dt_parse(buf, len, m);
    if (e)
        fail_msg("bad TCP response: %s", e);
    return true;
}

/* Waits until the peer closes: true when recv returns 0 (or ECONNRESET) within ms. */
static bool closed_within(int fd, int ms)
{
    uint8_t b[512];
    uint64_t end = now_ms() + (uint64_t)ms;
    for (;;) {
        int left = (int)(end - now_ms());
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (left <= 0 || poll(&p, 1, left) <= 0)
            return false;
        ssize_t r = recv(fd, b, sizeof b, 0);
        if (r == 0 || (r < 0 && errno == ECONNRESET))
            return true;
    }
}

static size_t frame(uint8_t *out, uint16_t id, const char *name, uint16_t type)
{
    size_t n = dt_query(out + 2, id, name, type, DNS_CLASS_IN, -1, false);
    out[0] = (uint8_t)(n >> 8);
    out[1] = (uint8_t)n;
    return n + 2;
}

/* One query over a fresh TCP connection to addr:port; the answer is parsed into m. */
static void tcp_ask(const char *addr, uint16_t port, const char *name, uint16_t type,
                    struct dt_msg *m, uint8_t *buf)
{
    int t = tcp_to(addr, port);
    uint8_t q[600];
    size_t n = frame(q, 1, name, type);
    assert_int_equal(send(t, q, n, 0), (ssize_t)n);
    assert_true(tcp_read_msg(t, buf, m));
    close(t);
}

static void test_udp_answers_and_stats(void **state)
{
    (void)state;
    struct fixture f;
    static uint8_t buf[65536];
    struct dt_msg m;
    start(&f, "127.0.0.1", 0, 0);
    int fd = udp_to("127.0.0.1", f.port);
    udp_ask(fd, "Web.TEST", DNS_TYPE_A, -1, &m, buf);
    assert_int_equal(m.rcode, 0);
    assert_int_equal(m.an, 1);
    assert_string_equal(m.qname, "Web.TEST");
    assert_memory_equal(m.rr[0].rdata, "\x0a\x00\x00\x01", 4);
    udp_ask(fd, "nope.test", DNS_TYPE_A, 1232, &m, buf);
    assert_int_equal(m.rcode, DNS_RCODE_NXDOMAIN);
    assert_true(m.has_opt);
    udp_ask(fd, "big.test", DNS_TYPE_A, -1, &m, buf); /* 200 addresses do not fit */
    assert_true(m.tc);
    assert_int_equal(m.an, 0);
    udp_ask(fd, "big.test", DNS_TYPE_A, 4096, &m, buf); /* nor in 1232 */
    assert_true(m.tc);
    assert_true(m.has_opt);

    /* Garbage: short packets dropped, a response (QR) dropped, bad names FORMERR. */
    uint8_t junk[3] = {1, 2, 3};
    assert_int_equal(send(fd, junk, sizeof junk, 0), 3);
    uint8_t resp[64];
    size_t rn = dt_query(resp, 5, "web.test", 1, 1, -1, false);
    resp[2] |= 0x80;
    assert_int_equal(send(fd, resp, rn, 0), (ssize_t)rn);
    uint8_t bad[] = {0, 7, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xC0, 12, 0, 1, 0, 1};
    assert_int_equal(send(fd, bad, sizeof bad, 0), (ssize_t)sizeof bad);
    ssize_t r = recv_within(fd, buf, 65535, DEADLINE_MS);
    assert_true(r >= 12);
    assert_int_equal(buf[1], 7);
    assert_int_equal(buf[3] & 15, DNS_RCODE_FORMERR);
    /* A datagram bigger than any query: FORMERR, server alive. */
    static uint8_t huge[4000];
    memcpy(huge, bad, 12);
    huge[1] = 8;
    assert_int_equal(send(fd, huge, sizeof huge, 0), (ssize_t)sizeof huge);
    r = recv_within(fd, buf, 65535, DEADLINE_MS);
    assert_true(r >= 12);
    assert_int_equal(buf[1], 8);
    assert_int_equal(buf[3] & 15, DNS_RCODE_FORMERR);
    udp_ask(fd, "web.test", DNS_TYPE_AAAA, -1, &m, buf);
    assert_int_equal(m.an, 1);

    struct dns_stats st;
    uint64_t answered = 0, end = now_ms() + DEADLINE_MS;
    do { /* latency is counted just after the send: wait for the last one */
        dns_server_get_stats(f.s, &st);
        answered = 0;
        for (int i = 0; i < 16; i++)
            answered += st.rcode[i];
    } while (st.latency_count != answered && now_ms() < end);
    assert_true(st.queries_udp >= 9);
    assert_int_equal(st.queries_tcp, 0);
    assert_true(st.rcode[0] >= 4);
    assert_true(st.rcode[DNS_RCODE_NXDOMAIN] >= 1);
    assert_true(st.rcode[DNS_RCODE_FORMERR] >= 2);
    assert_true(st.truncated >= 2);
    assert_true(st.dropped >= 2);
    assert_int_equal(st.latency_count, answered);
    assert_int_equal(st.latency_bucket[DNS_LATENCY_BUCKETS - 1], st.latency_count);
    for (int i = 1; i < DNS_LATENCY_BUCKETS; i++)
        assert_true(st.latency_bucket[i] >= st.latency_bucket[i - 1]);
    assert_true(st.latency_sum > 0);
    assert_true(dns_latency_bounds[DNS_LATENCY_BUCKETS - 1] > 1e300);
    close(fd);
    stop(&f);
}

/* A burst from one client: replies of equal size to the same peer may leave as one GSO send;
 * each must still arrive as its own intact datagram, from the address the query went to. */
static void burst(const char *bind, const char *to)
{
    struct fixture f;
    static uint8_t buf[65536];
    struct dt_msg m;
    enum { N = 200 };
    bool seen[N] = {false};
    start(&f, bind, 0, 0);
    int fd = udp_to(to, f.port);
    int rcvbuf = 1 << 20;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    int got = 0;
    for (int attempt = 0; attempt < 5 && got < N; attempt++) {
        for (int i = 0; i < N; i++) {
            if (seen[i])
                continue;
            uint8_t q[512];
            size_t n = dt_query(q, (uint16_t)i, i % 3 ? "web.test" : "nope.test", DNS_TYPE_A,
                                DNS_CLASS_IN, i % 2 ? 1232 : -1, false);
            assert_int_equal(send(fd, q, n, 0), (ssize_t)n);
        }
        ssize_t r;
        while ((r = recv_within(fd, buf, sizeof buf, 1000)) > 0) {
            const char *e = dt_parse(buf, (size_t)r, &m);
            if (e)
                fail_msg("bad datagram in a burst: %s", e);
            assert_true(m.id < N);
            assert_int_equal(m.has_opt, m.id % 2 == 1);
            assert_int_equal(m.rcode, m.id % 3 ? 0 : DNS_RCODE_NXDOMAIN);
            if (!seen[m.id])
                got++;
            seen[m.id] = true;
            if (got == N)
                break;
        }
    }
    assert_int_equal(got, N);
    close(fd);
    stop(&f);
}

static bool have_ipv6(void)
{
    int probe = socket(AF_INET6, SOCK_DGRAM, 0);
    struct sockaddr_in6 a = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT};
    bool ok = probe >= 0 && bind(probe, (struct sockaddr *)&a, sizeof a) == 0;
    if (probe >= 0)
        close(probe);
    return ok;
}

static void test_udp_burst(void **state)
{
    (void)state;
    burst("127.0.0.1", "127.0.0.1");
    burst("0.0.0.0", "127.0.0.5");
    if (have_ipv6()) {
        burst("::1", "::1");
        burst("::", "127.0.0.7"); /* IPv4 through a dual-stack wildcard socket */
    }
}

static void test_wildcard_replies_from_query_address(void **state)
{
    (void)state;
    struct fixture f;
    static uint8_t buf[65536];
    struct dt_msg m;
    start(&f, "0.0.0.0", 0, 0);
    /* Connected sockets accept replies only from the address they sent to. */
    for (int i = 2; i < 5; i++) {
        char a[32];
        snprintf(a, sizeof a, "127.0.0.%d", i);
        int fd = udp_to(a, f.port);
        udp_ask(fd, "web.test", DNS_TYPE_A, -1, &m, buf);
        assert_int_equal(m.an, 1);
        close(fd);
    }
    tcp_ask("127.0.0.3", f.port, "web.test", DNS_TYPE_A, &m, buf);
    assert_int_equal(m.an, 1);
    stop(&f);
}

static void test_ipv6(void **state)
{
    (void)state;
    if (!have_ipv6())
        skip(); /* no IPv6 loopback here */
    struct fixture f;
    static uint8_t buf[65536];
    struct dt_msg m;
    start(&f, "::1", 0, 0);
    int fd = udp_to("::1", f.port);
    udp_ask(fd, "web.test", DNS_TYPE_AAAA, -1, &m, buf);
    assert_int_equal(m.an, 1);
    assert_int_equal(m.rr[0].rdata[15], 1);
    close(fd);
    tcp_ask("::1", f.port, "web.test", DNS_TYPE_A, &m, buf);
    assert_int_equal(m.an, 1);
    stop(&f);

    /* The IPv6 wildcard takes IPv4 too, and replies from the address asked. */
    start(&f, "::", 0, 0);
    fd = udp_to("127.0.0.6", f.port);
    udp_ask(fd, "web.test", DNS_TYPE_A, -1, &m, buf);
    assert_int_equal(m.an, 1);
    close(fd);
    fd = udp_to("::1", f.port);
    udp_ask(fd, "web.test", DNS_TYPE_A, -1, &m, buf);
    assert_int_equal(m.an, 1);
    close(fd);
    stop(&f);
}

static void test_tcp_pipelined_and_split(void **state)
{
    (void)state;
    struct fixture f;
    static uint8_t buf[65536];
    struct dt_msg m;
    start(&f, "127.0.0.1", 0, 0);
    int t = tcp_to("127.0.0.1", f.port);
    /* Three queries in one write, answered in order. */
    uint8_t q[2048];
    size_t n = 0;
    n += frame(q + n, 11, "web.test", DNS_TYPE_A);
    n += frame(q + n, 12, "big.test", DNS_TYPE_A);
    n += frame(q + n, 13, "nope.test", DNS_TYPE_A);
    assert_int_equal(send(t, q, n, 0), (ssize_t)n);
    assert_true(tcp_read_msg(t, buf, &m));
    assert_int_equal(m.id, 11);
    assert_int_equal(m.an, 1);
    assert_true(tcp_read_msg(t, buf, &m));
    assert_int_equal(m.id, 12);
    assert_false(m.tc);
    assert_int_equal(m.an, 200); /* TCP carries what UDP could not */
    assert_true(tcp_read_msg(t, buf, &m));
    assert_int_equal(m.id, 13);
    assert_int_equal(m.rcode, DNS_RCODE_NXDOMAIN);
    /* One byte at a time, the length prefix split too. */
    n = frame(q, 14, "web.test", DNS_TYPE_AAAA);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(send(t, q + i, 1, 0), 1);
    assert_true(tcp_read_msg(t, buf, &m));
    assert_int_equal(m.id, 14);
    assert_int_equal(m.an, 1);
    /* A malformed query gets FORMERR and the connection goes on. */
    uint8_t bad[] = {0, 18, 0, 15, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xC0, 12, 0, 1, 0, 1};
    assert_int_equal(send(t, bad, sizeof bad, 0), (ssize_t)sizeof bad);
    assert_true(tcp_read_msg(t, buf, &m));
    assert_int_equal(m.id, 15);
    assert_int_equal(m.rcode, DNS_RCODE_FORMERR);
    n = frame(q, 16, "web.test", DNS_TYPE_A);
    assert_int_equal(send(t, q, n, 0), (ssize_t)n);
    assert_true(tcp_read_msg(t, buf, &m));
    assert_int_equal(m.id, 16);
    /* A frame larger than any query closes the connection. */
    uint8_t big[2] = {0xFF, 0xFF};
    assert_int_equal(send(t, big, 2, 0), 2);
    assert_true(closed_within(t, DEADLINE_MS));
    close(t);
    /* A zero-length frame too. */
    t = tcp_to("127.0.0.1", f.port);
    uint8_t zero[2] = {0, 0};
    assert_int_equal(send(t, zero, 2, 0), 2);
    assert_true(closed_within(t, DEADLINE_MS));
    close(t);

    struct dns_stats st;
    dns_server_get_stats(f.s, &st);
    assert_int_equal(st.queries_tcp, 6);
    assert_int_equal(st.tcp_connections_total, 2);
    stop(&f);
}

static void test_tcp_slow_reader(void **state)
{
    (void)state;
    struct fixture f;
    static uint8_t buf[65536];
    struct dt_msg m;
    start(&f, "127.0.0.1", 0, 0);
    int t = tcp_to("127.0.0.1", f.port);
    /* 1500 queries whose answers are 3.2 kB each (about 5 MB): far more than the socket
     * buffers hold, so the server has to keep partial writes and stop reading meanwhile. */
    enum { N = 1500 };
    static uint8_t q[N * 64];
    size_t n = 0;
    for (int i = 0; i < N; i++)
        n += frame(q + n, (uint16_t)i, "big.test", DNS_TYPE_A);
    size_t sent = 0;
    int got = 0;
    int fl = fcntl(t, F_GETFL);
    fcntl(t, F_SETFL, fl | O_NONBLOCK);
    uint64_t end = now_ms() + 30000;
    while (sent < n) {
        ssize_t r = send(t, q + sent, n - sent, 0);
        if (r > 0) {
            sent += (size_t)r;
            continue;
        }
        assert_true(r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK));
        /* Both directions are full: read one answer to make room. */
        fcntl(t, F_SETFL, fl);
        assert_true(tcp_read_msg(t, buf, &m));
        assert_int_equal(m.id, got);
        got++;
        fcntl(t, F_SETFL, fl | O_NONBLOCK);
        assert_true(now_ms() < end);
    }
    fcntl(t, F_SETFL, fl);
    for (; got < N; got++) {
        assert_true(tcp_read_msg(t, buf, &m));
        assert_int_equal(m.id, got);
        assert_int_equal(m.an, 200);
    }
    close(t);
    stop(&f);
}

static void test_tcp_idle_timeout(void **state)
{
    (void)state;
    struct fixture f;
    start(&f, "127.0.0.1", 400, 0);
    uint64_t t0 = now_ms();
    int t = tcp_to("127.0.0.1", f.port);
    assert_true(closed_within(t, DEADLINE_MS));
    uint64_t took = now_ms() - t0;
    assert_true(took >= 350);
    close(t);
    /* Activity (a query every 100 ms) keeps a connection open past the timeout. */
    static uint8_t buf[65536];
    struct dt_msg m;
    t = tcp_to("127.0.0.1", f.port);
    uint8_t q[600];
    t0 = now_ms();
    for (int i = 0; i < 5; i++) {
        struct pollfd p = {.fd = t, .events = POLLIN};
        assert_int_equal(poll(&p, 1, 100), 0); /* nothing, not closed */
        size_t n = frame(q, (uint16_t)i, "web.test", DNS_TYPE_A);
        assert_int_equal(send(t, q, n, 0), (ssize_t)n);
        assert_true(tcp_read_msg(t, buf, &m));
    }
    assert_true(now_ms() - t0 >= 500);
    assert_true(closed_within(t, DEADLINE_MS));
    close(t);
    struct dns_stats st;
    uint64_t end = now_ms() + DEADLINE_MS;
    do {
        dns_server_get_stats(f.s, &st); /* the count drops just after the close is visible */
    } while (st.tcp_connections_open != 0 && now_ms() < end);
    assert_int_equal(st.tcp_connections_open, 0);
    assert_int_equal(st.tcp_connections_total, 2);
    stop(&f);
}

/* A TCP connection to 127.0.0.1:port from the source address src (any of 127/8 works on lo). */
static int tcp_from(const char *src, uint16_t port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in sa = {.sin_family = AF_INET};
    assert_int_equal(inet_pton(AF_INET, src, &sa.sin_addr), 1);
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(port)};
    inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
    assert_int_equal(connect(fd, (struct sockaddr *)&to, sizeof to), 0);
    return fd;
}

static void wait_open(struct fixture *f, uint64_t want, struct dns_stats *st)
{
    uint64_t end = now_ms() + DEADLINE_MS;
    do {
        dns_server_get_stats(f->s, st); /* the count changes just after the close is visible */
    } while (st->tcp_connections_open != want && now_ms() < end);
    assert_int_equal(st->tcp_connections_open, want);
}

/* At the connection cap a new client is served: the least recently active connection makes
 * room (held connections cannot lock new clients out). */
static void test_tcp_connection_cap(void **state)
{
    (void)state;
    struct fixture f;
    static uint8_t buf[65536];
    struct dt_msg m;
    uint8_t q[600];
    start(&f, "127.0.0.1", 0, 16); /* 16 in all, at most 4 per client address */
    int c[17];
    char src[32];
    for (int i = 0; i < 16; i++) {
        snprintf(src, sizeof src, "127.0.1.%d", 1 + i / 4);
        c[i] = tcp_from(src, f.port);
        size_t n = frame(q, (uint16_t)i, "web.test", DNS_TYPE_A);
        assert_int_equal(send(c[i], q, n, 0), (ssize_t)n);
        assert_true(tcp_read_msg(c[i], buf, &m)); /* accepted and served, in this order */
    }
    struct dns_stats st;
    wait_open(&f, 16, &st);
    /* A new client at the cap: served; the least recently active (c[0]) is closed. */
    c[16] = tcp_from("127.0.2.1", f.port);
    size_t n = frame(q, 99, "web.test", DNS_TYPE_A);
    assert_int_equal(send(c[16], q, n, 0), (ssize_t)n);
    assert_true(tcp_read_msg(c[16], buf, &m));
    assert_int_equal(m.id, 99);
    assert_true(closed_within(c[0], DEADLINE_MS));
    wait_open(&f, 16, &st);
    assert_int_equal(st.tcp_connections_evicted, 1);
    assert_int_equal(st.tcp_connections_refused, 0);
    /* c[1] is still open and served. */
    n = frame(q, 5, "web.test", DNS_TYPE_A);
    assert_int_equal(send(c[1], q, n, 0), (ssize_t)n);
    assert_true(tcp_read_msg(c[1], buf, &m));
    assert_int_equal(m.id, 5);
    for (int i = 0; i < 17; i++)
        close(c[i]);
    stop(&f);
}

/* One client address holds at most its share of the cap: a further connection from it closes
 * that client's own least recently active connection, not another client's. */
static void test_tcp_per_client_cap(void **state)
{
    (void)state;
    struct fixture f;
    static uint8_t buf[65536];
    struct dt_msg m;
    uint8_t q[600];
    start(&f, "127.0.0.1", 0, 64); /* 8 per client address */
    int other = tcp_from("127.0.3.9", f.port);
    int c[9];
    for (int i = 0; i < 9; i++) {
        c[i] = tcp_from("127.0.3.1", f.port);
        size_t n = frame(q, (uint16_t)i, "web.test", DNS_TYPE_A);
        assert_int_equal(send(c[i], q, n, 0), (ssize_t)n);
        assert_true(tcp_read_msg(c[i], buf, &m));
    }
    assert_true(closed_within(c[0], DEADLINE_MS));
    struct dns_stats st;
    wait_open(&f, 9, &st); /* 8 of 127.0.3.1, 1 of 127.0.3.9 */
    assert_int_equal(st.tcp_connections_evicted, 1);
    size_t n = frame(q, 42, "web.test", DNS_TYPE_A);
    assert_int_equal(send(other, q, n, 0), (ssize_t)n);
    assert_true(tcp_read_msg(other, buf, &m));
    assert_int_equal(m.id, 42);
    close(other);
    for (int i = 0; i < 9; i++)
        close(c[i]);
    stop(&f);
}

/* A query must arrive whole in time: a client that trickles one byte every 200 ms (each byte
 * would reset an idle timer) is closed about 2 s after its first byte, long before the 10 s idle
 * timeout, while a connection that sent nothing is kept until the idle timeout. */
static void test_tcp_query_time_limit(void **state)
{
    (void)state;
    struct fixture f;
    start(&f, "127.0.0.1", 0, 16);
    int quiet = tcp_from("127.0.4.2", f.port);
    int slow = tcp_from("127.0.4.1", f.port);
    uint8_t q[600];
    size_t n = frame(q, 1, "web.test", DNS_TYPE_A);
    uint64_t t0 = now_ms();
    bool closed = false;
    for (size_t i = 0; i < n && !closed; i++) {
        if (send(slow, q + i, 1, MSG_NOSIGNAL) != 1)
            break;
        closed = closed_within(slow, 200);
    }
    uint64_t took = now_ms() - t0;
    assert_true(closed);
    assert_true(took >= 1500 && took < 4000);
    struct dns_stats st;
    dns_server_get_stats(f.s, &st);
    assert_int_equal(st.tcp_connections_timed_out, 1);
    /* The quiet connection is still open. */
    struct pollfd p = {.fd = quiet, .events = POLLIN};
    assert_int_equal(poll(&p, 1, 0), 0);
    close(slow);
    close(quiet);
    stop(&f);
}

static void test_port_in_use_and_bad_address(void **state)
{
    (void)state;
    struct records *t = make_table();
    char err[256];
    /* TCP taken. */
    int busy = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(bind(busy, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(busy, 1), 0);
    socklen_t al = sizeof a;
    getsockname(busy, (struct sockaddr *)&a, &al);
    uint16_t port = ntohs(a.sin_port);
    struct dns_server_config cfg = {
        .bind_address = "127.0.0.1", .port = port, .workers = 1, .ttl = 60};
    errno = 0;
    assert_null(dns_server_start(&cfg, t, err, sizeof err));
    assert_int_equal(errno, EADDRINUSE);
    char want[64];
    snprintf(want, sizeof want, "DNS port %u on 127.0.0.1 is already in use", port);
    assert_non_null(strstr(err, want));
    close(busy);
    /* UDP taken (by a socket without SO_REUSEPORT). */
    busy = socket(AF_INET, SOCK_DGRAM, 0);
    a.sin_port = 0;
    assert_int_equal(bind(busy, (struct sockaddr *)&a, sizeof a), 0);
    al = sizeof a;
    getsockname(busy, (struct sockaddr *)&a, &al);
    cfg.port = ntohs(a.sin_port);
    errno = 0;
    struct dns_server *s = dns_server_start(&cfg, t, err, sizeof err);
    if (s) {
        /* The TCP port happened to be taken by nobody but UDP must have failed. */
        dns_server_stop(s);
        fail_msg("started on a busy UDP port");
    }
    assert_int_equal(errno, EADDRINUSE);
    assert_non_null(strstr(err, "already in use"));
    close(busy);
    cfg.bind_address = "banana";
    assert_null(dns_server_start(&cfg, t, err, sizeof err));
    assert_int_equal(errno, EINVAL);
    assert_non_null(strstr(err, "banana"));
    cfg.bind_address = "127.0.0.1";
    const char *doms[] = {"bad..domain"};
    cfg.domains = doms;
    cfg.n_domains = 1;
    assert_null(dns_server_start(&cfg, t, err, sizeof err));
    assert_non_null(strstr(err, "bad..domain"));
    records_free(t);
}

/* dns_server_probe answers exactly what a TCP client gets (same rcode, same addresses in the
 * same order, all 200 of a big name), and reports the zone, apex and negative cases. */
static void test_probe_matches_the_wire(void **state)
{
    (void)state;
    struct fixture f;
    start(&f, "127.0.0.1", 0, 0);
    static const struct {
        const char *name;
        uint16_t type;
    } cases[] = {{"web.test", DNS_TYPE_A}, {"web.test", DNS_TYPE_AAAA}, {"WEB.test", DNS_TYPE_ANY},
                 {"big.test", DNS_TYPE_A}, {"nope.test", DNS_TYPE_A},   {"test", DNS_TYPE_A},
                 {"web.test", 16}};
    uint8_t *buf = malloc(65536 + 2);
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        struct dt_msg m;
        tcp_ask("127.0.0.1", f.port, cases[c].name, cases[c].type, &m, buf);
        struct dns_probe p;
        assert_int_equal(dns_server_probe(f.s, cases[c].name, cases[c].type, &p), 0);
        assert_int_equal(p.rcode, m.rcode);
        assert_int_equal(p.aa, m.aa);
        assert_int_equal(p.n_answers, m.an);
        assert_int_equal(p.zone, -1);
        /* the wire answer is rotated per query: compare as sets */
        for (size_t i = 0; i < m.an; i++) {
            bool found = false;
            for (size_t k = 0; k < p.n_answers; k++)
                found |= p.answers[k].addr.type == m.rr[i].type &&
                         memcmp(p.answers[k].addr.bytes, m.rr[i].rdata, m.rr[i].rdlen) == 0 &&
                         p.answers[k].ttl == m.rr[i].ttl;
            assert_true(found);
        }
        dns_probe_free(&p);
    }
    struct dns_probe p;
    assert_int_equal(dns_server_probe(f.s, "big.test", DNS_TYPE_A, &p), 0);
    assert_int_equal(p.n_answers, 200);
    assert_int_equal(p.n_a, 200);
    assert_true(p.name_exists);
    dns_probe_free(&p);
    assert_int_equal(dns_server_probe(f.s, "test", DNS_TYPE_A, &p), 0);
    assert_true(p.name_exists && p.n_a == 0 && p.rcode == 0); /* empty non-terminal */
    dns_probe_free(&p);
    assert_int_equal(dns_server_probe(f.s, "bad..name", DNS_TYPE_A, &p), -EINVAL);
    assert_int_equal(dns_server_probe(f.s, "web.test", DNS_TYPE_AXFR, &p), 0);
    assert_int_equal(p.rcode, DNS_RCODE_REFUSED);
    free(buf);
    stop(&f);

    /* with domains and the drop action: SOA, zone index, apex, REFUSED outside, drop */
    char err[256];
    const char *doms[] = {"other.example", "test"};
    struct dns_server_config cfg = {.bind_address = "127.0.0.1",
                                    .workers = 1,
                                    .ttl = 30,
                                    .unknown_action = DNS_UNKNOWN_DROP,
                                    .domains = doms,
                                    .n_domains = 2};
    f.t = make_table();
    records_set_policy(f.t, &(struct rec_policy){.default_ttl = 30, .ptr = REC_PTR_HOSTS});
    f.s = dns_server_start(&cfg, f.t, err, sizeof err);
    assert_non_null(f.s);
    assert_int_equal(dns_server_probe(f.s, "nope.test", DNS_TYPE_A, &p), 0);
    assert_int_equal(p.rcode, DNS_RCODE_NXDOMAIN);
    assert_true(p.soa_authority && !p.soa_answer && p.zone == 1 && !p.zone_apex);
    dns_probe_free(&p);
    assert_int_equal(dns_server_probe(f.s, "test", DNS_TYPE_SOA, &p), 0);
    assert_true(p.rcode == 0 && p.soa_answer && p.zone == 1 && p.zone_apex);
    dns_probe_free(&p);
    assert_int_equal(dns_server_probe(f.s, "web.test", DNS_TYPE_A, &p), 0);
    assert_true(p.n_answers == 1 && p.answers[0].ttl == 30);
    dns_probe_free(&p);
    assert_int_equal(dns_server_probe(f.s, "outside.invalid", DNS_TYPE_A, &p), 0);
    assert_int_equal(p.rcode, -1); /* outside every domain with DNS_UNKNOWN_DROP */
    dns_probe_free(&p);
    stop(&f);
}

static void test_stop_is_fast(void **state)
{
    (void)state;
    struct fixture f;
    start(&f, "127.0.0.1", 0, 0);
    /* An open TCP connection and a busy worker do not delay the stop. */
    int t = tcp_to("127.0.0.1", f.port);
    int u = udp_to("127.0.0.1", f.port);
    uint8_t q[512];
    size_t n = dt_query(q, 1, "web.test", 1, 1, -1, false);
    for (int i = 0; i < 100; i++)
        send(u, q, n, 0);
    uint64_t t0 = now_ms();
    dns_server_stop(f.s);
    uint64_t took = now_ms() - t0;
    print_message("dns_server_stop took %llu ms\n", (unsigned long long)took);
    assert_true(took < 1000); /* typically ~1 ms; generous for loaded test machines */
    assert_true(closed_within(t, DEADLINE_MS));
    close(t);
    close(u);
    records_free(f.t);
}

int main(void)
{
    srand((unsigned)time(NULL));
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_udp_answers_and_stats),
        cmocka_unit_test(test_probe_matches_the_wire),
        cmocka_unit_test(test_udp_burst),
        cmocka_unit_test(test_wildcard_replies_from_query_address),
        cmocka_unit_test(test_ipv6),
        cmocka_unit_test(test_tcp_pipelined_and_split),
        cmocka_unit_test(test_tcp_slow_reader),
        cmocka_unit_test(test_tcp_idle_timeout),
        cmocka_unit_test(test_tcp_connection_cap),
        cmocka_unit_test(test_tcp_per_client_cap),
        cmocka_unit_test(test_tcp_query_time_limit),
        cmocka_unit_test(test_port_in_use_and_bad_address),
        cmocka_unit_test(test_stop_is_fast),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
