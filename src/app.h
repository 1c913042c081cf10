/* app.h — the one glue file beside main.c: the process's state (struct app, owned by main), the
 * configuration turned into each module's settings, the checks config cannot make without a
 * module (DOCKER_HOST against the Docker source's grammar), and the HTTP API's cluster hooks
 * bound to this process's sync manager. main.c owns the lifecycle; app.c only translates. */
#ifndef JOYRIDE_APP_H
#define JOYRIDE_APP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/config.h"
#include "core/loop.h"
#include "dns/server.h"
#include "http/api.h"
#include "notify/notify.h"
#include "records/records.h"
#include "sources/api_records.h"
#include "sources/docker.h"
#include "sources/hosts.h"
#include "sync/sync.h"

struct app {
    struct config cfg;
    uint64_t started_ms;
    int sigfd;
    int stop_signal;
    struct records *records;
    struct loop *loop;
    struct dns_server *dns;
    struct hosts_source *hosts;
    struct docker_source *docker;
    struct api_store *api_records;
    struct sync *sync;
    struct http_cluster_hooks cluster_hooks; /* bound to sync by app_bind_cluster_hooks */
    struct http_api *http;
    struct notify *notify;       /* NULL unless started by systemd with NOTIFY_SOCKET */
    struct loop_timer *ns_timer; /* app_start_ns_refresh's next run */
};

#define APP_NS_SOURCE "ns"     /* the record source of this node's NS names */
#define APP_NS_REFRESH_MS 1000 /* how often the NS candidates follow the member list */

/* What config_parse cannot judge alone: DOCKER_HOST must parse as the Docker source reads it.
 * Returns false with one line in err ("DOCKER_HOST: bad port: tcp://h:x"). */
bool app_check_config(const struct config *c, char *err, size_t errlen);

/* Module settings from the configuration. The results point into a->cfg (and, for HTTP, at the
 * modules already started), so they live as long as a. */
void app_dns_config(const struct app *a, struct dns_server_config *out);
/* The record table's answer policy: DNS_TTL for records without a TTL of their own, DNS_PTR. */
struct rec_policy app_records_policy(const struct app *a);
/* The forwarding part of out (upstream addresses, zones, allowed networks), allocated; false when
 * memory ran out. Release with app_dns_forward_free once the server started. */
bool app_dns_forward_config(const struct app *a, struct dns_server_config *out);
void app_dns_forward_free(struct dns_server_config *out);
void app_docker_config(const struct app *a, struct docker_config *out);
/* cluster: NULL when sync is off (the API then answers 503 for the cluster routes). */
void app_http_config(const struct app *a, const struct http_cluster_hooks *cluster,
                     struct http_api_config *out);

/* Starts the sync manager from the configuration (NODE_ID, HOSTIP, SWIM_*, DISCOVERY_*,
 * CLUSTER_*, RECORDS_ON_NODE_FAILURE) into a->sync. Returns -1 with a one-line reason in err. */
int app_start_sync(struct app *a, char *err, size_t errlen);

/* With DNS_DOMAINS and no DNS_NS_NAMES: publishes this node's NS name in every zone,
 * <label>.ns.<zone> -> HOSTIP, as its records of source "ns" (replicated, withdrawn and restored
 * with the node like any other; the DNS server has this node as its first NS candidate), before
 * the DNS server starts, so its first answer has it. Returns -1 when memory ran out. */
int app_publish_ns(struct app *a);
/* Then, with cluster sync, keeps the DNS server's NS candidates equal to the SWIM member list
 * (checked every APP_NS_REFRESH_MS on the loop); stop before sync_stop. */
void app_start_ns_refresh(struct app *a);
void app_stop_ns_refresh(struct app *a);

/* Fills a->cluster_hooks with hooks bound to a->sync and returns them. */
const struct http_cluster_hooks *app_bind_cluster_hooks(struct app *a);

/* systemd notification hooks: ready once the hosts directory is loaded (at start) and the Docker
 * source has either published its first container list or failed its first attempt; STATUS=
 * with the records served, the cluster members alive and the Docker connection. */
struct notify_hooks app_notify_hooks(struct app *a);

/* Appends to err what to do when binding a port failed with EACCES (a port below 1024 without
 * CAP_NET_BIND_SERVICE): setcap, the systemd unit's AmbientCapabilities, or root in a container. */
void app_explain_bind_error(int e, char *err, size_t errlen);

#endif
