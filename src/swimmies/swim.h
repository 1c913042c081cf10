/* swimmies/swim.h — public API of swimmies, a SWIM membership library in C speaking the HashiCorp
 * memberlist wire protocol (protocol version 2 semantics; probes, indirect probes with nacks, TCP
 * ping fallback, Lifeguard suspicion and local health, piggybacked gossip, TCP push/pull), so a
 * serf or Go memberlist node accepts a swimmies node as a member. It knows nothing about the
 * program that uses it: no globals, nothing printed, every external symbol starts with swim_.
 *
 * Three parts, each its own library (as Tarantool builds swim / swim_udp / swim_ev):
 *   core       swim.h (+ keyring.h, proto.h for the codec): the sans-IO protocol. Needs only
 *              libcrypto, zlib, libm and core/vec.h; no sockets, no event loop; time comes
 *              from the caller (the clock is read only to seed the RNG when seed is 0).
 *   transport  transport_udp.h: one UDP socket and one TCP listener on an event loop (core/loop.h).
 *              Another program plugs in its own struct swim_transport instead (the simulator does).
 *   discovery  discovery.h: UDP broadcast announce/heartbeat/goodbye, so nodes find seeds.
 *
 * Driving it: fill a struct swim_config (swim_config_default, then name, advertise, transport,
 * delegate, log), swim_new(), then feed it the current time (milliseconds, any monotonic origin),
 * received datagrams (swim_recv_packet) and the bytes of TCP streams (swim_recv_stream,
 * swim_stream_reply), and call swim_tick() at swim_next_deadline(). The core sends through the
 * transport's function pointers and, after an API call that queued work (join, leave, meta,
 * broadcast, user message), tells the transport its new deadline (transport.schedule). Log lines
 * go to config.log (NULL: silent). Not thread-safe: one thread drives one struct swim. Transport
 * callbacks must not call back into the core; the delegate's callbacks may use the API
 * (e.g. swim_broadcast). */
#ifndef SWIMMIES_SWIM_H
#define SWIMMIES_SWIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "swimmies/swim_log.h"

struct swim;
struct swim_keyring;

/* An IPv4 (ip_len 4) or IPv6 (ip_len 16) address and port, as memberlist carries them. */
struct swim_addr {
    uint8_t ip[16];
    uint8_t ip_len;
    uint16_t port;
};

enum swim_state { SWIM_ALIVE = 0, SWIM_SUSPECT = 1, SWIM_DEAD = 2, SWIM_LEFT = 3 };

enum swim_event {
    SWIM_EV_JOIN,    /* a node became known or came back from dead/left */
    SWIM_EV_UPDATE,  /* an alive node's meta (or address) changed */
    SWIM_EV_SUSPECT, /* a node is suspected of having failed */
    SWIM_EV_ALIVE,   /* a suspected node refuted the suspicion */
    SWIM_EV_FAIL,    /* a node was declared dead */
    SWIM_EV_LEAVE,   /* a node left gracefully */
};

/* A read-only view of one member, valid only during the callback or iteration that gave it. */
struct swim_member {
    const char *name;
    struct swim_addr addr;
    const uint8_t *meta;
    size_t meta_len;
    enum swim_state state;
    uint32_t incarnation;
    uint8_t vsn[6]; /* PMin PMax PCur DMin DMax DCur */
    uint64_t state_change_ms;
    bool is_self;
};

/* Transport: how the core sends; both return 0 or -1. All bytes are final wire bytes (already
 * compressed/encrypted). stream_send opens a TCP connection to `to` and writes buf. When
 * token != 0 the core waits for one reply message: the transport hands the bytes it reads back
 * with swim_stream_reply(token, ...) until that returns 0, or reports a failure with
 * swim_stream_reply(token, NULL, 0) (connect/read error, timeout, early close). */
struct swim_transport {
    void *ctx;
    int (*send_packet)(void *ctx, const struct swim_addr *to, const uint8_t *buf, size_t len);
    int (*stream_send)(void *ctx, const struct swim_addr *to, const uint8_t *buf, size_t len,
                       uint64_t token);
    /* Optional: called at the end of swim_join/leave/update_meta/broadcast/send_user with the
     * new swim_next_deadline(), so a transport that drives a timer re-arms it by itself (it must
     * not call back into the core from here). */
    void (*schedule)(void *ctx, uint64_t deadline_ms);
};

/* Application hooks; every pointer may be NULL. */
struct swim_delegate {
    void *ctx;
    /* Membership events. */
    void (*on_event)(void *ctx, enum swim_event ev, const struct swim_member *m);
    /* A user message arrived (gossip part, best-effort UDP or reliable TCP). */
    void (*on_user_msg)(void *ctx, const uint8_t *msg, size_t len);
    /* Push/pull: produce this node's user state (malloc'd; *out may stay NULL for none). */
    void (*local_state)(void *ctx, bool join, uint8_t **out, size_t *out_len);
    /* Push/pull: a peer's user state arrived. */
    void (*merge_remote_state)(void *ctx, const uint8_t *buf, size_t len, bool join);
    /* Optional admission check before a push/pull merge on join; return false to refuse. */
    bool (*accept_merge)(void *ctx, const struct swim_member *nodes, size_t n);
};

/* Configuration; swim_config_default() fills memberlist's LAN defaults. */
struct swim_config {
    const char *name;           /* unique node name (required) */
    struct swim_addr advertise; /* address and port peers reach us on (required) */
    const uint8_t *meta;        /* node metadata (<= 512 bytes) */
    size_t meta_len;
    uint8_t vsn[6]; /* advertised versions; default 1 5 2 2 5 4 */

    uint32_t probe_interval_ms;          /* 1000 */
    uint32_t probe_timeout_ms;           /* 500 */
    uint32_t gossip_interval_ms;         /* 200 */
    uint32_t gossip_nodes;               /* 3 */
    uint32_t gossip_to_dead_ms;          /* 30000 */
    uint32_t indirect_checks;            /* 3 */
    uint32_t retransmit_mult;            /* 4 */
    uint32_t suspicion_mult;             /* 4 */
    uint32_t suspicion_max_timeout_mult; /* 6 */
    uint32_t awareness_max_mult;         /* 8 */
    uint32_t pushpull_interval_ms;       /* 30000; 0 disables periodic push/pull */
    uint32_t user_queue_max;       /* 4096 (serf's MaxQueueDepth): user broadcasts queued at most */
    uint32_t dead_node_reclaim_ms; /* 0: never reuse a dead node's name for a new address */
    uint32_t reconnect_interval_ms; /* 30000: retry failed members (heals partitions); 0: off */
    uint32_t heal_ping_min_ms;     /* 500: dead members pinged this often at first (then backing off
                                    * to 30 s as they stay dead); 0: off */
    uint32_t reconnect_timeout_ms; /* 86400000: forget failed members after this long */
    uint32_t tcp_timeout_ms;       /* 10000 (used by transports) */
    uint32_t udp_buffer_size;      /* 1400 */
    bool disable_tcp_pings;        /* false */
    bool compress_udp;             /* false: LZW on UDP only when it pays; receive always */
    bool compress_tcp;             /* true: streams are LZW-wrapped as memberlist does */
    uint64_t seed;                 /* RNG seed; 0 picks one from the clock */

    struct swim_keyring *keyring; /* NULL: plaintext; borrowed, must outlive the swim */
    struct swim_transport transport;
    struct swim_delegate delegate;
    struct swim_logger log; /* log lines ("swim" core, "swim-net" transport); fn NULL: silent */
};

/* Counters for /metrics; monotonically increasing except where noted. */
struct swim_metrics {
    uint64_t packets_in, packets_out, bytes_in, bytes_out;
    uint64_t streams_in, streams_out, stream_bytes_in, stream_bytes_out;
    uint64_t dropped_decrypt;   /* packets/streams that did not authenticate */
    uint64_t dropped_malformed; /* undecodable or bad CRC */
    uint64_t dropped_plaintext; /* plaintext stream to an encrypted node */
    uint64_t dropped_other;     /* wrong target, unknown type, version mismatch */
    uint64_t probes, probe_failures, indirect_probes, tcp_fallback_probes;
    uint64_t probes_refused; /* probes answered by ICMP port unreachable / connection refused */
    uint64_t refused_deaths; /* members declared dead on that evidence, without suspicion */
    uint64_t suspects, deaths, refutes;
    uint64_t pushpulls, pushpull_failures, reconnects;
    uint64_t heal_pings, heals; /* pings to dead members; push/pulls to dead members heard again */
    uint64_t gossip_packets, user_msgs_in, broadcasts_queued;
    uint64_t broadcasts_dropped; /* user broadcasts pruned from a full queue, oldest first */
    uint64_t stale_corrections;  /* alive sent back to the sender of an outdated rumour */
    /* gauges */
    uint32_t members_alive, members_suspect, members_dead, members_left;
    uint32_t health_score, queued_broadcasts;
};

void swim_config_default(struct swim_config *c);

/* Creates the node; it knows only itself until swim_join. Returns NULL on bad config/ENOMEM. */
struct swim *swim_new(const struct swim_config *c, uint64_t now_ms);
void swim_free(struct swim *s);

/* Starts a joining push/pull with each seed (asynchronous; progress shows as JOIN events).
 * Returns the number of push/pulls started. */
int swim_join(struct swim *s, uint64_t now_ms, const struct swim_addr *seeds, size_t n);
/* Graceful leave: broadcasts dead(From == self). Keep ticking for a moment so it spreads;
 * swim_leave_done() becomes true once it has been sent to peers (or nobody is alive). */
int swim_leave(struct swim *s, uint64_t now_ms);
bool swim_leave_done(const struct swim *s);
/* Replaces this node's meta and broadcasts alive with a bumped incarnation. */
int swim_update_meta(struct swim *s, uint64_t now_ms, const uint8_t *meta, size_t len);

/* User broadcast piggybacked on gossip. With a name, a newer broadcast of the same name replaces
 * a queued older one. Returns 0 or -EINVAL/-ENOMEM/-EMSGSIZE. */
int swim_broadcast(struct swim *s, const char *name, const uint8_t *msg, size_t len);
/* Best-effort UDP user message / reliable TCP user message to one member by name. */
int swim_send_user(struct swim *s, const char *node, const uint8_t *msg, size_t len, bool reliable);

/* Driving. */
void swim_tick(struct swim *s, uint64_t now_ms);
uint64_t swim_next_deadline(const struct swim *s);
void swim_recv_packet(struct swim *s, uint64_t now_ms, const struct swim_addr *from,
                      const uint8_t *buf, size_t len);
/* Bytes read so far from an accepted TCP connection (the whole buffer each time, growing).
 * Returns 1 when more bytes are needed, 0 when the request was handled (then *reply, malloc'd or
 * NULL, is what the transport writes back before closing), -1 when the stream is rejected (the
 * transport writes *reply if set, an err message, and closes). */
int swim_recv_stream(struct swim *s, uint64_t now_ms, const struct swim_addr *from,
                     const uint8_t *buf, size_t len, uint8_t **reply, size_t *reply_len);
/* The reply bytes read so far for a stream_send(token != 0), or buf NULL when the stream failed
 * (connect/read error, timeout, closed early). Returns 1 when more bytes are needed, else 0 (the
 * token is finished; the transport closes the connection). */
int swim_stream_reply(struct swim *s, uint64_t now_ms, uint64_t token, const uint8_t *buf,
                      size_t len);
/* Nothing listens at `to`: a datagram sent there came back as ICMP port unreachable, or a TCP
 * connect to it was refused. Unlike silence this is positive evidence that the process is gone
 * while its host is up: a member being probed at that address is probed indirectly at once, and
 * declared dead (not merely suspect) when the indirect probes fail too; a ping relayed there is
 * nacked at once. Silence keeps memberlist's timing. */
void swim_recv_unreachable(struct swim *s, uint64_t now_ms, const struct swim_addr *to);

/* Introspection. */
const char *swim_name(const struct swim *s);
size_t swim_num_members(const struct swim *s); /* every known node, self included */
size_t swim_num_alive(const struct swim *s);   /* alive + suspect, self included */
/* Calls fn for every known member (self included); stop early by returning false. */
void swim_foreach_member(const struct swim *s, bool (*fn)(void *ctx, const struct swim_member *m),
                         void *ctx);
/* Looks one member up by name; false when unknown. */
bool swim_get_member(const struct swim *s, const char *name, struct swim_member *out);
void swim_get_metrics(const struct swim *s, struct swim_metrics *out);
int swim_health_score(const struct swim *s);

/* Helpers. */
const char *swim_state_name(enum swim_state st);
const char *swim_event_name(enum swim_event ev);
/* "a.b.c.d:port" or "[v6]:port" into buf (>= 48 bytes). */
const char *swim_addr_str(const struct swim_addr *a, char *buf, size_t len);
/* Parses "ip:port" / "[v6]:port"; default_port when no port. Returns 0 or -1. */
int swim_addr_parse(const char *s, uint16_t default_port, struct swim_addr *out);
bool swim_addr_eq(const struct swim_addr *a, const struct swim_addr *b);

#endif
