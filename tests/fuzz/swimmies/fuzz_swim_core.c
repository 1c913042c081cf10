/* fuzz_swim_core.c — libFuzzer target for the swimmies protocol core (sans-IO). One input is one
 * node's life: a fresh struct swim with a transport that only checks and counts what it is asked
 * to send, then a sequence of chunks fed as UDP packets, TCP streams, replies to the node's own
 * streams, timer ticks on advancing virtual time, and API calls.
 *
 * Input: one flags byte, then chunks of [op][dt][len hi][len lo][len bytes] (a short last chunk
 * takes what is left). Flags: bit 0 a fixed AES key, bit 1 two peers joined beforehand by alive
 * messages, bit 2 compress_udp, bit 3 no compress_tcp, bit 4 disable_tcp_pings, bit 5 dead node
 * reclaim, bit 6 accept_merge refuses. Each chunk first advances the clock by dt * 8 ms. op & 7:
 *   0 raw datagram                 1 raw stream bytes
 *   2 tick (op & 0x80: jump to the next deadline)
 *   3 raw reply to a pending stream of the node (empty: the stream failed)
 *   4 message wrapped as a datagram (compress op & 0x10, CRC op & 0x20, encrypted when keyed)
 *   5 message wrapped as a stream   6 message wrapped as a stream reply
 *   7 an API call picked by the first data byte (broadcast, user message, meta, join, leave)
 * The sender of datagrams and streams is picked by (op >> 6): peer 1, peer 2, a stranger, self.
 * Everything the node sends must decode with its own keyring. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "swimmies/keyring.h"
#include "swimmies/proto.h"
#include "swimmies/swim.h"

#define TOKENS 8

struct fake_net {
    struct swim_keyring *kr;
    uint64_t packets, streams;
    uint64_t tokens[TOKENS]; /* the node's streams waiting for a reply, most recent last */
    size_t n_tokens;
    bool refuse_merge;
};

static uint8_t scratch[1 << 18];
static uint8_t wire[1 << 17];

static void check(int cond)
{
    if (!cond)
        abort();
}

static void ignore_msg(void *ctx, uint8_t type, const uint8_t *body, size_t len)
{
    (void)ctx;
    (void)type;
    (void)body;
    (void)len;
}

static int net_packet(void *ctx, const struct swim_addr *to, const uint8_t *buf, size_t len)
{
    struct fake_net *n = ctx;
    check(to->ip_len == 4 || to->ip_len == 16);
    check(len > 0 && len <= 65536);
    check(swim_packet_receive(buf, len, n->kr, true, scratch, sizeof scratch, ignore_msg, NULL,
                              NULL) == SWIM_OK);
    n->packets++;
    return 0;
}

static int net_stream(void *ctx, const struct swim_addr *to, const uint8_t *buf, size_t len,
                      uint64_t token)
{
    struct fake_net *n = ctx;
    check(to->ip_len == 4 || to->ip_len == 16);
    struct swim_stream_msg m;
    check(swim_stream_read(buf, len, n->kr, true, scratch, sizeof scratch, &m) == SWIM_OK);
    check(m.consumed == len);
    n->streams++;
    if (token) {
        if (n->n_tokens == TOKENS) {
            memmove(n->tokens, n->tokens + 1, (TOKENS - 1) * sizeof n->tokens[0]);
            n->n_tokens--;
        }
        n->tokens[n->n_tokens++] = token;
    }
    return 0;
}

static void on_local_state(void *ctx, bool join, uint8_t **out, size_t *out_len)
{
    (void)ctx;
    static const char st[] = "fuzz-state";
    if (join)
        return; /* no user state on join: the NULL case */
    *out = malloc(sizeof st - 1);
    check(*out != NULL);
    memcpy(*out, st, sizeof st - 1);
    *out_len = sizeof st - 1;
}

static bool on_accept_merge(void *ctx, const struct swim_member *nodes, size_t n)
{
    const struct fake_net *net = ctx;
    for (size_t i = 0; i < n; i++)
        check(nodes[i].name != NULL);
    return !net->refuse_merge;
}

static bool check_member(void *ctx, const struct swim_member *m)
{
    size_t *count = ctx;
    check(m->name != NULL && m->name[0] != '\0');
    check(m->addr.ip_len == 4 || m->addr.ip_len == 16);
    check(m->state <= SWIM_LEFT);
    check(m->meta_len == 0 || m->meta != NULL);
    (*count)++;
    return true;
}

static const struct swim_addr peers[4] = {
    {.ip = {127, 0, 0, 2}, .ip_len = 4, .port = 7946},
    {.ip = {127, 0, 0, 3}, .ip_len = 4, .port = 7946},
    {.ip = {0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9}, .ip_len = 16, .port = 7000},
    {.ip = {127, 0, 0, 1}, .ip_len = 4, .port = 7946}, /* our own address */
};
static const char *const peer_names[3] = {"peer1", "peer2", "nobody"};

static void deliver_wrapped(struct swim *s, uint64_t now, const struct swim_addr *from,
                            const uint8_t *msg, size_t len, bool compress, bool crc,
                            const struct swim_keyring *kr)
{
    ssize_t n = swim_packet_wrap(wire, sizeof wire, msg, len, compress, crc, kr);
    if (n > 0)
        swim_recv_packet(s, now, from, wire, (size_t)n);
}

static void join_peer(struct swim *s, uint64_t now, size_t i, const struct swim_keyring *kr)
{
    uint8_t msg[256];
    struct swim_alive a = {.incarnation = 1,
                           .node = swim_str(peer_names[i]),
                           .addr = swim_mem(peers[i].ip, peers[i].ip_len),
                           .port = peers[i].port,
                           .meta = swim_str("m"),
                           .vsn = {1, 5, 2, 2, 5, 4},
                           .vsn_len = 6};
    ssize_t n = swim_encode_alive(msg, sizeof msg, &a);
    check(n > 0);
    deliver_wrapped(s, now, &peers[i], msg, (size_t)n, false, true, kr);
}

static void stream_in(struct swim *s, uint64_t now, const struct swim_addr *from,
                      const uint8_t *buf, size_t len)
{
    uint8_t *reply = NULL;
    size_t reply_len = 0;
    int rc = swim_recv_stream(s, now, from, buf, len, &reply, &reply_len);
    check(rc >= -1 && rc <= 1);
    check(reply == NULL || rc != 1);
    free(reply);
}

static void stream_reply(struct swim *s, uint64_t now, struct fake_net *net, uint8_t pick,
                         const uint8_t *buf, size_t len)
{
    if (net->n_tokens == 0)
        return;
    size_t i = pick % net->n_tokens;
    uint64_t token = net->tokens[i];
    int rc = swim_stream_reply(s, now, token, len ? buf : NULL, len);
    check(rc == 0 || rc == 1);
    if (rc == 0) {
        memmove(net->tokens + i, net->tokens + i + 1,
                (net->n_tokens - i - 1) * sizeof net->tokens[0]);
        net->n_tokens--;
    }
}

static void api_call(struct swim *s, uint64_t now, const uint8_t *p, size_t len)
{
    if (len == 0)
        return;
    uint8_t what = p[0];
    p++;
    len--;
    switch (what % 6) {
    case 0: {
        char name[8] = "k";
        name[1] = (char)('0' + (what >> 3) % 4);
        (void)swim_broadcast(s, what & 4 ? name : NULL, p, len);
        break;
    }
    case 1:
        (void)swim_send_user(s, peer_names[(what >> 3) % 3], p, len, what & 4);
        break;
    case 2:
        (void)swim_update_meta(s, now, p, len);
        break;
    case 3:
        (void)swim_join(s, now, peers, 1 + (what >> 3) % 4);
        break;
    case 4:
        (void)swim_leave(s, now);
        break;
    default:
        (void)swim_broadcast(s, NULL, NULL, 0);
        break;
    }
}

/* Malformed input is logged as warnings: the lines are formatted (so that path is fuzzed too),
 * checked and dropped to keep the run quiet. */
static void fuzz_log(void *ctx, enum swim_log_level level, const char *component, const char *msg)
{
    (void)ctx;
    check(level <= SWIM_LOG_ERROR && component && strlen(msg) < 1024);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    uint8_t flags = data[0];
    data++;
    size--;

    struct swim_keyring ring;
    swim_keyring_init(&ring);
    if (flags & 1) {
        uint8_t key[16];
        for (size_t i = 0; i < sizeof key; i++)
            key[i] = (uint8_t)(0x5a ^ (i * 13));
        check(swim_keyring_add(&ring, key, sizeof key) == SWIM_OK);
    }
    struct swim_keyring *kr = (flags & 1) ? &ring : NULL;
    struct fake_net net = {.kr = kr, .refuse_merge = flags & 64};

    struct swim_config cfg;
    swim_config_default(&cfg);
    cfg.name = "self";
    cfg.advertise = peers[3];
    cfg.meta = (const uint8_t *)"meta";
    cfg.meta_len = 4;
    cfg.seed = 7;
    cfg.keyring = kr;
    cfg.log = (struct swim_logger){.fn = fuzz_log};
    cfg.compress_udp = flags & 4;
    cfg.compress_tcp = !(flags & 8);
    cfg.disable_tcp_pings = flags & 16;
    cfg.dead_node_reclaim_ms = flags & 32 ? 5000 : 0;
    cfg.transport =
        (struct swim_transport){.ctx = &net, .send_packet = net_packet, .stream_send = net_stream};
    cfg.delegate.ctx = &net;
    cfg.delegate.local_state = on_local_state;
    cfg.delegate.accept_merge = on_accept_merge;

    uint64_t now = 1000;
    struct swim *s = swim_new(&cfg, now);
    check(s != NULL);
    if (flags & 2) {
        join_peer(s, now, 0, kr);
        join_peer(s, now, 1, kr);
    }

    size_t pos = 0;
    while (pos < size) {
        uint8_t op = data[pos], dt = pos + 1 < size ? data[pos + 1] : 0;
        size_t len = 0;
        if (pos + 3 < size)
            len = (size_t)data[pos + 2] << 8 | data[pos + 3];
        pos += 4;
        if (pos > size)
            pos = size;
        if (len > size - pos)
            len = size - pos;
        const uint8_t *p = data + pos;
        pos += len;

        now += (uint64_t)dt * 8;
        const struct swim_addr *from = &peers[op >> 6];
        switch (op & 7) {
        case 0:
            swim_recv_packet(s, now, from, p, len);
            break;
        case 1:
            stream_in(s, now, from, p, len);
            break;
        case 2:
            if (op & 0x80) {
                uint64_t d = swim_next_deadline(s);
                if (d > now && d - now < 600000)
                    now = d;
            }
            swim_tick(s, now);
            break;
        case 3:
            stream_reply(s, now, &net, op >> 3, p, len);
            break;
        case 4:
            deliver_wrapped(s, now, from, p, len, op & 0x10, op & 0x20, kr);
            break;
        case 5:
        case 6: {
            ssize_t n = swim_stream_wrap(wire, sizeof wire, p, len, op & 0x10, kr);
            if (n <= 0)
                break;
            if ((op & 7) == 5)
                stream_in(s, now, from, wire, (size_t)n);
            else
                stream_reply(s, now, &net, op >> 3, wire, (size_t)n);
            break;
        }
        default:
            api_call(s, now, p, len);
            break;
        }
    }

    size_t members = 0;
    swim_foreach_member(s, check_member, &members);
    check(members == swim_num_members(s));
    check(swim_num_alive(s) <= members && members >= 1);
    struct swim_member self;
    check(swim_get_member(s, "self", &self) && self.is_self);
    swim_free(s);
    return 0;
}
