/* app.c — glue between the configuration and the modules: DOCKER_HOST checked with the Docker
 * source's own parser (the docker CLI's grammar, written once, in sources/), each module's
 * settings built from struct config, and the sync manager exposed to the HTTP API as its cluster
 * hooks (stored in struct app, so nothing here is static). */
#include "app.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/vec.h"

#include "core/log.h"
#include "dns/apex.h"
#include "sources/docker_host.h"
#include "sync/status.h"

bool app_check_config(const struct config *c, char *err, size_t errlen)
{
    struct docker_endpoint ep;
    char msg[256];
    if (docker_endpoint_parse(c->docker_host, &ep, msg, sizeof msg))
        return true;
    /* the parser says "DOCKER_HOST <problem>: <value>"; config's messages read "<where>: ..."
     * with where as the user wrote it (DOCKER_HOST, --docker-host, .env:3: DOCKER_HOST) */
    const char *prefix = "DOCKER_HOST ";
    const char *m = strncmp(msg, prefix, strlen(prefix)) == 0 ? msg + strlen(prefix) : msg;
    snprintf(err, errlen, "%s: %s", config_where(c, "DOCKER_HOST"), m);
    return false;
}

static enum dns_unknown_action dns_unknown(enum config_unknown_action a)
{
    switch (a) {
    case CONFIG_UNKNOWN_REFUSED:
        return DNS_UNKNOWN_REFUSED;
    case CONFIG_UNKNOWN_DROP:
        return DNS_UNKNOWN_DROP;
    case CONFIG_UNKNOWN_NXDOMAIN:
        break;
    }
    return DNS_UNKNOWN_NXDOMAIN;
}

struct rec_policy app_records_policy(const struct app *a)
{
    const struct config *c = &a->cfg;
    enum rec_ptr_mode ptr = c->dns_ptr == CONFIG_PTR_ALL   ? REC_PTR_ALL
                            : c->dns_ptr == CONFIG_PTR_OFF ? REC_PTR_OFF
                                                           : REC_PTR_HOSTS;
    return (struct rec_policy){.default_ttl = c->dns_ttl, .ptr = ptr};
}

void app_dns_config(const struct app *a, struct dns_server_config *out)
{
    const struct config *c = &a->cfg;
    *out = (struct dns_server_config){
        .bind_address = c->dns_bind_address,
        .port = c->dns_port,
        .workers = c->dns_workers,
        .ttl = c->dns_ttl,
        .unknown_action = dns_unknown(c->dns_unknown_action),
        .domains = (const char *const *)c->dns_domains,
        .n_domains = c->n_dns_domains,
        .ns_names = (const char *const *)c->dns_ns_names,
        .n_ns_names = c->n_dns_ns_names,
        .node_id = c->node_id,
        .tcp_idle_timeout_ms = (int)c->dns_tcp_idle_timeout_ms,
        .tcp_max_connections = c->dns_tcp_max_connections,
    };
}

static void upstream_addr(const struct config_upstream *u, struct dns_forward_target *t)
{
    memset(t, 0, sizeof *t);
    struct sockaddr_in *v4 = (struct sockaddr_in *)&t->addr;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&t->addr;
    if (inet_pton(AF_INET, u->ip, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons(u->port);
        t->len = sizeof *v4;
    } else if (inet_pton(AF_INET6, u->ip, &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons(u->port);
        t->len = sizeof *v6;
    }
}

bool app_dns_forward_config(const struct app *a, struct dns_server_config *out)
{
    const struct config *c = &a->cfg;
    struct dns_forward_config *f = &out->forward;
    struct dns_forward_target *targets = calloc(c->n_dns_forwarders + 1, sizeof *targets);
    struct dns_forward_zone *zones = calloc(c->n_dns_forward_zones + 1, sizeof *zones);
    struct dns_cidr *allow = calloc(c->n_dns_forward_allow + 1, sizeof *allow);
    if (!targets || !zones || !allow) {
        free(targets);
        free(zones);
        free(allow);
        return false;
    }
    for (size_t i = 0; i < c->n_dns_forwarders; i++)
        upstream_addr(&c->dns_forwarders[i], &targets[i]);
    for (size_t i = 0; i < c->n_dns_forward_zones; i++) {
        zones[i].zone = c->dns_forward_zones[i].zone;
        upstream_addr(&c->dns_forward_zones[i].upstream, &zones[i].target);
    }
    for (size_t i = 0; i < c->n_dns_forward_allow; i++) {
        const struct config_cidr *x = &c->dns_forward_allow[i];
        allow[i].family = x->family == 4 ? AF_INET : AF_INET6;
        memcpy(allow[i].addr, x->addr, sizeof allow[i].addr);
        allow[i].prefix = x->prefix;
    }
    *f = (struct dns_forward_config){
        .forwarders = targets,
        .n_forwarders = c->n_dns_forwarders,
        .zones = zones,
        .n_zones = c->n_dns_forward_zones,
        .allow = allow,
        .n_allow = c->n_dns_forward_allow,
        .timeout_ms = c->dns_forward_timeout_ms,
        .cache_size = (size_t)c->dns_cache_size,
        .cache_min_ttl = c->dns_cache_min_ttl,
        .cache_max_ttl = c->dns_cache_max_ttl,
    };
    return true;
}

void app_dns_forward_free(struct dns_server_config *out)
{
    free((void *)out->forward.forwarders);
    free((void *)out->forward.zones);
    free((void *)out->forward.allow);
    memset(&out->forward, 0, sizeof out->forward);
}

void app_docker_config(const struct app *a, struct docker_config *out)
{
    *out = (struct docker_config){
        .docker_host = a->cfg.docker_host,
        .labels = a->cfg.docker_labels,
        .traefik = a->cfg.docker_traefik,
        .host_ip = a->cfg.hostip_addr,
    };
}

void app_http_config(const struct app *a, const struct http_cluster_hooks *cluster,
                     struct http_api_config *out)
{
    *out = (struct http_api_config){
        .cfg = &a->cfg,
        .started_ms = a->started_ms,
        .records = a->records,
        .dns = a->dns,
        .hosts = a->hosts,
        .docker = a->docker,
        .cluster = cluster,
        .api_records = a->api_records,
    };
}

int app_start_sync(struct app *a, char *err, size_t errlen)
{
    const struct config *c = &a->cfg;
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
    sc.gossip_nodes = c->swim_gossip_nodes;
    sc.pushpull_interval_ms = c->swim_pushpull_interval_ms;

    size_t n_keys = c->n_cluster_keys ? c->n_cluster_keys : 1;
    struct sync_seed *seeds = calloc(c->n_cluster_seeds ? c->n_cluster_seeds : 1, sizeof *seeds);
    struct sync_key *keys = calloc(n_keys, sizeof *keys);
    a->sync = NULL;
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
    a->sync = sync_start(a->loop, a->records, &sc, err, errlen);
out:
    free(seeds);
    if (keys) {
        memset(keys, 0, n_keys * sizeof *keys); /* key material does not outlive its use */
        free(keys);
    }
    return a->sync ? 0 : -1;
}

/* ---- Zone apex NS names (derived mode: DNS_DOMAINS without DNS_NS_NAMES) ---- */

static bool ns_derived(const struct config *c)
{
    return c->n_dns_domains > 0 && c->n_dns_ns_names == 0;
}

int app_publish_ns(struct app *a)
{
    const struct config *c = &a->cfg;
    if (!ns_derived(c))
        return 0;
    static const uint8_t zero[16];
    if (memcmp(c->hostip_addr.bytes, zero, c->hostip_addr.type == REC_A ? 4 : 16) == 0) {
        log_warn("main", "HOSTIP %s is unspecified: this node's NS name is not published",
                 c->hostip);
        return 0;
    }
    struct rec_inputs in = {0};
    for (size_t i = 0; i < c->n_dns_domains; i++) {
        char name[REC_NAME_MAX + 1];
        struct rec_input *r;
        if (!dns_apex_node_name(c->node_id, c->dns_domains[i], name) ||
            !records_normalize_name(name, name)) {
            log_warn("main", "%s: the NS name of node %s would be too long; not published",
                     c->dns_domains[i], c->node_id);
            continue;
        }
        if (!(r = vec_push_zero(&in))) {
            rec_inputs_free(&in);
            return -1;
        }
        snprintf(r->name, sizeof r->name, "%s", name);
        r->addr = c->hostip_addr;
        log_info("main", "NS name %s -> %s", name, c->hostip);
    }
    int rc = records_set_source(a->records, APP_NS_SOURCE, in.v, in.n) < 0 ? -1 : 0;
    rec_inputs_free(&in);
    return rc;
}

/* Every member SWIM knows, in any state, is a candidate; the snapshot serves the names of the
 * live ones only, so the NS set follows their records. */
static void ns_refresh(void *ctx)
{
    struct app *a = ctx;
    a->ns_timer = NULL;
    struct sync_status st;
    sync_get_status(a->sync, &st);
    const char **ids = malloc((st.n_members + 1) * sizeof *ids);
    if (ids) {
        size_t n = 0;
        ids[n++] = a->cfg.node_id;
        for (size_t i = 0; i < st.n_members; i++)
            ids[n++] = st.members[i].node_id;
        if (dns_server_set_ns_nodes(a->dns, ids, n) > 0)
            log_debug("main", "NS candidates: %zu cluster member(s)", n - 1);
        free(ids);
    }
    sync_status_free(&st);
    a->ns_timer = loop_timer_add(a->loop, APP_NS_REFRESH_MS, ns_refresh, a);
    if (!a->ns_timer)
        log_error("main", "out of memory: the NS names no longer follow the cluster members");
}

void app_start_ns_refresh(struct app *a)
{
    if (ns_derived(&a->cfg) && a->sync)
        ns_refresh(a);
}

void app_stop_ns_refresh(struct app *a)
{
    if (a->ns_timer)
        loop_timer_cancel(a->loop, a->ns_timer);
    a->ns_timer = NULL;
}

/* ---- HTTP cluster hooks: called from HTTP threads; the sync getters are thread-safe ---- */

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

const struct http_cluster_hooks *app_bind_cluster_hooks(struct app *a)
{
    a->cluster_hooks = (struct http_cluster_hooks){
        .ctx = a->sync,
        .running = hook_running,
        .cluster_json = hook_cluster_json,
        .sync_now = hook_sync_now,
        .metrics = hook_metrics,
    };
    return &a->cluster_hooks;
}

/* ---- systemd notifications (on the loop thread) ---- */

static bool notify_ready(void *ctx)
{
    const struct app *a = ctx;
    struct docker_status ds;
    docker_source_get_status(a->docker, &ds);
    return ds.connected || ds.last_error[0];
}

static void notify_status(void *ctx, char *buf, size_t len)
{
    struct app *a = ctx;
    struct records_stats rs;
    records_get_stats(a->records, &rs);
    char cluster[64] = "cluster sync off";
    if (a->sync) {
        struct sync_status st;
        sync_get_status(a->sync, &st);
        snprintf(cluster, sizeof cluster, "%u cluster member%s alive", st.alive,
                 st.alive == 1 ? "" : "s");
        sync_status_free(&st);
    }
    struct docker_status ds;
    docker_source_get_status(a->docker, &ds);
    snprintf(buf, len, "%zu record%s served, %s, Docker %s", rs.served, rs.served == 1 ? "" : "s",
             cluster, ds.connected ? "connected" : "not connected");
}

struct notify_hooks app_notify_hooks(struct app *a)
{
    return (struct notify_hooks){.ctx = a, .ready = notify_ready, .status = notify_status};
}

void app_explain_bind_error(int e, char *err, size_t errlen)
{
    if (e != EACCES)
        return;
    char exe[512];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0)
        snprintf(exe, sizeof exe, "joyride");
    else
        exe[n] = '\0';
    size_t used = strlen(err);
    if (used >= errlen)
        return;
    snprintf(err + used, errlen - used,
             "; ports below 1024 need CAP_NET_BIND_SERVICE: run `sudo setcap "
             "cap_net_bind_service=+ep %s`, or set AmbientCapabilities=CAP_NET_BIND_SERVICE in "
             "the systemd unit, or in a container run as root (--user 0 --cap-add "
             "NET_BIND_SERVICE)",
             exe);
}
