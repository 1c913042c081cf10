/* app.h — glue between the process (its configuration and HTTP API) and the cluster sync
 * manager, so main.c only calls these. */
#ifndef JOYRIDE_APP_H
#define JOYRIDE_APP_H

#include <stddef.h>

#include "config/config.h"
#include "http/api.h"
#include "sync/sync.h"

/* Starts the sync manager from the process configuration (NODE_ID, HOSTIP, SWIM_*, DISCOVERY_*,
 * CLUSTER_*, RECORDS_ON_NODE_FAILURE). Returns NULL with a one-line reason in err on failure. */
struct sync *sync_start_from_config(struct loop *loop, struct records *records,
                                    const struct config *cfg, char *err, size_t errlen);
/* The HTTP API's cluster hooks bound to s (static storage: one sync per process). */
const struct http_cluster_hooks *sync_http_hooks(struct sync *s);

#endif
