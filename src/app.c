/* app.c — builds the sync manager's configuration from the process configuration and
 * exposes the manager to the HTTP API as its cluster hooks. */
#include "app.h"

#include <stdlib.h>
#include <string.h>

#include "sync/status.h"

struct sync *sync_start_from_config(struct loop *loop, struct records *records,
                                    const struct config *c, char *err, size_t errlen)
{
    struct sync_config sc;
    sync_config_default(&sc);
    sc.node_id = c->node_id;
    sc.hostname = NULL; /* gethostname */
    sc.advertise_ip = c->hostip;
    sc.bind_address = c->cluster_bind_address;
    sc.swim_port = c->swim_port;
    sc.service_port = c->http_port;
    sc.version = c->semantic_version;
    sc.discovery_port = c->discovery_port;
    sc.discovery_broadcast = c->discovery_broadcast;
    sc.discovery_interval_ms = c->discovery_interval_ms;
    sc.discovery_timeout_ms = c->discovery_timeout_ms;
    sc.keep_on_failure = c->records_on_node_failure == CONFIG_FAILURE_KEEP;
    sc.probe_interval_ms = c->swim_probe_interval_ms;
    sc.probe_timeout_ms = c->swim_probe_timeout_ms;
    sc.gossip_interval_ms = c->swim_gossip_interval_ms;
    sc.suspicion_mult = c->swim_suspicion_mult;
    sc.pushpull_interval_ms = c->swim_pushpull_interval_ms;

    struct sync_seed *seeds = calloc(c->n_cluster_seeds ? c->n_cluster_seeds : 1, sizeof *seeds);
    struct sync_key *keys = calloc(c->n_cluster_keys ? c->n_cluster_keys : 1, sizeof *keys);
    struct sync *s = NULL;
    if (!seeds || !keys) {
        snprintf(err, errlen, "cluster: out of memory");
        goto out;
    }
    for (size_t i = 0; i < c->n_cluster_seeds; i++)
        seeds[i] = (struct sync_seed){c->cluster_seeds[i].host, c->cluster_seeds[i].port};
    for (size_t i = 0; i < c->n_cluster_keys; i++) {
        keys[i].len = c->cluster_keys[i].len;
        memcpy(keys[i].bytes, c->cluster_keys[i].bytes, sizeof keys[i].bytes);
    }
    sc.seeds = seeds;
    sc.n_seeds = c->n_cluster_seeds;
    sc.keys = keys;
    sc.n_keys = c->n_cluster_keys;
    s = sync_start(loop, records, &sc, err, errlen);
out:
    free(seeds);
    if (keys) {
        memset(keys, 0, (c->n_cluster_keys ? c->n_cluster_keys : 1) * sizeof *keys);
        free(keys);
    }
    return s;
}

static bool hook_running(void *ctx)
{
    struct sync_status st;
    sync_get_status(ctx, &st);
    bool r = st.running;
    sync_status_free(&st);
    return r;
}

static json_t *hook_cluster_json(void *ctx)
{
    return sync_cluster_json(ctx);
}

static int hook_sync_now(void *ctx)
{
    return sync_request_now(ctx);
}

static char *hook_metrics(void *ctx)
{
    return sync_metrics_text(ctx);
}

const struct http_cluster_hooks *sync_http_hooks(struct sync *s)
{
    static struct http_cluster_hooks hooks;
    hooks = (struct http_cluster_hooks){
        .ctx = s,
        .running = hook_running,
        .cluster_json = hook_cluster_json,
        .sync_now = hook_sync_now,
        .metrics = hook_metrics,
    };
    return &hooks;
}
