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
static void same_bytes(struct swim_bytes a, struct swim_bytes b)
{
    check(a.len == b.len);
    check(a.len == 0 || memcmp(a.p, b.p, a.len) == 0);
}

/* Decode, re-encode, decode again: the fields must survive. */
static void roundtrip(uint8_t type, const uint8_t *body, size_t len)
{
    ssize_t n;
    switch (type) {
    case SWIM_MSG_PING: {
        struct swim_ping a, b;
        if (swim_decode_ping(body, len, &a, NULL))
            return;
        n = swim_encode_ping(enc, sizeof enc, &a);
        check(n > 0 && swim_decode_ping(enc + 1, (size_t)n - 1, &b, NULL) == SWIM_OK);
        check(a.seq_no == b.seq_no && a.source_port == b.source_port);
        same_bytes(a.node, b.node);
        same_bytes(a.source_addr, b.source_addr);
        same_bytes(a.source_node, b.source_node);
        break;
    }
    case SWIM_MSG_INDIRECT_PING: {
        struct swim_indirect_ping a, b;
        if (swim_decode_indirect_ping(body, len, &a, NULL))
            return;
        n = swim_encode_indirect_ping(enc, sizeof enc, &a);
        check(n > 0 && swim_decode_indirect_ping(enc + 1, (size_t)n - 1, &b, NULL) == SWIM_OK);
        check(a.seq_no == b.seq_no && a.port == b.port && a.nack == b.nack);
        same_bytes(a.target, b.target);
        break;
    }
    case SWIM_MSG_ACK: {
        struct swim_ack a, b;
        if (swim_decode_ack(body, len, &a, NULL))
            return;
        n = swim_encode_ack(enc, sizeof enc, &a);
        check(n > 0 && swim_decode_ack(enc + 1, (size_t)n - 1, &b, NULL) == SWIM_OK);
        check(a.seq_no == b.seq_no && (a.payload.p == NULL) == (b.payload.p == NULL));
        same_bytes(a.payload, b.payload);
        break;
    }
    case SWIM_MSG_NACK: {
        struct swim_nack a, b;
        if (swim_decode_nack(body, len, &a, NULL))
            return;
        n = swim_encode_nack(enc, sizeof enc, &a);
        check(n > 0 && swim_decode_nack(enc + 1, (size_t)n - 1, &b, NULL) == SWIM_OK);
        check(a.seq_no == b.seq_no);
        break;
    }
    case SWIM_MSG_SUSPECT: {
        struct swim_suspect a, b;
        if (swim_decode_suspect(body, len, &a, NULL))
            return;
        n = swim_encode_suspect(enc, sizeof enc, &a);
        check(n > 0 && swim_decode_suspect(enc + 1, (size_t)n - 1, &b, NULL) == SWIM_OK);
        check(a.incarnation == b.incarnation);
        same_bytes(a.node, b.node);
        same_bytes(a.from, b.from);
        break;
    }
    case SWIM_MSG_DEAD: {
        struct swim_dead a, b;
        if (swim_decode_dead(body, len, &a, NULL))
            return;
        n = swim_encode_dead(enc, sizeof enc, &a);
        check(n > 0 && swim_decode_dead(enc + 1, (size_t)n - 1, &b, NULL) == SWIM_OK);
        check(a.incarnation == b.incarnation);
        break;
    }
    case SWIM_MSG_ALIVE: {
        struct swim_alive a, b;
        if (swim_decode_alive(body, len, &a, NULL))
            return;
        n = swim_encode_alive(enc, sizeof enc, &a);
        check(n > 0 && swim_decode_alive(enc + 1, (size_t)n - 1, &b, NULL) == SWIM_OK);
        check(a.incarnation == b.incarnation && a.port == b.port && b.vsn_len == SWIM_VSN_LEN);
        check(memcmp(a.vsn, b.vsn, a.vsn_len) == 0);
        same_bytes(a.node, b.node);
        same_bytes(a.addr, b.addr);
        same_bytes(a.meta, b.meta);
        break;
    }
    case SWIM_MSG_ERR: {
        struct swim_err a, b;
        if (swim_decode_err(body, len, &a, NULL))
            return;
        n = swim_encode_err(enc, sizeof enc, &a);
        check(n > 0 && swim_decode_err(enc + 1, (size_t)n - 1, &b, NULL) == SWIM_OK);
        same_bytes(a.error, b.error);
        break;
    }
    default: {
        struct swim_push_pull_header h;
        struct swim_user_header u;
        struct swim_push_node pn;
        struct swim_compress c;
        (void)swim_decode_push_pull_header(body, len, &h, NULL);
        (void)swim_decode_user_header(body, len, &u, NULL);
        (void)swim_decode_push_node(body, len, &pn, NULL);
        (void)swim_decode_compress(body, len, &c, NULL);
        break;
    }
    }
}

static void on_msg(void *ctx, uint8_t type, const uint8_t *body, size_t len)
{
    (void)ctx;
    roundtrip(type, body, len);
}

static void read_stream(const uint8_t *data, size_t size, struct swim_keyring *kr)
{
    struct swim_stream_msg m;
    if (swim_stream_read(data, size, kr, true, scratch2, sizeof scratch2, &m) != SWIM_OK)
        return;
    check(m.consumed <= size);
    if (m.type == SWIM_MSG_PUSH_PULL) {
        struct swim_bytes it = m.u.push_pull.nodes;
        struct swim_push_node n;
        uint32_t count = 0;
        int rc;
        while ((rc = swim_push_nodes_next(&it, &n)) == 1) {
            count++;
            ssize_t e = swim_encode_push_node(enc, sizeof enc, &n);
            struct swim_push_node b;
            check(e > 0 && swim_decode_push_node(enc, (size_t)e, &b, NULL) == SWIM_OK);
            check(b.incarnation == n.incarnation && b.state == n.state);
        }
        check(rc == 0 && count == m.u.push_pull.header.nodes);
    }
}

static struct swim_keyring ring;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (ring.n == 0) {
        uint8_t k[32];
        for (int i = 0; i < 32; i++)
            k[i] = (uint8_t)(i * 7 + 1);
        swim_keyring_init(&ring);
        swim_keyring_add(&ring, k, 16);
        swim_keyring_add(&ring, k, 32);
    }
    /* UDP: plaintext walk, and the receive path with decryption */
    (void)swim_packet_walk(data, size, scratch, sizeof scratch, on_msg, NULL, NULL);
    (void)swim_packet_receive(data, size, &ring, true, scratch, sizeof scratch, on_msg, NULL, NULL);
    /* each decoder on the body directly */
    if (size > 0)
        roundtrip(data[0], data + 1, size - 1);
    /* TCP stream, without and with keys */
    read_stream(data, size, NULL);
    read_stream(data, size, &ring);
    /* raw LZW */
    (void)swim_lzw_decompress(data, size, scratch, sizeof scratch);
    return 0;
}
