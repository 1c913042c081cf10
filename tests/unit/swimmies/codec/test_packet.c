/* test_packet.c — UDP packet layers (compound, hasCrc, compress, encryption) through the walker,
 * and the TCP stream reader/writer, against Go-produced bytes and hostile input. */
#include "testutil.h"

#include "go_vectors.h"
#include "swimmies/keyring.h"
#include "swimmies/proto.h"

/* serf user event gossiped by b (memberlist-wire.md): hasCrc + user + serf userEvent */
static const char CAP_USER_EVENT[] =
    "0c ef 13 91 1f 08 03 84 a2 43 43 c3 a5 4c 54 69 6d 65 01 a4 4e 61 6d 65 a9 64 65 70 6c 6f 79 "
    "2d"
    "76 31 a7 50 61 79 6c 6f 61 64 ac 68 65 6c 6c 6f 2d 66 72 6f 6d 2d 62";

static uint8_t scratch[1 << 17];

static void test_compound_matches_go(void **state)
{
    (void)state;
    struct hexbuf ping = unhex(GO_PING_CAPTURE), sus = unhex(GO_SUSPECT);
    struct hexbuf comp = unhex(GO_COMPOUND), crc = unhex(GO_CRC_COMPOUND);
    struct swim_bytes parts[2] = {{ping.p, ping.len}, {sus.p, sus.len}};
    uint8_t buf[256];
    assert_int_equal(swim_compound_build(buf, sizeof buf, parts, 2), (ssize_t)comp.len);
    assert_memory_equal(buf, comp.p, comp.len);
    assert_int_equal(swim_compound_build(buf, comp.len - 1, parts, 2), -1);
    uint8_t buf2[256];
    assert_int_equal(swim_crc_wrap(buf2, sizeof buf2, buf, comp.len), (ssize_t)crc.len);
    assert_memory_equal(buf2, crc.p, crc.len);

    /* walk it: ping then suspect, CRC seen */
    struct collected c = {0};
    struct swim_walk_stats st;
    assert_int_equal(swim_packet_walk(crc.p, crc.len, scratch, sizeof scratch, collect_cb, &c, &st),
                     SWIM_OK);
    assert_true(st.had_crc);
    assert_int_equal(c.n, 2);
    assert_int_equal(c.type[0], SWIM_MSG_PING);
    assert_int_equal(c.len[0], ping.len - 1);
    assert_memory_equal(c.body[0], ping.p + 1, ping.len - 1);
    assert_int_equal(c.type[1], SWIM_MSG_SUSPECT);
    struct swim_suspect s;
    assert_int_equal(swim_decode_suspect(c.body[1], c.len[1], &s, NULL), SWIM_OK);
    assert_true(swim_bytes_eq_str(s.node, "a") && swim_bytes_eq_str(s.from, "b"));

    /* a corrupted byte anywhere after the header fails the CRC and delivers nothing */
    for (size_t i = 5; i < crc.len; i++) {
        uint8_t *t = exact_copy(crc.p, crc.len);
        t[i] ^= 0x01;
        struct collected c2 = {0};
        assert_int_equal(
            swim_packet_walk(t, crc.len, scratch, sizeof scratch, collect_cb, &c2, NULL),
            SWIM_ECRC);
        assert_int_equal(c2.n, 0);
        free(t);
    }
    /* truncated compound: the last part is dropped and counted */
    struct collected c3 = {0};
    assert_int_equal(
        swim_packet_walk(comp.p, comp.len - 1, scratch, sizeof scratch, collect_cb, &c3, &st),
        SWIM_EMALFORMED);
    assert_int_equal(c3.n, 1);
    assert_int_equal(st.truncated, 1);
    free(ping.p);
    free(sus.p);
    free(comp.p);
    free(crc.p);
}

static void test_user_event_capture(void **state)
{
    (void)state;
    struct hexbuf b = unhex(CAP_USER_EVENT);
    assert_int_equal(b.len, 55);
    struct collected c = {0};
    struct swim_walk_stats st;
    assert_int_equal(swim_packet_walk(b.p, b.len, scratch, sizeof scratch, collect_cb, &c, &st),
                     SWIM_OK);
    assert_true(st.had_crc);
    assert_int_equal(c.n, 1);
    assert_int_equal(c.type[0], SWIM_MSG_USER);
    assert_int_equal(c.len[0], 49);
    assert_int_equal(c.body[0][0], 3); /* serf userEvent */
    assert_memory_equal(c.body[0] + c.len[0] - 12, "hello-from-b", 12);
    /* rebuilding it: user over UDP + CRC gives the captured bytes */
    uint8_t user[64], pkt[64];
    ssize_t n = swim_encode_user_udp(user, sizeof user, c.body[0], c.len[0]);
    assert_int_equal(swim_packet_wrap(pkt, sizeof pkt, user, (size_t)n, false, true, NULL), 55);
    assert_memory_equal(pkt, b.p, 55);
    free(b.p);
}

/* compress inside compound inside compress inside compound, plus a compressed Go ack */
static void test_nested_and_compressed(void **state)
{
    (void)state;
    struct hexbuf ack = unhex(GO_ACK_PAYLOAD), nack = unhex(GO_NACK);
    uint8_t cack[256], comp1[512], ccomp[512], outer[1024];
    ssize_t n1 = swim_compress_wrap(cack, sizeof cack, ack.p, ack.len);
    assert_true(n1 > 0);
    struct swim_bytes p1[2] = {{cack, (size_t)n1}, {nack.p, nack.len}};
    ssize_t n2 = swim_compound_build(comp1, sizeof comp1, p1, 2);
    ssize_t n3 = swim_compress_wrap(ccomp, sizeof ccomp, comp1, (size_t)n2);
    struct swim_bytes p2[2] = {{nack.p, nack.len}, {ccomp, (size_t)n3}};
    ssize_t n4 = swim_compound_build(outer, sizeof outer, p2, 2);
    assert_true(n4 > 0);
    struct collected c = {0};
    struct swim_walk_stats st;
    assert_int_equal(
        swim_packet_walk(outer, (size_t)n4, scratch, sizeof scratch, collect_cb, &c, &st), SWIM_OK);
    assert_int_equal(c.n, 3);
    assert_int_equal(c.type[0], SWIM_MSG_NACK);
    assert_int_equal(c.type[1], SWIM_MSG_ACK);
    assert_int_equal(c.type[2], SWIM_MSG_NACK);
    struct swim_ack a;
    assert_int_equal(swim_decode_ack(c.body[1], c.len[1], &a, NULL), SWIM_OK);
    assert_int_equal(a.seq_no, 127);
    assert_int_equal(a.payload.len, 40);
    /* scratch too small for the decompressed parts: they are dropped and counted */
    struct collected c2 = {0};
    assert_int_equal(swim_packet_walk(outer, (size_t)n4, scratch, 8, collect_cb, &c2, &st),
                     SWIM_EMALFORMED);
    assert_int_equal(c2.n, 1);
    assert_int_equal(st.errors, 1);
    /* no scratch at all */
    assert_int_equal(swim_packet_walk(outer, (size_t)n4, NULL, 0, collect_cb, &c2, &st),
                     SWIM_EMALFORMED);
    free(ack.p);
    free(nack.p);
}

/* compress nested deeper than SWIM_NEST_MAX is refused (bounded work and scratch) */
static void test_nesting_bomb(void **state)
{
    (void)state;
    uint8_t a[4096], b[4096];
    struct hexbuf nack = unhex(GO_NACK);
    memcpy(a, nack.p, nack.len);
    size_t len = nack.len;
    for (int depth = 1; depth <= 10; depth++) {
        ssize_t n = swim_compress_wrap(b, sizeof b, a, len);
        assert_true(n > 0);
        memcpy(a, b, (size_t)n);
        len = (size_t)n;
        struct collected c = {0};
        struct swim_walk_stats st;
        int rc = swim_packet_walk(a, len, scratch, sizeof scratch, collect_cb, &c, &st);
        if (depth <= SWIM_NEST_MAX) {
            assert_int_equal(rc, SWIM_OK);
            assert_int_equal(c.n, 1);
        } else {
            assert_int_equal(rc, SWIM_EMALFORMED);
            assert_int_equal(c.n, 0);
        }
    }
    /* compound of 255 empty parts: each is an error, no callback */
    uint8_t comp[2 + 510] = {SWIM_MSG_COMPOUND, 255};
    struct collected c = {0};
    struct swim_walk_stats st;
    assert_int_equal(
        swim_packet_walk(comp, sizeof comp, scratch, sizeof scratch, collect_cb, &c, &st),
        SWIM_EMALFORMED);
    assert_int_equal(st.errors, 255);
    assert_int_equal(c.n, 0);
    /* compound whose length table is cut short */
    uint8_t shortc[] = {SWIM_MSG_COMPOUND, 3, 0, 1};
    assert_int_equal(
        swim_packet_walk(shortc, sizeof shortc, scratch, sizeof scratch, collect_cb, &c, &st),
        SWIM_EMALFORMED);
    /* hasCrc inside a compound and empty packets are errors */
    uint8_t inner_crc[] = {SWIM_MSG_COMPOUND, 1, 0, 5, SWIM_MSG_HAS_CRC, 0, 0, 0, 0};
    assert_int_equal(
        swim_packet_walk(inner_crc, sizeof inner_crc, scratch, sizeof scratch, collect_cb, &c, &st),
        SWIM_EMALFORMED);
    assert_int_equal(swim_packet_walk(comp, 0, scratch, sizeof scratch, collect_cb, &c, &st),
                     SWIM_EMALFORMED);
    free(nack.p);
}

/* swim_packet_wrap + swim_packet_receive over every option combination. */
static void test_wrap_receive(void **state)
{
    (void)state;
    struct hexbuf ping = unhex(GO_PING_CAPTURE), alive = unhex(GO_ALIVE_BIGMETA);
    struct swim_bytes parts[2] = {{ping.p, ping.len}, {alive.p, alive.len}};
    uint8_t msg[1024];
    ssize_t mlen = swim_compound_build(msg, sizeof msg, parts, 2);
    struct swim_keyring kr;
    swim_keyring_init(&kr);
    uint8_t key[32];
    memset(key, 9, sizeof key);
    swim_keyring_add(&kr, key, 32);
    for (int opt = 0; opt < 8; opt++) {
        bool comp = opt & 1, crc = opt & 2, enc = opt & 4;
        uint8_t pkt[1500];
        ssize_t n =
            swim_packet_wrap(pkt, sizeof pkt, msg, (size_t)mlen, comp, crc, enc ? &kr : NULL);
        assert_true(n > 0);
        if (comp) /* 300 bytes of "m" compress well */
            assert_true(n < mlen);
        struct collected c = {0};
        struct swim_walk_stats st;
        int rc = swim_packet_receive(pkt, (size_t)n, enc ? &kr : NULL, true, scratch,
                                     sizeof scratch, collect_cb, &c, &st);
        assert_int_equal(rc, SWIM_OK);
        assert_int_equal(st.had_crc, crc);
        assert_int_equal(c.n, 2);
        assert_int_equal(c.len[1], alive.len - 1);
        assert_memory_equal(c.body[1], alive.p + 1, alive.len - 1);
        /* too small an output buffer */
        assert_int_equal(swim_packet_wrap(pkt, 20, msg, (size_t)mlen, comp, crc, enc ? &kr : NULL),
                         -1);
        if (enc) {
            /* an encrypted node drops plaintext; verify_incoming=false falls back to it */
            struct collected c2 = {0};
            assert_int_equal(swim_packet_receive(msg, (size_t)mlen, &kr, true, scratch,
                                                 sizeof scratch, collect_cb, &c2, &st),
                             SWIM_EDECRYPT);
            assert_int_equal(c2.n, 0);
            assert_int_equal(swim_packet_receive(msg, (size_t)mlen, &kr, false, scratch,
                                                 sizeof scratch, collect_cb, &c2, &st),
                             SWIM_OK);
            assert_int_equal(c2.n, 2);
        }
    }
    /* incompressible data is sent as is */
    uint8_t *rnd = lcg_bytes(200, 256, 0);
    uint8_t pkt[512];
    rnd[0] = SWIM_MSG_USER;
    assert_int_equal(swim_packet_wrap(pkt, sizeof pkt, rnd, 200, true, false, NULL), 200);
    assert_memory_equal(pkt, rnd, 200);
    free(rnd);
    free(ping.p);
    free(alive.p);
}

/* ---- TCP streams ---- */

static void check_pushpull(const struct swim_stream_msg *m)
{
    assert_int_equal(m->type, SWIM_MSG_PUSH_PULL);
    assert_true(m->u.push_pull.header.join);
    assert_int_equal(m->u.push_pull.header.nodes, 2);
    struct swim_bytes it = m->u.push_pull.nodes;
    struct swim_push_node n;
    assert_int_equal(swim_push_nodes_next(&it, &n), 1);
    assert_true(swim_bytes_eq_str(n.name, "gonode"));
    assert_int_equal(n.state, SWIM_STATE_ALIVE);
    assert_null(n.meta.p);
    assert_int_equal(swim_push_nodes_next(&it, &n), 1);
    assert_true(swim_bytes_eq_str(n.name, "b"));
    assert_int_equal(n.state, SWIM_STATE_DEAD);
    assert_int_equal(n.incarnation, 300);
    assert_int_equal(n.meta.len, 2);
    assert_int_equal(swim_push_nodes_next(&it, &n), 0);
    assert_int_equal(m->u.push_pull.user_state.len, 17);
    assert_memory_equal(m->u.push_pull.user_state.p, "\x02user-state-bytes", 17);
}

static void test_stream_pushpull(void **state)
{
    (void)state;
    struct hexbuf plain = unhex(GO_PUSHPULL_STREAM), comp = unhex(GO_PUSHPULL_STREAM_COMPRESSED);
    struct hexbuf enc = unhex(GO_TCP_ENC_PUSHPULL_K32);
    struct swim_stream_msg m;
    /* plain, compressed, encrypted+compressed (Go made all three) */
    assert_int_equal(swim_stream_read(plain.p, plain.len, NULL, true, scratch, sizeof scratch, &m),
                     SWIM_OK);
    assert_int_equal(m.consumed, plain.len);
    assert_false(m.compressed || m.encrypted);
    check_pushpull(&m);
    assert_int_equal(swim_stream_read(comp.p, comp.len, NULL, true, scratch, sizeof scratch, &m),
                     SWIM_OK);
    assert_int_equal(m.consumed, comp.len);
    assert_true(m.compressed);
    check_pushpull(&m);
    struct swim_keyring kr;
    swim_keyring_init(&kr);
    uint8_t key[32];
    for (int i = 0; i < 32; i++)
        key[i] = (uint8_t)(i * 7 + 1);
    swim_keyring_add(&kr, key, 32);
    assert_int_equal(swim_stream_read(enc.p, enc.len, &kr, true, scratch, sizeof scratch, &m),
                     SWIM_OK);
    assert_int_equal(m.consumed, enc.len);
    assert_true(m.compressed && m.encrypted);
    check_pushpull(&m);

    /* every prefix of each form asks for more bytes */
    const struct hexbuf *forms[] = {&plain, &comp, &enc};
    for (int f = 0; f < 3; f++) {
        for (size_t l = 0; l < forms[f]->len; l++) {
            uint8_t *t = exact_copy(forms[f]->p, l);
            assert_int_equal(
                swim_stream_read(t, l, f == 2 ? &kr : NULL, true, scratch, sizeof scratch, &m),
                SWIM_ETRUNC);
            free(t);
        }
    }
    /* extra bytes after the message are not consumed */
    uint8_t *more = malloc(plain.len + 3);
    memcpy(more, plain.p, plain.len);
    memcpy(more + plain.len, "xyz", 3);
    assert_int_equal(swim_stream_read(more, plain.len + 3, NULL, true, scratch, sizeof scratch, &m),
                     SWIM_OK);
    assert_int_equal(m.consumed, plain.len);
    free(more);

    /* encryption policy */
    assert_int_equal(swim_stream_read(comp.p, comp.len, &kr, true, scratch, sizeof scratch, &m),
                     SWIM_EPLAINTEXT);
    assert_int_equal(swim_stream_read(comp.p, comp.len, &kr, false, scratch, sizeof scratch, &m),
                     SWIM_OK);
    assert_int_equal(swim_stream_read(enc.p, enc.len, NULL, true, scratch, sizeof scratch, &m),
                     SWIM_ENOKEY);
    struct swim_keyring other;
    swim_keyring_init(&other);
    key[0] ^= 1;
    swim_keyring_add(&other, key, 32);
    assert_int_equal(swim_stream_read(enc.p, enc.len, &other, true, scratch, sizeof scratch, &m),
                     SWIM_EDECRYPT);
    assert_int_equal(other.auth_failures, 1);
    /* scratch too small for the decrypted or decompressed data */
    assert_int_equal(swim_stream_read(enc.p, enc.len, &kr, true, scratch, 100, &m), SWIM_ENOSPACE);
    assert_int_equal(swim_stream_read(comp.p, comp.len, NULL, true, scratch, 50, &m),
                     SWIM_ENOSPACE);

    /* our writer: compress-only output is byte-identical to Go's rawSendMsgStream */
    uint8_t out[1024];
    ssize_t n = swim_stream_wrap(out, sizeof out, plain.p, plain.len, true, NULL);
    assert_int_equal(n, (ssize_t)comp.len);
    assert_memory_equal(out, comp.p, comp.len);
    /* and with encryption it reads back (random nonce, so no byte comparison) */
    n = swim_stream_wrap(out, sizeof out, plain.p, plain.len, true, &kr);
    assert_int_equal(n, (ssize_t)enc.len);
    assert_memory_equal(out, enc.p, 5); /* same header: 0a + length */
    assert_int_equal(swim_stream_read(out, (size_t)n, &kr, true, scratch, sizeof scratch, &m),
                     SWIM_OK);
    check_pushpull(&m);
    n = swim_stream_wrap(out, sizeof out, plain.p, plain.len, false, NULL);
    assert_int_equal(n, (ssize_t)plain.len);
    assert_int_equal(swim_stream_wrap(out, comp.len - 1, plain.p, plain.len, true, NULL), -1);
    assert_int_equal(swim_stream_wrap(out, enc.len - 1, plain.p, plain.len, true, &kr), -1);
    free(plain.p);
    free(comp.p);
    free(enc.p);
}

static void test_stream_user_and_others(void **state)
{
    (void)state;
    struct hexbuf u = unhex(GO_USER_STREAM), uc = unhex(GO_USER_STREAM_COMPRESSED);
    struct hexbuf ue = unhex(GO_TCP_ENC_USER_K16_V0);
    struct swim_stream_msg m;
    assert_int_equal(swim_stream_read(u.p, u.len, NULL, true, scratch, sizeof scratch, &m),
                     SWIM_OK);
    assert_int_equal(m.type, SWIM_MSG_USER);
    assert_int_equal(m.u.user.header.user_msg_len, 11);
    assert_true(m.u.user.payload.len == 11 && !memcmp(m.u.user.payload.p, "hello-world", 11));
    assert_int_equal(swim_stream_read(uc.p, uc.len, NULL, true, scratch, sizeof scratch, &m),
                     SWIM_OK);
    assert_true(m.u.user.payload.len == 11 && !memcmp(m.u.user.payload.p, "hello-world", 11));
    struct swim_keyring kr;
    swim_keyring_init(&kr);
    uint8_t key[16];
    for (int i = 0; i < 16; i++)
        key[i] = (uint8_t)(i * 7 + 1);
    swim_keyring_add(&kr, key, 16);
    assert_int_equal(swim_stream_read(ue.p, ue.len, &kr, true, scratch, sizeof scratch, &m),
                     SWIM_OK);
    assert_true(m.encrypted && m.compressed);
    assert_true(m.u.user.payload.len == 11 && !memcmp(m.u.user.payload.p, "hello-world", 11));
    free(u.p);
    free(uc.p);
    free(ue.p);

    /* TCP ping and its ack, err */
    uint8_t buf[256];
    struct swim_ping ping = {.seq_no = 77, .node = swim_str("n1")};
    ssize_t n = swim_encode_ping(buf, sizeof buf, &ping);
    assert_int_equal(swim_stream_read(buf, (size_t)n, NULL, true, scratch, sizeof scratch, &m),
                     SWIM_OK);
    assert_int_equal(m.type, SWIM_MSG_PING);
    assert_int_equal(m.u.ping.seq_no, 77);
    struct swim_ack ack = {.seq_no = 77};
    n = swim_encode_ack(buf, sizeof buf, &ack);
    assert_int_equal(swim_stream_read(buf, (size_t)n, NULL, true, scratch, sizeof scratch, &m),
                     SWIM_OK);
    assert_int_equal(m.type, SWIM_MSG_ACK);
    struct hexbuf e = unhex(GO_ERR);
    assert_int_equal(swim_stream_read(e.p, e.len, NULL, true, scratch, sizeof scratch, &m),
                     SWIM_OK);
    assert_int_equal(m.type, SWIM_MSG_ERR);
    assert_true(swim_bytes_eq_str(m.u.err.error, swim_strerror(SWIM_EPLAINTEXT)));
    free(e.p);

    /* unsupported inner types, bad compress, hostile lengths */
    uint8_t alive[] = {SWIM_MSG_ALIVE, 0x80};
    assert_int_equal(swim_stream_read(alive, 2, NULL, true, scratch, sizeof scratch, &m),
                     SWIM_EUNSUPPORTED);
    struct hexbuf big = unhex("08 81 aa 55 73 65 72 4d 73 67 4c 65 6e ce 7f ff ff ff");
    assert_int_equal(swim_stream_read(big.p, big.len, NULL, true, scratch, sizeof scratch, &m),
                     SWIM_ENOSPACE);
    free(big.p);
    struct hexbuf bigpp = unhex("06 83 a4 4a 6f 69 6e c3 a5 4e 6f 64 65 73 00 ac 55 73 65 72 53 74 "
                                "61 74 65 4c 65 6e ce 10 00 00 00");
    assert_int_equal(swim_stream_read(bigpp.p, bigpp.len, NULL, true, scratch, sizeof scratch, &m),
                     SWIM_ENOSPACE);
    free(bigpp.p);
    /* push/pull claiming many nodes but holding garbage */
    struct hexbuf badn = unhex("06 81 a5 4e 6f 64 65 73 ce ff ff ff ff 91 01");
    assert_int_equal(swim_stream_read(badn.p, badn.len, NULL, true, scratch, sizeof scratch, &m),
                     SWIM_EMALFORMED);
    free(badn.p);
    /* compress whose decompressed content is truncated: malformed, not "need more" */
    struct hexbuf pp = unhex(GO_PUSHPULL_STREAM);
    ssize_t cn = swim_compress_wrap(buf, sizeof buf, pp.p, pp.len - 3);
    assert_true(cn > 0);
    assert_int_equal(swim_stream_read(buf, (size_t)cn, NULL, true, scratch, sizeof scratch, &m),
                     SWIM_EMALFORMED);
    /* compress of an empty payload */
    cn = swim_compress_wrap(buf, sizeof buf, pp.p, 0);
    assert_int_equal(swim_stream_read(buf, (size_t)cn, NULL, true, scratch, sizeof scratch, &m),
                     SWIM_EMALFORMED);
    free(pp.p);
}

/* Random and mutated inputs through every entry point: no crash, no over-read (ASan). */
static void test_random_inputs(void **state)
{
    (void)state;
    struct swim_keyring kr;
    swim_keyring_init(&kr);
    uint8_t key[16] = {1};
    swim_keyring_add(&kr, key, 16);
    struct hexbuf seeds[] = {unhex(GO_CRC_COMPOUND), unhex(GO_PUSHPULL_STREAM_COMPRESSED),
                             unhex(GO_PUSHPULL_STREAM), unhex(GO_COMPRESS_TEXT)};
    uint32_t x = 4242;
    for (int it = 0; it < 4000; it++) {
        struct hexbuf *s = &seeds[it % 4];
        uint8_t *t = exact_copy(s->p, s->len);
        size_t len = s->len;
        for (int k = 0; k < 1 + it % 4; k++) {
            x = x * 1664525u + 1013904223u;
            t[(x >> 8) % len] = (uint8_t)(x >> 24);
        }
        x = x * 1664525u + 1013904223u;
        if (it % 3 == 0)
            len = (x >> 8) % len;
        struct collected c = {0};
        struct swim_stream_msg m;
        (void)swim_packet_walk(t, len, scratch, sizeof scratch, collect_cb, &c, NULL);
        (void)swim_packet_receive(t, len, &kr, false, scratch, sizeof scratch, collect_cb, &c,
                                  NULL);
        if (swim_stream_read(t, len, NULL, true, scratch, sizeof scratch, &m) == SWIM_OK)
            assert_true(m.consumed <= len);
        free(t);
    }
    for (int i = 0; i < 4; i++)
        free(seeds[i].p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_compound_matches_go),    cmocka_unit_test(test_user_event_capture),
        cmocka_unit_test(test_nested_and_compressed),  cmocka_unit_test(test_nesting_bomb),
        cmocka_unit_test(test_wrap_receive),           cmocka_unit_test(test_stream_pushpull),
        cmocka_unit_test(test_stream_user_and_others), cmocka_unit_test(test_random_inputs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
