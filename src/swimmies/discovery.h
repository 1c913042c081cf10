/* swimmies/discovery.h — LAN discovery by UDP broadcast: a small JSON announce/heartbeat/goodbye
 * carrying a node's id, address and membership port, so nodes find each other with no seeds.
 * Runs on the caller's event loop; knows nothing about what the service does. */
#ifndef SWIMMIES_DISCOVERY_H
#define SWIMMIES_DISCOVERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/loop.h"

#define DISC_ID_MAX 128
#define DISC_STR_MAX 64

struct discovery_config {
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
};

struct discovery_node {
    char node_id[DISC_ID_MAX + 1];
    char hostname[DISC_STR_MAX + 1];
    char ip_address[DISC_STR_MAX + 1];
    uint16_t port;
    uint16_t swim_port;
    char version[DISC_STR_MAX + 1];
    char role[DISC_STR_MAX + 1];
    double last_seen; /* unix time (s) when we last heard it */
};

enum discovery_event { DISCOVERY_FOUND, DISCOVERY_UPDATED, DISCOVERY_LOST, DISCOVERY_GOODBYE };

typedef void (*discovery_cb)(enum discovery_event ev, const struct discovery_node *n, void *ctx);

struct discovery_stats {
    uint64_t sent, received, ignored, malformed, send_errors;
};

struct discovery;

/* Binds, sends the first announce and schedules heartbeats. cb runs on the loop thread.
 * Returns NULL with a one-line reason in err on failure. */
struct discovery *discovery_start(struct loop *l, const struct discovery_config *cfg,
                                  discovery_cb cb, void *ctx, char *err, size_t errlen);
/* Sends goodbye, closes the sockets, frees. On the loop thread. */
void discovery_stop(struct discovery *d);
/* Sends a heartbeat now (e.g. after a configuration change). */
void discovery_announce(struct discovery *d);

/* Thread-safe copies of the currently known nodes (up to max); returns how many are known. */
size_t discovery_nodes(struct discovery *d, struct discovery_node *out, size_t max);
void discovery_get_stats(struct discovery *d, struct discovery_stats *out);

/* Encodes/decodes the JSON message (exposed for tests). type: "announce"|"heartbeat"|"goodbye". */
int discovery_encode(const struct discovery_config *cfg, const char *type, double now, char *buf,
                     size_t cap);
/* Returns false for malformed input; fills *type_out with the message type. */
bool discovery_decode(const char *buf, size_t len, struct discovery_node *out, char *type_out,
                      size_t type_cap, char *service_type_out, size_t service_cap);

#endif
