/* sync/sync.h — the cluster sync manager ("DNSSyncManager"): ties the record table to swimmies.
 *
 * - Discovery (UDP broadcast) finds peers; a peer that is not a member yet is joined over SWIM.
 *   Static seeds are joined too, retried with backoff until one answers.
 * - Every change this node makes to its own records becomes a delta, gossiped as a swimmies user
 *   broadcast; peers apply it. Every owner's deltas are numbered, so a receiver that sees a gap
 *   asks the owner (or any member holding that owner) for its full state at once.
 * - Push/pull (anti-entropy) carries the full state of every owner this node knows.
 * - Membership drives owner liveness: dead -> records withdrawn (kept dormant) unless configured
 *   to keep them; alive again -> served again; left -> dropped.
 *
 * Everything runs on the control thread's event loop. sync_get_status and sync_request_now may be
 * called from any thread. */
#ifndef JOYRIDE_SYNC_H
#define JOYRIDE_SYNC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/loop.h"
#include "records/records.h"
#include "swimmies/discovery.h"
#include "swimmies/swim.h"

struct sync_seed {
    const char *host; /* IP literal or host name */
    uint16_t port;
};

struct sync_key {
    size_t len; /* 16, 24 or 32 */
    uint8_t bytes[32];
};

struct sync_config {
    const char *node_id;      /* member name and record owner (must equal records' local owner) */
    const char *hostname;     /* announced by discovery (NULL: gethostname) */
    const char *advertise_ip; /* HOSTIP: the address peers reach us on (IPv4 or IPv6 literal) */
    const char *bind_address; /* CLUSTER_BIND_ADDRESS (NULL or "0.0.0.0": any) */
    uint16_t swim_port;
    uint16_t service_port;   /* announced as node_info.port (the HTTP port) */
    const char *version;     /* announced as metadata.version */
    uint16_t discovery_port; /* 0: discovery off */
    const char *discovery_broadcast;
    uint32_t discovery_interval_ms;
    uint32_t discovery_timeout_ms;
    const struct sync_seed *seeds;
    size_t n_seeds;
    const struct sync_key *keys; /* first is primary; none: plaintext */
    size_t n_keys;
    bool keep_on_failure; /* RECORDS_ON_NODE_FAILURE=keep */
    /* Up to this many live peers, record changes are also sent to each directly at once (not
     * only by gossip). 0: the default (16); negative: never. */
    int direct_max;
    /* SWIM timings; 0 keeps memberlist's LAN default. */
    uint32_t probe_interval_ms;
    uint32_t probe_timeout_ms;
    uint32_t gossip_interval_ms;
    uint32_t suspicion_mult;
    uint32_t pushpull_interval_ms;
    uint32_t gossip_nodes; /* fan-out of a gossip round */
};

/* Fills the defaults above (ports 8890/8889, 5 s discovery interval, 15 s timeout, ...). */
void sync_config_default(struct sync_config *c);

struct sync_member_status {
    char node_id[REC_OWNER_MAX + 1];
    char address[64]; /* "ip:port" */
    enum swim_state state;
    uint32_t incarnation;
    size_t records;     /* served records this member owns in our table */
    double last_change; /* unix seconds of the last state change we saw */
    bool is_self;
};

struct sync_stats {
    uint64_t deltas_sent, delta_msgs_sent;
    uint64_t deltas_received, delta_msgs_received;
    uint64_t deltas_applied, deltas_stale, deltas_rejected;
    uint64_t gaps;                       /* deltas that revealed a missed one */
    uint64_t repairs_requested;          /* targeted full-state requests sent */
    uint64_t repairs_served;             /* full-state answers we sent */
    uint64_t repairs_completed;          /* gaps closed (by a repair answer or late gossip) */
    uint64_t states_sent, states_merged; /* push/pull and on-demand states */
    uint64_t records_synced;             /* remote entries received (deltas + full states) */
    uint64_t sync_operations;            /* delta batches + states merged */
    uint64_t payloads_malformed, payloads_foreign;
    uint64_t joins_attempted, sync_requests;
    uint64_t sync_requests_coalesced; /* answered by a sync queued or started < 1 s before */
    uint64_t discovery_joins;         /* joins started because discovery heard a peer */
    uint64_t joins_rate_limited;      /* ... refused by the join rate limit */
    uint64_t joins_backoff;           /* ... refused: that address was tried too recently */
    uint64_t joins_address_conflict;  /* announces of a member's id at another address */
    uint64_t relayed;                 /* delta messages passed on by gossip (epidemic spread) */
    double last_sync;                 /* unix seconds of the last merge (0: never) */
    double last_repair_ms;            /* time from gap detection to the repair merged (last one) */
};

struct sync_status {
    bool running;
    char node_id[REC_OWNER_MAX + 1];
    struct sync_member_status *members; /* self included; malloc'd */
    size_t n_members;
    struct swim_discovery_node *discovered; /* malloc'd */
    size_t n_discovered;
    uint32_t alive, suspect, failed, left; /* member counts by state, self included */
    uint64_t dns_version;                  /* records snapshot version */
    struct sync_stats stats;
    struct swim_metrics swim;
    struct swim_discovery_stats discovery;
    bool discovery_enabled, encrypted;
};

struct sync;

/* Creates swimmies (UDP+TCP on bind_address:swim_port), discovery and the seed joins, observes
 * the record table. On the loop thread, before or while the loop runs. Returns NULL with a
 * one-line reason in err on failure. */
struct sync *sync_start(struct loop *loop, struct records *records, const struct sync_config *cfg,
                        char *err, size_t errlen);
/* Leaves the cluster gracefully (goodbye, SWIM leave, spreading it for up to ~1 s on the loop,
 * which must not be running), stops observing the table and frees everything. NULL-safe. */
void sync_stop(struct sync *s);

/* The SWIM port actually bound (cfg swim_port 0 picks a free one). */
uint16_t sync_swim_port(const struct sync *s);

/* Thread-safe copy of the current status; release with sync_status_free. */
void sync_get_status(struct sync *s, struct sync_status *out);
void sync_status_free(struct sync_status *st);

/* Thread-safe: starts an immediate full-state exchange with every alive member. Requests are
 * coalesced: while one is queued, and for SYNC_NOW_MIN_INTERVAL_MS after one was started, a
 * request starts nothing (the sync just started serves it too). Returns 0 when a sync starts,
 * SYNC_NOW_COALESCED when the request was coalesced, or -errno. */
#define SYNC_NOW_COALESCED 1
#define SYNC_NOW_MIN_INTERVAL_MS 1000
int sync_request_now(struct sync *s);

#endif
