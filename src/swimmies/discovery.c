/* swimmies/discovery.c — UDP broadcast discovery: JSON announce at start, heartbeat every
 * interval, goodbye at stop (signed when there is a keyring); received messages maintain a
 * capped, expiring table of known nodes that never moves a node id to another address. */
#include "swimmies/discovery.h"

#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/vec.h"
#include "swimmies/discovery_auth.h"

#define MOD "discovery"
#define MSG_MAX 2048
#define SIGNED_MARK "\"auth\":\"hmac-sha256\"" /* how a signed message begins */

/* A heard node, when it was first heard, and the timestamp of its last signed message (0 without
 * a keyring): a signed message no newer than that is a replay. */
struct entry {
    struct swim_discovery_node n;
    double first_seen;
    uint64_t ts_ms;
};

struct swim_discovery {
    struct loop *loop;
    struct swim_discovery_config cfg;
    char *strings; /* owned copies of the cfg strings, one allocation */
    int rx_fd, tx_fd;
    struct sockaddr_in bcast;
    struct loop_timer *timer;
    swim_discovery_cb cb;
    void *ctx;
    pthread_mutex_t mu; /* guards nodes and stats (read by other threads) */
    struct {
        struct entry *v;
        size_t n, cap;
    } nodes; /* a core/vec.h vector */
    size_t max_nodes;
    struct swim_disc_replay replay; /* signed MACs accepted recently (loop thread) */
    uint64_t last_ts_ms;            /* timestamp of the last message sent */
    struct swim_discovery_stats stats;
    bool clash_logged, send_error_logged;
};

static double wall_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static bool signing(const struct swim_discovery *d)
{
    return swim_keyring_enabled(d->cfg.keyring);
}

int swim_discovery_encode(const struct swim_discovery_config *cfg, const char *type, double now,
                          char *buf, size_t cap)
{
    json_t *msg =
        json_pack("{s:s, s:{s:s, s:s, s:s, s:i, s:s, s:f, s:{s:s, s:s, s:i}}, s:f}", "message_type",
                  type, "node_info", "node_id", cfg->node_id, "hostname", cfg->hostname,
                  "ip_address", cfg->ip_address, "port", (int)cfg->service_port, "service_type",
                  cfg->service_type, "last_seen", now, "metadata", "version", cfg->version, "role",
                  cfg->role, "swim_port", (int)cfg->swim_port, "timestamp", now);
    if (!msg)
        return -1;
    size_t n = json_dumpb(msg, buf, cap, JSON_COMPACT);
    json_decref(msg);
    return n == 0 || n > cap ? -1 : (int)n;
}

static bool copy_str(json_t *obj, const char *key, char *dst, size_t cap, bool required)
{
    json_t *v = json_object_get(obj, key);
    if (!v || !json_is_string(v)) {
        dst[0] = 0;
        return !required;
    }
    size_t len = json_string_length(v);
    if (len >= cap || len == 0)
        return false;
    memcpy(dst, json_string_value(v), len + 1);
    return true;
}

static bool get_port(json_t *obj, const char *key, uint16_t *out)
{
    json_t *v = json_object_get(obj, key);
    if (!v || !json_is_integer(v))
        return false;
    json_int_t p = json_integer_value(v);
    if (p < 1 || p > 65535)
        return false;
    *out = (uint16_t)p;
    return true;
}

bool swim_discovery_decode(const char *buf, size_t len, struct swim_discovery_node *out,
                           char *type_out, size_t type_cap, char *service_type_out,
                           size_t service_cap)
{
    memset(out, 0, sizeof *out);
    json_t *root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, NULL);
    if (!root)
        return false;
    bool ok = false;
    json_t *info = json_object_get(root, "node_info");
    json_t *meta = info ? json_object_get(info, "metadata") : NULL;
    struct in_addr ia;
    if (!json_is_object(root) || !json_is_object(info) || !json_is_object(meta))
        goto done;
    if (!copy_str(root, "message_type", type_out, type_cap, true) ||
        !copy_str(info, "service_type", service_type_out, service_cap, true) ||
        !copy_str(info, "node_id", out->node_id, sizeof out->node_id, true) ||
        !copy_str(info, "ip_address", out->ip_address, sizeof out->ip_address, true) ||
        !copy_str(info, "hostname", out->hostname, sizeof out->hostname, false) ||
        !copy_str(meta, "version", out->version, sizeof out->version, false) ||
        !copy_str(meta, "role", out->role, sizeof out->role, false))
        goto done;
    if (inet_pton(AF_INET, out->ip_address, &ia) != 1)
        goto done;
    if (!get_port(meta, "swim_port", &out->swim_port))
        goto done;
    if (!get_port(info, "port", &out->port))
        out->port = 0;
    ok = true;
done:
    json_decref(root);
    return ok;
}

static void send_msg(struct swim_discovery *d, const char *type)
{
    char plain[MSG_MAX], sealed[2 * MSG_MAX];
    /* signed timestamps strictly increase: receivers drop one no newer than the last */
    uint64_t now = wall_ms();
    now = now > d->last_ts_ms ? now : d->last_ts_ms + 1;
    d->last_ts_ms = now;
    int n = swim_discovery_encode(&d->cfg, type, (double)now / 1000.0, plain, sizeof plain);
    const char *buf = plain;
    if (n >= 0 && signing(d)) {
        n = swim_disc_seal(d->cfg.keyring, plain, (size_t)n, now, sealed, sizeof sealed);
        buf = sealed;
    }
    if (n < 0)
        return;
    ssize_t r = sendto(d->tx_fd, buf, (size_t)n, 0, (struct sockaddr *)&d->bcast, sizeof d->bcast);
    pthread_mutex_lock(&d->mu);
    if (r < 0)
        d->stats.send_errors++;
    else
        d->stats.sent++;
    pthread_mutex_unlock(&d->mu);
    if (r < 0 && !d->send_error_logged) {
        swim_logf(&d->cfg.log, SWIM_LOG_WARNING, MOD,
                  "cannot send %s to %s:%u: %s (will keep trying)", type, d->cfg.broadcast,
                  d->cfg.port, strerror(errno));
        d->send_error_logged = true;
    } else if (r >= 0 && d->send_error_logged) {
        swim_logf(&d->cfg.log, SWIM_LOG_INFO, MOD, "sending to %s:%u works again", d->cfg.broadcast,
                  d->cfg.port);
        d->send_error_logged = false;
    }
}

void swim_discovery_announce(struct swim_discovery *d)
{
    send_msg(d, "heartbeat");
}

static ssize_t find_node(struct swim_discovery *d, const char *id)
{
    for (size_t i = 0; i < d->nodes.n; i++)
        if (strcmp(d->nodes.v[i].n.node_id, id) == 0)
            return (ssize_t)i;
    return -1;
}

static void remove_node(struct swim_discovery *d, size_t i)
{
    d->nodes.v[i] = d->nodes.v[--d->nodes.n];
}

static void expire(struct swim_discovery *d)
{
    double now = wall_now();
    double limit = (double)d->cfg.timeout_ms / 1000.0;
    for (size_t i = 0; i < d->nodes.n;) {
        if (now - d->nodes.v[i].n.last_seen > limit) {
            struct swim_discovery_node gone = d->nodes.v[i].n;
            pthread_mutex_lock(&d->mu);
            remove_node(d, i);
            pthread_mutex_unlock(&d->mu);
            d->cb(SWIM_DISCOVERY_LOST, &gone, d->ctx);
        } else {
            i++;
        }
    }
}

static void on_timer(void *ctx)
{
    struct swim_discovery *d = ctx;
    d->timer = loop_timer_add(d->loop, d->cfg.interval_ms, on_timer, d);
    send_msg(d, "heartbeat");
    expire(d);
}

static void count(struct swim_discovery *d, uint64_t *counter)
{
    pthread_mutex_lock(&d->mu);
    (*counter)++;
    pthread_mutex_unlock(&d->mu);
}

static uint64_t *verdict_counter(struct swim_discovery *d, enum swim_disc_verdict v)
{
    switch (v) {
    case SWIM_DISC_AUTH_UNAUTHENTICATED:
        return &d->stats.unauthenticated;
    case SWIM_DISC_AUTH_BAD_MAC:
        return &d->stats.bad_mac;
    case SWIM_DISC_AUTH_STALE:
        return &d->stats.stale;
    case SWIM_DISC_AUTH_REPLAY:
        return &d->stats.replayed;
    case SWIM_DISC_AUTH_OK:
    case SWIM_DISC_AUTH_MALFORMED:
        break;
    }
    return &d->stats.malformed;
}

/* Checks the signature; on success points *msg at the plain message in plain. */
static bool authenticate(struct swim_discovery *d, const char *buf, size_t len, const char *from,
                         char *plain, size_t cap, const char **msg, size_t *mlen, uint64_t *ts)
{
    enum swim_disc_verdict v = swim_disc_open(d->cfg.keyring, &d->replay, buf, len, wall_ms(),
                                              SWIM_DISC_WINDOW_MS, plain, cap, mlen, ts);
    if (v == SWIM_DISC_AUTH_OK) {
        *msg = plain;
        return true;
    }
    count(d, verdict_counter(d, v));
    if (v != SWIM_DISC_AUTH_MALFORMED)
        swim_logf(&d->cfg.log, SWIM_LOG_WARNING, MOD, "dropped a discovery message from %s: %s",
                  from ? from : "?", swim_disc_verdict_name(v));
    return false;
}

/* Which entry a full table gives up: the one heard longest ago among those not established
 * (heard over less than half an interval: a flood of new ids churns among themselves), else the
 * one heard longest ago. */
static size_t evictee(const struct swim_discovery *d)
{
    double settle = (double)d->cfg.interval_ms / 2000.0;
    size_t oldest = 0, fresh = SIZE_MAX;
    for (size_t k = 0; k < d->nodes.n; k++) {
        const struct entry *e = &d->nodes.v[k];
        if (e->n.last_seen < d->nodes.v[oldest].n.last_seen)
            oldest = k;
        if (e->n.last_seen - e->first_seen < settle &&
            (fresh == SIZE_MAX || e->n.last_seen < d->nodes.v[fresh].n.last_seen))
            fresh = k;
    }
    return fresh != SIZE_MAX ? fresh : oldest;
}

/* Puts n into the table (under mu). Returns the event to report, or -1 to drop the message;
 * *evicted is set when a full table made room by dropping the node heard longest ago. */
static int table_update(struct swim_discovery *d, const struct swim_discovery_node *n,
                        const char *type, uint64_t ts, struct swim_discovery_node *evicted,
                        bool *did_evict, struct swim_discovery_node *known)
{
    ssize_t i = find_node(d, n->node_id);
    if (i >= 0) {
        struct entry *e = &d->nodes.v[i];
        if (strcmp(e->n.ip_address, n->ip_address) != 0 || e->n.swim_port != n->swim_port) {
            d->stats.address_conflicts++;
            *known = e->n;
            return -2;
        }
        if (ts && ts <= e->ts_ms) {
            d->stats.replayed++;
            return -1;
        }
    }
    d->stats.received++;
    if (strcmp(type, "goodbye") == 0) {
        if (i < 0)
            return -1;
        remove_node(d, (size_t)i);
        return SWIM_DISCOVERY_GOODBYE;
    }
    if (i >= 0) {
        d->nodes.v[i] = (struct entry){*n, d->nodes.v[i].first_seen, ts};
        return SWIM_DISCOVERY_UPDATED;
    }
    if (d->nodes.n >= d->max_nodes) {
        size_t k = evictee(d);
        *evicted = d->nodes.v[k].n;
        *did_evict = true;
        d->stats.evicted++;
        d->nodes.v[k] = (struct entry){*n, n->last_seen, ts};
        return SWIM_DISCOVERY_FOUND;
    }
    struct entry e = {*n, n->last_seen, ts};
    return vec_push(&d->nodes, e) ? SWIM_DISCOVERY_FOUND : -1;
}

void swim_discovery_receive(struct swim_discovery *d, const char *buf, size_t len, const char *from)
{
    char plain[MSG_MAX];
    const char *msg = buf;
    size_t mlen = len;
    uint64_t ts = 0;
    if (signing(d) && !authenticate(d, buf, len, from, plain, sizeof plain, &msg, &mlen, &ts))
        return;
    struct swim_discovery_node n;
    char type[16], service[SWIM_DISC_STR_MAX + 1];
    if (!swim_discovery_decode(msg, mlen, &n, type, sizeof type, service, sizeof service)) {
        count(d, &d->stats.malformed);
        if (!signing(d) && memmem(buf, len, SIGNED_MARK, sizeof SIGNED_MARK - 1))
            swim_logf(&d->cfg.log, SWIM_LOG_WARNING, MOD,
                      "dropped a signed discovery message from %s: no cluster key here",
                      from ? from : "?");
        return;
    }
    bool own = strcmp(n.node_id, d->cfg.node_id) == 0;
    if (own && strcmp(n.ip_address, d->cfg.ip_address) != 0 && !d->clash_logged) {
        swim_logf(&d->cfg.log, SWIM_LOG_ERROR, MOD,
                  "node id '%s' is also used by the node at %s: every node needs a unique id",
                  n.node_id, n.ip_address);
        d->clash_logged = true;
    }
    if (own || strcmp(service, d->cfg.service_type) != 0) {
        count(d, &d->stats.ignored);
        return;
    }
    n.last_seen = wall_now();
    struct swim_discovery_node evicted, known;
    bool did_evict = false;
    pthread_mutex_lock(&d->mu);
    int ev = table_update(d, &n, type, ts, &evicted, &did_evict, &known);
    pthread_mutex_unlock(&d->mu);
    if (ev == -2)
        swim_logf(&d->cfg.log, SWIM_LOG_WARNING, MOD,
                  "dropped a discovery message from %s: node %s announced at %s:%u but is known "
                  "at %s:%u",
                  from ? from : "?", n.node_id, n.ip_address, n.swim_port, known.ip_address,
                  known.swim_port);
    if (ev < 0)
        return;
    if (did_evict)
        d->cb(SWIM_DISCOVERY_LOST, &evicted, d->ctx);
    d->cb((enum swim_discovery_event)ev, &n, d->ctx);
}

static void on_readable(int fd, uint32_t events, void *ctx)
{
    (void)events;
    struct swim_discovery *d = ctx;
    char buf[MSG_MAX], from[INET_ADDRSTRLEN];
    for (int k = 0; k < 64; k++) {
        struct sockaddr_in src;
        socklen_t slen = sizeof src;
        ssize_t r =
            recvfrom(fd, buf, sizeof buf, MSG_DONTWAIT | MSG_TRUNC, (struct sockaddr *)&src, &slen);
        if (r < 0)
            return;
        if ((size_t)r > sizeof buf) {
            count(d, &d->stats.malformed);
            continue;
        }
        if (!inet_ntop(AF_INET, &src.sin_addr, from, sizeof from))
            snprintf(from, sizeof from, "?");
        swim_discovery_receive(d, buf, (size_t)r, from);
    }
}

static char *dup_into(char **cursor, const char *s)
{
    char *p = *cursor;
    size_t n = strlen(s ? s : "") + 1;
    memcpy(p, s ? s : "", n);
    *cursor += n;
    return p;
}

static int open_sockets(struct swim_discovery *d, char *err, size_t errlen)
{
    const struct swim_discovery_config *c = &d->cfg;
    memset(&d->bcast, 0, sizeof d->bcast);
    d->bcast.sin_family = AF_INET;
    d->bcast.sin_port = htons(c->port);
    if (inet_pton(AF_INET, c->broadcast, &d->bcast.sin_addr) != 1) {
        snprintf(err, errlen, "DISCOVERY_BROADCAST: '%s' is not an IPv4 address", c->broadcast);
        return -1;
    }
    /* Receive: bound to the broadcast address itself when it is a subnet broadcast (so only
     * that network's announcements arrive), to any address for 255.255.255.255. Several nodes
     * on one host share the port. */
    struct sockaddr_in rx = d->bcast;
    if (rx.sin_addr.s_addr == htonl(INADDR_BROADCAST))
        rx.sin_addr.s_addr = htonl(INADDR_ANY);
    int one = 1;
    d->rx_fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    d->tx_fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (d->rx_fd < 0 || d->tx_fd < 0) {
        snprintf(err, errlen, "discovery socket: %s", strerror(errno));
        return -1;
    }
    setsockopt(d->rx_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    setsockopt(d->rx_fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
    if (bind(d->rx_fd, (struct sockaddr *)&rx, sizeof rx) < 0) {
        snprintf(err, errlen, "DISCOVERY_PORT %u: cannot bind %s: %s", c->port, c->broadcast,
                 strerror(errno));
        return -1;
    }
    setsockopt(d->tx_fd, SOL_SOCKET, SO_BROADCAST, &one, sizeof one);
    if (c->bind_address && c->bind_address[0] && strcmp(c->bind_address, "0.0.0.0") != 0) {
        struct sockaddr_in tx = {.sin_family = AF_INET};
        if (inet_pton(AF_INET, c->bind_address, &tx.sin_addr) != 1 ||
            bind(d->tx_fd, (struct sockaddr *)&tx, sizeof tx) < 0) {
            snprintf(err, errlen, "discovery: cannot bind the sending socket to %s: %s",
                     c->bind_address, strerror(errno));
            return -1;
        }
    }
    return 0;
}

struct swim_discovery *swim_discovery_start(struct loop *l, const struct swim_discovery_config *cfg,
                                            swim_discovery_cb cb, void *ctx, char *err,
                                            size_t errlen)
{
    struct swim_discovery *d = calloc(1, sizeof *d);
    if (!d) {
        snprintf(err, errlen, "discovery: out of memory");
        return NULL;
    }
    d->loop = l;
    d->cb = cb;
    d->ctx = ctx;
    d->rx_fd = d->tx_fd = -1;
    pthread_mutex_init(&d->mu, NULL);
    const char *strs[] = {cfg->node_id,      cfg->hostname, cfg->ip_address,   cfg->version,
                          cfg->service_type, cfg->role,     cfg->bind_address, cfg->broadcast};
    size_t total = 0;
    for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++)
        total += strlen(strs[i] ? strs[i] : "") + 1;
    d->strings = malloc(total);
    if (!d->strings) {
        snprintf(err, errlen, "discovery: out of memory");
        swim_discovery_stop(d);
        return NULL;
    }
    char *cur = d->strings;
    d->cfg = *cfg;
    d->cfg.node_id = dup_into(&cur, cfg->node_id);
    d->cfg.hostname = dup_into(&cur, cfg->hostname);
    d->cfg.ip_address = dup_into(&cur, cfg->ip_address);
    d->cfg.version = dup_into(&cur, cfg->version);
    d->cfg.service_type = dup_into(&cur, cfg->service_type);
    d->cfg.role = dup_into(&cur, cfg->role);
    d->cfg.bind_address = dup_into(&cur, cfg->bind_address);
    d->cfg.broadcast = dup_into(&cur, cfg->broadcast);
    d->max_nodes = cfg->max_nodes ? cfg->max_nodes : SWIM_DISC_MAX_NODES;
    if (open_sockets(d, err, errlen) < 0 || loop_add_fd(l, d->rx_fd, EPOLLIN, on_readable, d) < 0) {
        d->loop = NULL;
        swim_discovery_stop(d);
        return NULL;
    }
    send_msg(d, "announce");
    d->timer = loop_timer_add(l, d->cfg.interval_ms, on_timer, d);
    swim_logf(&d->cfg.log, SWIM_LOG_INFO, MOD,
              "announcing %s (%s, swim port %u) to %s:%u every %u ms%s", d->cfg.node_id,
              d->cfg.ip_address, d->cfg.swim_port, d->cfg.broadcast, d->cfg.port,
              d->cfg.interval_ms, signing(d) ? ", signed" : "");
    return d;
}

void swim_discovery_stop(struct swim_discovery *d)
{
    if (!d)
        return;
    if (d->loop) {
        send_msg(d, "goodbye");
        loop_timer_cancel(d->loop, d->timer);
        loop_del_fd(d->loop, d->rx_fd);
    }
    if (d->rx_fd >= 0)
        close(d->rx_fd);
    if (d->tx_fd >= 0)
        close(d->tx_fd);
    pthread_mutex_destroy(&d->mu);
    free(d->nodes.v);
    free(d->strings);
    free(d);
}

size_t swim_discovery_nodes(struct swim_discovery *d, struct swim_discovery_node *out, size_t max)
{
    pthread_mutex_lock(&d->mu);
    size_t n = d->nodes.n;
    for (size_t i = 0; i < n && i < max; i++)
        out[i] = d->nodes.v[i].n;
    pthread_mutex_unlock(&d->mu);
    return n;
}

void swim_discovery_get_stats(struct swim_discovery *d, struct swim_discovery_stats *out)
{
    pthread_mutex_lock(&d->mu);
    *out = d->stats;
    pthread_mutex_unlock(&d->mu);
}
