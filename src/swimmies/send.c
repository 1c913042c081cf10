/* swimmies/send.c — the core's send side (memberlist net.go): datagrams with piggybacked
 * broadcasts in a compound that fits UDPBufferSize, CRC for PMax >= 5 peers, encryption; gossip
 * rounds; wrapping stream messages for TCP and the bookkeeping of streams awaiting a reply. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "swimmies/keyring.h"
#include "swimmies/swim_int.h"

#define COMPOUND_HEADER_OVERHEAD 2 /* 07 + count */
#define COMPOUND_PART_OVERHEAD 2   /* u16 length */

struct swim_keyring *swim_active_keyring(const struct swim *s)
{
    return swim_keyring_enabled(s->cfg.keyring) ? s->cfg.keyring : NULL;
}

static size_t udp_room(const struct swim *s)
{
    size_t room = s->cfg.udp_buffer_size;
    if (swim_active_keyring(s))
        room = room > SWIM_ENC_OVERHEAD ? room - SWIM_ENC_OVERHEAD : 0;
    return room;
}

static void transmit(struct swim *s, const struct swim_addr *to, const struct member *crc_node,
                     const uint8_t *payload, size_t len)
{
    bool crc = crc_node && crc_node->vsn[1] >= 5;
    ssize_t n = swim_packet_wrap(s->tx_wire, SWIM_PKT_MAX, payload, len, s->cfg.compress_udp, crc,
                                 swim_active_keyring(s));
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

int swim_wrap_stream(struct swim *s, const uint8_t *msg, size_t len, uint8_t **out, size_t *out_len)
{
    size_t cap = len + len / 2 + 256;
    uint8_t *buf = malloc(cap);
    if (!buf)
        return -ENOMEM;
    ssize_t n = swim_stream_wrap(buf, cap, msg, len, s->cfg.compress_tcp, swim_active_keyring(s));
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
    if (swim_wrap_stream(s, msg, len, &wire, &wl) < 0)
        return -1;
    uint64_t token = 0;
    if (kind != ST_ONEWAY) {
        if (!vec_reserve(&s->streams, s->streams.n + 1)) {
            free(wire);
            return -1;
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
        struct pending_stream *p = &s->streams.v[s->streams.n++];
        p->token = token;
        p->kind = kind;
        p->seq = seq;
        p->deadline = s->now + s->cfg.tcp_timeout_ms;
    }
    return 0;
}

void swim_stream_failed(struct swim *s, const struct pending_stream *p)
{
    if (p->kind == ST_PUSHPULL || p->kind == ST_PUSHPULL_JOIN) {
        s->m.pushpull_failures++;
        SWIM_DEBUG(s, "push/pull failed");
    }
}

void swim_streams_timeouts(struct swim *s)
{
    for (size_t i = 0; i < s->streams.n;) {
        if (s->streams.v[i].deadline > s->now) {
            i++;
            continue;
        }
        struct pending_stream p = s->streams.v[i];
        s->streams.v[i] = s->streams.v[--s->streams.n];
        swim_stream_failed(s, &p);
    }
}
