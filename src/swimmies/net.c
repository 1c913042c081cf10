/* net.c — the core's packet and stream paths (memberlist net.go): building datagrams with
 * piggybacked broadcasts in a compound that fits UDPBufferSize, CRC for PMax >= 5 peers,
 * encryption; gossip rounds; dispatching received packets; TCP streams (push/pull, TCP ping,
 * reliable user messages) both as server and client, with pending-reply bookkeeping. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "swimmies/keyring.h"
#include "swimmies/swim_int.h"

#define COMPOUND_HEADER_OVERHEAD 2 /* 07 + count */
#define COMPOUND_PART_OVERHEAD 2   /* u16 length */

void swim_ip_to_addr(const uint8_t *ip, size_t ip_len, uint16_t port, struct swim_addr *out)
{
    memset(out, 0, sizeof(*out));
    if (ip_len > 16)
        ip_len = 16;
    if (ip_len) /* an absent address is (NULL, 0) */
        memcpy(out->ip, ip, ip_len);
    out->ip_len = (uint8_t)ip_len;
    out->port = port;
}

static struct swim_keyring *active_keyring(const struct swim *s)
{
    return swim_keyring_enabled(s->cfg.keyring) ? s->cfg.keyring : NULL;
}

static size_t udp_room(const struct swim *s)
{
    size_t room = s->cfg.udp_buffer_size;
    if (active_keyring(s))
        room = room > SWIM_ENC_OVERHEAD ? room - SWIM_ENC_OVERHEAD : 0;
    return room;
}

static void transmit(struct swim *s, const struct swim_addr *to, const struct member *crc_node,
                     const uint8_t *payload, size_t len)
{
    bool crc = crc_node && crc_node->vsn[1] >= 5;
    ssize_t n = swim_packet_wrap(s->tx_wire, SWIM_PKT_MAX, payload, len, s->cfg.compress_udp, crc,
                                 active_keyring(s));
    if (n < 0) {
        SWIM_WARN(s, "cannot wrap a %zu-byte packet", len);
        return;
    }
    if (s->cfg.transport.send_packet &&
        s->cfg.transport.send_packet(s->cfg.transport.ctx, to, s->tx_wire, (size_t)n) == 0) {
        s->m.packets_out++;
        s->m.bytes_out += (uint64_t)n;
    }
}

void swim_send_msg(struct swim *s, const struct swim_addr *to, const struct member *crc_node,
                   const uint8_t *msg, size_t len, bool piggyback)
{
    size_t room = udp_room(s);
    size_t np = 0;
    struct swim_bytes parts[SWIM_COMPOUND_MAX_PARTS];
    if (piggyback && len + COMPOUND_HEADER_OVERHEAD < room) {
        size_t avail = room - len - COMPOUND_HEADER_OVERHEAD;
        np = swim_bq_take(s, COMPOUND_PART_OVERHEAD, avail, parts + 1, SWIM_COMPOUND_MAX_PARTS - 1,
                          s->tx_store, SWIM_PKT_MAX);
    }
    if (np == 0) {
        transmit(s, to, crc_node, msg, len);
        return;
    }
    parts[0] = swim_mem(msg, len);
    ssize_t cl = swim_compound_build(s->tx_buf, SWIM_PKT_MAX, parts, np + 1);
    if (cl < 0) {
        transmit(s, to, crc_node, msg, len);
        return;
    }
    transmit(s, to, crc_node, s->tx_buf, (size_t)cl);
}

static bool skip_gossip(struct swim *s, struct member *m, void *ctx)
{
    (void)ctx;
    if (m == s->self)
        return true;
    switch (m->state) {
    case SWIM_ALIVE:
    case SWIM_SUSPECT:
        return false;
    case SWIM_DEAD:
        return s->now - m->state_change > s->cfg.gossip_to_dead_ms;
    default:
        return true;
    }
}

void swim_gossip(struct swim *s)
{
    if (s->bq.count == 0 && s->uq.count == 0)
        return;
    struct member *targets[64];
    size_t k = s->cfg.gossip_nodes < 64 ? s->cfg.gossip_nodes : 64;
    size_t got = swim_members_k_random(s, k, targets, skip_gossip, NULL);
    size_t room = udp_room(s);
    if (room <= COMPOUND_HEADER_OVERHEAD)
        return;
    for (size_t i = 0; i < got; i++) {
        struct swim_bytes parts[SWIM_COMPOUND_MAX_PARTS];
        size_t np = swim_bq_take(s, COMPOUND_PART_OVERHEAD, room - COMPOUND_HEADER_OVERHEAD, parts,
                                 SWIM_COMPOUND_MAX_PARTS, s->tx_store, SWIM_PKT_MAX);
        if (np == 0)
            return;
        s->m.gossip_packets++;
        if (np == 1) {
            transmit(s, &targets[i]->addr, targets[i], parts[0].p, parts[0].len);
        } else {
            ssize_t cl = swim_compound_build(s->tx_buf, SWIM_PKT_MAX, parts, np);
            if (cl > 0)
                transmit(s, &targets[i]->addr, targets[i], s->tx_buf, (size_t)cl);
        }
    }
}

/* ---- receive ----------------------------------------------------------------------------------
 */

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
    int rc = swim_packet_receive(buf, len, active_keyring(s), true, s->rx_scratch,
                                 s->rx_scratch_cap, on_message, &c, &st);
    if (rc == SWIM_EDECRYPT || rc == SWIM_ENOKEY)
        s->m.dropped_decrypt++;
    else if (rc != SWIM_OK)
        s->m.dropped_malformed++;
}

/* ---- streams ----------------------------------------------------------------------------------
 */

static int wrap_stream(struct swim *s, const uint8_t *msg, size_t len, uint8_t **out,
                       size_t *out_len)
{
    size_t cap = len + len / 2 + 256;
    uint8_t *buf = malloc(cap);
    if (!buf)
        return -ENOMEM;
    ssize_t n = swim_stream_wrap(buf, cap, msg, len, s->cfg.compress_tcp, active_keyring(s));
    if (n < 0) {
        free(buf);
        return -EMSGSIZE;
    }
    *out = buf;
    *out_len = (size_t)n;
    return 0;
}

int swim_stream_send(struct swim *s, const struct swim_addr *to, const uint8_t *msg, size_t len,
                     enum stream_kind kind, uint32_t seq)
{
    if (!s->cfg.transport.stream_send)
        return -1;
    uint8_t *wire;
    size_t wl;
    if (wrap_stream(s, msg, len, &wire, &wl) < 0)
        return -1;
    uint64_t token = 0;
    if (kind != ST_ONEWAY) {
        if (s->n_streams == s->cap_streams) {
            size_t nc = s->cap_streams ? s->cap_streams * 2 : 8;
            struct pending_stream *ns = realloc(s->streams, nc * sizeof(*ns));
            if (!ns) {
                free(wire);
                return -1;
            }
            s->streams = ns;
            s->cap_streams = nc;
        }
        token = ++s->next_token;
    }
    int rc = s->cfg.transport.stream_send(s->cfg.transport.ctx, to, wire, wl, token);
    free(wire);
    if (rc < 0)
        return -1;
    s->m.streams_out++;
    s->m.stream_bytes_out += wl;
    if (token) {
        struct pending_stream *p = &s->streams[s->n_streams++];
        p->token = token;
        p->kind = kind;
        p->seq = seq;
        p->deadline = s->now + s->cfg.tcp_timeout_ms;
    }
    return 0;
}

static void stream_failed(struct swim *s, const struct pending_stream *p)
{
    if (p->kind == ST_PUSHPULL || p->kind == ST_PUSHPULL_JOIN) {
        s->m.pushpull_failures++;
        SWIM_DEBUG(s, "push/pull failed");
    }
}

void swim_streams_timeouts(struct swim *s)
{
    for (size_t i = 0; i < s->n_streams;) {
        if (s->streams[i].deadline > s->now) {
            i++;
            continue;
        }
        struct pending_stream p = s->streams[i];
        s->streams[i] = s->streams[--s->n_streams];
        stream_failed(s, &p);
    }
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
        int rc = swim_stream_read(buf, len, active_keyring(s), true, *scratch, cap, msg);
        if (rc != SWIM_ENOSPACE || cap >= 4 * (size_t)SWIM_MAX_STREAM_BYTES)
            return rc;
        free(*scratch);
        *scratch = NULL;
        cap *= 4;
    }
}

int swim_stream_reply(struct swim *s, uint64_t now_ms, uint64_t token, const uint8_t *buf,
                      size_t len)
{
    s->now = now_ms;
    size_t i;
    for (i = 0; i < s->n_streams; i++)
        if (s->streams[i].token == token)
            break;
    if (i == s->n_streams)
        return 0;
    struct pending_stream p = s->streams[i];
    if (!buf) {
        s->streams[i] = s->streams[--s->n_streams];
        stream_failed(s, &p);
        return 0;
    }
    uint8_t *scratch = NULL;
    struct swim_stream_msg msg;
    int rc = read_stream(s, buf, len, &scratch, &msg);
    if (rc == SWIM_ETRUNC) {
        free(scratch);
        return 1;
    }
    s->streams[i] = s->streams[--s->n_streams];
    s->m.stream_bytes_in += len;
    if (rc != SWIM_OK) {
        if (rc == SWIM_EDECRYPT || rc == SWIM_EPLAINTEXT || rc == SWIM_ENOKEY)
            s->m.dropped_decrypt++;
        else
            s->m.dropped_malformed++;
        stream_failed(s, &p);
        free(scratch);
        return 0;
    }
    if (msg.type == SWIM_MSG_ERR) {
        SWIM_WARN(s, "remote error: %.*s", (int)msg.u.err.error.len,
                  (const char *)msg.u.err.error.p);
        stream_failed(s, &p);
    } else if (p.kind == ST_TCP_PING) {
        if (msg.type == SWIM_MSG_ACK && msg.u.ack.seq_no == p.seq)
            swim_probe_fallback_result(s, token, true);
    } else if (p.kind == ST_PUSHPULL || p.kind == ST_PUSHPULL_JOIN) {
        if (msg.type == SWIM_MSG_PUSH_PULL &&
            swim_pushpull_merge(s, &msg, p.kind == ST_PUSHPULL_JOIN) == 0) {
            s->m.pushpulls++;
        } else {
            stream_failed(s, &p);
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
        wrap_stream(s, buf, (size_t)n, reply, reply_len);
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
            wrap_stream(s, abuf, (size_t)n, reply, reply_len);
        break;
    }
    case SWIM_MSG_PUSH_PULL: {
        uint8_t *local;
        size_t ll;
        if (swim_pushpull_encode(s, msg.u.push_pull.header.join, &local, &ll) == 0) {
            wrap_stream(s, local, ll, reply, reply_len);
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
