/* swimmies/discovery.h — LAN discovery by UDP broadcast: a small JSON announce/heartbeat/goodbye
 * carrying a node's id, address and membership port, so nodes find each other with no seeds.
 * With a keyring every message is signed and only signed ones are accepted (discovery_auth.h).
 * The table of heard nodes is capped; a known node id never moves to another address (a new
 * address is taken only once the old entry expired or said goodbye). Runs on the caller's event
 * loop; knows nothing about what the service does. */
#ifndef SWIMMIES_DISCOVERY_H
#define SWIMMIES_DISCOVERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/loop.h"
#include "swimmies/keyring.h"
#include "swimmies/swim_log.h"

#define SWIM_DISC_ID_MAX 128
#define SWIM_DISC_STR_MAX 64
#define SWIM_DISC_MAX_NODES 1024 /* default cap of the table of heard nodes */

struct swim_discovery_config {
    const char *node_id;
    const char *hostname;
    const char *ip_address;   /* advertised address (HOSTIP) */
    uint16_t service_port;    /* "port" in node_info */
    uint16_t swim_port;       /* "metadata.swim_port" */
    const char *version;      /* "metadata.version" */
    const char *service_type; /* e.g. "joyride-dns"; other types are ignored */
    const char *role;         /* "metadata.role" */
    const char *bind_address; /* source address for sends (NULL/"0.0.0.0": any) */
    uint16_t port;            /* DISCOVERY_PORT */
    const char *broadcast;    /* DISCOVERY_BROADCAST, e.g. 255.255.255.255 or 127.255.255.255 */
    uint32_t interval_ms;     /* heartbeat period */
    uint32_t timeout_ms;      /* a node not heard for this long expires */
    /* With keys: messages are sent signed by the primary key, and only messages signed by one of
     * the keys, within the time window and not seen before, are accepted. Read on the loop
     * thread only (the caller keeps it alive). NULL or empty: plain JSON. */
    const struct swim_keyring *keyring;
    size_t max_nodes;       /* table cap (0: SWIM_DISC_MAX_NODES); a new node evicts the one
                               heard longest ago, among those heard over less than half an
                               interval first (so a flood of new ids never evicts real nodes) */
    struct swim_logger log; /* log lines (component "discovery"); fn NULL: silent. Dropped
                               messages are logged each time: the caller rate-limits */
};

struct swim_discovery_node {
    char node_id[SWIM_DISC_ID_MAX + 1];
    char hostname[SWIM_DISC_STR_MAX + 1];
    char ip_address[SWIM_DISC_STR_MAX + 1];
    uint16_t port;
    uint16_t swim_port;
    char version[SWIM_DISC_STR_MAX + 1];
    char role[SWIM_DISC_STR_MAX + 1];
    double last_seen; /* unix time (s) when we last heard it */
};

enum swim_discovery_event {
    SWIM_DISCOVERY_FOUND,
    SWIM_DISCOVERY_UPDATED,
    SWIM_DISCOVERY_LOST,
    SWIM_DISCOVERY_GOODBYE
};

typedef void (*swim_discovery_cb)(enum swim_discovery_event ev, const struct swim_discovery_node *n,
                                  void *ctx);

struct swim_discovery_stats {
    uint64_t sent, received, ignored, malformed, send_errors;
    uint64_t unauthenticated, bad_mac, stale, replayed; /* dropped for want of a valid signature */
    uint64_t address_conflicts; /* a known node id announced at another address (dropped) */
    uint64_t evicted;           /* nodes dropped from a full table */
};

struct swim_discovery;

/* Binds, sends the first announce and schedules heartbeats. cb runs on the loop thread.
 * Returns NULL with a one-line reason in err on failure. */
struct swim_discovery *swim_discovery_start(struct loop *l, const struct swim_discovery_config *cfg,
                                            swim_discovery_cb cb, void *ctx, char *err,
                                            size_t errlen);
/* Sends goodbye, closes the sockets, frees. On the loop thread. */
void swim_discovery_stop(struct swim_discovery *d);
/* Sends a heartbeat now (e.g. after a configuration change). */
void swim_discovery_announce(struct swim_discovery *d);

/* Thread-safe copies of the currently known nodes (up to max); returns how many are known. */
size_t swim_discovery_nodes(struct swim_discovery *d, struct swim_discovery_node *out, size_t max);
void swim_discovery_get_stats(struct swim_discovery *d, struct swim_discovery_stats *out);

/* Handles one received datagram as if it came from the socket; from is the sender's address for
 * log lines (may be NULL). On the loop thread (exposed for tests). */
void swim_discovery_receive(struct swim_discovery *d, const char *buf, size_t len,
                            const char *from);

/* Encodes/decodes the plain JSON message (exposed for tests). type:
 * "announce"|"heartbeat"|"goodbye". */
int swim_discovery_encode(const struct swim_discovery_config *cfg, const char *type, double now,
                          char *buf, size_t cap);
/* Returns false for malformed input; fills *type_out with the message type. */
bool swim_discovery_decode(const char *buf, size_t len, struct swim_discovery_node *out,
                           char *type_out, size_t type_cap, char *service_type_out,
                           size_t service_cap);

#endif
