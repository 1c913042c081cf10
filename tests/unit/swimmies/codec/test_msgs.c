/* test_msgs.c — memberlist message encoders/decoders against captured and Go-produced bytes,
 * tolerant decoding, and hostile input (truncations, huge lengths, nesting bombs). */
#include "testutil.h"

#include "go_vectors.h"
#include "swimmies/proto.h"

/* Captures from memberlist-wire.md (serf 0.9.4 / memberlist 0.2.2 on loopback). */
static const char CAP_PING[] = /* b -> a, no CRC, 59 bytes */
    "00 85 a4 4e 6f 64 65 a1 61 a5 53 65 71 4e 6f 01 aa 53 6f 75 72 63 65 41 64 64 72 a4 7f 00 00 "
    "02"
    "aa 53 6f 75 72 63 65 4e 6f 64 65 a1 62 aa 53 6f 75 72 63 65 50 6f 72 74 cd 1f 0a";
static const char CAP_ALIVE_CRC[] = /* alive for c gossiped a -> c, hasCrc, 64 bytes */
    "0c 1f 88 98 8b 04 86 a4 41 64 64 72 a4 7f 00 00 03 ab 49 6e 63 61 72 6e 61 74 69 6f 6e 01 a4 "
    "4d"
    "65 74 61 a2 ff 80 a4 4e 6f 64 65 a1 63 a4 50 6f 72 74 cd 1f 0a a3 56 73 6e a6 01 05 02 02 05 "
    "05";
static const char CAP_NACK[] = "0b 81 a5 53 65 71 4e 6f 08";
/* The Go node's push/pull request after decompression. */
static const char CAP_PUSHPULL[] = "06 83 a4 4a 6f 69 6e c3 a5 4e 6f 64 65 73 01 ac 55 73 65 72 53 "
                                   "74 61 74 65 4c 65 6e 00 87 a4 41"
                                   "64 64 72 a4 7f 00 00 03 ab 49 6e 63 61 72 6e 61 74 69 6f 6e 01 "
                                   "a4 4d 65 74 61 c0 a4 4e 61 6d 65"
                                   "a6 67 6f 6e 6f 64 65 a4 50 6f 72 74 cd 1f 0a a5 53 74 61 74 65 "
                                   "00 a3 56 73 6e a6 01 05 02 02 05"
                                   "04";
/* The indirect ping capture is abbreviated in the document; these are its visible first 32 and
 * last 21 bytes, compared with the Go re-encoding of the same message. */
static const char CAP_INDIRECT_HEAD[] = "01 88 a4 4e 61 63 6b c3 a4 4e 6f 64 65 a1 61 a4 50 6f 72 "
                                        "74 cd 1f 0a a5 53 65 71 4e 6f 08 aa 53";
static const char CAP_INDIRECT_TAIL[] =
    "63 65 50 6f 72 74 cd 1f 0a a6 54 61 72 67 65 74 a4 7f 00 00 01";

static const uint8_t IP1[] = {127, 0, 0, 1};
static const uint8_t IP2[] = {127, 0, 0, 2};
static const uint8_t IP3[] = {127, 0, 0, 3};

static void assert_bytes(struct swim_bytes b, const void *want, size_t len)
{
    assert_int_equal(b.len, len);
    if (len)
        assert_memory_equal(b.p, want, len);
}

static void assert_str(struct swim_bytes b, const char *s)
{
    assert_true(swim_bytes_eq_str(b, s));
}

/* Encoded output must equal want exactly, and every smaller capacity must fail cleanly without
 * writing past it. */
typedef ssize_t (*encode_fn)(uint8_t *buf, size_t cap, const void *msg);

static void assert_encodes_to(encode_fn fn, const void *msg, const struct hexbuf *want)
{
    uint8_t buf[4096];
    memset(buf, 0xee, sizeof buf);
    ssize_t n = fn(buf, sizeof buf, msg);
    assert_int_equal(n, (ssize_t)want->len);
    assert_memory_equal(buf, want->p, want->len);
    for (size_t cap = 0; cap < want->len; cap++) {
        memset(buf, 0xee, sizeof buf);
        assert_int_equal(fn(buf, cap, msg), -1);
        for (size_t i = cap; i < want->len + 8; i++)
            assert_int_equal(buf[i], 0xee);
    }
}

/* Typed encoders behind one signature for assert_encodes_to. */
#define WRAP(name, T)                                                                              \
    static ssize_t enc_##name(uint8_t *b, size_t c, const void *m)                                 \
    {                                                                                              \
        return swim_encode_##name(b, c, (const T *)m);                                             \
    }
WRAP(ping, struct swim_ping)
WRAP(indirect_ping, struct swim_indirect_ping)
WRAP(ack, struct swim_ack)
WRAP(nack, struct swim_nack)
WRAP(suspect, struct swim_suspect)
WRAP(dead, struct swim_dead)
WRAP(alive, struct swim_alive)
WRAP(err, struct swim_err)
WRAP(user_header, struct swim_user_header)
WRAP(push_pull_header, struct swim_push_pull_header)
WRAP(push_node, struct swim_push_node)
WRAP(compress, struct swim_compress)
#define ENC(fn) enc_##fn

static void test_ping_capture(void **state)
{
    (void)state;
    struct hexbuf b = unhex(CAP_PING);
    assert_int_equal(b.len, 59);
    assert_int_equal(b.p[0], SWIM_MSG_PING);
    struct swim_ping m;
    size_t used = 0;
    assert_int_equal(swim_decode_ping(b.p + 1, b.len - 1, &m, &used), SWIM_OK);
    assert_int_equal(used, b.len - 1);
    assert_int_equal(m.seq_no, 1);
    assert_str(m.node, "a");
    assert_bytes(m.source_addr, IP2, 4);
    assert_int_equal(m.source_port, 7946);
    assert_str(m.source_node, "b");
    assert_encodes_to(ENC(ping), &m, &b);
    /* the Go re-encoding of the same struct is the same bytes */
    struct hexbuf g = unhex(GO_PING_CAPTURE);
    assert_int_equal(g.len, b.len);
    assert_memory_equal(g.p, b.p, b.len);
    free(g.p);
    free(b.p);
}

static void test_alive_capture(void **state)
{
    (void)state;
    struct hexbuf b = unhex(CAP_ALIVE_CRC);
    assert_int_equal(b.len, 64);
    assert_int_equal(b.p[0], SWIM_MSG_HAS_CRC);
    uint32_t crc = (uint32_t)b.p[1] << 24 | (uint32_t)b.p[2] << 16 | (uint32_t)b.p[3] << 8 | b.p[4];
    assert_int_equal(crc, 0x1f88988bu);
    assert_int_equal(swim_crc32(b.p + 5, b.len - 5), crc);
    assert_int_equal(b.p[5], SWIM_MSG_ALIVE);
    struct swim_alive m;
    assert_int_equal(swim_decode_alive(b.p + 6, b.len - 6, &m, NULL), SWIM_OK);
    assert_int_equal(m.incarnation, 1);
    assert_str(m.node, "c");
    assert_bytes(m.addr, IP3, 4);
    assert_int_equal(m.port, 7946);
    assert_bytes(m.meta, "\xff\x80", 2);
    assert_int_equal(m.vsn_len, 6);
    static const uint8_t vsn[] = {1, 5, 2, 2, 5, 5};
    assert_memory_equal(m.vsn, vsn, 6);
    struct hexbuf inner = {exact_copy(b.p + 5, b.len - 5), b.len - 5};
    assert_encodes_to(ENC(alive), &m, &inner);
    /* and with the CRC wrapper the whole capture */
    uint8_t buf[128];
    assert_int_equal(swim_crc_wrap(buf, sizeof buf, inner.p, inner.len), 64);
    assert_memory_equal(buf, b.p, 64);
    assert_int_equal(swim_crc_wrap(buf, 63, inner.p, inner.len), -1);
    free(inner.p);
    free(b.p);
}

static void test_nack_capture(void **state)
{
    (void)state;
    struct hexbuf b = unhex(CAP_NACK);
    struct swim_nack m;
    assert_int_equal(swim_decode_nack(b.p + 1, b.len - 1, &m, NULL), SWIM_OK);
    assert_int_equal(m.seq_no, 8);
    assert_encodes_to(ENC(nack), &m, &b);
    free(b.p);
}

static void test_indirect_capture(void **state)
{
    (void)state;
    struct hexbuf g = unhex(GO_INDIRECT_CAPTURE);
    struct hexbuf head = unhex(CAP_INDIRECT_HEAD), tail = unhex(CAP_INDIRECT_TAIL);
    assert_int_equal(g.len, 85); /* the captured length */
    assert_memory_equal(g.p, head.p, head.len);
    assert_memory_equal(g.p + g.len - tail.len, tail.p, tail.len);
    struct swim_indirect_ping m;
    assert_int_equal(swim_decode_indirect_ping(g.p + 1, g.len - 1, &m, NULL), SWIM_OK);
    assert_int_equal(m.seq_no, 8);
    assert_bytes(m.target, IP1, 4);
    assert_int_equal(m.port, 7946);
    assert_str(m.node, "a");
    assert_true(m.nack);
    assert_bytes(m.source_addr, IP2, 4);
    assert_int_equal(m.source_port, 7946);
    assert_str(m.source_node, "b");
    assert_encodes_to(ENC(indirect_ping), &m, &g);
    free(g.p);
    free(head.p);
    free(tail.p);
}

static void test_pushpull_capture(void **state)
{
    (void)state;
    struct hexbuf b = unhex(CAP_PUSHPULL);
    struct swim_push_pull_header h;
    size_t used;
    assert_int_equal(swim_decode_push_pull_header(b.p + 1, b.len - 1, &h, &used), SWIM_OK);
    assert_true(h.join);
    assert_int_equal(h.nodes, 1);
    assert_int_equal(h.user_state_len, 0);
    struct hexbuf hb = {exact_copy(b.p, 1 + used), 1 + used};
    assert_encodes_to(ENC(push_pull_header), &h, &hb);
    struct swim_push_node n;
    size_t used2;
    assert_int_equal(swim_decode_push_node(b.p + 1 + used, b.len - 1 - used, &n, &used2), SWIM_OK);
    assert_int_equal(1 + used + used2, b.len);
    assert_str(n.name, "gonode");
    assert_bytes(n.addr, IP3, 4);
    assert_int_equal(n.port, 7946);
    assert_null(n.meta.p); /* nil */
    assert_int_equal(n.incarnation, 1);
    assert_int_equal(n.state, SWIM_STATE_ALIVE);
    static const uint8_t vsn[] = {1, 5, 2, 2, 5, 4};
    assert_memory_equal(n.vsn, vsn, 6);
    struct hexbuf nb = {exact_copy(b.p + 1 + used, used2), used2};
    assert_encodes_to(ENC(push_node), &n, &nb);
    free(nb.p);
    free(hb.p);
    free(b.p);
}

/* Decode a Go vector with the given decoder, re-encode, compare. */
#define ROUNDTRIP(T, name, hex)                                                                    \
    do {                                                                                           \
        struct hexbuf g_ = unhex(hex);                                                             \
        T m_;                                                                                      \
        size_t u_ = 0;                                                                             \
        assert_int_equal(swim_decode_##name(g_.p + 1, g_.len - 1, &m_, &u_), SWIM_OK);             \
        assert_int_equal(u_, g_.len - 1);                                                          \
        assert_encodes_to(ENC(name), &m_, &g_);                                                    \
        free(g_.p);                                                                                \
    } while (0)

static void test_go_vectors_roundtrip(void **state)
{
    (void)state;
    ROUNDTRIP(struct swim_ping, ping, GO_PING_CAPTURE);
    ROUNDTRIP(struct swim_ping, ping, GO_PING_MIN);
    ROUNDTRIP(struct swim_ping, ping, GO_PING_BIG);
    ROUNDTRIP(struct swim_ping, ping, GO_PING_U8);
    ROUNDTRIP(struct swim_ping, ping, GO_PING_U16);
    ROUNDTRIP(struct swim_indirect_ping, indirect_ping, GO_INDIRECT_NIL);
    ROUNDTRIP(struct swim_ack, ack, GO_ACK_NIL);
    ROUNDTRIP(struct swim_ack, ack, GO_ACK_EMPTY);
    ROUNDTRIP(struct swim_ack, ack, GO_ACK_PAYLOAD);
    ROUNDTRIP(struct swim_nack, nack, GO_NACK);
    ROUNDTRIP(struct swim_suspect, suspect, GO_SUSPECT);
    ROUNDTRIP(struct swim_dead, dead, GO_DEAD);
    ROUNDTRIP(struct swim_alive, alive, GO_ALIVE_CAPTURE);
    ROUNDTRIP(struct swim_alive, alive, GO_ALIVE_NILMETA);
    ROUNDTRIP(struct swim_alive, alive, GO_ALIVE_BIGMETA);
    ROUNDTRIP(struct swim_err, err, GO_ERR);
    ROUNDTRIP(struct swim_user_header, user_header, GO_USER_HEADER);
    ROUNDTRIP(struct swim_push_pull_header, push_pull_header, GO_PP_HEADER);
    ROUNDTRIP(struct swim_push_pull_header, push_pull_header, GO_PP_HEADER_BIG);
}

/* Encoding from fresh structs (not decoded ones) gives Go's bytes. */
static void test_encode_from_structs(void **state)
{
    (void)state;
    uint8_t ip6[16] = {0};
    ip6[15] = 1;
    struct swim_ping big = {.seq_no = 4294967295u,
                            .node = swim_str("node-with-a-rather-long-name-over-31-bytes"),
                            .source_addr = swim_mem(ip6, 16),
                            .source_port = 65535,
                            .source_node = swim_str("x")};
    struct hexbuf g = unhex(GO_PING_BIG);
    assert_encodes_to(ENC(ping), &big, &g);
    free(g.p);

    struct swim_ack nil = {.seq_no = 5};
    g = unhex(GO_ACK_NIL);
    assert_encodes_to(ENC(ack), &nil, &g);
    free(g.p);
    struct swim_ack empty = {.seq_no = 5, .payload = swim_mem("", 0)};
    g = unhex(GO_ACK_EMPTY);
    assert_encodes_to(ENC(ack), &empty, &g);
    free(g.p);

    struct swim_indirect_ping ip = {.seq_no = 300, .port = 1};
    g = unhex(GO_INDIRECT_NIL);
    assert_encodes_to(ENC(indirect_ping), &ip, &g);
    free(g.p);

    struct swim_dead d = {.incarnation = 65536, .node = swim_str("c"), .from = swim_str("c")};
    g = unhex(GO_DEAD);
    assert_encodes_to(ENC(dead), &d, &g);
    free(g.p);

    struct swim_alive a = {.incarnation = 256,
                           .node = swim_str("gonode"),
                           .addr = swim_mem(IP3, 4),
                           .port = 7946,
                           .vsn = {1, 5, 2, 0, 0, 0}};
    g = unhex(GO_ALIVE_NILMETA);
    assert_encodes_to(ENC(alive), &a, &g);
    free(g.p);

    struct swim_err e = {swim_str(swim_strerror(SWIM_EPLAINTEXT))};
    g = unhex(GO_ERR);
    assert_encodes_to(ENC(err), &e, &g);
    free(g.p);

    struct swim_push_pull_header h = {.nodes = 300, .user_state_len = 588, .join = false};
    g = unhex(GO_PP_HEADER_BIG);
    assert_encodes_to(ENC(push_pull_header), &h, &g);
    free(g.p);

    struct swim_compress c = {0, swim_mem("\x00\x03\x02", 3)};
    g = unhex(GO_COMPRESS_EMPTY);
    assert_encodes_to(ENC(compress), &c, &g);
    free(g.p);

    uint8_t buf[64];
    assert_int_equal(swim_encode_user_udp(buf, sizeof buf, (const uint8_t *)"xyz", 3), 4);
    assert_memory_equal(buf, "\x08xyz", 4);
    assert_int_equal(swim_encode_user_udp(buf, 3, (const uint8_t *)"xyz", 3), -1);
}

/* Tolerant decoding: other int widths (signed too), str8/bin, any key order, unknown keys with
 * nested values, Vsn as an array, nil values. */
static void test_tolerant_decode(void **state)
{
    (void)state;
    struct hexbuf b = unhex(
        "89"                             /* map of 9 */
        "aa536f75726365506f7274 d1 1f0a" /* SourcePort int16 7946 */
        "a5 55 6e 6b 6e 6f 82 a1 78 93 01 02 c0 a1 79 81 a1 7a c7 02 05 aa bb" /* Unkno: nested */
        "a4 4e 6f 64 65 d9 01 61"                                              /* Node as str8 */
        "a5 53 65 71 4e 6f d3 00 00 00 00 ff ff ff ff"                         /* SeqNo int64 */
        "aa 53 6f 75 72 63 65 41 64 64 72 c4 04 7f 00 00 02"                   /* SourceAddr bin8 */
        "aa 53 6f 75 72 63 65 4e 6f 64 65 c0"                                  /* SourceNode nil */
        "a3 46 6c 74 cb 40 09 21 fb 54 44 2d 18" /* Flt: float64 skipped */
        "a3 45 78 74 d6 01 01 02 03 04"          /* Ext: fixext4 skipped */
        "a3 42 69 6e c6 00 00 00 02 aa bb"       /* Bin: bin32 skipped */
    );
    struct swim_ping m;
    size_t used;
    assert_int_equal(swim_decode_ping(b.p, b.len, &m, &used), SWIM_OK);
    assert_int_equal(used, b.len);
    assert_int_equal(m.source_port, 7946);
    assert_int_equal(m.seq_no, 0xffffffffu);
    assert_str(m.node, "a");
    assert_bytes(m.source_addr, IP2, 4);
    assert_null(m.source_node.p);
    free(b.p);

    /* alive with Vsn as an array of ints, map16 header, fields reordered, uint64 port */
    b = unhex(
        "de 00 03 a3 56 73 6e 96 01 05 02 cc 02 05 04 a4 50 6f 72 74 cf 00 00 00 00 00 00 1f 0a"
        "a4 4e 6f 64 65 a1 6e");
    struct swim_alive a;
    assert_int_equal(swim_decode_alive(b.p, b.len, &a, NULL), SWIM_OK);
    assert_int_equal(a.vsn_len, 6);
    static const uint8_t vsn[] = {1, 5, 2, 2, 5, 4};
    assert_memory_equal(a.vsn, vsn, 6);
    assert_int_equal(a.port, 7946);
    assert_str(a.node, "n");
    assert_null(a.addr.p);
    free(b.p);

    /* Vsn longer than 6 bytes: first 6 kept */
    b = unhex("81 a3 56 73 6e a8 01 02 03 04 05 06 07 08");
    assert_int_equal(swim_decode_alive(b.p, b.len, &a, NULL), SWIM_OK);
    assert_int_equal(a.vsn_len, 6);
    assert_int_equal(a.vsn[5], 6);
    free(b.p);

    /* Nack as bool from integer, trailing bytes ignored */
    b = unhex("81 a4 4e 61 63 6b 01 ff ff");
    struct swim_indirect_ping ip;
    size_t u;
    assert_int_equal(swim_decode_indirect_ping(b.p, b.len, &ip, &u), SWIM_OK);
    assert_true(ip.nack);
    assert_int_equal(u, 7);
    free(b.p);

    /* nil in place of the whole map is the zero message */
    uint8_t nil = 0xc0;
    struct swim_nack n = {.seq_no = 9};
    assert_int_equal(swim_decode_nack(&nil, 1, &n, NULL), SWIM_OK);
    assert_int_equal(n.seq_no, 0);
    /* negative-fixint 0 encodings: d0 00 is zero */
    b = unhex("81 a5 53 65 71 4e 6f d0 00");
    assert_int_equal(swim_decode_nack(b.p, b.len, &n, NULL), SWIM_OK);
    assert_int_equal(n.seq_no, 0);
    free(b.p);
}

static void test_rejects_bad_values(void **state)
{
    (void)state;
    static const char *bad[] = {
        "81 a5 53 65 71 4e 6f ff",                         /* SeqNo -1 */
        "81 a5 53 65 71 4e 6f d2 ff ff ff fe",             /* SeqNo int32 -2 */
        "81 a5 53 65 71 4e 6f cf 00 00 00 01 00 00 00 00", /* SeqNo 2^32 */
        "81 a5 53 65 71 4e 6f a1 31",                      /* SeqNo as a string */
        "91 01",                                           /* an array, not a map */
        "81 01 02",                                        /* integer key */
        "81 a1 78 c1",                                     /* reserved tag */
        "a3 61 62 63",                                     /* a string */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct hexbuf b = unhex(bad[i]);
        struct swim_nack n;
        assert_int_equal(swim_decode_nack(b.p, b.len, &n, NULL), SWIM_EMALFORMED);
        free(b.p);
    }
    struct hexbuf b = unhex("81 a4 50 6f 72 74 ce 00 01 00 00"); /* Port 65536 */
    struct swim_alive a;
    assert_int_equal(swim_decode_alive(b.p, b.len, &a, NULL), SWIM_EMALFORMED);
    free(b.p);
    b = unhex("81 a5 53 74 61 74 65 cd 01 00"); /* State 256 */
    struct swim_push_node pn;
    assert_int_equal(swim_decode_push_node(b.p, b.len, &pn, NULL), SWIM_EMALFORMED);
    free(b.p);
    b = unhex("81 a3 56 73 6e 92 01 cd 01 00"); /* Vsn element 256 */
    assert_int_equal(swim_decode_alive(b.p, b.len, &a, NULL), SWIM_EMALFORMED);
    free(b.p);
}

/* Every proper prefix of a valid message decodes as truncated, never reading past it. */
static void check_prefixes(const char *hex)
{
    struct hexbuf g = unhex(hex);
    for (size_t n = 0; n + 1 < g.len; n++) {
        uint8_t *p = exact_copy(g.p + 1, n);
        union {
            struct swim_ping ping;
            struct swim_indirect_ping ip;
            struct swim_alive alive;
            struct swim_push_pull_header h;
            struct swim_ack ack;
            struct swim_err err;
        } m;
        int rc;
        switch (g.p[0]) {
        case SWIM_MSG_PING:
            rc = swim_decode_ping(p, n, &m.ping, NULL);
            break;
        case SWIM_MSG_INDIRECT_PING:
            rc = swim_decode_indirect_ping(p, n, &m.ip, NULL);
            break;
        case SWIM_MSG_ALIVE:
            rc = swim_decode_alive(p, n, &m.alive, NULL);
            break;
        case SWIM_MSG_PUSH_PULL:
            rc = swim_decode_push_pull_header(p, n, &m.h, NULL);
            break;
        case SWIM_MSG_ACK:
            rc = swim_decode_ack(p, n, &m.ack, NULL);
            break;
        default:
            rc = swim_decode_err(p, n, &m.err, NULL);
            break;
        }
        assert_int_equal(rc, SWIM_ETRUNC);
        free(p);
    }
    free(g.p);
}

static void test_truncations(void **state)
{
    (void)state;
    check_prefixes(GO_PING_BIG);
    check_prefixes(GO_INDIRECT_CAPTURE);
    check_prefixes(GO_ALIVE_BIGMETA);
    check_prefixes(GO_PP_HEADER_BIG);
    check_prefixes(GO_ACK_PAYLOAD);
    check_prefixes(GO_ERR);
}

static void test_hostile_lengths_and_nesting(void **state)
{
    (void)state;
    /* str32 claiming 4 GiB, map32 claiming 4 G entries, array32 in an unknown key */
    static const char *bad[] = {
        "81 a4 4e 6f 64 65 db ff ff ff ff 61",
        "df ff ff ff ff a4 4e 6f 64 65",
        "81 a1 78 dd ff ff ff ff 01",
        "81 a1 78 c9 ff ff ff ff 01 02",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct hexbuf b = unhex(bad[i]);
        struct swim_ping m;
        assert_true(swim_decode_ping(b.p, b.len, &m, NULL) < 0);
        free(b.p);
    }
    /* nesting bomb: an unknown key holding 10000 nested one-element arrays */
    size_t depth = 10000;
    size_t len = 3 + depth + 1;
    uint8_t *p = malloc(len);
    assert_non_null(p);
    p[0] = 0x81;
    p[1] = 0xa1;
    p[2] = 'x';
    memset(p + 3, 0x91, depth);
    p[len - 1] = 0x01;
    struct swim_ping m;
    assert_int_equal(swim_decode_ping(p, len, &m, NULL), SWIM_EMALFORMED);
    free(p);
    /* moderate nesting (within the limit) is skipped fine */
    uint8_t ok[3 + 10 + 1 + 9] = {0x82, 0xa1, 'x'};
    memset(ok + 3, 0x91, 10);
    ok[13] = 0x01;
    memcpy(ok + 14, "\xa5SeqNo\x2a", 7);
    assert_int_equal(swim_decode_ping(ok, 21, &m, NULL), SWIM_OK);
    assert_int_equal(m.seq_no, 42);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ping_capture),
        cmocka_unit_test(test_alive_capture),
        cmocka_unit_test(test_nack_capture),
        cmocka_unit_test(test_indirect_capture),
        cmocka_unit_test(test_pushpull_capture),
        cmocka_unit_test(test_go_vectors_roundtrip),
        cmocka_unit_test(test_encode_from_structs),
        cmocka_unit_test(test_tolerant_decode),
        cmocka_unit_test(test_rejects_bad_values),
        cmocka_unit_test(test_truncations),
        cmocka_unit_test(test_hostile_lengths_and_nesting),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
