/* packet.c — UDP packet layers: compound, hasCrc, compress wrappers, the outgoing wrap and the
 * receive-side walker that expands them into individual messages. */
#include <string.h>
#include <zlib.h>

#include "swimmies/keyring.h"
#include "swimmies/lzw.h"
#include "swimmies/proto.h"

/* IEEE CRC-32 as memberlist's hasCrc uses it (Go crc32.ChecksumIEEE), computed by zlib. */
uint32_t swim_crc32(const uint8_t *p, size_t len)
{
    uLong c = crc32(0L, Z_NULL, 0);
    while (len > 0) {
        uInt chunk = len > 0x40000000u ? 0x40000000u : (uInt)len;
        c = crc32(c, p, chunk);
        p += chunk;
        len -= chunk;
    }
    return (uint32_t)c;
}

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

ssize_t swim_compound_build(uint8_t *buf, size_t cap, const struct swim_bytes *parts, size_t n)
{
    if (n > SWIM_COMPOUND_MAX_PARTS)
        return -1;
    size_t total = swim_compound_overhead(n);
    for (size_t i = 0; i < n; i++) {
        if (parts[i].len > 0xffff)
            return -1;
        total += parts[i].len;
    }
    if (total > cap)
        return -1;
    buf[0] = SWIM_MSG_COMPOUND;
    buf[1] = (uint8_t)n;
    size_t off = 2 + 2 * n;
    for (size_t i = 0; i < n; i++) {
        buf[2 + 2 * i] = (uint8_t)(parts[i].len >> 8);
        buf[3 + 2 * i] = (uint8_t)parts[i].len;
        if (parts[i].len)
            memcpy(buf + off, parts[i].p, parts[i].len);
        off += parts[i].len;
    }
    return (ssize_t)off;
}

ssize_t swim_crc_wrap(uint8_t *buf, size_t cap, const uint8_t *msg, size_t len)
{
    if (cap < 5 || cap - 5 < len)
        return -1;
    buf[0] = SWIM_MSG_HAS_CRC;
    put_be32(buf + 1, swim_crc32(msg, len));
    memcpy(buf + 5, msg, len);
    return (ssize_t)(len + 5);
}

/* 09 82 a4 "Algo" 00 a3 "Buf" is 12 bytes, then the str header of Buf. */
#define COMPRESS_FIXED_HDR 12

static size_t str_header_len(size_t n)
{
    return n < 32 ? 1 : n <= 0xffff ? 3 : 5;
}

static size_t write_compress_header(uint8_t *buf, size_t n)
{
    static const uint8_t fixed[COMPRESS_FIXED_HDR] = {
        SWIM_MSG_COMPRESS, 0x82, 0xa4, 'A', 'l', 'g', 'o', 0x00, 0xa3, 'B', 'u', 'f'};
    memcpy(buf, fixed, sizeof fixed);
    uint8_t *h = buf + COMPRESS_FIXED_HDR;
    if (n < 32) {
        h[0] = (uint8_t)(0xa0 | n);
    } else if (n <= 0xffff) {
        h[0] = 0xda;
        h[1] = (uint8_t)(n >> 8);
        h[2] = (uint8_t)n;
    } else {
        h[0] = 0xdb;
        put_be32(h + 1, (uint32_t)n);
    }
    return COMPRESS_FIXED_HDR + str_header_len(n);
}

ssize_t swim_compress_wrap(uint8_t *buf, size_t cap, const uint8_t *msg, size_t len)
{
    const size_t maxhdr = COMPRESS_FIXED_HDR + 5;
    ssize_t n = -1;
    /* Usually one pass: compress behind the largest header, then slide it down. */
    if (cap > maxhdr)
        n = swim_lzw_compress(msg, len, buf + maxhdr, cap - maxhdr);
    if (n >= 0) {
        size_t hdr = COMPRESS_FIXED_HDR + str_header_len((size_t)n);
        memmove(buf + hdr, buf + maxhdr, (size_t)n);
        write_compress_header(buf, (size_t)n);
        return (ssize_t)(hdr + (size_t)n);
    }
    /* It may still fit behind a shorter header: measure, then write in place. */
    if (cap < COMPRESS_FIXED_HDR + 1)
        return -1;
    n = swim_lzw_compress(msg, len, NULL, cap - COMPRESS_FIXED_HDR - 1);
    if (n < 0)
        return -1;
    size_t hdr = COMPRESS_FIXED_HDR + str_header_len((size_t)n);
    if (hdr + (size_t)n > cap)
        return -1;
    write_compress_header(buf, (size_t)n);
    if (swim_lzw_compress(msg, len, buf + hdr, (size_t)n) != n)
        return -1;
    return (ssize_t)(hdr + (size_t)n);
}

ssize_t swim_decompress_body(const uint8_t *p, size_t len, uint8_t *out, size_t cap)
{
    struct swim_compress c;
    int rc = swim_decode_compress(p, len, &c, NULL);
    if (rc)
        return SWIM_EMALFORMED;
    if (c.algo != 0)
        return SWIM_EUNSUPPORTED;
    if (!c.buf.p)
        return SWIM_EMALFORMED;
    return swim_lzw_decompress(c.buf.p, c.buf.len, out, cap);
}

ssize_t swim_packet_wrap(uint8_t *buf, size_t cap, const uint8_t *msg, size_t len, bool compress,
                         bool crc, const struct swim_keyring *kr)
{
    bool enc = swim_keyring_enabled(kr);
    size_t pre = (enc ? SWIM_ENC_VSN_SIZE + SWIM_ENC_NONCE_SIZE : 0) + (crc ? 5 : 0);
    size_t post = enc ? SWIM_ENC_TAG_SIZE : 0;
    if (cap < pre + post)
        return -1;
    uint8_t *inner = buf + pre;
    size_t room = cap - pre - post;
    ssize_t n = -1;
    if (compress && len > 1) {
        /* Only worth it if strictly smaller, as memberlist decides. */
        n = swim_compress_wrap(inner, room < len - 1 ? room : len - 1, msg, len);
    }
    if (n < 0) {
        if (room < len)
            return -1;
        memcpy(inner, msg, len);
        n = (ssize_t)len;
    }
    size_t plain_off = enc ? SWIM_ENC_VSN_SIZE + SWIM_ENC_NONCE_SIZE : 0;
    if (crc) {
        buf[plain_off] = SWIM_MSG_HAS_CRC;
        put_be32(buf + plain_off + 1, swim_crc32(inner, (size_t)n));
        n += 5;
    }
    if (!enc)
        return n;
    return swim_seal_inplace(&kr->keys[0], buf, cap, (size_t)n, NULL, 0);
}

/* ---- receive-side walker ---- */

struct walk {
    swim_msg_cb cb;
    void *ctx;
    uint8_t *scratch;
    size_t cap;
    struct swim_walk_stats *st;
};

static void walk_msg(struct walk *w, const uint8_t *p, size_t len, int depth, size_t scratch_used);

static void walk_compound(struct walk *w, const uint8_t *p, size_t len, int depth,
                          size_t scratch_used)
{
    if (len < 1) {
        w->st->errors++;
        return;
    }
    size_t n = p[0];
    if (len - 1 < 2 * n) {
        w->st->errors++;
        return;
    }
    const uint8_t *lens = p + 1;
    const uint8_t *part = p + 1 + 2 * n;
    size_t left = len - 1 - 2 * n;
    for (size_t i = 0; i < n; i++) {
        size_t plen = (size_t)lens[2 * i] << 8 | lens[2 * i + 1];
        if (plen > left) {
            w->st->truncated += (unsigned)(n - i);
            return;
        }
        walk_msg(w, part, plen, depth + 1, scratch_used);
        part += plen;
        left -= plen;
    }
}

static void walk_compress(struct walk *w, const uint8_t *p, size_t len, int depth,
                          size_t scratch_used)
{
    if (!w->scratch) {
        w->st->errors++;
        return;
    }
    uint8_t *out = w->scratch + scratch_used;
    ssize_t n = swim_decompress_body(p, len, out, w->cap - scratch_used);
    if (n < 0) {
        w->st->errors++;
        return;
    }
    walk_msg(w, out, (size_t)n, depth + 1, scratch_used + (size_t)n);
}

static void walk_msg(struct walk *w, const uint8_t *p, size_t len, int depth, size_t scratch_used)
{
    if (!p || len < 1 || depth > SWIM_NEST_MAX) {
        w->st->errors++;
        return;
    }
    uint8_t type = p[0];
    switch (type) {
    case SWIM_MSG_COMPOUND:
        walk_compound(w, p + 1, len - 1, depth, scratch_used);
        break;
    case SWIM_MSG_COMPRESS:
        walk_compress(w, p + 1, len - 1, depth, scratch_used);
        break;
    case SWIM_MSG_HAS_CRC: /* only valid as the outermost layer */
    case SWIM_MSG_ENCRYPT: /* TCP only */
        w->st->errors++;
        break;
    default:
        w->st->messages++;
        w->cb(w->ctx, type, p + 1, len - 1);
        break;
    }
}

int swim_packet_walk(const uint8_t *pkt, size_t len, uint8_t *scratch, size_t scratch_cap,
                     swim_msg_cb cb, void *ctx, struct swim_walk_stats *stats)
{
    struct swim_walk_stats local = {0};
    struct swim_walk_stats *st = stats ? stats : &local;
    memset(st, 0, sizeof *st);
    if (len >= 5 && pkt[0] == SWIM_MSG_HAS_CRC) {
        uint32_t want =
            (uint32_t)pkt[1] << 24 | (uint32_t)pkt[2] << 16 | (uint32_t)pkt[3] << 8 | pkt[4];
        if (swim_crc32(pkt + 5, len - 5) != want)
            return SWIM_ECRC;
        st->had_crc = true;
        pkt += 5;
        len -= 5;
    }
    struct walk w = {cb, ctx, scratch, scratch ? scratch_cap : 0, st};
    walk_msg(&w, pkt, len, 0, 0);
    return st->errors || st->truncated ? SWIM_EMALFORMED : SWIM_OK;
}

int swim_packet_receive(const uint8_t *pkt, size_t len, struct swim_keyring *kr,
                        bool verify_incoming, uint8_t *scratch, size_t scratch_cap, swim_msg_cb cb,
                        void *ctx, struct swim_walk_stats *stats)
{
    if (swim_keyring_enabled(kr)) {
        ssize_t n = swim_decrypt_udp(kr, pkt, len, scratch, scratch_cap);
        if (n >= 0) {
            /* Plaintext sits at the start of scratch; the walker uses the rest. */
            return swim_packet_walk(scratch, (size_t)n, n ? scratch + n : scratch,
                                    scratch_cap - (size_t)n, cb, ctx, stats);
        }
        if (verify_incoming || n == SWIM_ENOSPACE) {
            if (stats)
                memset(stats, 0, sizeof *stats);
            return n == SWIM_ENOSPACE ? SWIM_ENOSPACE : SWIM_EDECRYPT;
        }
    }
    return swim_packet_walk(pkt, len, scratch, scratch_cap, cb, ctx, stats);
}
