/* config/config.c — the option table (environment variable, --flag, default, help) and the layering of
 * defaults < .env < environment < flags into a validated struct config. */
#include "config/config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <sched.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "config/dotenv.h"
#include "config/values.h"
#include "sources/docker_host.h"

#ifndef JOYRIDE_VERSION
#define JOYRIDE_VERSION "0.0.0"
#endif

#define MAX_WORKERS 1024
#define MAX_DURATION_MS (24ull * 3600 * 1000)
#define MAX_TEXT 256

enum kind {
    K_PORT,   /* uint16_t, 1-65535 */
    K_PORT0,  /* uint16_t, 0-65535 (0 disables) */
    K_BIND,   /* char[46], IPv4 or IPv6 literal */
    K_IPV4,   /* char[46], IPv4 literal */
    K_UINT32, /* uint32_t in [min, max] */
    K_INT,    /* int in [min, max] */
    K_MS,     /* uint32_t milliseconds */
    K_BOOL,   /* bool */
    K_TEXT,   /* char *, one printable line */
    K_CUSTOM, /* set() */
};

struct opt {
    const char *group;   /* starts a new group in --help when set */
    const char *env;     /* DNS_PORT */
    const char *alias;   /* another accepted variable name (FLASK_PORT), or NULL */
    const char *flag;    /* dns-port */
    const char *metavar; /* PORT */
    const char *def;     /* default value text; NULL: computed after parsing (def_help says how) */
    const char *def_help;
    const char *help;
    enum kind kind;
    bool empty_ok; /* "" is a value; otherwise "" counts as not set */
    size_t off;
    uint64_t min, max;
    bool (*set)(struct config *c, const char *v, char *msg, size_t msglen);
};

static bool set_hostip(struct config *c, const char *v, char *msg, size_t msglen);
static bool set_unknown_action(struct config *c, const char *v, char *msg, size_t msglen);
static bool set_domains(struct config *c, const char *v, char *msg, size_t msglen);
static bool set_node_id(struct config *c, const char *v, char *msg, size_t msglen);
static bool set_log_level(struct config *c, const char *v, char *msg, size_t msglen);
static bool set_hosts_directory(struct config *c, const char *v, char *msg, size_t msglen);
static bool set_docker_host(struct config *c, const char *v, char *msg, size_t msglen);
static bool set_docker_labels(struct config *c, const char *v, char *msg, size_t msglen);
static bool set_seeds(struct config *c, const char *v, char *msg, size_t msglen);
static bool set_secret(struct config *c, const char *v, char *msg, size_t msglen);
static bool set_node_failure(struct config *c, const char *v, char *msg, size_t msglen);

#define F(field) offsetof(struct config, field)

static const struct opt opts[] = {
    {"DNS server", "DNS_PORT", NULL, "dns-port", "PORT", "5353", NULL,
     "DNS listen port (UDP and TCP)", K_PORT, false, F(dns_port), 0, 0, NULL},
    {NULL, "DNS_BIND_ADDRESS", NULL, "dns-bind-address", "ADDR", "0.0.0.0", NULL,
     "DNS listen address (IPv4 or IPv6 literal)", K_BIND, false, F(dns_bind_address), 0, 0, NULL},
    {NULL, "DNS_TTL", NULL, "dns-ttl", "SECONDS", "60", NULL, "TTL of answers", K_UINT32, false,
     F(dns_ttl), 0, 2147483647, NULL},
    {NULL, "DNS_UNKNOWN_ACTION", NULL, "dns-unknown-action", "ACTION", "nxdomain", NULL,
     "unknown names: nxdomain, refused or drop (no answer)", K_CUSTOM, false, 0, 0, 0,
     set_unknown_action},
    {NULL, "DNS_DOMAINS", NULL, "dns-domains", "LIST", "", NULL,
     "domains Joyride is authoritative for (comma separated): unknown names inside get NXDOMAIN "
     "with a SOA, names outside get REFUSED; empty answers every name",
     K_CUSTOM, true, 0, 0, 0, set_domains},
    {NULL, "DNS_WORKERS", NULL, "dns-workers", "N", NULL, "number of CPUs", "UDP worker threads",
     K_INT, false, F(dns_workers), 1, MAX_WORKERS, NULL},
    {NULL, "DNS_TCP_IDLE_TIMEOUT", NULL, "dns-tcp-idle-timeout", "DURATION", "10s", NULL,
     "an idle DNS TCP connection is closed after this long", K_MS, false,
     F(dns_tcp_idle_timeout_ms), 0, 0, NULL},
    {NULL, "DNS_TCP_MAX_CONNECTIONS", NULL, "dns-tcp-max-connections", "N", "256", NULL,
     "concurrent DNS TCP connections; more are closed at once", K_INT, false,
     F(dns_tcp_max_connections), 1, 65536, NULL},

    {"HTTP API", "HTTP_PORT", "FLASK_PORT", "http-port", "PORT", "5000", NULL,
     "HTTP API and status page port (FLASK_PORT is accepted too)", K_PORT, false, F(http_port), 0,
     0, NULL},
    {NULL, "HTTP_BIND_ADDRESS", NULL, "http-bind-address", "ADDR", "0.0.0.0", NULL,
     "HTTP listen address (IPv4 or IPv6 literal)", K_BIND, false, F(http_bind_address), 0, 0, NULL},

    {"Records", "HOSTIP", NULL, "hostip", "ADDR", NULL,
     "the address of the interface on the default route, else 127.0.0.1",
     "address container names resolve to; advertised to peers", K_CUSTOM, false, 0, 0, 0,
     set_hostip},
    {NULL, "HOSTS_DIRECTORY", NULL, "hosts-directory", "DIR", "/app/hosts", NULL,
     "directory of hosts files; empty disables", K_CUSTOM, true, 0, 0, 0, set_hosts_directory},
    {NULL, "DOCKER_HOST", NULL, "docker-host", "URL", "unix:///var/run/docker.sock", NULL,
     "Docker Engine API: unix:///path or tcp://host:port", K_CUSTOM, false, 0, 0, 0,
     set_docker_host},
    {NULL, "DOCKER_LABELS", NULL, "docker-labels", "KEYS", "joyride.host.name", NULL,
     "container label keys holding host names (comma separated)", K_CUSTOM, false, 0, 0, 0,
     set_docker_labels},

    {"Cluster", "ENABLE_DNS_SYNC", NULL, "enable-dns-sync", "BOOL", "true", NULL,
     "run discovery, SWIM membership and record replication", K_BOOL, false, F(enable_dns_sync), 0,
     0, NULL},
    {NULL, "NODE_ID", NULL, "node-id", "ID", NULL, "joyride-<pid>",
     "node identity; must be unique in the cluster", K_CUSTOM, false, 0, 0, 0, set_node_id},
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
    {NULL, "SWIM_SUSPICION_MULT", NULL, "swim-suspicion-mult", "N", "4", NULL,
     "suspicion timeout multiplier (x log(N+1) x probe interval)", K_UINT32, false,
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

#define N_OPTS (sizeof opts / sizeof opts[0])

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

static bool set_generic(struct config *c, const struct opt *o, const char *v, char *msg,
                        size_t msglen)
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
    static const enum dns_unknown_action acts[] = {DNS_UNKNOWN_NXDOMAIN, DNS_UNKNOWN_REFUSED,
                                                   DNS_UNKNOWN_DROP};
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

struct list_ctx {
    struct config *c;
    char *msg;
    size_t msglen;
    size_t index;
};

static bool add_domain(const char *item, void *vctx)
{
    struct list_ctx *x = vctx;
    char name[REC_NAME_MAX + 1];
    char shown[80];
    if (!records_normalize_name(item, name)) {
        snprintf(x->msg, x->msglen, "%s is not a valid domain name", cv_show(item, shown));
        return false;
    }
    for (size_t i = 0; i < x->c->n_dns_domains; i++)
        if (strcmp(x->c->dns_domains[i], name) == 0)
            return true;
    char **d = realloc(x->c->dns_domains, (x->c->n_dns_domains + 1) * sizeof *d);
    if (!d || !(d[x->c->n_dns_domains] = strdup(name))) {
        if (d)
            x->c->dns_domains = d;
        snprintf(x->msg, x->msglen, "out of memory");
        return false;
    }
    x->c->dns_domains = d;
    x->c->n_dns_domains++;
    return true;
}

static void free_domains(struct config *c)
{
    for (size_t i = 0; i < c->n_dns_domains; i++)
        free(c->dns_domains[i]);
    free(c->dns_domains);
    c->dns_domains = NULL;
    c->n_dns_domains = 0;
}

static bool set_domains(struct config *c, const char *v, char *msg, size_t msglen)
{
    free_domains(c);
    struct list_ctx x = {c, msg, msglen, 0};
    return cv_split(v, add_domain, &x);
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

static bool set_docker_host(struct config *c, const char *v, char *msg, size_t msglen)
{
    /* the Docker source's own grammar (the docker CLI's), so config and source never disagree */
    struct docker_endpoint ep;
    char err[256];
    if (!docker_endpoint_parse(v, &ep, err, sizeof err)) {
        const char *prefix = "DOCKER_HOST ";
        const char *e = strncmp(err, prefix, strlen(prefix)) == 0 ? err + strlen(prefix) : err;
        snprintf(msg, msglen, "%s", e);
        return false;
    }
    return set_text(&c->docker_host, v, msg, msglen);
}

struct labels_ctx {
    char buf[1024];
    size_t len;
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
    if (x->len + n + 2 > sizeof x->buf) {
        snprintf(x->msg, x->msglen, "too long");
        return false;
    }
    if (x->len)
        x->buf[x->len++] = ',';
    memcpy(x->buf + x->len, item, n + 1);
    x->len += n;
    return true;
}

static bool set_docker_labels(struct config *c, const char *v, char *msg, size_t msglen)
{
    struct labels_ctx x = {.msg = msg, .msglen = msglen};
    if (!cv_split(v, add_label, &x))
        return false;
    if (x.len == 0) {
        snprintf(msg, msglen, "no label key given");
        return false;
    }
    return set_text(&c->docker_labels, x.buf, msg, msglen);
}

static void free_seeds(struct config *c)
{
    for (size_t i = 0; i < c->n_cluster_seeds; i++)
        free(c->cluster_seeds[i].host);
    free(c->cluster_seeds);
    c->cluster_seeds = NULL;
    c->n_cluster_seeds = 0;
}

static bool add_seed(const char *item, void *vctx)
{
    struct list_ctx *x = vctx;
    char shown[80];
    char *host = NULL;
    uint16_t port;
    char ip[46], name[REC_NAME_MAX + 1];
    /* the port defaults to SWIM_PORT, which is applied once every option is known */
    if (!cv_host_port(item, 0, &host, &port) ||
        !(cv_ip(host, 0, ip, NULL) || records_normalize_name(host, name))) {
        free(host);
        snprintf(x->msg, x->msglen, "%s is not host:port", cv_show(item, shown));
        return false;
    }
    struct config_seed *s = realloc(x->c->cluster_seeds, (x->c->n_cluster_seeds + 1) * sizeof *s);
    if (!s) {
        free(host);
        snprintf(x->msg, x->msglen, "out of memory");
        return false;
    }
    x->c->cluster_seeds = s;
    s[x->c->n_cluster_seeds++] = (struct config_seed){.host = host, .port = port};
    return true;
}

static bool set_seeds(struct config *c, const char *v, char *msg, size_t msglen)
{
    free_seeds(c);
    struct list_ctx x = {c, msg, msglen, 0};
    return cv_split(v, add_seed, &x);
}

static bool add_key(const char *item, void *vctx)
{
    struct list_ctx *x = vctx;
    struct config_key k = {0};
    x->index++;
    /* never echo key material in messages */
    long n = cv_base64(item, k.bytes, sizeof k.bytes);
    if (n < 0 && strlen(item) > 44) {
        snprintf(x->msg, x->msglen, "key %zu is longer than 32 bytes; keys must be 16, 24 or 32",
                 x->index);
        return false;
    }
    if (n < 0) {
        snprintf(x->msg, x->msglen, "key %zu is not valid base64", x->index);
        return false;
    }
    if (n != 16 && n != 24 && n != 32) {
        snprintf(x->msg, x->msglen, "key %zu is %ld bytes; keys must be 16, 24 or 32 bytes",
                 x->index, n);
        return false;
    }
    k.len = (size_t)n;
    struct config_key *ks = realloc(x->c->cluster_keys, (x->c->n_cluster_keys + 1) * sizeof *ks);
    if (!ks) {
        snprintf(x->msg, x->msglen, "out of memory");
        return false;
    }
    x->c->cluster_keys = ks;
    ks[x->c->n_cluster_keys++] = k;
    return true;
}

static bool set_secret(struct config *c, const char *v, char *msg, size_t msglen)
{
    free(c->cluster_keys);
    c->cluster_keys = NULL;
    c->n_cluster_keys = 0;
    struct list_ctx x = {c, msg, msglen, 0};
    return cv_split(v, add_key, &x);
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

/* ---- helpers used by defaults ---- */

const char *config_unknown_action_name(enum dns_unknown_action a)
{
    switch (a) {
    case DNS_UNKNOWN_NXDOMAIN:
        return "nxdomain";
    case DNS_UNKNOWN_REFUSED:
        return "refused";
    case DNS_UNKNOWN_DROP:
        return "drop";
    }
    return "?";
}

void config_detect_hostip(char *buf, size_t len)
{
    snprintf(buf, len, "127.0.0.1");
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return;
    /* connect() on a UDP socket only picks the route and source address; nothing is sent.
     * 192.0.2.1 (TEST-NET-1) is not local, so it follows the default route. */
    struct sockaddr_in dst = {.sin_family = AF_INET, .sin_port = htons(53)};
    inet_pton(AF_INET, "192.0.2.1", &dst.sin_addr);
    struct sockaddr_in me = {0};
    socklen_t mlen = sizeof me;
    if (connect(fd, (struct sockaddr *)&dst, sizeof dst) == 0 &&
        getsockname(fd, (struct sockaddr *)&me, &mlen) == 0 && me.sin_addr.s_addr != 0) {
        char tmp[INET_ADDRSTRLEN];
        if (inet_ntop(AF_INET, &me.sin_addr, tmp, sizeof tmp))
            snprintf(buf, len, "%s", tmp);
    }
    close(fd);
}

int config_cpu_count(void)
{
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0) {
        int n = CPU_COUNT(&set);
        if (n > 0)
            return n;
    }
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)(n > MAX_WORKERS ? MAX_WORKERS : n) : 1;
}

/* ---- layering ---- */

static const char *env_lookup(char *const envp[], const char *name)
{
    if (!envp || !name)
        return NULL;
    size_t n = strlen(name);
    for (size_t i = 0; envp[i]; i++)
        if (strncmp(envp[i], name, n) == 0 && envp[i][n] == '=')
            return envp[i] + n + 1;
    return NULL;
}

/* A layer's value for option o: its own name first, then the alias. Empty values count as unset
 * unless the option gives "" a meaning. */
static const char *pick(const struct opt *o, const char *primary, const char *alias)
{
    if (primary && (primary[0] || o->empty_ok))
        return primary;
    if (alias && (alias[0] || o->empty_ok))
        return alias;
    return NULL;
}

static const struct opt *find_flag(const char *name, size_t len)
{
    for (size_t i = 0; i < N_OPTS; i++)
        if (strlen(opts[i].flag) == len && strncmp(opts[i].flag, name, len) == 0)
            return &opts[i];
    return NULL;
}

/* Reads argv into flag_vals; returns CONFIG_OK, CONFIG_HELP, CONFIG_VERSION or CONFIG_ERROR. */
static enum config_result read_flags(int argc, char *const argv[], const char *flag_vals[],
                                     char *err, size_t errlen)
{
    char shown[80];
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0)
            return CONFIG_HELP;
        if (strcmp(a, "-V") == 0 || strcmp(a, "--version") == 0)
            return CONFIG_VERSION;
        if (strncmp(a, "--", 2) != 0 || a[2] == '\0') {
            snprintf(err, errlen, "unexpected argument %s (see --help)", cv_show(a, shown));
            return CONFIG_ERROR;
        }
        const char *name = a + 2;
        const char *eq = strchr(name, '=');
        size_t len = eq ? (size_t)(eq - name) : strlen(name);
        const struct opt *o = find_flag(name, len);
        if (!o) {
            snprintf(err, errlen, "unknown option %s (see --help)", cv_show(a, shown));
            return CONFIG_ERROR;
        }
        const char *v;
        if (eq) {
            v = eq + 1;
        } else if (o->kind == K_BOOL) {
            /* --enable-dns-sync alone means true; a following boolean word is its value */
            bool b;
            if (i + 1 < argc && cv_bool(argv[i + 1], &b))
                v = argv[++i];
            else
                v = "true";
        } else if (i + 1 < argc) {
            v = argv[++i];
        } else {
            snprintf(err, errlen, "%s: --%s needs a value", o->env, o->flag);
            return CONFIG_ERROR;
        }
        flag_vals[o - opts] = v;
    }
    return CONFIG_OK;
}

static void set_defaults(struct config *c)
{
    *c = (struct config){0};
    c->log_level = LOG_INFO;
}

static bool apply(struct config *c, const struct opt *o, const char *v, char *err, size_t errlen)
{
    char msg[200];
    if (set_generic(c, o, v, msg, sizeof msg))
        return true;
    snprintf(err, errlen, "%s: %s", o->env, msg);
    return false;
}

static bool check_combinations(struct config *c, char *err, size_t errlen)
{
    if (c->swim_probe_timeout_ms > c->swim_probe_interval_ms) {
        snprintf(err, errlen, "SWIM_PROBE_TIMEOUT: %ums is longer than SWIM_PROBE_INTERVAL (%ums)",
                 c->swim_probe_timeout_ms, c->swim_probe_interval_ms);
        return false;
    }
    if (c->discovery_timeout_ms < c->discovery_interval_ms) {
        snprintf(err, errlen, "DISCOVERY_TIMEOUT: %ums is shorter than DISCOVERY_INTERVAL (%ums)",
                 c->discovery_timeout_ms, c->discovery_interval_ms);
        return false;
    }
    if (c->enable_dns_sync && c->discovery_port != 0 && c->discovery_port == c->swim_port) {
        snprintf(err, errlen, "DISCOVERY_PORT: %u is also SWIM_PORT", c->discovery_port);
        return false;
    }
    bool overlap = strcmp(c->dns_bind_address, c->http_bind_address) == 0 ||
                   strcmp(c->dns_bind_address, "0.0.0.0") == 0 ||
                   strcmp(c->http_bind_address, "0.0.0.0") == 0 ||
                   strcmp(c->dns_bind_address, "::") == 0 ||
                   strcmp(c->http_bind_address, "::") == 0;
    if (overlap && c->dns_port == c->http_port) {
        snprintf(err, errlen, "HTTP_PORT: %u is also DNS_PORT (both listen on TCP)", c->http_port);
        return false;
    }
    return true;
}

enum config_result config_parse(struct config *cfg, int argc, char *const argv[],
                                char *const envp[], const char *dotenv_path, char *err,
                                size_t errlen)
{
    const char *vals[N_OPTS] = {0};
    const char *flag_vals[N_OPTS] = {0};
    struct dotenv dot = {0};
    enum config_result r;

    set_defaults(cfg);
    if (errlen)
        err[0] = '\0';
    r = read_flags(argc, argv, flag_vals, err, errlen);
    if (r != CONFIG_OK)
        return r;
    if (dotenv_read(dotenv_path, &dot, err, errlen) != 0)
        return CONFIG_ERROR;

    for (size_t i = 0; i < N_OPTS; i++) {
        const struct opt *o = &opts[i];
        const char *v = o->def;
        const char *d =
            pick(o, dotenv_get(&dot, o->env), o->alias ? dotenv_get(&dot, o->alias) : NULL);
        const char *e = pick(o, env_lookup(envp, o->env), env_lookup(envp, o->alias));
        const char *f = pick(o, flag_vals[i], NULL);
        if (d)
            v = d;
        if (e)
            v = e;
        if (f)
            v = f;
        vals[i] = v;
    }

    bool ok = true;
    for (size_t i = 0; i < N_OPTS && ok; i++)
        if (vals[i])
            ok = apply(cfg, &opts[i], vals[i], err, errlen);
    dotenv_free(&dot);

    if (ok) {
        /* computed defaults */
        if (!cfg->hostip[0]) {
            config_detect_hostip(cfg->hostip, sizeof cfg->hostip);
            records_parse_addr(cfg->hostip, &cfg->hostip_addr);
            cfg->hostip_detected = true;
        }
        if (!cfg->node_id[0])
            snprintf(cfg->node_id, sizeof cfg->node_id, "joyride-%ld", (long)getpid());
        if (!cfg->dns_workers)
            cfg->dns_workers = config_cpu_count();
        if (!cfg->discovery_timeout_ms) {
            uint64_t t = 3ull * cfg->discovery_interval_ms;
            cfg->discovery_timeout_ms = t > UINT32_MAX ? UINT32_MAX : (uint32_t)t;
        }
        for (size_t i = 0; i < cfg->n_cluster_seeds; i++)
            if (cfg->cluster_seeds[i].port == 0)
                cfg->cluster_seeds[i].port = cfg->swim_port;
        ok = check_combinations(cfg, err, errlen);
    }
    if (!ok) {
        config_free(cfg);
        return CONFIG_ERROR;
    }
    return CONFIG_OK;
}

void config_free(struct config *cfg)
{
    free_domains(cfg);
    free_seeds(cfg);
    free(cfg->cluster_keys);
    free(cfg->hosts_directory);
    free(cfg->docker_host);
    free(cfg->docker_labels);
    free(cfg->service_name);
    free(cfg->environment);
    free(cfg->semantic_version);
    set_defaults(cfg);
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
            "the default. Durations: a number of seconds or a number with ms, s, m or h.\n",
            prog ? prog : "joyride", JOYRIDE_VERSION);
    for (size_t i = 0; i < N_OPTS; i++) {
        const struct opt *o = &opts[i];
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
