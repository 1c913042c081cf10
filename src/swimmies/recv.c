/* swimmies/recv.c — the core's receive side (memberlist net.go handleCommand/handleConn): the
 * dispatcher of received datagrams (each message to probe/state/the delegate), accepted TCP
 * streams (TCP ping, push/pull, reliable user messages, error replies) and the replies to
 * streams this node opened. */
#include <stdlib.h>
#include <string.h>

#include "swimmies/swim_int.h"

struct rx_ctx {
    struct swim *s;
    const struct swim_addr *from;
};

static void on_message(void *vctx, uint8_t type, const uint8_t *body, size_t len)
{
    struct rx_ctx *c = vctx;
    struct swim *s = c->s;
    switch (type) {
    case SWIM_MSG_PING:
        swim_probe_handle_ping(s, c->from, body, len);
        break;
    case SWIM_MSG_INDIRECT_PING:
        swim_probe_handle_indirect(s, c->from, body, len);
        break;
    case SWIM_MSG_ACK: {
        struct swim_ack a;
        if (swim_decode_ack(body, len, &a, NULL) == SWIM_OK)
            swim_probe_handle_ack(s, a.seq_no);
        else
            s->m.dropped_malformed++;
        break;
    }
    case SWIM_MSG_NACK: {
        struct swim_nack a;
        if (swim_decode_nack(body, len, &a, NULL) == SWIM_OK)
            swim_probe_handle_nack(s, a.seq_no);
        else
            s->m.dropped_malformed++;
        break;
    }
    case SWIM_MSG_SUSPECT: {
        struct swim_suspect x;
        if (swim_decode_suspect(body, len, &x, NULL) == SWIM_OK) {
            swim_state_suspect(s, x.node.p, x.node.len, x.incarnation, x.from.p, x.from.len);
            swim_state_correct_stale(s, c->from, x.node.p, x.node.len, x.incarnation);
        } else
            s->m.dropped_malformed++;
        break;
    }
    case SWIM_MSG_DEAD: {
        struct swim_dead x;
        if (swim_decode_dead(body, len, &x, NULL) == SWIM_OK) {
            swim_state_dead(s, x.node.p, x.node.len, x.incarnation, x.from.p, x.from.len);
            swim_state_correct_stale(s, c->from, x.node.p, x.node.len, x.incarnation);
        } else
            s->m.dropped_malformed++;
        break;
    }
    case SWIM_MSG_ALIVE: {
        struct swim_alive x;
        if (swim_decode_alive(body, len, &x, NULL) != SWIM_OK) {
            s->m.dropped_malformed++;
            break;
        }
        struct alive_in a = {.node = x.node.p,
                             .node_len = x.node.len,
                             .addr = x.addr.p,
                             .addr_len = x.addr.len,
                             .port = x.port ? x.port : s->cfg.advertise.port,
                             .meta = x.meta.p,
                             .meta_len = x.meta.len,
                             .incarnation = x.incarnation,
                             .vsn = x.vsn,
                             .vsn_len = x.vsn_len};
        swim_state_alive(s, &a, false);
        break;
    }
    case SWIM_MSG_USER:
        s->m.user_msgs_in++;
        if (s->cfg.delegate.on_user_msg)
            s->cfg.delegate.on_user_msg(s->cfg.delegate.ctx, body, len);
        break;
    default:
        s->m.dropped_other++;
        break;
    }
}

void swim_recv_packet(struct swim *s, uint64_t now_ms, const struct swim_addr *from,
                      const uint8_t *buf, size_t len)
{
    s->now = now_ms;
    s->m.packets_in++;
    s->m.bytes_in += len;
    struct rx_ctx c = {s, from};
    struct swim_walk_stats st;
    memset(&st, 0, sizeof(st));
    int rc = swim_packet_receive(buf, len, swim_active_keyring(s), true, s->rx_scratch,
                                 s->rx_scratch_cap, on_message, &c, &st);
    if (rc == SWIM_EDECRYPT || rc == SWIM_ENOKEY)
        s->m.dropped_decrypt++;
    else if (rc != SWIM_OK)
        s->m.dropped_malformed++;
    else if (s->next_heal != UINT64_MAX)
        swim_heal_heard(s, from);
}

/* swim_stream_read with a scratch buffer that grows until the message fits. */
static int read_stream(struct swim *s, const uint8_t *buf, size_t len, uint8_t **scratch,
                       struct swim_stream_msg *msg)
{
    size_t cap = len + 65536; /* grows 4x whenever decompression needs more */
    for (;;) {
        *scratch = malloc(cap);
        if (!*scratch)
            return SWIM_ENOSPACE;
        int rc = swim_stream_read(buf, len, swim_active_keyring(s), true, *scratch, cap, msg);
        if (rc != SWIM_ENOSPACE || cap >= 4 * (size_t)SWIM_MAX_STREAM_BYTES)
            return rc;
        free(*scratch);
        *scratch = NULL;
        cap *= 4;
    }
}

void swim_recv_unreachable(struct swim *s, uint64_t now_ms, const struct swim_addr *to)
{
    s->now = now_ms;
    swim_probe_unreachable(s, to);
}

int swim_stream_reply(struct swim *s, uint64_t now_ms, uint64_t token, const uint8_t *buf,
                      size_t len)
{
    s->now = now_ms;
    size_t i;
    for (i = 0; i < s->streams.n; i++)
        if (s->streams.v[i].token == token)
            break;
    if (i == s->streams.n)
        return 0;
    struct pending_stream p = s->streams.v[i];
    if (!buf) {
        s->streams.v[i] = s->streams.v[--s->streams.n];
        swim_stream_failed(s, &p);
        return 0;
    }
    uint8_t *scratch = NULL;
    struct swim_stream_msg msg;
    int rc = read_stream(s, buf, len, &scratch, &msg);
    if (rc == SWIM_ETRUNC) {
        free(scratch);
        return 1;
    }
    s->streams.v[i] = s->streams.v[--s->streams.n];
    s->m.stream_bytes_in += len;
    if (rc != SWIM_OK) {
        if (rc == SWIM_EDECRYPT || rc == SWIM_EPLAINTEXT || rc == SWIM_ENOKEY)
            s->m.dropped_decrypt++;
        else
            s->m.dropped_malformed++;
        swim_stream_failed(s, &p);
        free(scratch);
        return 0;
    }
    if (msg.type == SWIM_MSG_ERR) {
        SWIM_WARN(s, "remote error: %.*s", (int)msg.u.err.error.len,
                  (const char *)msg.u.err.error.p);
        swim_stream_failed(s, &p);
    } else if (p.kind == ST_TCP_PING) {
        if (msg.type == SWIM_MSG_ACK && msg.u.ack.seq_no == p.seq)
            swim_probe_fallback_result(s, token, true);
    } else if (p.kind == ST_PUSHPULL || p.kind == ST_PUSHPULL_JOIN) {
        if (msg.type == SWIM_MSG_PUSH_PULL &&
            swim_pushpull_merge(s, &msg, p.kind == ST_PUSHPULL_JOIN) == 0) {
            s->m.pushpulls++;
        } else {
            swim_stream_failed(s, &p);
        }
    }
    free(scratch);
    return 0;
}

static void err_reply(struct swim *s, const char *text, uint8_t **reply, size_t *reply_len)
{
    uint8_t buf[512];
    struct swim_err e = {.error = swim_str(text)};
    ssize_t n = swim_encode_err(buf, sizeof(buf), &e);
    if (n > 0)
        swim_wrap_stream(s, buf, (size_t)n, reply, reply_len);
}

int swim_recv_stream(struct swim *s, uint64_t now_ms, const struct swim_addr *from,
                     const uint8_t *buf, size_t len, uint8_t **reply, size_t *reply_len)
{
    (void)from;
    s->now = now_ms;
    *reply = NULL;
    *reply_len = 0;
    uint8_t *scratch = NULL;
    struct swim_stream_msg msg;
    int rc = read_stream(s, buf, len, &scratch, &msg);
    if (rc == SWIM_ETRUNC) {
        free(scratch);
        return 1;
    }
    s->m.streams_in++;
    s->m.stream_bytes_in += len;
    if (rc != SWIM_OK) {
        if (rc == SWIM_EPLAINTEXT)
            s->m.dropped_plaintext++;
        else if (rc == SWIM_EDECRYPT || rc == SWIM_ENOKEY)
            s->m.dropped_decrypt++;
        else
            s->m.dropped_malformed++;
        SWIM_WARN(s, "rejected stream: %s", swim_strerror(rc));
        err_reply(s, swim_strerror(rc), reply, reply_len);
        free(scratch);
        return -1;
    }
    int ret = 0;
    switch (msg.type) {
    case SWIM_MSG_PING: {
        if (msg.u.ping.node.len && !swim_bytes_eq_str(msg.u.ping.node, s->name)) {
            s->m.dropped_other++;
            ret = -1;
            break;
        }
        uint8_t abuf[64];
        struct swim_ack a = {.seq_no = msg.u.ping.seq_no};
        ssize_t n = swim_encode_ack(abuf, sizeof(abuf), &a);
        if (n > 0)
            swim_wrap_stream(s, abuf, (size_t)n, reply, reply_len);
        break;
    }
    case SWIM_MSG_PUSH_PULL: {
        uint8_t *local;
        size_t ll;
        if (swim_pushpull_encode(s, msg.u.push_pull.header.join, &local, &ll) == 0) {
            swim_wrap_stream(s, local, ll, reply, reply_len);
            free(local);
        }
        if (swim_pushpull_merge(s, &msg, msg.u.push_pull.header.join) == 0)
            s->m.pushpulls++;
        else
            s->m.pushpull_failures++;
        break;
    }
    case SWIM_MSG_USER:
        s->m.user_msgs_in++;
        if (s->cfg.delegate.on_user_msg)
            s->cfg.delegate.on_user_msg(s->cfg.delegate.ctx, msg.u.user.payload.p,
                                        msg.u.user.payload.len);
        break;
    default:
        s->m.dropped_other++;
        ret = -1;
        break;
    }
    if (reply_len && *reply_len)
        s->m.stream_bytes_out += *reply_len;
    free(scratch);
    return ret;
}
