/* swim_int.h — internal structures of the swimmies core shared by its files (members table,
 * probe state, suspicion timers, broadcast queues, pending streams). Not a public header. */
#ifndef SWIMMIES_SWIM_INT_H
#define SWIMMIES_SWIM_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/vec.h"
#include "swimmies/proto.h"
#include "swimmies/swim.h"
#include "swimmies/swim_log.h"

#define SWIM_LOG "swim" /* component name in log lines */
/* Logging through the configured callback (struct swim_config.log). */
#define SWIM_DEBUG(s, ...) swim_logf(&(s)->cfg.log, SWIM_LOG_DEBUG, SWIM_LOG, __VA_ARGS__)
#define SWIM_INFO(s, ...) swim_logf(&(s)->cfg.log, SWIM_LOG_INFO, SWIM_LOG, __VA_ARGS__)
#define SWIM_WARN(s, ...) swim_logf(&(s)->cfg.log, SWIM_LOG_WARNING, SWIM_LOG, __VA_ARGS__)
#define SWIM_PKT_MAX 65536 /* largest datagram we accept or build */
#define BQ_LEVELS 64       /* transmit counts tracked by the broadcast queue */

struct member;

/* One queued broadcast: a complete message (type byte + body) retransmitted up to the limit. */
struct bq_item {
    struct bq_item *prev, *next;
    uint32_t transmits;
    struct member *owner; /* membership broadcast about owner (owner->bcast == this) */
    char *name;           /* named user broadcast (NULL: never replaced) */
    bool notify_leave;    /* finishing this one completes a graceful leave */
    size_t len;
    uint8_t data[];
};

/* Retransmit-limited queue: one list per transmit count, newest first inside a level. */
struct bqueue {
    struct bq_item *head[BQ_LEVELS];
    size_t count;
};

/* Lifeguard suspicion timer of one suspect member (memberlist suspicion.go). */
struct suspicion {
    uint32_t n;        /* confirmations received after the first */
    uint32_t k;        /* confirmations expected */
    uint64_t min, max; /* timeout bounds (ms) */
    uint64_t start;
    uint64_t deadline;
    uint32_t nconf;
    uint64_t conf[]; /* hashes of the names that confirmed (k + 1 slots) */
};

struct member {
    char *name; /* stored right after the struct */
    size_t name_len;
    uint64_t hash;
    struct swim_addr addr;
    uint8_t *meta;
    size_t meta_len;
    uint8_t vsn[6];
    uint32_t incarnation;
    enum swim_state state;
    uint64_t state_change;
    uint64_t heal_next, heal_pushed; /* while dead: next heal ping, last heal push/pull */
    struct suspicion *susp;          /* while suspect */
    struct bq_item *bcast;           /* queued membership broadcast about this member */
    size_t idx;                      /* position in swim.nodes */
    size_t sidx;                     /* position in swim.suspects while susp != NULL */
};

/* The probe in flight (memberlist probeNode, unrolled into phases on virtual time). */
enum probe_phase { PROBE_IDLE, PROBE_DIRECT, PROBE_INDIRECT };
struct probe {
    enum probe_phase phase;
    uint32_t seq;
    char *target; /* member name */
    uint64_t sent, timeout_at, deadline;
    uint32_t expected_nacks, nacks;
    uint64_t fallback_token; /* TCP ping in flight */
    bool fallback_contact;
    bool refused; /* the target's address answered "nothing listens here" */
};

/* An indirect ping we relay for someone else (memberlist handleIndirectPing). */
struct relay {
    uint32_t local_seq, orig_seq;
    struct swim_addr origin, target;
    bool nack;
    uint64_t deadline;
};

enum stream_kind { ST_PUSHPULL, ST_PUSHPULL_JOIN, ST_TCP_PING, ST_ONEWAY };
struct pending_stream {
    uint64_t token;
    enum stream_kind kind;
    uint32_t seq;
    uint64_t deadline;
};

/* A dead member that was reaped from the table but is retried now and then. */
struct failed_member {
    char *name;
    struct swim_addr addr;
    uint64_t since;
    uint64_t heal_next, heal_pushed;
};

struct swim {
    struct swim_config cfg; /* copy; name/meta point at our own copies */
    char *name;
    struct member *self;

    struct {
        struct member **v;
        size_t n, cap;
    } nodes; /* probe order (shuffled), self included; a core/vec.h vector */
    size_t name_len;
    struct member **table; /* open addressing by name hash */
    uint32_t *table_tag;   /* high half of each slot's hash */
    size_t table_cap, table_used;
    struct {
        struct member **v;
        size_t n, cap;
    } suspects;

    size_t probe_index;
    uint32_t seq;
    uint32_t incarnation;
    int awareness;
    uint64_t rng;
    uint64_t now;

    uint64_t next_probe, next_gossip, next_pushpull;
    struct probe probe;
    struct {
        struct relay *v;
        size_t n, cap;
    } relays;
    struct {
        struct pending_stream *v;
        size_t n, cap;
    } streams;
    uint64_t next_token;

    struct bqueue bq; /* membership messages */
    struct bqueue uq; /* user broadcasts (framed 08 + payload) */

    struct {
        struct failed_member *v;
        size_t n, cap;
    } failed; /* reaped dead members to retry (reconnect.c) */
    uint64_t next_reconnect;
    uint64_t next_heal; /* UINT64_MAX while nobody is dead or failed */

    bool left, leave_done;
    struct swim_metrics m;

    uint8_t *rx_scratch; /* packet walk (decrypt + decompress) */
    size_t rx_scratch_cap;
    uint8_t *tx_store; /* piggybacked parts */
    uint8_t *tx_buf;   /* compound assembly */
    uint8_t *tx_wire;  /* wrapped (crc, compress, encrypt) datagram */
};

/* members.c */
uint64_t swim_rand(struct swim *s);
uint32_t swim_rand_below(struct swim *s, uint32_t n);
uint64_t swim_hash_name(const uint8_t *p, size_t len);
struct member *swim_members_find(const struct swim *s, const uint8_t *name, size_t len);
struct member *swim_members_add(struct swim *s, const uint8_t *name, size_t len);
void swim_members_remove(struct swim *s, struct member *m);
void swim_members_shuffle(struct swim *s);
void swim_members_reap(struct swim *s); /* drop dead/left older than gossip_to_dead, reshuffle */
size_t swim_members_k_random(struct swim *s, size_t k, struct member **out,
                             bool (*skip)(struct swim *s, struct member *m, void *ctx), void *ctx);
void swim_members_fill_view(const struct swim *s, const struct member *m, struct swim_member *out);
int swim_members_set_meta(struct member *m, const uint8_t *meta, size_t len);
void swim_members_suspect_add(struct swim *s, struct member *m);
void swim_members_suspect_del(struct swim *s, struct member *m);

/* awareness.c */
void swim_awareness_apply(struct swim *s, int delta);
uint64_t swim_awareness_scale(const struct swim *s, uint64_t timeout);

/* suspicion.c */
uint64_t swim_suspicion_timeout_ms(uint32_t mult, size_t n, uint64_t interval);
uint64_t swim_suspicion_remaining(uint32_t n, uint32_t k, uint64_t elapsed, uint64_t min,
                                  uint64_t max);
struct suspicion *swim_suspicion_new(uint64_t now, const uint8_t *from, size_t from_len, uint32_t k,
                                     uint64_t min, uint64_t max);
/* True when from is a new confirmation (the deadline moved earlier). */
bool swim_suspicion_confirm(struct suspicion *sp, uint64_t now, const uint8_t *from,
                            size_t from_len);

/* broadcast.c */
uint32_t swim_retransmit_limit(uint32_t mult, size_t n);
void swim_bq_free_all(struct swim *s, struct bqueue *q);
/* Queue a membership message about m (replaces an older one about m). */
int swim_bq_queue_member(struct swim *s, struct member *m, const uint8_t *msg, size_t len,
                         bool notify_leave);
void swim_bq_drop_member(struct swim *s, struct member *m);
int swim_bq_queue_user(struct swim *s, const char *name, const uint8_t *msg, size_t len);
/* Take broadcasts fitting in limit bytes (each costing overhead more) from both queues, the
 * membership queue first; copies them into store and fills parts. Returns the number of parts. */
size_t swim_bq_take(struct swim *s, size_t overhead, size_t limit, struct swim_bytes *parts,
                    size_t max_parts, uint8_t *store, size_t store_cap);

/* state.c */
struct alive_in {
    const uint8_t *node;
    size_t node_len;
    const uint8_t *addr;
    size_t addr_len;
    uint16_t port;
    const uint8_t *meta;
    size_t meta_len;
    uint32_t incarnation;
    const uint8_t *vsn;
    size_t vsn_len;
};
void swim_state_alive(struct swim *s, const struct alive_in *a, bool bootstrap);
void swim_state_suspect(struct swim *s, const uint8_t *node, size_t node_len, uint32_t inc,
                        const uint8_t *from, size_t from_len);
void swim_state_dead(struct swim *s, const uint8_t *node, size_t node_len, uint32_t inc,
                     const uint8_t *from, size_t from_len);
void swim_state_suspicion_timeouts(struct swim *s);
/* A suspect/dead rumour older than what we know about an alive member came from `to`: answer
 * it with the member's current alive so the stale sender catches up (not in memberlist, which
 * waits for push/pull; wire-compatible). */
void swim_state_correct_stale(struct swim *s, const struct swim_addr *to, const uint8_t *node,
                              size_t node_len, uint32_t inc);
void swim_state_emit(struct swim *s, enum swim_event ev, const struct member *m);

/* probe.c */
void swim_probe_tick(struct swim *s);
void swim_probe_handle_ack(struct swim *s, uint32_t seq);
void swim_probe_handle_nack(struct swim *s, uint32_t seq);
void swim_probe_fallback_result(struct swim *s, uint64_t token, bool contact);
void swim_probe_unreachable(struct swim *s, const struct swim_addr *to);
void swim_probe_handle_ping(struct swim *s, const struct swim_addr *from, const uint8_t *body,
                            size_t len);
void swim_probe_handle_indirect(struct swim *s, const struct swim_addr *from, const uint8_t *body,
                                size_t len);
void swim_probe_relay_timeouts(struct swim *s);
uint64_t swim_probe_next_deadline(const struct swim *s);
void swim_probe_forget(struct swim *s);

/* send.c */
/* The keyring when encryption is on, else NULL. */
struct swim_keyring *swim_active_keyring(const struct swim *s);
/* Send one message over UDP, piggybacking queued broadcasts; crc_node (may be NULL) decides
 * the CRC wrapper by its PMax. */
void swim_send_msg(struct swim *s, const struct swim_addr *to, const struct member *crc_node,
                   const uint8_t *msg, size_t len, bool piggyback);
void swim_gossip(struct swim *s);
/* Wrap a stream message for TCP (compression, encryption) into *out (malloc'd). */
int swim_wrap_stream(struct swim *s, const uint8_t *msg, size_t len, uint8_t **out,
                     size_t *out_len);
/* Wrap a stream message for TCP and hand it to the transport. Returns 0 or -1. */
int swim_stream_send(struct swim *s, const struct swim_addr *to, const uint8_t *msg, size_t len,
                     enum stream_kind kind, uint32_t seq);
/* A stream awaiting a reply failed or timed out. */
void swim_stream_failed(struct swim *s, const struct pending_stream *p);
void swim_streams_timeouts(struct swim *s);

/* recv.c: swim_recv_packet, swim_recv_stream, swim_stream_reply (swim.h) */

/* swim.c */
void swim_ip_to_addr(const uint8_t *ip, size_t ip_len, uint16_t port, struct swim_addr *out);

/* reconnect.c */
void swim_reconnect_remember(struct swim *s, const struct member *m);
void swim_reconnect_forget(struct swim *s, const char *name);
void swim_reconnect_tick(struct swim *s);
/* Heal pings to dead and failed members, and a joining push/pull at once to one that is heard
 * from again (any valid packet from its address). */
void swim_heal_tick(struct swim *s);
void swim_heal_heard(struct swim *s, const struct swim_addr *from);
void swim_reconnect_free(struct swim *s);

/* pushpull.c */
/* Encode the local state as a push/pull stream message (type byte included; malloc'd). */
int swim_pushpull_encode(struct swim *s, bool join, uint8_t **out, size_t *out_len);
/* Verify and merge a received push/pull message. Returns 0 or -1 (refused). */
int swim_pushpull_merge(struct swim *s, const struct swim_stream_msg *msg, bool join);
void swim_pushpull_periodic(struct swim *s);

#endif
