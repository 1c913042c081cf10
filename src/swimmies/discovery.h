/* swimmies/discovery.h — LAN discovery by UDP broadcast: a small JSON announce/heartbeat/goodbye
 * carrying a node's id, address and membership port, so nodes find each other with no seeds.
 * Runs on the caller's event loop; knows nothing about what the service does. */
#ifndef SWIMMIES_DISCOVERY_H
#define SWIMMIES_DISCOVERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/loop.h"
#include "swimmies/swim_log.h"

#define SWIM_DISC_ID_MAX 128
#define SWIM_DISC_STR_MAX 64

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
    struct swim_logger log;   /* log lines (component "discovery"); fn NULL: silent */
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

/* Encodes/decodes the JSON message (exposed for tests). type: "announce"|"heartbeat"|"goodbye". */
int swim_discovery_encode(const struct swim_discovery_config *cfg, const char *type, double now,
                          char *buf, size_t cap);
/* Returns false for malformed input; fills *type_out with the message type. */
bool swim_discovery_decode(const char *buf, size_t len, struct swim_discovery_node *out,
                           char *type_out, size_t type_cap, char *service_type_out,
                           size_t service_cap);

#endif
