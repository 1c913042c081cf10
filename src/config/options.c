/* config/options.c — the option table (environment variable, --flag, default, help text), the
 * setters that parse one option's value into struct config, and the --help / --version text. */
#include "config/options.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config/values.h"
#include "core/buf.h"
#include "core/vec.h"

#ifndef JOYRIDE_VERSION
#define JOYRIDE_VERSION "0.0.0"
#endif

#define MAX_DURATION_MS (24ull * 3600 * 1000)
#define MAX_TEXT 256
#define MAX_LABELS 1024

static bool set_hostip(struct config *c, const char *v, char *msg, size_t msglen);
static bool set_unknown_action(struct config *c, const char *v, char *msg, size_t msglen);
static bool set_ptr_mode(struct config *c, const char *v, char *msg, size_t msglen);
static bool set_domains(struct config *c, const char *v, char *msg, size_t msglen);
static bool set_ns_names(struct config *c, const char *v, char *msg, size_t msglen);
static bool set_node_id(struct config *c, const char *v, char *msg, size_t msglen);
static bool set_log_level(struct config *c, const char *v, char *msg, size_t msglen);
static bool set_hosts_directory(struct config *c, const char *v, char *msg, size_t msglen);
static bool set_docker_labels(struct config *c, const char *v, char *msg, size_t msglen);
static bool set_seeds(struct config *c, const char *v, char *msg, size_t msglen);
static bool set_secret(struct config *c, const char *v, char *msg, size_t msglen);
static bool set_node_failure(struct config *c, const char *v, char *msg, size_t msglen);

#define F(field) offsetof(struct config, field)

const struct opt config_opts[CONFIG_N_OPTS] = {
    {"DNS server", "DNS_PORT", NULL, "dns-port", "PORT", "5353", NULL,
     "DNS listen port (UDP and TCP)", K_PORT, false, F(dns_port), 0, 0, NULL},
    {NULL, "DNS_BIND_ADDRESS", NULL, "dns-bind-address", "ADDR", "0.0.0.0", NULL,
     "DNS listen address (IPv4 or IPv6 literal)", K_BIND, false, F(dns_bind_address), 0, 0, NULL},
    {NULL, "DNS_TTL", NULL, "dns-ttl", "SECONDS", "60", NULL, "TTL of answers", K_UINT32, false,
     F(dns_ttl), 0, 2147483647, NULL},
    {NULL, "DNS_UNKNOWN_ACTION", NULL, "dns-unknown-action", "ACTION", "nxdomain", NULL,
     "unknown names: nxdomain, refused or drop (no answer)", K_CUSTOM, false, 0, 0, 0,
     set_unknown_action},
    {NULL, "DNS_PTR", NULL, "dns-ptr", "MODE", "hosts", NULL,
     "which records answer reverse (PTR) queries for their address: hosts (hosts files), all "
     "(also Docker and API records) or off",
     K_CUSTOM, false, 0, 0, 0, set_ptr_mode},
    {NULL, "DNS_DOMAINS", NULL, "dns-domains", "LIST", "", NULL,
     "domains Joyride is authoritative for (comma separated): unknown names inside get NXDOMAIN "
     "with a SOA, names outside get REFUSED; empty answers every name",
     K_CUSTOM, true, 0, 0, 0, set_domains},
    {NULL, "DNS_NS_NAMES", NULL, "dns-ns-names", "LIST", "", NULL,
     "NS names of every DNS_DOMAINS zone (comma separated, at most 32); empty: one name per live "
     "cluster member, <node>.ns.<zone>, with its HOSTIP",
     K_CUSTOM, true, 0, 0, 0, set_ns_names},
    {NULL, "DNS_WORKERS", NULL, "dns-workers", "N", NULL, "number of CPUs", "UDP worker threads",
     K_INT, false, F(dns_workers), 1, CONFIG_MAX_WORKERS, NULL},
    {NULL, "DNS_TCP_IDLE_TIMEOUT", NULL, "dns-tcp-idle-timeout", "DURATION", "10s", NULL,
     "an idle DNS TCP connection is closed after this long", K_MS, false,
     F(dns_tcp_idle_timeout_ms), 0, 0, NULL},
    {NULL, "DNS_TCP_MAX_CONNECTIONS", NULL, "dns-tcp-max-connections", "N", "256", NULL,
     "concurrent DNS TCP connections; at the cap the least recently active makes room (one client: "
     "cap/8, min 4)",
     K_INT, false, F(dns_tcp_max_connections), 1, 65536, NULL},
    {NULL, "DNS_FORWARDERS", NULL, "dns-forwarders", "LIST", "", NULL,
     "upstream resolvers for names Joyride does not own: ip[:port],... ([v6]:port; port 53); "
     "empty: no forwarding",
     K_CUSTOM, true, 0, 0, 0, config_set_forwarders},
    {NULL, "DNS_FORWARD_ZONES", NULL, "dns-forward-zones", "LIST", "", NULL,
     "conditional forwarding: zone=ip[:port],... (the longest matching zone wins over "
     "DNS_FORWARDERS)",
     K_CUSTOM, true, 0, 0, 0, config_set_forward_zones},
    {NULL, "DNS_FORWARD_ALLOW", NULL, "dns-forward-allow", "CIDRS",
     "127.0.0.0/8,::1/128,10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,169.254.0.0/16,fc00::/7,"
     "fe80::/10",
     NULL,
     "clients whose queries may be forwarded; others get REFUSED for names Joyride does not own",
     K_CUSTOM, false, 0, 0, 0, config_set_forward_allow},
    {NULL, "DNS_FORWARD_TIMEOUT", NULL, "dns-forward-timeout", "DURATION", "3s", NULL,
     "a forwarded query nothing answered within this long gets SERVFAIL (or a stale cached answer)",
     K_MS, false, F(dns_forward_timeout_ms), 0, 0, NULL},
    {NULL, "DNS_CACHE_SIZE", NULL, "dns-cache-size", "N", "10000", NULL,
     "forwarded answers kept in the cache (entries; least recently used evicted)", K_INT, false,
     F(dns_cache_size), 1, 10000000, NULL},
    {NULL, "DNS_CACHE_MIN_TTL", NULL, "dns-cache-min-ttl", "SECONDS", "0", NULL,
     "a cached answer is kept at least this long", K_UINT32, false, F(dns_cache_min_ttl), 0, 86400,
     NULL},
    {NULL, "DNS_CACHE_MAX_TTL", NULL, "dns-cache-max-ttl", "SECONDS", "86400", NULL,
     "TTLs of forwarded answers are capped at this (negative answers also at 3 hours)", K_UINT32,
     false, F(dns_cache_max_ttl), 1, 604800, NULL},

    {"HTTP API", "HTTP_PORT", "FLASK_PORT", "http-port", "PORT", "5000", NULL,
     "HTTP API and status page port (FLASK_PORT is accepted too)", K_PORT, false, F(http_port), 0,
     0, NULL},
    {NULL, "HTTP_BIND_ADDRESS", NULL, "http-bind-address", "ADDR", "0.0.0.0", NULL,
     "HTTP listen address (IPv4 or IPv6 literal)", K_BIND, false, F(http_bind_address), 0, 0, NULL},
    {NULL, "API_TOKEN", NULL, "api-token", "TOKEN", "", NULL,
     "bearer token that POST and DELETE on /dns/records require; empty: those answer 403 (the API "
     "is read-only)",
     K_TEXT, true, F(api_token), 0, 0, NULL},
    {NULL, "API_RECORDS_FILE", NULL, "api-records-file", "PATH", "./api-records.json", NULL,
     "where records added over the API are kept across restarts (rewritten atomically)", K_TEXT,
     false, F(api_records_file), 0, 0, NULL},

    {"Records", "HOSTIP", NULL, "hostip", "ADDR", NULL,
     "the address of the interface on the default route, else 127.0.0.1",
     "address container names resolve to; advertised to peers", K_CUSTOM, false, 0, 0, 0,
     set_hostip},
    {NULL, "HOSTS_DIRECTORY", NULL, "hosts-directory", "DIR", "/app/hosts", NULL,
     "directory of hosts files; empty disables", K_CUSTOM, true, 0, 0, 0, set_hosts_directory},
    {NULL, "DOCKER_HOST", NULL, "docker-host", "URL", "unix:///var/run/docker.sock", NULL,
     /* checked against the Docker source's grammar by app.c, so config links no Docker code */
     "Docker Engine API: unix:///path or tcp://host:port", K_TEXT, false, F(docker_host), 0, 0,
     NULL},
    {NULL, "DOCKER_LABELS", NULL, "docker-labels", "KEYS", "joyride.host.name", NULL,
     "container label keys holding host names (comma separated)", K_CUSTOM, false, 0, 0, 0,
     set_docker_labels},
    {NULL, "DOCKER_TRAEFIK", NULL, "docker-traefik", "BOOL", "false", NULL,
     "the host names of running containers' Traefik router rules (traefik.http.routers.<r>.rule "
     "Host, traefik.tcp.routers.<r>.rule HostSNI) are served too",
     K_BOOL, false, F(docker_traefik), 0, 0, NULL},

    {"Cluster", "ENABLE_DNS_SYNC", NULL, "enable-dns-sync", "BOOL", "true", NULL,
     "run discovery, SWIM membership and record replication", K_BOOL, false, F(enable_dns_sync), 0,
     0, NULL},
    {NULL, "NODE_ID", NULL, "node-id", "ID", NULL, "joyride-<pid>",
     "node identity; must be unique in the cluster (default in a container: "
     "joyride-<hostname>)",
     K_CUSTOM, false, 0, 0, 0, set_node_id},
    {NULL, "SWIM_PORT", NULL, "swim-port", "PORT", "8890", NULL,
     "SWIM membership port (UDP and TCP)", K_PORT, false, F(swim_port), 0, 0, NULL},
    {NULL, "CLUSTER_BIND_ADDRESS", NULL, "cluster-bind-address", "ADDR", "0.0.0.0", NULL,
     "SWIM and discovery listen address; peers are told HOSTIP", K_BIND, false,
     F(cluster_bind_address), 0, 0, NULL},
    {NULL, "DISCOVERY_PORT", NULL, "discovery-port", "PORT", "8889", NULL,
     "UDP broadcast discovery port; 0 turns discovery off", K_PORT0, false, F(discovery_port), 0, 0,
     NULL},
    {NULL, "DISCOVERY_BROADCAST", NULL, "discovery-broadcast", "ADDR", "255.255.255.255", NULL,
     "IPv4 broadcast address discovery announces go to", K_IPV4, false, F(discovery_broadcast), 0,
     0, NULL},
    {NULL, "DISCOVERY_INTERVAL", NULL, "discovery-interval", "DURATION", "5s", NULL,
     "time between discovery heartbeats", K_MS, false, F(discovery_interval_ms), 0, 0, NULL},
    {NULL, "DISCOVERY_TIMEOUT", NULL, "discovery-timeout", "DURATION", NULL,
     "3 x DISCOVERY_INTERVAL", "a discovered node not heard from for this long is forgotten", K_MS,
     false, F(discovery_timeout_ms), 0, 0, NULL},
    {NULL, "CLUSTER_SEEDS", NULL, "cluster-seeds", "LIST", "", NULL,
     "static peers, host:port,... (port defaults to SWIM_PORT)", K_CUSTOM, true, 0, 0, 0,
     set_seeds},
    {NULL, "CLUSTER_SECRET", NULL, "cluster-secret", "KEYS", "", NULL,
     "base64 AES keys of 16, 24 or 32 bytes, comma separated, first is primary; empty: no "
     "encryption",
     K_CUSTOM, true, 0, 0, 0, set_secret},
    {NULL, "RECORDS_ON_NODE_FAILURE", NULL, "records-on-node-failure", "POLICY", "withdraw", NULL,
     "a dead node's records: withdraw (stop serving until it is back) or keep", K_CUSTOM, false, 0,
     0, 0, set_node_failure},
    {NULL, "SWIM_PROBE_INTERVAL", NULL, "swim-probe-interval", "DURATION", "1s", NULL,
     "time between failure-detection probes", K_MS, false, F(swim_probe_interval_ms), 0, 0, NULL},
    {NULL, "SWIM_PROBE_TIMEOUT", NULL, "swim-probe-timeout", "DURATION", "500ms", NULL,
     "time to wait for a probe's ack", K_MS, false, F(swim_probe_timeout_ms), 0, 0, NULL},
    {NULL, "SWIM_GOSSIP_INTERVAL", NULL, "swim-gossip-interval", "DURATION", "200ms", NULL,
     "time between gossip rounds", K_MS, false, F(swim_gossip_interval_ms), 0, 0, NULL},
    {NULL, "SWIM_GOSSIP_NODES", NULL, "swim-gossip-nodes", "N", "3", NULL,
     "members each gossip round sends to (fan-out)", K_UINT32, false, F(swim_gossip_nodes), 1, 64,
     NULL},
    {NULL, "SWIM_SUSPICION_MULT", NULL, "swim-suspicion-mult", "N", "4", NULL,
     "suspicion timeout multiplier (x max(1, log10 N) x probe interval)", K_UINT32, false,
     F(swim_suspicion_mult), 1, 100, NULL},
    {NULL, "SWIM_PUSHPULL_INTERVAL", NULL, "swim-pushpull-interval", "DURATION", "30s", NULL,
     "time between full-state push/pull syncs", K_MS, false, F(swim_pushpull_interval_ms), 0, 0,
     NULL},

    {"Service", "LOG_LEVEL", NULL, "log-level", "LEVEL", "INFO", NULL,
     "DEBUG, INFO, WARNING or ERROR", K_CUSTOM, false, 0, 0, 0, set_log_level},
    {NULL, "SERVICE_NAME", NULL, "service-name", "TEXT", "Joyride DNS", NULL,
     "service name shown by the API and the status page", K_TEXT, false, F(service_name), 0, 0,
     NULL},
    {NULL, "ENVIRONMENT", NULL, "environment", "TEXT", "development", NULL,
     "environment name shown by the API and the status page", K_TEXT, false, F(environment), 0, 0,
     NULL},
    {NULL, "SEMANTIC_VERSION", NULL, "semantic-version", "TEXT", JOYRIDE_VERSION, NULL,
     "version shown by the API and the status page", K_TEXT, false, F(semantic_version), 0, 0,
     NULL},
};

_Static_assert(sizeof config_opts / sizeof config_opts[0] == CONFIG_N_OPTS, "CONFIG_N_OPTS");

/* ---- value setters ---- */

static void *field(struct config *c, size_t off)
{
    return (char *)c + off;
}

static bool set_text(char **dst, const char *v, char *msg, size_t msglen)
{
    size_t n = strlen(v);
    if (n > MAX_TEXT) {
        snprintf(msg, msglen, "longer than %d characters", MAX_TEXT);
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        if ((unsigned char)v[i] < 0x20 || v[i] == 0x7f) {
            snprintf(msg, msglen, "contains a control character");
            return false;
        }
    }
    char *copy = strdup(v);
    if (!copy) {
        snprintf(msg, msglen, "out of memory");
        return false;
    }
    free(*dst);
    *dst = copy;
    return true;
}

bool config_opt_set(struct config *c, const struct opt *o, const char *v, char *msg, size_t msglen)
{
    char shown[80];
    uint64_t u;
    switch (o->kind) {
    case K_PORT:
    case K_PORT0:
        if (!cv_uint(v, o->kind == K_PORT ? 1 : 0, 65535, &u)) {
            snprintf(msg, msglen, "%s is not a port (%s)", cv_show(v, shown),
                     o->kind == K_PORT ? "1-65535" : "0-65535, 0 disables");
            return false;
        }
        *(uint16_t *)field(c, o->off) = (uint16_t)u;
        return true;
    case K_BIND:
    case K_IPV4:
        if (!cv_ip(v, o->kind == K_IPV4 ? 4 : 0, field(c, o->off), NULL)) {
            snprintf(msg, msglen, "%s is not an %s address", cv_show(v, shown),
                     o->kind == K_IPV4 ? "IPv4" : "IPv4 or IPv6");
            return false;
        }
        return true;
    case K_UINT32:
    case K_INT:
        if (!cv_uint(v, o->min, o->max, &u)) {
            snprintf(msg, msglen, "%s is not a whole number from %llu to %llu", cv_show(v, shown),
                     (unsigned long long)o->min, (unsigned long long)o->max);
            return false;
        }
        if (o->kind == K_INT)
            *(int *)field(c, o->off) = (int)u;
        else
            *(uint32_t *)field(c, o->off) = (uint32_t)u;
        return true;
    case K_MS:
        if (!cv_duration_ms(v, MAX_DURATION_MS, field(c, o->off))) {
            snprintf(msg, msglen, "%s is not a duration from 1ms to 24h (e.g. 5, 1.5s, 500ms, 2m)",
                     cv_show(v, shown));
            return false;
        }
        return true;
    case K_BOOL:
        if (!cv_bool(v, field(c, o->off))) {
            snprintf(msg, msglen, "%s is not a boolean (true or false)", cv_show(v, shown));
            return false;
        }
        return true;
    case K_TEXT:
        return set_text(field(c, o->off), v, msg, msglen);
    case K_CUSTOM:
        return o->set(c, v, msg, msglen);
    }
    return false;
}

static bool set_hostip(struct config *c, const char *v, char *msg, size_t msglen)
{
    char shown[80];
    int fam;
    if (!cv_ip(v, 0, c->hostip, &fam) || !records_parse_addr(c->hostip, &c->hostip_addr)) {
        snprintf(msg, msglen, "%s is not an IP address", cv_show(v, shown));
        return false;
    }
    static const uint8_t zero[16];
    if (memcmp(c->hostip_addr.bytes, zero, fam == 4 ? 4 : 16) == 0) {
        snprintf(msg, msglen, "%s is not a usable address (unspecified)", c->hostip);
        return false;
    }
    return true;
}

static bool set_unknown_action(struct config *c, const char *v, char *msg, size_t msglen)
{
    static const enum config_unknown_action acts[] = {CONFIG_UNKNOWN_NXDOMAIN,
                                                      CONFIG_UNKNOWN_REFUSED, CONFIG_UNKNOWN_DROP};
    for (size_t i = 0; i < 3; i++) {
        if (strcasecmp(v, config_unknown_action_name(acts[i])) == 0) {
            c->dns_unknown_action = acts[i];
            return true;
        }
    }
    char shown[80];
    snprintf(msg, msglen, "%s is not one of nxdomain, refused, drop", cv_show(v, shown));
    return false;
}

static bool set_ptr_mode(struct config *c, const char *v, char *msg, size_t msglen)
{
    static const enum config_ptr_mode modes[] = {CONFIG_PTR_HOSTS, CONFIG_PTR_ALL, CONFIG_PTR_OFF};
    for (size_t i = 0; i < 3; i++) {
        if (strcasecmp(v, config_ptr_mode_name(modes[i])) == 0) {
            c->dns_ptr = modes[i];
            return true;
        }
    }
    char shown[80];
    snprintf(msg, msglen, "%s is not one of hosts, all, off", cv_show(v, shown));
    return false;
}

/* A list is built in a vector and moved into struct config once the whole value parsed, so a bad
 * item leaves the option as it was. */
struct domains_ctx {
    struct {
        char **v;
        size_t n, cap;
    } list;
    char *msg;
    size_t msglen;
};

static void free_strings(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

static bool add_domain(const char *item, void *vctx)
{
    struct domains_ctx *x = vctx;
    char name[REC_NAME_MAX + 1];
    char shown[80];
    if (!records_normalize_domain(item, name)) {
        snprintf(x->msg, x->msglen, "%s is not a valid domain name", cv_show(item, shown));
        return false;
    }
    for (size_t i = 0; i < x->list.n; i++)
        if (strcmp(x->list.v[i], name) == 0)
            return true;
    char *copy = strdup(name);
    if (!copy || !vec_push(&x->list, copy)) {
        free(copy);
        snprintf(x->msg, x->msglen, "out of memory");
        return false;
    }
    return true;
}

/* A list value that is not blank but holds no item ("," or " , "): "" is how to say "none". */
static bool no_items(const char *v, size_t n, const char *what, char *msg, size_t msglen)
{
    if (n > 0 || v[strspn(v, " \t\r\n")] == '\0')
        return false;
    char shown[80];
    snprintf(msg, msglen, "%s holds no %s (leave it empty for none)", cv_show(v, shown), what);
    return true;
}

static bool set_domains(struct config *c, const char *v, char *msg, size_t msglen)
{
    struct domains_ctx x = {.msg = msg, .msglen = msglen};
    if (!cv_split(v, add_domain, &x) || no_items(v, x.list.n, "domain", msg, msglen)) {
        free_strings(x.list.v, x.list.n);
        return false;
    }
    free_strings(c->dns_domains, c->n_dns_domains);
    c->dns_domains = x.list.v;
    c->n_dns_domains = x.list.n;
    return true;
}

static bool set_ns_names(struct config *c, const char *v, char *msg, size_t msglen)
{
    struct domains_ctx x = {.msg = msg, .msglen = msglen};
    if (!cv_split(v, add_domain, &x) || no_items(v, x.list.n, "name", msg, msglen)) {
        free_strings(x.list.v, x.list.n);
        return false;
    }
    if (x.list.n > CONFIG_MAX_NS_NAMES) {
        snprintf(msg, msglen, "%zu names: at most %d", x.list.n, CONFIG_MAX_NS_NAMES);
        free_strings(x.list.v, x.list.n);
        return false;
    }
    free_strings(c->dns_ns_names, c->n_dns_ns_names);
    c->dns_ns_names = x.list.v;
    c->n_dns_ns_names = x.list.n;
    return true;
}

static bool set_node_id(struct config *c, const char *v, char *msg, size_t msglen)
{
    size_t n = strlen(v);
    if (n > REC_OWNER_MAX) {
        snprintf(msg, msglen, "longer than %d characters", REC_OWNER_MAX);
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        if ((unsigned char)v[i] <= 0x20 || (unsigned char)v[i] >= 0x7f) {
            char shown[80];
            snprintf(msg, msglen, "%s: only printable ASCII without blanks is allowed",
                     cv_show(v, shown));
            return false;
        }
    }
    memcpy(c->node_id, v, n + 1);
    return true;
}

static bool set_log_level(struct config *c, const char *v, char *msg, size_t msglen)
{
    if (log_parse_level(v, &c->log_level))
        return true;
    char shown[80];
    snprintf(msg, msglen, "%s is not one of DEBUG, INFO, WARNING, ERROR", cv_show(v, shown));
    return false;
}

static bool set_hosts_directory(struct config *c, const char *v, char *msg, size_t msglen)
{
    if (strlen(v) >= 4096) {
        snprintf(msg, msglen, "path longer than 4095 characters");
        return false;
    }
    char *copy = strdup(v);
    if (!copy) {
        snprintf(msg, msglen, "out of memory");
        return false;
    }
    free(c->hosts_directory);
    c->hosts_directory = copy;
    return true;
}

struct labels_ctx {
    struct buf keys; /* comma-separated, trimmed */
    char *msg;
    size_t msglen;
};

static bool add_label(const char *item, void *vctx)
{
    struct labels_ctx *x = vctx;
    size_t n = strlen(item);
    for (size_t i = 0; i < n; i++) {
        if ((unsigned char)item[i] <= 0x20 || (unsigned char)item[i] >= 0x7f || item[i] == '"') {
            char shown[80];
            snprintf(x->msg, x->msglen, "%s is not a label key", cv_show(item, shown));
            return false;
        }
    }
    if (x->keys.len + n + 2 > MAX_LABELS) {
        snprintf(x->msg, x->msglen, "too long");
        return false;
    }
    if (x->keys.len)
        buf_putc(&x->keys, ',');
    if (!buf_append(&x->keys, item, n)) {
        snprintf(x->msg, x->msglen, "out of memory");
        return false;
    }
    return true;
}

static bool set_docker_labels(struct config *c, const char *v, char *msg, size_t msglen)
{
    struct labels_ctx x = {.msg = msg, .msglen = msglen};
    bool ok = cv_split(v, add_label, &x);
    if (ok && x.keys.len == 0) {
        snprintf(msg, msglen, "no label key given");
        ok = false;
    }
    ok = ok && set_text(&c->docker_labels, x.keys.p, msg, msglen);
    buf_free(&x.keys);
    return ok;
}

struct seeds_ctx {
    struct {
        struct config_seed *v;
        size_t n, cap;
    } list;
    char *msg;
    size_t msglen;
};

static void free_seeds(struct config_seed *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i].host);
    free(v);
}

static bool add_seed(const char *item, void *vctx)
{
    struct seeds_ctx *x = vctx;
    char shown[80];
    char *host = NULL;
    uint16_t port;
    char ip[46], name[REC_NAME_MAX + 1];
    /* the port defaults to SWIM_PORT, which is applied once every option is known */
    if (!cv_host_port(item, 0, &host, &port) ||
        !(cv_ip(host, 0, ip, NULL) || records_normalize_domain(host, name))) {
        free(host);
        snprintf(x->msg, x->msglen, "%s is not host:port", cv_show(item, shown));
        return false;
    }
    if (!vec_push(&x->list, ((struct config_seed){.host = host, .port = port}))) {
        free(host);
        snprintf(x->msg, x->msglen, "out of memory");
        return false;
    }
    return true;
}

static bool set_seeds(struct config *c, const char *v, char *msg, size_t msglen)
{
    struct seeds_ctx x = {.msg = msg, .msglen = msglen};
    if (!cv_split(v, add_seed, &x) || no_items(v, x.list.n, "host:port", msg, msglen)) {
        free_seeds(x.list.v, x.list.n);
        return false;
    }
    free_seeds(c->cluster_seeds, c->n_cluster_seeds);
    c->cluster_seeds = x.list.v;
    c->n_cluster_seeds = x.list.n;
    return true;
}

struct keys_ctx {
    struct {
        struct config_key *v;
        size_t n, cap;
    } list;
    char *msg;
    size_t msglen;
};

/* Key material is wiped before its memory is freed. */
static void free_keys(struct config_key *v, size_t n)
{
    if (v)
        memset(v, 0, n * sizeof *v);
    free(v);
}

static bool add_key(const char *item, void *vctx)
{
    struct keys_ctx *x = vctx;
    struct config_key k = {0};
    size_t index = x->list.n + 1;
    /* never echo key material in messages */
    long n = cv_base64(item, k.bytes, sizeof k.bytes);
    if (n < 0 && strlen(item) > 44) {
        snprintf(x->msg, x->msglen, "key %zu is longer than 32 bytes; keys must be 16, 24 or 32",
                 index);
        return false;
    }
    if (n < 0) {
        snprintf(x->msg, x->msglen, "key %zu is not valid base64", index);
        return false;
    }
    if (n != 16 && n != 24 && n != 32) {
        snprintf(x->msg, x->msglen, "key %zu is %ld bytes; keys must be 16, 24 or 32 bytes", index,
                 n);
        return false;
    }
    k.len = (size_t)n;
    bool ok = vec_push(&x->list, k);
    memset(&k, 0, sizeof k);
    if (!ok)
        snprintf(x->msg, x->msglen, "out of memory");
    return ok;
}

static bool set_secret(struct config *c, const char *v, char *msg, size_t msglen)
{
    struct keys_ctx x = {.msg = msg, .msglen = msglen};
    if (!cv_split(v, add_key, &x) || no_items(v, x.list.n, "key", msg, msglen)) {
        free_keys(x.list.v, x.list.n);
        return false;
    }
    free_keys(c->cluster_keys, c->n_cluster_keys);
    c->cluster_keys = x.list.v;
    c->n_cluster_keys = x.list.n;
    return true;
}

void config_free_lists(struct config *c)
{
    config_free_forward_lists(c);
    free_strings(c->dns_domains, c->n_dns_domains);
    c->dns_domains = NULL;
    c->n_dns_domains = 0;
    free_strings(c->dns_ns_names, c->n_dns_ns_names);
    c->dns_ns_names = NULL;
    c->n_dns_ns_names = 0;
    free_seeds(c->cluster_seeds, c->n_cluster_seeds);
    c->cluster_seeds = NULL;
    c->n_cluster_seeds = 0;
    free_keys(c->cluster_keys, c->n_cluster_keys);
    c->cluster_keys = NULL;
    c->n_cluster_keys = 0;
}

static bool set_node_failure(struct config *c, const char *v, char *msg, size_t msglen)
{
    if (strcasecmp(v, "withdraw") == 0) {
        c->records_on_node_failure = CONFIG_FAILURE_WITHDRAW;
        return true;
    }
    if (strcasecmp(v, "keep") == 0) {
        c->records_on_node_failure = CONFIG_FAILURE_KEEP;
        return true;
    }
    char shown[80];
    snprintf(msg, msglen, "%s is not one of withdraw, keep", cv_show(v, shown));
    return false;
}

/* ---- help ---- */

static void print_wrapped(FILE *out, const char *text, int indent, int width)
{
    int col = indent;
    fprintf(out, "%*s", indent, "");
    const char *p = text;
    while (*p) {
        const char *w = p;
        while (*p && *p != ' ')
            p++;
        int wl = (int)(p - w);
        if (col > indent && col + 1 + wl > width) {
            fprintf(out, "\n%*s", indent, "");
            col = indent;
        } else if (col > indent) {
            fputc(' ', out);
            col++;
        }
        fprintf(out, "%.*s", wl, w);
        col += wl;
        while (*p == ' ')
            p++;
    }
    fputc('\n', out);
}

void config_print_help(FILE *out, const char *prog)
{
    fprintf(out,
            "Usage: %s [--OPTION VALUE]...\n"
            "Joyride DNS %s: dynamic DNS for Docker hosts and hosts files, replicated across a "
            "cluster.\n\n"
            "Every option is also read from the environment variable shown and from a .env file\n"
            "in the working directory. Precedence: --flag, then the environment, then .env, then\n"
            "the default. Durations: a number of seconds or a number with ms, s, m or h.\n"
            "Booleans: true or false. An empty value is an error (unset the variable for its\n"
            "default) unless the option says what empty means.\n",
            prog ? prog : "joyride", JOYRIDE_VERSION);
    for (size_t i = 0; i < CONFIG_N_OPTS; i++) {
        const struct opt *o = &config_opts[i];
        if (o->group)
            fprintf(out, "\n%s:\n", o->group);
        char left[64];
        snprintf(left, sizeof left, "--%s %s", o->flag, o->metavar);
        char right[160];
        if (o->def)
            snprintf(right, sizeof right, "%s%s%s (default: %s)", o->env, o->alias ? " or " : "",
                     o->alias ? o->alias : "", o->def[0] ? o->def : "empty");
        else
            snprintf(right, sizeof right, "%s (default: %s)", o->env, o->def_help);
        fprintf(out, "  %-34s %s\n", left, right);
        print_wrapped(out, o->help, 6, 100);
    }
    fprintf(out,
            "\nOther options:\n"
            "  %-34s show this help and exit\n"
            "  %-34s show the version and exit\n"
            "\nExit status: 0 after a clean stop, 1 when a port is in use or a module cannot "
            "start,\n2 for a configuration error.\n",
            "-h, --help", "-V, --version");
}

void config_print_version(FILE *out)
{
    fprintf(out, "joyride %s\n", JOYRIDE_VERSION);
}
