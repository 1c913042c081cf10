/* sync/manager.c — the cluster sync manager's lifecycle: swimmies over its UDP/TCP transport on the
 * event loop, discovery (joining peers it hears, rate-limited, never at a member's new address),
 * static seeds retried with backoff, the thread-safe status snapshot and on-demand sync requests
 * (coalesced). Replication is the sans-IO core in repl.c, run on the loop by driver.c. */
#include "sync/internal.h"

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "core/vec.h"
#include "swimmies/transport_udp.h"

#define STATUS_PERIOD_MS 500
#define SEED_RETRY_MIN_MS 1000
#define SEED_RETRY_MAX_MS 30000
#define LEAVE_SPREAD_MS 450

double sync_wall_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void sync_config_default(struct sync_config *c)
{
    memset(c, 0, sizeof *c);
    c->swim_port = 8890;
    c->discovery_port = 8889;
    c->discovery_broadcast = "255.255.255.255";
    c->discovery_interval_ms = 5000;
    c->discovery_timeout_ms = 15000;
    c->version = JOYRIDE_VERSION;
}

/* ---- status snapshot ---- */

struct count_ctx {
    struct sync_member_status *m;
    size_t n;
};

/* swimmies logs through a callback: its lines go to the process log under the same component
 * names ("swim", "swim-net", "discovery") and levels. Discovery's warnings (dropped messages:
 * anyone on the LAN can send those) are rate-limited. */
static void log_from_swimmies(void *ctx, enum swim_log_level level, const char *component,
                              const char *msg)
{
    (void)ctx;
    static struct log_limit discovery_drops = LOG_LIMIT_INIT(5, 60000);
    static const enum log_level levels[] = {LOG_DEBUG, LOG_INFO, LOG_WARNING, LOG_ERROR};
    enum log_level lv = levels[level <= SWIM_LOG_ERROR ? level : SWIM_LOG_ERROR];
    if (lv >= LOG_WARNING && strcmp(component, "discovery") == 0)
        log_limited(&discovery_drops, lv, component, "%s", msg);
    else
        log_msg(lv, component, "%s", msg);
}

static int cmp_member(const void *a, const void *b)
{
    return strcmp(((const struct sync_member_status *)a)->node_id,
                  ((const struct sync_member_status *)b)->node_id);
}

static int cmp_name_member(const void *key, const void *elem)
{
    return strcmp(key, ((const struct sync_member_status *)elem)->node_id);
}

static void count_record(const struct rec_view *v, void *ctx)
{
    struct count_ctx *c = ctx;
    struct sync_member_status *m = bsearch(v->owner, c->m, c->n, sizeof *c->m, cmp_name_member);
    if (m)
        m->records++;
}

struct member_collect {
    struct sync_member_status *m;
    size_t n, cap;
    uint32_t counts[4];
    double now_wall;
    uint64_t now_ms;
    const char *self;
};

static bool collect_member(void *ctx, const struct swim_member *sm)
{
    struct member_collect *c = ctx;
    if (sm->state <= SWIM_LEFT)
        c->counts[sm->state]++;
    if (!vec_grow(c->m, c->cap, c->n + 1))
        return false;
    struct sync_member_status *m = &c->m[c->n++];
    memset(m, 0, sizeof *m);
    snprintf(m->node_id, sizeof m->node_id, "%s", sm->name);
    swim_addr_str(&sm->addr, m->address, sizeof m->address);
    m->state = sm->state;
    m->incarnation = sm->incarnation;
    m->is_self = sm->is_self || strcmp(sm->name, c->self) == 0;
    uint64_t ago = c->now_ms > sm->state_change_ms ? c->now_ms - sm->state_change_ms : 0;
    m->last_change = c->now_wall - (double)ago / 1000.0;
    return true;
}

/* Rebuilds the member table and metrics HTTP threads copy (loop thread). */
void sync_refresh_status(struct sync *s)
{
    if (!s->swim)
        return;
    struct member_collect c = {0};
    c.now_wall = sync_wall_now();
    c.now_ms = loop_now_ms();
    c.self = s->cfg.node_id;
    swim_foreach_member(s->swim, collect_member, &c);
    if (c.n)
        qsort(c.m, c.n, sizeof *c.m, cmp_member);
    struct count_ctx cc = {c.m, c.n};
    records_foreach(s->records, true, count_record, &cc);
    struct swim_metrics met;
    swim_get_metrics(s->swim, &met);

    pthread_mutex_lock(&s->mu);
    free(s->members);
    s->members = c.m;
    s->n_members = c.n;
    memcpy(s->counts, c.counts, sizeof s->counts);
    s->swim_metrics = met;
    pthread_mutex_unlock(&s->mu);
}

static void status_tick(void *ctx)
{
    struct sync *s = ctx;
    s->status_timer = NULL;
    sync_refresh_status(s);
    if (!s->stopping)
        s->status_timer = loop_timer_add(s->loop, STATUS_PERIOD_MS, status_tick, s);
}

void sync_get_status(struct sync *s, struct sync_status *out)
{
    memset(out, 0, sizeof *out);
    if (!s)
        return;
    snprintf(out->node_id, sizeof out->node_id, "%s", s->cfg.node_id);
    pthread_mutex_lock(&s->qmu);
    out->running = !s->stopping;
    pthread_mutex_unlock(&s->qmu);
    pthread_mutex_lock(&s->mu);
    out->stats = s->stats;
    out->swim = s->swim_metrics;
    out->alive = s->counts[SWIM_ALIVE];
    out->suspect = s->counts[SWIM_SUSPECT];
    out->failed = s->counts[SWIM_DEAD];
    out->left = s->counts[SWIM_LEFT];
    if (s->n_members) {
        out->members = malloc(s->n_members * sizeof *out->members);
        if (out->members) {
            memcpy(out->members, s->members, s->n_members * sizeof *out->members);
            out->n_members = s->n_members;
        }
    }
    pthread_mutex_unlock(&s->mu);
    out->discovery_enabled = s->discovery != NULL;
    out->encrypted = swim_keyring_enabled(&s->keyring);
    if (s->discovery) {
        swim_discovery_get_stats(s->discovery, &out->discovery);
        size_t n = swim_discovery_nodes(s->discovery, NULL, 0);
        if (n) {
            out->discovered = calloc(n, sizeof *out->discovered);
            if (out->discovered)
                out->n_discovered = swim_discovery_nodes(s->discovery, out->discovered, n);
            if (out->n_discovered > n)
                out->n_discovered = n;
        }
    }
    struct records_stats rs;
    records_get_stats(s->records, &rs);
    out->dns_version = rs.version;
}

void sync_status_free(struct sync_status *st)
{
    free(st->members);
    free(st->discovered);
    st->members = NULL;
    st->discovered = NULL;
}

/* ---- joining peers ---- */

/* An IP literal (IPv6 with or without brackets) and a port (0 allowed: picked at bind). */
static int parse_ip(const char *ip, uint16_t port, struct swim_addr *out)
{
    char buf[300];
    snprintf(buf, sizeof buf, strchr(ip, ':') && ip[0] != '[' ? "[%s]" : "%s", ip);
    if (swim_addr_parse(buf, 0, out) != 0)
        return -1;
    out->port = port;
    return 0;
}

uint16_t sync_swim_port(const struct sync *s)
{
    return s ? s->port : 0;
}

static int resolve(const char *host, uint16_t port, struct swim_addr *out)
{
    if (parse_ip(host, port, out) == 0)
        return 0;
    struct addrinfo hints = {.ai_socktype = SOCK_DGRAM}, *res = NULL;
    if (getaddrinfo(host, NULL, &hints, &res) != 0 || !res)
        return -1;
    int rc = -1;
    for (struct addrinfo *ai = res; ai && rc != 0; ai = ai->ai_next) {
        memset(out, 0, sizeof *out);
        if (ai->ai_family == AF_INET) {
            memcpy(out->ip, &((struct sockaddr_in *)ai->ai_addr)->sin_addr, 4);
            out->ip_len = 4;
            rc = 0;
        } else if (ai->ai_family == AF_INET6) {
            memcpy(out->ip, &((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr, 16);
            out->ip_len = 16;
            rc = 0;
        }
    }
    out->port = port;
    freeaddrinfo(res);
    return rc;
}

static void join_addrs(struct sync *s, const struct swim_addr *a, size_t n)
{
    int started = swim_join(s->swim, loop_now_ms(), a, n);
    SYNC_STAT(s, joins_attempted, n);
    if (started < (int)n)
        log_debug(SYNC_MOD, "started %d of %zu joins", started, n);
}

static void seed_tick(void *ctx)
{
    struct sync *s = ctx;
    s->seed_timer = NULL;
    if (s->stopping)
        return;
    if (swim_num_alive(s->swim) > 1) {
        /* In a cluster: check again later, in case everyone we knew goes away. */
        s->seed_backoff_ms = SEED_RETRY_MIN_MS;
        sync_join_limiter_init(&s->joins, loop_now_ms());
        s->seed_timer = loop_timer_add(s->loop, SEED_RETRY_MAX_MS, seed_tick, s);
        return;
    }
    struct swim_addr *a = calloc(s->cfg.n_seeds, sizeof *a);
    size_t n = 0;
    for (size_t i = 0; a && i < s->cfg.n_seeds; i++) {
        if (resolve(s->seeds[i].host, s->seeds[i].port, &a[n]) == 0)
            n++;
        else
            log_warn(SYNC_MOD, "cannot resolve cluster seed %s", s->seeds[i].host);
    }
    if (n) {
        log_info(SYNC_MOD, "joining %zu cluster seeds", n);
        join_addrs(s, a, n);
    }
    free(a);
    s->seed_timer = loop_timer_add(s->loop, s->seed_backoff_ms, seed_tick, s);
    s->seed_backoff_ms =
        s->seed_backoff_ms * 2 > SEED_RETRY_MAX_MS ? SEED_RETRY_MAX_MS : s->seed_backoff_ms * 2;
}

/* A peer heard by discovery: join it unless it is a member already, it is a member's id at
 * another address (an announce never moves a member), or the join limiter says not now. */
static void on_discovery(enum swim_discovery_event ev, const struct swim_discovery_node *n,
                         void *ctx)
{
    static struct log_limit found_log = LOG_LIMIT_INIT(16, 60000);
    static struct log_limit flood_log = LOG_LIMIT_INIT(5, 60000);
    struct sync *s = ctx;
    if (strcmp(n->node_id, s->cfg.node_id) == 0 || s->stopping)
        return;
    if (ev == SWIM_DISCOVERY_FOUND)
        log_limited(&found_log, LOG_INFO, SYNC_MOD, "Discovered DNS node: %s at %s", n->node_id,
                    n->ip_address);
    struct swim_addr a;
    if ((ev != SWIM_DISCOVERY_FOUND && ev != SWIM_DISCOVERY_UPDATED) ||
        parse_ip(n->ip_address, n->swim_port, &a) != 0)
        return;
    struct swim_member m;
    char known[300];
    if (swim_get_member(s->swim, n->node_id, &m)) {
        if (!swim_addr_eq(&m.addr, &a)) {
            SYNC_STAT(s, joins_address_conflict, 1);
            log_limited(&flood_log, LOG_WARNING, SYNC_MOD,
                        "ignoring an announce of %s at %s:%u: that member is at %s", n->node_id,
                        n->ip_address, n->swim_port, swim_addr_str(&m.addr, known, sizeof known));
            return;
        }
        if (m.state == SWIM_ALIVE || m.state == SWIM_SUSPECT) {
            sync_join_reset(&s->joins, &a);
            return;
        }
    }
    switch (sync_join_check(&s->joins, &a, loop_now_ms())) {
    case SYNC_JOIN_GO:
        SYNC_STAT(s, discovery_joins, 1);
        join_addrs(s, &a, 1);
        break;
    case SYNC_JOIN_BACKOFF:
        SYNC_STAT(s, joins_backoff, 1);
        break;
    case SYNC_JOIN_RATE:
        SYNC_STAT(s, joins_rate_limited, 1);
        log_limited(&flood_log, LOG_WARNING, SYNC_MOD,
                    "not joining %s at %s:%u now: more than %d discovery joins per second",
                    n->node_id, n->ip_address, n->swim_port, SYNC_JOIN_PER_S);
        break;
    }
}

/* ---- on-demand sync ---- */

static void do_sync_now(void *ctx)
{
    struct sync *s = ctx;
    pthread_mutex_lock(&s->qmu);
    s->sync_posted = false;
    pthread_mutex_unlock(&s->qmu);
    if (s->stopping)
        return;
    sync_driver_exchange_all(s);
}

int sync_request_now(struct sync *s)
{
    if (!s)
        return -EINVAL;
    uint64_t now = loop_now_ms();
    int rc = 0;
    pthread_mutex_lock(&s->qmu);
    if (s->stopping)
        rc = -ESHUTDOWN;
    else if (s->sync_posted ||
             (s->sync_last_ms && now - s->sync_last_ms < SYNC_NOW_MIN_INTERVAL_MS))
        rc = SYNC_NOW_COALESCED;
    else if ((rc = loop_post(s->loop, do_sync_now, s)) == 0) {
        s->sync_posted = true;
        s->sync_last_ms = now ? now : 1;
    }
    pthread_mutex_unlock(&s->qmu);
    SYNC_STAT(s, sync_requests, 1);
    if (rc == SYNC_NOW_COALESCED)
        SYNC_STAT(s, sync_requests_coalesced, 1);
    return rc;
}

/* ---- lifecycle ---- */

static char *dup_into(char **cursor, const char *src)
{
    if (!src)
        return NULL;
    size_t n = strlen(src) + 1;
    char *dst = *cursor;
    memcpy(dst, src, n);
    *cursor += n;
    return dst;
}

static bool copy_config(struct sync *s, const struct sync_config *cfg)
{
    s->cfg = *cfg;
    char hostname[256] = "";
    if (!cfg->hostname) {
        if (gethostname(hostname, sizeof hostname - 1) != 0)
            snprintf(hostname, sizeof hostname, "%s", cfg->node_id);
    }
    const char *strs[] = {cfg->node_id,      cfg->hostname ? cfg->hostname : hostname,
                          cfg->advertise_ip, cfg->bind_address,
                          cfg->version,      cfg->discovery_broadcast};
    size_t total = 0;
    for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++)
        total += strs[i] ? strlen(strs[i]) + 1 : 0;
    for (size_t i = 0; i < cfg->n_seeds; i++)
        total += strlen(cfg->seeds[i].host) + 1;
    s->strings = malloc(total ? total : 1);
    s->seeds = calloc(cfg->n_seeds ? cfg->n_seeds : 1, sizeof *s->seeds);
    if (!s->strings || !s->seeds)
        return false;
    char *cur = s->strings;
    s->cfg.node_id = dup_into(&cur, strs[0]);
    s->cfg.hostname = dup_into(&cur, strs[1]);
    s->cfg.advertise_ip = dup_into(&cur, strs[2]);
    s->cfg.bind_address = dup_into(&cur, strs[3]);
    s->cfg.version = dup_into(&cur, strs[4]);
    s->cfg.discovery_broadcast = dup_into(&cur, strs[5]);
    for (size_t i = 0; i < cfg->n_seeds; i++) {
        s->seeds[i].host = dup_into(&cur, cfg->seeds[i].host);
        s->seeds[i].port = cfg->seeds[i].port;
    }
    s->cfg.seeds = s->seeds;
    s->cfg.keys = NULL; /* installed into the keyring below */
    return true;
}

static void free_sync(struct sync *s)
{
    if (s->status_timer)
        loop_timer_cancel(s->loop, s->status_timer);
    if (s->seed_timer)
        loop_timer_cancel(s->loop, s->seed_timer);
    if (s->net)
        swim_net_free(s->net); /* frees the swim node too */
    s->swim = NULL;
    swim_keyring_clear(&s->keyring);
    sync_driver_free(s); /* after the swim node: no callback can run any more */
    free(s->members);
    free(s->strings);
    free(s->seeds);
    pthread_mutex_destroy(&s->mu);
    pthread_mutex_destroy(&s->qmu);
    free(s);
}

struct sync *sync_start(struct loop *loop, struct records *records, const struct sync_config *cfg,
                        char *err, size_t errlen)
{
    if (!loop || !records || !cfg || !cfg->node_id || !cfg->advertise_ip) {
        snprintf(err, errlen, "cluster: node id and advertised address are required");
        return NULL;
    }
    if (strcmp(records_local_owner(records), cfg->node_id) != 0) {
        snprintf(err, errlen, "cluster: node id %s differs from the record owner %s", cfg->node_id,
                 records_local_owner(records));
        return NULL;
    }
    struct sync *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errlen, "cluster: out of memory");
        return NULL;
    }
    s->loop = loop;
    s->records = records;
    pthread_mutex_init(&s->mu, NULL);
    pthread_mutex_init(&s->qmu, NULL);
    swim_keyring_init(&s->keyring);
    s->seed_backoff_ms = SEED_RETRY_MIN_MS;
    sync_join_limiter_init(&s->joins, loop_now_ms());
    if (!copy_config(s, cfg)) {
        snprintf(err, errlen, "cluster: out of memory");
        goto fail;
    }
    for (size_t i = 0; i < cfg->n_keys; i++) {
        if (swim_keyring_add(&s->keyring, cfg->keys[i].bytes, cfg->keys[i].len) != SWIM_OK) {
            snprintf(err, errlen, "CLUSTER_SECRET: key %zu is not a 16, 24 or 32 byte key", i + 1);
            goto fail;
        }
    }

    struct swim_config sc;
    swim_config_default(&sc);
    sc.name = s->cfg.node_id;
    char addr[300];
    if (parse_ip(cfg->advertise_ip, cfg->swim_port, &sc.advertise) != 0) {
        snprintf(err, errlen, "HOSTIP: %s is not an IP address to advertise", cfg->advertise_ip);
        goto fail;
    }
    if (cfg->probe_interval_ms)
        sc.probe_interval_ms = cfg->probe_interval_ms;
    if (cfg->probe_timeout_ms)
        sc.probe_timeout_ms = cfg->probe_timeout_ms;
    if (cfg->gossip_interval_ms)
        sc.gossip_interval_ms = cfg->gossip_interval_ms;
    if (cfg->suspicion_mult)
        sc.suspicion_mult = cfg->suspicion_mult;
    if (cfg->gossip_nodes)
        sc.gossip_nodes = cfg->gossip_nodes;
    if (cfg->pushpull_interval_ms)
        sc.pushpull_interval_ms = cfg->pushpull_interval_ms;
    sc.keyring = cfg->n_keys ? &s->keyring : NULL;
    sc.log = (struct swim_logger){.fn = log_from_swimmies};
    sc.delegate = sync_driver_delegate(s);
    const char *bind = cfg->bind_address && *cfg->bind_address ? cfg->bind_address : "0.0.0.0";
    struct swim_addr ba;
    if (parse_ip(bind, cfg->swim_port, &ba) != 0) {
        snprintf(err, errlen, "CLUSTER_BIND_ADDRESS: %s is not an IP address", bind);
        goto fail;
    }
    s->net = swim_net_new(loop, &ba, &sc);
    if (!s->net) {
        snprintf(err, errlen, "cluster: cannot listen for SWIM (UDP+TCP) on %s port %u", bind,
                 cfg->swim_port);
        goto fail;
    }
    s->swim = swim_net_swim(s->net);
    s->port = swim_net_bound(s->net).port;
    if (!sync_driver_start(s)) {
        snprintf(err, errlen, "cluster: out of memory");
        goto fail;
    }
    swim_addr_str(&sc.advertise, addr, sizeof addr);

    if (cfg->discovery_port) {
        struct swim_discovery_config dc = {
            .log = {.fn = log_from_swimmies},
            .node_id = s->cfg.node_id,
            .hostname = s->cfg.hostname,
            .ip_address = s->cfg.advertise_ip,
            .service_port = cfg->service_port,
            .swim_port = s->port,
            .version = s->cfg.version ? s->cfg.version : JOYRIDE_VERSION,
            .service_type = "joyride-dns",
            .role = "dns-server",
            .bind_address = s->cfg.bind_address,
            .port = cfg->discovery_port,
            .broadcast =
                s->cfg.discovery_broadcast ? s->cfg.discovery_broadcast : "255.255.255.255",
            .interval_ms = cfg->discovery_interval_ms ? cfg->discovery_interval_ms : 5000,
            .timeout_ms = cfg->discovery_timeout_ms ? cfg->discovery_timeout_ms : 15000,
            .keyring = cfg->n_keys ? &s->keyring : NULL, /* signed announces */
        };
        s->discovery = swim_discovery_start(loop, &dc, on_discovery, s, err, errlen);
        if (!s->discovery)
            goto fail;
    }
    records_set_observer(records, sync_repl_on_delta, s);
    if (cfg->n_seeds)
        seed_tick(s);
    sync_refresh_status(s);
    s->status_timer = loop_timer_add(loop, STATUS_PERIOD_MS, status_tick, s);
    log_info(SYNC_MOD, "DNS sync manager started successfully");
    log_info(SYNC_MOD,
             "node %s: SWIM on %s:%u (advertised %s), discovery %s, %zu seeds, encryption %s",
             s->cfg.node_id, bind, s->port, addr, cfg->discovery_port ? "on" : "off", cfg->n_seeds,
             cfg->n_keys ? "on" : "off");
    return s;
fail:
    if (s->discovery)
        swim_discovery_stop(s->discovery);
    free_sync(s);
    return NULL;
}

static void leave_check(void *ctx)
{
    struct sync *s = ctx;
    s->seed_timer = NULL;
    if (swim_leave_done(s->swim))
        loop_stop(s->loop);
    else
        s->seed_timer = loop_timer_add(s->loop, 20, leave_check, s);
}

static void leave_deadline(void *ctx)
{
    struct sync *s = ctx;
    s->status_timer = NULL;
    loop_stop(s->loop);
}

static void stop_loop(void *ctx)
{
    loop_stop(ctx);
}

void sync_stop(struct sync *s)
{
    if (!s)
        return;
    records_set_observer(s->records, NULL, NULL);
    pthread_mutex_lock(&s->qmu);
    s->stopping = true;
    pthread_mutex_unlock(&s->qmu);
    if (s->status_timer)
        loop_timer_cancel(s->loop, s->status_timer);
    if (s->seed_timer)
        loop_timer_cancel(s->loop, s->seed_timer);
    s->status_timer = s->seed_timer = NULL;
    sync_driver_stop(s);
    if (s->discovery) {
        swim_discovery_stop(s->discovery);
        s->discovery = NULL;
    }
    if (swim_num_alive(s->swim) > 1 && swim_leave(s->swim, loop_now_ms()) == 0) {
        /* Spread the leave: run the loop until it has been sent or the deadline passes. */
        s->seed_timer = loop_timer_add(s->loop, 20, leave_check, s);
        s->status_timer = loop_timer_add(s->loop, LEAVE_SPREAD_MS, leave_deadline, s);
        loop_run(s->loop);
        log_info(SYNC_MOD, "left the cluster%s",
                 swim_leave_done(s->swim) ? ""
                                          : " (the leave message was not confirmed sent before the "
                                            "deadline; the others will see this node fail)");
    }
    /* Work already posted for us runs now (it sees `stopping` and returns), never after free. */
    if (loop_post(s->loop, stop_loop, s->loop) == 0)
        loop_run(s->loop);
    free_sync(s);
}
