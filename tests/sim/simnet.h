/* simnet.h — a deterministic network simulator for swimmies: N swim nodes in one process on a
 * virtual clock, a seeded RNG, per-packet latency with jitter, random loss, partitions and
 * crashes. Nodes get fake addresses (10.x.y.z:7946) that never reach a real socket; UDP packets
 * and TCP streams are events in one priority queue, so a run is reproducible from its seed. */
#ifndef SWIMMIES_SIMNET_H
#define SWIMMIES_SIMNET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "swimmies/swim.h"

struct simnet;

struct simnet_opts {
    uint64_t seed;
    uint32_t latency_ms; /* one-way base latency */
    uint32_t jitter_ms;  /* + uniform [0, jitter) */
    double loss;         /* UDP loss probability in [0, 1); TCP segments are delayed instead */
    const uint8_t *key;  /* non-NULL: every node encrypts with this key */
    size_t key_len;
};

/* Membership event seen by node `node`. */
typedef void (*simnet_event_fn)(void *ctx, size_t node, enum swim_event ev,
                                const struct swim_member *m);
typedef void (*simnet_user_fn)(void *ctx, size_t node, const uint8_t *msg, size_t len);

struct simnet *simnet_new(const struct simnet_opts *o);
void simnet_free(struct simnet *net);
void simnet_on_event(struct simnet *net, simnet_event_fn fn, void *ctx);
void simnet_on_user(struct simnet *net, simnet_user_fn fn, void *ctx);

/* Adds a node named "node-<index>" with cfg's timings (cfg NULL: LAN defaults). Returns its
 * index, or -1. */
long simnet_add(struct simnet *net, const struct swim_config *cfg);
size_t simnet_count(const struct simnet *net);
struct swim *simnet_swim(struct simnet *net, size_t i);
struct swim_addr simnet_addr(const struct simnet *net, size_t i);
const char *simnet_name(const struct simnet *net, size_t i);

/* Node i joins through node j (push/pull over a simulated TCP stream). */
void simnet_join(struct simnet *net, size_t i, size_t j);
/* Runs every event up to and including virtual time t (ms). */
void simnet_run_until(struct simnet *net, uint64_t t);
uint64_t simnet_now(const struct simnet *net);

/* Node i stops (no ticks, no replies; connections to it are refused). */
void simnet_crash(struct simnet *net, size_t i);
bool simnet_crashed(const struct simnet *net, size_t i);
/* Graceful leave: node i broadcasts its leave and stops once it has spread (or after 5 s). */
void simnet_leave(struct simnet *net, size_t i);
void simnet_set_loss(struct simnet *net, double loss);
/* Partition: nodes in different groups cannot reach each other (UDP dropped, TCP times out).
 * group may be NULL to heal. */
void simnet_partition(struct simnet *net, const uint8_t *group);

/* An application layer on node i (the replication core): its delegate receives what the swim
 * node hands up (after the simulator's own observers), and it is ticked at next_deadline like
 * the swim node. Set after simnet_add (the app may need the swim node); NULL removes it. */
struct simnet_app {
    void *ctx;
    struct swim_delegate delegate; /* ctx inside is ignored: app ctx is passed */
    void (*tick)(void *ctx, uint64_t now_ms);
    uint64_t (*next_deadline)(void *ctx);
};
void simnet_set_app(struct simnet *net, size_t i, const struct simnet_app *app);
/* Re-reads node i's deadlines (after the caller fed it something). */
void simnet_wake(struct simnet *net, size_t i);
/* Node i comes back as a fresh process (same name and address, new swim node, no app) after a
 * crash; it knows nobody until it joins. */
void simnet_restart(struct simnet *net, size_t i);

/* Counters. */
uint64_t simnet_bytes_sent(const struct simnet *net, size_t i); /* UDP + TCP bytes */
uint64_t simnet_packets_sent(const struct simnet *net, size_t i);
/* Received by node i: UDP packets + streams (requests and replies), their bytes, the largest. */
uint64_t simnet_msgs_received(const struct simnet *net, size_t i);
uint64_t simnet_bytes_received(const struct simnet *net, size_t i);
size_t simnet_max_received(const struct simnet *net, size_t i);
/* The largest stream (TCP message) any node has sent. */
size_t simnet_max_stream(const struct simnet *net);
uint64_t simnet_events_processed(const struct simnet *net);

/* How many live (non-crashed) nodes see `name` in state st. */
size_t simnet_count_seeing(const struct simnet *net, const char *name, enum swim_state st);
/* True if every live node sees every other live node alive (or suspect) and sees no live node
 * dead, and knows exactly `expect` alive-or-suspect members. */
bool simnet_converged(const struct simnet *net, size_t expect);

#endif
