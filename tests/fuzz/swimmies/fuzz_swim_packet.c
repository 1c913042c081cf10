/* fuzz_swim_packet.c — libFuzzer target for the memberlist codec: the UDP walker (hasCrc, compound,
 * compress), every message decoder with a decode/encode/decode consistency check, the TCP stream
 * reader (plain and encrypted), and AES-GCM decryption with fixed keys. */
#include <stdlib.h>
#include <string.h>

#include "swimmies/keyring.h"
#include "swimmies/lzw.h"
#include "swimmies/proto.h"

static uint8_t scratch[1 << 18];
static uint8_t scratch2[1 << 18];
static uint8_t enc[1 << 19]; /* re-encodings of bodies up to the scratch size */

static void check(int cond)
{
    if (!cond)
        abort();
}

/* The byte views of two decodes of the same message must agree. */
static void same_bytes(struct sw_bytes a, struct sw_bytes b)
{
    check(a.len == b.len);
    check(a.len == 0 || memcmp(a.p, b.p, a.len) == 0);
}

/* Decode, re-encode, decode again: the fields must survive. */
static void roundtrip(uint8_t type, const uint8_t *body, size_t len)
{
    ssize_t n;
    switch (type) {
    case SW_MSG_PING: {
        struct sw_ping a, b;
        if (sw_decode_ping(body, len, &a, NULL))
            return;
        n = sw_encode_ping(enc, sizeof enc, &a);
        check(n > 0 && sw_decode_ping(enc + 1, (size_t)n - 1, &b, NULL) == SW_OK);
        check(a.seq_no == b.seq_no && a.source_port == b.source_port);
        same_bytes(a.node, b.node);
        same_bytes(a.source_addr, b.source_addr);
        same_bytes(a.source_node, b.source_node);
        break;
    }
    case SW_MSG_INDIRECT_PING: {
        struct sw_indirect_ping a, b;
        if (sw_decode_indirect_ping(body, len, &a, NULL))
            return;
        n = sw_encode_indirect_ping(enc, sizeof enc, &a);
        check(n > 0 && sw_decode_indirect_ping(enc + 1, (size_t)n - 1, &b, NULL) == SW_OK);
        check(a.seq_no == b.seq_no && a.port == b.port && a.nack == b.nack);
        same_bytes(a.target, b.target);
        break;
    }
    case SW_MSG_ACK: {
        struct sw_ack a, b;
        if (sw_decode_ack(body, len, &a, NULL))
            return;
        n = sw_encode_ack(enc, sizeof enc, &a);
        check(n > 0 && sw_decode_ack(enc + 1, (size_t)n - 1, &b, NULL) == SW_OK);
        check(a.seq_no == b.seq_no && (a.payload.p == NULL) == (b.payload.p == NULL));
        same_bytes(a.payload, b.payload);
        break;
    }
    case SW_MSG_NACK: {
        struct sw_nack a, b;
        if (sw_decode_nack(body, len, &a, NULL))
            return;
        n = sw_encode_nack(enc, sizeof enc, &a);
        check(n > 0 && sw_decode_nack(enc + 1, (size_t)n - 1, &b, NULL) == SW_OK);
        check(a.seq_no == b.seq_no);
        break;
    }
    case SW_MSG_SUSPECT: {
        struct sw_suspect a, b;
        if (sw_decode_suspect(body, len, &a, NULL))
            return;
        n = sw_encode_suspect(enc, sizeof enc, &a);
        check(n > 0 && sw_decode_suspect(enc + 1, (size_t)n - 1, &b, NULL) == SW_OK);
        check(a.incarnation == b.incarnation);
        same_bytes(a.node, b.node);
        same_bytes(a.from, b.from);
        break;
    }
    case SW_MSG_DEAD: {
        struct sw_dead a, b;
        if (sw_decode_dead(body, len, &a, NULL))
            return;
        n = sw_encode_dead(enc, sizeof enc, &a);
        check(n > 0 && sw_decode_dead(enc + 1, (size_t)n - 1, &b, NULL) == SW_OK);
        check(a.incarnation == b.incarnation);
        break;
    }
    case SW_MSG_ALIVE: {
        struct sw_alive a, b;
        if (sw_decode_alive(body, len, &a, NULL))
            return;
        n = sw_encode_alive(enc, sizeof enc, &a);
        check(n > 0 && sw_decode_alive(enc + 1, (size_t)n - 1, &b, NULL) == SW_OK);
        check(a.incarnation == b.incarnation && a.port == b.port && b.vsn_len == SW_VSN_LEN);
        check(memcmp(a.vsn, b.vsn, a.vsn_len) == 0);
        same_bytes(a.node, b.node);
        same_bytes(a.addr, b.addr);
        same_bytes(a.meta, b.meta);
        break;
    }
    case SW_MSG_ERR: {
        struct sw_err a, b;
        if (sw_decode_err(body, len, &a, NULL))
            return;
        n = sw_encode_err(enc, sizeof enc, &a);
        check(n > 0 && sw_decode_err(enc + 1, (size_t)n - 1, &b, NULL) == SW_OK);
        same_bytes(a.error, b.error);
        break;
    }
    default: {
        struct sw_push_pull_header h;
        struct sw_user_header u;
        struct sw_push_node pn;
        struct sw_compress c;
        (void)sw_decode_push_pull_header(body, len, &h, NULL);
        (void)sw_decode_user_header(body, len, &u, NULL);
        (void)sw_decode_push_node(body, len, &pn, NULL);
        (void)sw_decode_compress(body, len, &c, NULL);
        break;
    }
    }
}

static void on_msg(void *ctx, uint8_t type, const uint8_t *body, size_t len)
{
    (void)ctx;
    roundtrip(type, body, len);
}

static void read_stream(const uint8_t *data, size_t size, struct sw_keyring *kr)
{
    struct sw_stream_msg m;
    if (sw_stream_read(data, size, kr, true, scratch2, sizeof scratch2, &m) != SW_OK)
        return;
    check(m.consumed <= size);
    if (m.type == SW_MSG_PUSH_PULL) {
        struct sw_bytes it = m.u.push_pull.nodes;
        struct sw_push_node n;
        uint32_t count = 0;
        int rc;
        while ((rc = sw_push_nodes_next(&it, &n)) == 1) {
            count++;
            ssize_t e = sw_encode_push_node(enc, sizeof enc, &n);
            struct sw_push_node b;
            check(e > 0 && sw_decode_push_node(enc, (size_t)e, &b, NULL) == SW_OK);
            check(b.incarnation == n.incarnation && b.state == n.state);
        }
        check(rc == 0 && count == m.u.push_pull.header.nodes);
    }
}

static struct sw_keyring ring;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (ring.n == 0) {
        uint8_t k[32];
        for (int i = 0; i < 32; i++)
            k[i] = (uint8_t)(i * 7 + 1);
        sw_keyring_init(&ring);
        sw_keyring_add(&ring, k, 16);
        sw_keyring_add(&ring, k, 32);
    }
    /* UDP: plaintext walk, and the receive path with decryption */
    (void)sw_packet_walk(data, size, scratch, sizeof scratch, on_msg, NULL, NULL);
    (void)sw_packet_receive(data, size, &ring, true, scratch, sizeof scratch, on_msg, NULL, NULL);
    /* each decoder on the body directly */
    if (size > 0)
        roundtrip(data[0], data + 1, size - 1);
    /* TCP stream, without and with keys */
    read_stream(data, size, NULL);
    read_stream(data, size, &ring);
    /* raw LZW */
    (void)sw_lzw_decompress(data, size, scratch, sizeof scratch);
    return 0;
}
