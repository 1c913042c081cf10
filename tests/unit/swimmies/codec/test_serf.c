/* test_serf.c — packets and streams recorded from a real serf agent: decoded, re-encoded to the
 * same bytes (including serf's LZW output and, with serf's own nonces, its AES-GCM output). */
#include "testutil.h"

#include "serf_vectors.h"
#include "swimmies/keyring.h"
#include "swimmies/lzw.h"
#include "swimmies/proto.h"

static uint8_t scratch[1 << 17];

static void serf_ring(struct swim_keyring *kr)
{
    uint8_t k[SWIM_KEY_MAX];
    swim_keyring_init(kr);
    assert_int_equal(swim_key_from_base64(SERF_KEY_B64, k), 32);
    assert_int_equal(swim_keyring_add(kr, k, 32), SWIM_OK);
}

/* The ack packet: compress(compound[ack, alive]). Checks the messages and rebuilds the packet. */
static void check_ack_plaintext(const uint8_t *pkt, size_t len, const uint8_t ip[4])
{
    assert_int_equal(pkt[0], SWIM_MSG_COMPRESS);
    struct collected c = {0};
    struct swim_walk_stats st;
    assert_int_equal(swim_packet_walk(pkt, len, scratch, sizeof scratch, collect_cb, &c, &st),
                     SWIM_OK);
    assert_false(st.had_crc);
    assert_int_equal(c.n, 2);
    assert_int_equal(c.type[0], SWIM_MSG_ACK);
    struct swim_ack ack;
    assert_int_equal(swim_decode_ack(c.body[0], c.len[0], &ack, NULL), SWIM_OK);
    assert_int_equal(ack.seq_no, 7);
    assert_int_equal(ack.payload.p[0], 0x01); /* serf ping delegate: version + coordinate */
    assert_int_equal(ack.payload.len, 130);
    assert_int_equal(c.type[1], SWIM_MSG_ALIVE);
    struct swim_alive al;
    assert_int_equal(swim_decode_alive(c.body[1], c.len[1], &al, NULL), SWIM_OK);
    assert_true(swim_bytes_eq_str(al.node, "s1"));
    assert_int_equal(al.addr.len, 4);
    assert_memory_equal(al.addr.p, ip, 4);
    assert_int_equal(al.port, 7946);
    static const uint8_t vsn[] = {1, 5, 2, 2, 5, 5};
    assert_memory_equal(al.vsn, vsn, 6);
    assert_true(al.meta.len == 2 && al.meta.p[0] == 0xff && al.meta.p[1] == 0x80);

    /* rebuild: encode both, compound, compress -> serf's exact bytes */
    uint8_t a[512], b[512], comp[1024], out[1024];
    ssize_t na = swim_encode_ack(a, sizeof a, &ack);
    ssize_t nb = swim_encode_alive(b, sizeof b, &al);
    assert_int_equal(na, (ssize_t)c.len[0] + 1);
    assert_memory_equal(a + 1, c.body[0], c.len[0]);
    assert_int_equal(nb, (ssize_t)c.len[1] + 1);
    assert_memory_equal(b + 1, c.body[1], c.len[1]);
    struct swim_bytes parts[2] = {{a, (size_t)na}, {b, (size_t)nb}};
    ssize_t nc = swim_compound_build(comp, sizeof comp, parts, 2);
    ssize_t n = swim_packet_wrap(out, sizeof out, comp, (size_t)nc, true, false, NULL);
    assert_int_equal(n, (ssize_t)len);
    assert_memory_equal(out, pkt, len);
}

static void test_plain_ack(void **state)
{
    (void)state;
    struct hexbuf p = unhex(SERF_PLAIN_ACK);
    static const uint8_t ip[4] = {127, 0, 0, 63};
    check_ack_plaintext(p.p, p.len, ip);
    free(p.p);
}

static void check_pushpull(const struct swim_stream_msg *m, const uint8_t ip[4])
{
    assert_int_equal(m->type, SWIM_MSG_PUSH_PULL);
    assert_true(m->compressed);
    assert_true(m->u.push_pull.header.join);
    assert_int_equal(m->u.push_pull.header.nodes, 1);
    struct swim_bytes it = m->u.push_pull.nodes;
    struct swim_push_node n;
    assert_int_equal(swim_push_nodes_next(&it, &n), 1);
    assert_true(swim_bytes_eq_str(n.name, "s1"));
    assert_memory_equal(n.addr.p, ip, 4);
    assert_int_equal(n.state, SWIM_STATE_ALIVE);
    assert_int_equal(swim_push_nodes_next(&it, &n), 0);
    assert_int_equal(m->u.push_pull.user_state.len, 586);
    assert_int_equal(m->u.push_pull.user_state.p[0], 0x02); /* serf's own pushPull message */
}

/* Rebuild the uncompressed stream from the parsed message. */
static size_t rebuild_pushpull(const struct swim_stream_msg *m, uint8_t *buf, size_t cap)
{
    ssize_t h = swim_encode_push_pull_header(buf, cap, &m->u.push_pull.header);
    assert_true(h > 0);
    size_t off = (size_t)h;
    struct swim_bytes it = m->u.push_pull.nodes;
    struct swim_push_node n;
    while (swim_push_nodes_next(&it, &n) == 1) {
        ssize_t k = swim_encode_push_node(buf + off, cap - off, &n);
        assert_true(k > 0);
        off += (size_t)k;
    }
    assert_true(cap - off >= m->u.push_pull.user_state.len);
    memcpy(buf + off, m->u.push_pull.user_state.p, m->u.push_pull.user_state.len);
    return off + m->u.push_pull.user_state.len;
}

static void test_plain_pushpull(void **state)
{
    (void)state;
    struct hexbuf p = unhex(SERF_PLAIN_PUSHPULL);
    struct swim_stream_msg m;
    assert_int_equal(swim_stream_read(p.p, p.len, NULL, true, scratch, sizeof scratch, &m),
                     SWIM_OK);
    assert_int_equal(m.consumed, p.len);
    static const uint8_t ip[4] = {127, 0, 0, 63};
    check_pushpull(&m, ip);
    uint8_t raw[2048], out[2048];
    size_t n = rebuild_pushpull(&m, raw, sizeof raw);
    assert_int_equal(swim_stream_wrap(out, sizeof out, raw, n, true, NULL), (ssize_t)p.len);
    assert_memory_equal(out, p.p, p.len);
    free(p.p);
}

static void check_gossip(const uint8_t *pkt, size_t len)
{
    struct collected c = {0};
    struct swim_walk_stats st;
    assert_int_equal(swim_packet_walk(pkt, len, scratch, sizeof scratch, collect_cb, &c, &st),
                     SWIM_OK);
    assert_true(st.had_crc); /* we advertised PMax 5 */
    assert_int_equal(c.n, 2);
    struct swim_alive a;
    assert_int_equal(c.type[0], SWIM_MSG_ALIVE);
    assert_int_equal(swim_decode_alive(c.body[0], c.len[0], &a, NULL), SWIM_OK);
    assert_true(swim_bytes_eq_str(a.node, "cap"));
    static const uint8_t our_vsn[] = {1, 5, 2, 2, 5, 4};
    assert_memory_equal(a.vsn, our_vsn, 6);
    assert_int_equal(c.type[1], SWIM_MSG_ALIVE);
    assert_int_equal(swim_decode_alive(c.body[1], c.len[1], &a, NULL), SWIM_OK);
    assert_true(swim_bytes_eq_str(a.node, "s1"));
}

static void test_plain_gossip_probe_suspect(void **state)
{
    (void)state;
    struct hexbuf g = unhex(SERF_PLAIN_GOSSIP);
    check_gossip(g.p, g.len);
    free(g.p);

    struct hexbuf p = unhex(SERF_PLAIN_PROBE);
    struct collected c = {0};
    struct swim_walk_stats st;
    assert_int_equal(swim_packet_walk(p.p, p.len, scratch, sizeof scratch, collect_cb, &c, &st),
                     SWIM_OK);
    assert_false(st.had_crc); /* direct probes are not CRC-wrapped */
    assert_int_equal(c.n, 1);
    struct swim_ping ping;
    assert_int_equal(swim_decode_ping(c.body[0], c.len[0], &ping, NULL), SWIM_OK);
    assert_true(swim_bytes_eq_str(ping.node, "cap"));
    assert_true(swim_bytes_eq_str(ping.source_node, "s1"));
    assert_int_equal(ping.source_port, 7946);
    uint8_t buf[128];
    assert_int_equal(swim_encode_ping(buf, sizeof buf, &ping), (ssize_t)p.len);
    assert_memory_equal(buf, p.p, p.len);
    free(p.p);

    struct hexbuf s = unhex(SERF_PLAIN_SUSPECT);
    struct collected c2 = {0};
    assert_int_equal(swim_packet_walk(s.p, s.len, scratch, sizeof scratch, collect_cb, &c2, &st),
                     SWIM_OK);
    assert_true(st.had_crc);
    struct swim_suspect su;
    assert_int_equal(c2.type[0], SWIM_MSG_SUSPECT);
    assert_int_equal(swim_decode_suspect(c2.body[0], c2.len[0], &su, NULL), SWIM_OK);
    assert_true(swim_bytes_eq_str(su.node, "cap") && swim_bytes_eq_str(su.from, "s1"));
    uint8_t inner[64], pkt[64];
    ssize_t n = swim_encode_suspect(inner, sizeof inner, &su);
    assert_int_equal(swim_packet_wrap(pkt, sizeof pkt, inner, (size_t)n, false, true, NULL),
                     (ssize_t)s.len);
    assert_memory_equal(pkt, s.p, s.len);
    free(s.p);
}

/* Decrypt with the key, then re-encrypt the plaintext with serf's nonce: identical bytes. */
static size_t decrypt_and_reseal_udp(struct swim_keyring *kr, const struct hexbuf *c,
                                     uint8_t *plain)
{
    ssize_t n = swim_decrypt_udp(kr, c->p, c->len, plain, 4096);
    assert_int_equal(n, (ssize_t)(c->len - SWIM_ENC_OVERHEAD));
    uint8_t again[4096];
    assert_int_equal(swim_encrypt_payload(&kr->keys[0], 1, c->p + 1, plain, (size_t)n, NULL, 0,
                                          again, sizeof again),
                     (ssize_t)c->len);
    assert_memory_equal(again, c->p, c->len);
    return (size_t)n;
}

static void test_encrypted(void **state)
{
    (void)state;
    struct swim_keyring kr;
    serf_ring(&kr);
    uint8_t plain[4096];
    static const uint8_t ip[4] = {127, 0, 0, 61};

    struct hexbuf a = unhex(SERF_ENC_ACK);
    size_t n = decrypt_and_reseal_udp(&kr, &a, plain);
    check_ack_plaintext(plain, n, ip); /* compressed under the encryption, rebuilt exactly */
    /* and through the full receive path */
    struct collected c = {0};
    assert_int_equal(
        swim_packet_receive(a.p, a.len, &kr, true, scratch, sizeof scratch, collect_cb, &c, NULL),
        SWIM_OK);
    assert_int_equal(c.n, 2);
    assert_int_equal(c.type[0], SWIM_MSG_ACK);
    free(a.p);

    struct hexbuf g = unhex(SERF_ENC_GOSSIP);
    n = decrypt_and_reseal_udp(&kr, &g, plain);
    check_gossip(plain, n);
    free(g.p);
    struct hexbuf s = unhex(SERF_ENC_SUSPECT);
    n = decrypt_and_reseal_udp(&kr, &s, plain);
    assert_int_equal(plain[0], SWIM_MSG_HAS_CRC);
    free(s.p);

    /* TCP: decrypt, parse, re-seal with serf's nonce and the header as AAD */
    struct hexbuf t = unhex(SERF_ENC_PUSHPULL);
    struct swim_stream_msg m;
    assert_int_equal(swim_stream_read(t.p, t.len, &kr, true, scratch, sizeof scratch, &m), SWIM_OK);
    assert_true(m.encrypted);
    assert_int_equal(m.consumed, t.len);
    check_pushpull(&m, ip);
    size_t used;
    ssize_t pn = swim_decrypt_tcp(&kr, t.p, t.len, plain, sizeof plain, &used);
    assert_true(pn > 0);
    uint8_t again[4096];
    memcpy(again, t.p, 5);
    assert_int_equal(swim_encrypt_payload(&kr.keys[0], 1, t.p + 6, plain, (size_t)pn, t.p, 5,
                                          again + 5, sizeof again - 5),
                     (ssize_t)t.len - 5);
    assert_memory_equal(again, t.p, t.len);
    /* and the compressed plaintext is what our writer makes from the parsed message */
    uint8_t raw[2048], comp[2048];
    size_t rn = rebuild_pushpull(&m, raw, sizeof raw);
    assert_int_equal(swim_stream_wrap(comp, sizeof comp, raw, rn, true, NULL), pn);
    assert_memory_equal(comp, plain, (size_t)pn);
    /* a node without the key cannot read it, a node with another key neither */
    assert_int_equal(swim_stream_read(t.p, t.len, NULL, true, scratch, sizeof scratch, &m),
                     SWIM_ENOKEY);
    struct swim_keyring other;
    swim_keyring_init(&other);
    uint8_t k16[16] = {0};
    swim_keyring_add(&other, k16, 16);
    assert_int_equal(swim_stream_read(t.p, t.len, &other, true, scratch, sizeof scratch, &m),
                     SWIM_EDECRYPT);
    free(t.p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_ack),
        cmocka_unit_test(test_plain_pushpull),
        cmocka_unit_test(test_plain_gossip_probe_suspect),
        cmocka_unit_test(test_encrypted),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
