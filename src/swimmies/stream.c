/* stream.c — memberlist TCP stream framing: reading one request/response from a byte buffer
 * (encrypt and compress outer wrappers, push/pull, user, ping/ack, err) and wrapping one for
 * sending. */
#include <string.h>

#include "swimmies/keyring.h"
#include "swimmies/lzw.h"
#include "swimmies/proto.h"

/* In a body that is complete (decrypted or decompressed), running out of bytes is malformed;
 * in the raw stream it means "read more". */
static int trunc_status(int rc, bool complete)
{
    return rc == SWIM_ETRUNC && complete ? SWIM_EMALFORMED : rc;
}

/* Parses the inner message body (after its type byte). Sets *used to the bytes consumed. */
static int read_inner(uint8_t type, const uint8_t *p, size_t len, bool complete,
                      struct swim_stream_msg *out, size_t *used)
{
    int rc;
    size_t n = 0;
    switch (type) {
    case SWIM_MSG_PING:
        rc = swim_decode_ping(p, len, &out->u.ping, &n);
        break;
    case SWIM_MSG_ACK:
        rc = swim_decode_ack(p, len, &out->u.ack, &n);
        break;
    case SWIM_MSG_ERR:
        rc = swim_decode_err(p, len, &out->u.err, &n);
        break;
    case SWIM_MSG_PUSH_PULL: {
        struct swim_push_pull_header *h = &out->u.push_pull.header;
        rc = swim_decode_push_pull_header(p, len, h, &n);
        if (rc)
            break;
        if (h->user_state_len > SWIM_MAX_STREAM_BYTES)
            return SWIM_ENOSPACE;
        size_t start = n;
        for (uint32_t i = 0; i < h->nodes && rc == SWIM_OK; i++) {
            struct swim_push_node node;
            size_t k = 0;
            rc = swim_decode_push_node(p + n, len - n, &node, &k);
            n += k;
        }
        if (rc)
            break;
        out->u.push_pull.nodes.p = p + start;
        out->u.push_pull.nodes.len = n - start;
        if (len - n < h->user_state_len) {
            rc = SWIM_ETRUNC;
            break;
        }
        out->u.push_pull.user_state.p = h->user_state_len ? p + n : NULL;
        out->u.push_pull.user_state.len = h->user_state_len;
        n += h->user_state_len;
        break;
    }
    case SWIM_MSG_USER: {
        struct swim_user_header *h = &out->u.user.header;
        rc = swim_decode_user_header(p, len, h, &n);
        if (rc)
            break;
        if (h->user_msg_len > SWIM_MAX_STREAM_BYTES)
            return SWIM_ENOSPACE;
        if (len - n < h->user_msg_len) {
            rc = SWIM_ETRUNC;
            break;
        }
        out->u.user.payload.p = p + n;
        out->u.user.payload.len = h->user_msg_len;
        n += h->user_msg_len;
        break;
    }
    default:
        return SWIM_EUNSUPPORTED;
    }
    if (rc)
        return trunc_status(rc, complete);
    *used = n;
    return SWIM_OK;
}

int swim_stream_read(const uint8_t *in, size_t len, struct swim_keyring *kr, bool verify_incoming,
                     uint8_t *scratch, size_t scratch_cap, struct swim_stream_msg *out)
{
    memset(out, 0, sizeof *out);
    if (len < 1)
        return SWIM_ETRUNC;
    uint8_t type = in[0];
    const uint8_t *body = in + 1;
    size_t blen = len - 1;
    bool complete = false;
    size_t consumed = 0; /* known once an outer wrapper fixes it */
    size_t scratch_used = 0;
    int rc;

    if (type == SWIM_MSG_ENCRYPT) {
        if (!swim_keyring_enabled(kr))
            return SWIM_ENOKEY;
        ssize_t n = swim_decrypt_tcp(kr, in, len, scratch, scratch_cap, &consumed);
        if (n < 0)
            return (int)n;
        if (n == 0)
            return SWIM_EMALFORMED;
        out->encrypted = true;
        type = scratch[0];
        body = scratch + 1;
        blen = (size_t)n - 1;
        complete = true;
        scratch_used = (size_t)n;
    } else if (swim_keyring_enabled(kr) && verify_incoming) {
        return SWIM_EPLAINTEXT;
    }

    if (type == SWIM_MSG_COMPRESS) {
        struct swim_compress c;
        size_t cu = 0;
        rc = swim_decode_compress(body, blen, &c, &cu);
        if (rc)
            return trunc_status(rc, complete);
        if (c.algo != 0)
            return SWIM_EUNSUPPORTED;
        if (!c.buf.p)
            return SWIM_EMALFORMED;
        if (!complete)
            consumed = 1 + cu;
        uint8_t *dst = scratch ? scratch + scratch_used : NULL;
        ssize_t n = dst ? swim_lzw_decompress(c.buf.p, c.buf.len, dst, scratch_cap - scratch_used)
                        : SWIM_ENOSPACE;
        if (n < 0)
            return (int)n;
        if (n == 0)
            return SWIM_EMALFORMED;
        out->compressed = true;
        type = dst[0];
        body = dst + 1;
        blen = (size_t)n - 1;
        complete = true;
    }

    size_t used = 0;
    rc = read_inner(type, body, blen, complete, out, &used);
    if (rc == SWIM_ETRUNC && len >= SWIM_MAX_STREAM_BYTES)
        return SWIM_ENOSPACE;
    if (rc)
        return rc;
    out->type = type;
    out->consumed = complete ? consumed : 1 + used;
    return SWIM_OK;
}

int swim_push_nodes_next(struct swim_bytes *it, struct swim_push_node *node)
{
    if (!it->p || it->len == 0)
        return 0;
    size_t used = 0;
    int rc = swim_decode_push_node(it->p, it->len, node, &used);
    if (rc || used == 0)
        return SWIM_EMALFORMED;
    it->p += used;
    it->len -= used;
    return 1;
}

ssize_t swim_stream_wrap(uint8_t *buf, size_t cap, const uint8_t *msg, size_t len, bool compress,
                         const struct swim_keyring *kr)
{
    bool enc = swim_keyring_enabled(kr);
    size_t pre = enc ? SWIM_ENC_TCP_HEADER + SWIM_ENC_VSN_SIZE + SWIM_ENC_NONCE_SIZE : 0;
    size_t post = enc ? SWIM_ENC_TAG_SIZE : 0;
    if (cap < pre + post)
        return -1;
    uint8_t *inner = buf + pre;
    size_t room = cap - pre - post;
    ssize_t n;
    if (compress) {
        n = swim_compress_wrap(inner, room, msg, len);
    } else {
        n = room >= len ? (ssize_t)len : -1;
        if (n >= 0 && len)
            memcpy(inner, msg, len);
    }
    if (n < 0 || !enc)
        return n;
    size_t elen = swim_encrypted_len(1, (size_t)n);
    if (elen > SWIM_MAX_STREAM_BYTES)
        return -1;
    buf[0] = SWIM_MSG_ENCRYPT;
    buf[1] = (uint8_t)(elen >> 24);
    buf[2] = (uint8_t)(elen >> 16);
    buf[3] = (uint8_t)(elen >> 8);
    buf[4] = (uint8_t)elen;
    ssize_t s = swim_seal_inplace(&kr->keys[0], buf + SWIM_ENC_TCP_HEADER,
                                  cap - SWIM_ENC_TCP_HEADER, (size_t)n, buf, SWIM_ENC_TCP_HEADER);
    return s < 0 ? -1 : s + SWIM_ENC_TCP_HEADER;
}
