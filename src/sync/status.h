/* sync/status.h — the cluster status as JSON for GET /dns/cluster and as Prometheus text for
 * /metrics. Thread-safe (built from sync_get_status copies). */
#ifndef JOYRIDE_SYNC_STATUS_H
#define JOYRIDE_SYNC_STATUS_H

#include <jansson.h>

#include "sync/sync.h"

/* The "cluster" object: node_id, running, discovered_nodes, statistics, nodes, swim_cluster
 * (documented shape) plus per-member detail. A new reference, or NULL on allocation failure. */
json_t *sync_status_json(const struct sync_status *st);
json_t *sync_cluster_json(struct sync *s);

/* Complete "# HELP"/"# TYPE"/sample lines; malloc'd, or NULL on allocation failure. */
char *sync_status_metrics(const struct sync_status *st);
char *sync_metrics_text(struct sync *s);

#endif
