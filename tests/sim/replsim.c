/* replsim.c — record replication at scale on the deterministic simulator: swimmies nodes, each
 * with the sans-IO replication core (sync/repl.c) over a compact record table (simstore.c),
 * owning R records each. Used as meson tests (exit status says pass/fail against loose bounds)
 * and by bench/repl.sh (key=value lines on stdout). Scenarios:
 *   converge N R    N nodes join one by one, each owning R records; time until every node serves
 *                   every name; then bytes per node per second over a minute of steady state
 *   partition N R   converged, cut in halves for 60 s with changes on both sides, healed: time
 *                   until every node serves every name again
 *   crash N R       converged, 10 % of the nodes crash: time until no one serves their names; they
 *                   restart (new epoch, one name changed) and rejoin: time until converged
 *   join N R        converged, a fresh node joins: time until it serves all N*R names, the
 *                   messages it received for that, their bytes and the largest
 *   restart N R B   converged, node 0 restarts owning B records (all new names) loaded before
 *                   it joins: bytes per node per second from the restart until 10 s after every
 *                   node serves them, the busiest peer's, the time until every node serves them
 *   restart-late N R B   the same with the B records published as local changes 1 s after the
 *                   join (containers starting), one burst
 *   flat N1 N2 R    converge at N1 and at N2 nodes: fails if steady bytes per node per second
 *                   grow by more than half (it must not grow with the cluster)
 * Options: --seed S, --loss PCT (UDP loss, TCP delayed, the whole run), --latency MS,
 * --max-ms T (failure if convergence takes longer), --max-bps B, --max-msg BYTES,
 * --max-owner-bps B (failure above these; see each scenario), --kinds (our payloads delivered
 * in steady state, by kind, on stderr). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/log.h"
#include "simnet.h"
#include "simstore.h"
#include "sync/repl.h"

struct rnode {
    struct simstore *st;
    struct repl *r;
    uint64_t epoch;
    size_t owned; /* records this node owns */
    size_t gen;   /* bumped with every restart: names differ per generation when asked */
};

struct cluster {
    struct simnet *net;
    struct simworld *w;
    struct rnode *nodes;
    size_t n, cap;
};

static uint64_t opt_seed = 1;
static double opt_loss;
static uint32_t opt_latency = 1;
static uint64_t opt_max_ms = 120000;
static double opt_max_bps;       /* converge/flat: fail above this steady bytes/node/s (0: none) */
static size_t opt_max_msg;       /* join: fail if the joiner received a larger message */
static double opt_max_owner_bps; /* restart: fail if the restarted node sent more per second */
static uint64_t epoch_clock = 1000;

static double wall_s(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

static void app_tick(void *ctx, uint64_t now)
{
    struct rnode *rn = ctx;
    repl_tick(rn->r, now);
}

static uint64_t app_deadline(void *ctx)
{
    struct rnode *rn = ctx;
    return repl_next_deadline(rn->r);
}

static void record_addr(size_t node, size_t j, struct rec_addr *a)
{
    memset(a, 0, sizeof *a);
    a->type = REC_A;
    a->bytes[0] = 10;
    a->bytes[1] = (uint8_t)(node >> 8);
    a->bytes[2] = (uint8_t)node;
    a->bytes[3] = (uint8_t)(j % 251 + 1);
}

static void record_name(size_t node, size_t j, size_t gen, char *buf, size_t len)
{
    if (gen)
        snprintf(buf, len, "r%zu-g%zu.n%zu.sim", j, gen, node);
    else
        snprintf(buf, len, "r%zu.n%zu.sim", j, node);
}

/* The records a (re)started node loads before it joins: present at once, no deltas (nobody to
 * send them to yet). */
static void load_records_gen(struct cluster *c, size_t i, size_t count, size_t gen)
{
    struct rnode *rn = &c->nodes[i];
    simstore_local_begin(rn->st);
    char name[64];
    struct rec_addr a;
    for (size_t j = 0; j < count; j++) {
        record_name(i, j, gen, name, sizeof name);
        record_addr(i, j, &a);
        simstore_local_set(rn->st, name, &a, true, NULL);
    }
    simstore_local_end(rn->st);
    rn->owned = count;
}

static void load_records(struct cluster *c, size_t i, size_t count)
{
    load_records_gen(c, i, count, 0);
}

/* The records a running node's sources add (containers starting): local deltas, all at once. */
static void publish_records(struct cluster *c, size_t i, size_t count, size_t gen)
{
    struct rnode *rn = &c->nodes[i];
    struct rec_delta *d = calloc(count, sizeof *d);
    if (!d)
        abort();
    size_t nd = 0;
    char name[64];
    struct rec_addr a;
    simstore_local_begin(rn->st);
    for (size_t j = 0; j < count; j++) {
        record_name(i, j, gen, name, sizeof name);
        record_addr(i, j, &a);
        if (simstore_local_set(rn->st, name, &a, true, &d[nd]))
            nd++;
    }
    simstore_local_end(rn->st);
    repl_local_deltas(rn->r, simnet_now(c->net), d, nd);
    simnet_wake(c->net, i);
    free(d);
    rn->owned += count;
}

/* Starts the replication core of node i over a fresh table (a new process: new epoch). */
static void start_app(struct cluster *c, size_t i)
{
    struct rnode *rn = &c->nodes[i];
    rn->epoch = ++epoch_clock;
    rn->st = simstore_new(c->w, i, rn->epoch);
    struct repl_config rc = {.node_id = simnet_name(c->net, i),
                             .swim = simnet_swim(c->net, i),
                             .store = simstore_ops(rn->st),
                             .direct_max = 16};
    rn->r = repl_new(&rc, simnet_now(c->net));
    if (!rn->r)
        abort();
}

static void stop_app(struct cluster *c, size_t i)
{
    struct rnode *rn = &c->nodes[i];
    simnet_set_app(c->net, i, NULL);
    repl_free(rn->r);
    simstore_free(rn->st);
    rn->r = NULL;
    rn->st = NULL;
}

/* simnet passes the app ctx (struct rnode) to the delegate; the core wants itself. */
static void fwd_event(void *ctx, enum swim_event ev, const struct swim_member *m)
{
    repl_on_event(((struct rnode *)ctx)->r, ev, m);
}
static void fwd_user(void *ctx, const uint8_t *msg, size_t len)
{
    repl_on_user_msg(((struct rnode *)ctx)->r, msg, len);
}
static void fwd_local(void *ctx, bool join, uint8_t **out, size_t *len)
{
    repl_local_state(((struct rnode *)ctx)->r, join, out, len);
}
static void fwd_merge(void *ctx, const uint8_t *buf, size_t len, bool join)
{
    repl_merge_remote_state(((struct rnode *)ctx)->r, buf, len, join);
}

static void install_app(struct cluster *c, size_t i)
{
    start_app(c, i);
    struct simnet_app app = {.ctx = &c->nodes[i],
                             .delegate = {.on_event = fwd_event,
                                          .on_user_msg = fwd_user,
                                          .local_state = fwd_local,
                                          .merge_remote_state = fwd_merge},
                             .tick = app_tick,
                             .next_deadline = app_deadline};
    simnet_set_app(c->net, i, &app);
}

static size_t add_node(struct cluster *c, size_t records)
{
    if (c->n == c->cap)
        abort(); /* apps point into the array: it never moves */
    long idx = simnet_add(c->net, NULL);
    if (idx < 0 || (size_t)idx != c->n)
        abort();
    memset(&c->nodes[c->n], 0, sizeof c->nodes[0]);
    c->n++;
    install_app(c, (size_t)idx);
    load_records(c, (size_t)idx, records);
    return (size_t)idx;
}

static void cluster_init(struct cluster *c, size_t max_nodes)
{
    memset(c, 0, sizeof *c);
    struct simnet_opts so = {.seed = opt_seed,
                             .latency_ms = opt_latency,
                             .jitter_ms = opt_latency + 1,
                             .loss = opt_loss};
    c->net = simnet_new(&so);
    c->w = simworld_new(max_nodes);
    c->cap = max_nodes;
    c->nodes = calloc(max_nodes, sizeof *c->nodes);
    if (!c->net || !c->w || !c->nodes)
        abort();
}

static void cluster_free(struct cluster *c)
{
    for (size_t i = 0; i < c->n; i++)
        if (c->nodes[i].r)
            stop_app(c, i);
    simnet_free(c->net);
    simworld_free(c->w);
    free(c->nodes);
}

static bool live(const struct cluster *c, size_t i)
{
    return !simnet_crashed(c->net, i) && c->nodes[i].r;
}

/* Every live node serves every live node's names, exactly as the owner has them. */
static bool all_serve(const struct cluster *c)
{
    for (size_t i = 0; i < c->n; i++) {
        if (!live(c, i))
            continue;
        for (size_t k = 0; k < c->n; k++)
            if (k != i && live(c, k) && !simstore_serves_like(c->nodes[i].st, c->nodes[k].st, k))
                return false;
    }
    return true;
}

/* How many (node, owner) pairs are not converged yet (for reports). */
static size_t missing_pairs(const struct cluster *c)
{
    size_t m = 0;
    for (size_t i = 0; i < c->n; i++)
        for (size_t k = 0; live(c, i) && k < c->n; k++)
            if (k != i && live(c, k) && !simstore_serves_like(c->nodes[i].st, c->nodes[k].st, k)) {
                if (m++ == 0 && getenv("REPLSIM_TRACE")) {
                    char a[200], b[200];
                    simstore_describe(c->nodes[i].st, k, a, sizeof a);
                    simstore_describe(c->nodes[k].st, k, b, sizeof b);
                    fprintf(stderr, "node-%zu lacks node-%zu: holds %s; owner has %s\n", i, k, a,
                            b);
                }
            }
    return m;
}

static size_t live_count(const struct cluster *c);

/* Runs until pred holds or limit ms pass; returns the ms it took or -1. */
static long run_until(struct cluster *c, bool (*pred)(const struct cluster *), uint64_t limit,
                      uint64_t step)
{
    uint64_t t0 = simnet_now(c->net);
    for (;;) {
        if (pred(c))
            return (long)(simnet_now(c->net) - t0);
        if (getenv("REPLSIM_TRACE") && (simnet_now(c->net) - t0) % 1000 == 0)
            fprintf(stderr, "t=%llu missing=%zu membership_converged=%d\n",
                    (unsigned long long)(simnet_now(c->net) - t0), missing_pairs(c),
                    simnet_converged(c->net, live_count(c)));
        if (simnet_now(c->net) - t0 >= limit)
            return -1;
        simnet_run_until(c->net, simnet_now(c->net) + step);
    }
}

static uint64_t total_bytes(const struct cluster *c)
{
    uint64_t b = 0;
    for (size_t i = 0; i < c->n; i++)
        b += simnet_bytes_sent(c->net, i);
    return b;
}

static size_t live_count(const struct cluster *c)
{
    size_t n = 0;
    for (size_t i = 0; i < c->n; i++)
        n += live(c, i);
    return n;
}

/* N nodes, each joining a random earlier one every `spacing` ms; returns ms from the last join
 * until every node serves every name, or -1. */
static long grow(struct cluster *c, size_t n, size_t records, uint64_t spacing)
{
    uint64_t rng = opt_seed * 7919 + 17;
    for (size_t i = 0; i < n; i++) {
        size_t idx = add_node(c, records);
        if (idx > 0) {
            rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
            simnet_join(c->net, idx, (size_t)((rng >> 33) % idx));
        }
        simnet_run_until(c->net, simnet_now(c->net) + spacing);
    }
    return run_until(c, all_serve, opt_max_ms, 100);
}

/* Local change on node i: replaces record j's address (one delta, as a source would). */
static void change_record(struct cluster *c, size_t i, size_t j, uint8_t salt)
{
    struct rnode *rn = &c->nodes[i];
    char name[64];
    struct rec_addr a, b;
    record_name(i, j, 0, name, sizeof name);
    record_addr(i, j, &a);
    b = a;
    b.bytes[3] = salt;
    struct rec_delta d[2];
    size_t nd = 0;
    simstore_local_begin(rn->st);
    if (simstore_local_set(rn->st, name, &a, false, &d[nd]))
        nd++;
    if (simstore_local_set(rn->st, name, &b, true, &d[nd]))
        nd++;
    simstore_local_end(rn->st);
    repl_local_deltas(rn->r, simnet_now(c->net), d, nd);
    simnet_wake(c->net, i);
}

static void report_converge_common(struct cluster *c, const char *scen, size_t n, size_t r,
                                   long conv)
{
    size_t entries;
    size_t contents = simworld_contents(c->w, &entries);
    printf("scenario=%s n=%zu records_per_node=%zu total_records=%zu loss_pct=%.0f "
           "converged_ms=%ld missing_pairs=%zu contents=%zu ",
           scen, n, r, n * r, opt_loss * 100, conv, conv < 0 ? missing_pairs(c) : 0, contents);
    (void)entries;
}

/* User payloads delivered, by kind (for --kinds). */
static uint64_t g_kind_msgs[8], g_kind_bytes[8];
static bool opt_kinds;

static void count_user(void *ctx, size_t node, const uint8_t *msg, size_t len)
{
    (void)ctx;
    (void)node;
    int k = len >= 3 && msg[0] == 0xA7 ? msg[2] : 0;
    if (k < 0 || k > 7)
        k = 0;
    g_kind_msgs[k]++;
    g_kind_bytes[k] += len;
}

/* Steady-state traffic: bytes each node sends per second, averaged over `secs`. */
static double steady_bps(struct cluster *c, double secs)
{
    uint64_t b0 = total_bytes(c);
    memset(g_kind_msgs, 0, sizeof g_kind_msgs);
    memset(g_kind_bytes, 0, sizeof g_kind_bytes);
    if (opt_kinds)
        simnet_on_user(c->net, count_user, NULL);
    simnet_run_until(c->net, simnet_now(c->net) + (uint64_t)(secs * 1000));
    simnet_on_user(c->net, NULL, NULL);
    for (int k = 0; opt_kinds && k < 8; k++)
        if (g_kind_msgs[k])
            fprintf(stderr, "kind %d: %llu messages, %llu bytes delivered\n", k,
                    (unsigned long long)g_kind_msgs[k], (unsigned long long)g_kind_bytes[k]);
    return (double)(total_bytes(c) - b0) / (double)live_count(c) / secs;
}

static double g_last_bps;

static int scen_converge(size_t n, size_t r)
{
    struct timespec w0;
    clock_gettime(CLOCK_MONOTONIC, &w0);
    struct cluster c;
    cluster_init(&c, n + 1);
    long conv = grow(&c, n, r, 20);
    report_converge_common(&c, "converge", n, r, conv);
    /* steady state: once the last changes are 40 s old (past the recent-digest window) */
    double settle_bps = conv >= 0 ? steady_bps(&c, 40) : -1;
    double bps = conv >= 0 ? steady_bps(&c, 60) : -1;
    /* one change spreads to all */
    long change_ms = -1;
    if (conv >= 0) {
        change_record(&c, n / 2, 0, 77);
        change_ms = run_until(&c, all_serve, opt_max_ms, 10);
    }
    printf("settling_bytes_per_node_s=%.0f bytes_per_node_s=%.0f change_ms=%ld wall_s=%.1f\n",
           settle_bps, bps, change_ms, wall_s(&w0));
    cluster_free(&c);
    g_last_bps = bps;
    return conv >= 0 && change_ms >= 0 && (!opt_max_bps || bps <= opt_max_bps) ? 0 : 1;
}

static int scen_flat(size_t n1, size_t n2, size_t r)
{
    int rc = scen_converge(n1, r);
    double b1 = g_last_bps;
    rc |= scen_converge(n2, r);
    double b2 = g_last_bps;
    printf("scenario=flat n1=%zu n2=%zu bytes_per_node_s_n1=%.0f bytes_per_node_s_n2=%.0f "
           "ratio=%.2f\n",
           n1, n2, b1, b2, b1 > 0 ? b2 / b1 : -1);
    return rc == 0 && b1 > 0 && b2 <= 1.5 * b1 ? 0 : 1;
}

static int scen_partition(size_t n, size_t r)
{
    struct cluster c;
    cluster_init(&c, n + 1);
    long conv = grow(&c, n, r, 20);
    if (conv < 0) {
        printf("scenario=partition n=%zu error=no-convergence missing_pairs=%zu\n", n,
               missing_pairs(&c));
        cluster_free(&c);
        return 1;
    }
    uint8_t *group = calloc(n, 1);
    for (size_t i = n / 2; i < n; i++)
        group[i] = 1;
    simnet_partition(c.net, group);
    simnet_run_until(c.net, simnet_now(c.net) + 5000);
    /* changes on both sides while cut off */
    for (size_t i = 0; i < n; i += 7)
        change_record(&c, i, 1, (uint8_t)(200 + i % 50));
    simnet_run_until(c.net, simnet_now(c.net) + 55000);
    simnet_partition(c.net, NULL);
    long heal = run_until(&c, all_serve, opt_max_ms, 100);
    printf("scenario=partition n=%zu records_per_node=%zu partition_s=60 heal_ms=%ld "
           "missing_pairs=%zu\n",
           n, r, heal, heal < 0 ? missing_pairs(&c) : 0);
    free(group);
    cluster_free(&c);
    return heal >= 0 ? 0 : 1;
}

static size_t g_crash_every;

static bool crashed_withdrawn(const struct cluster *c)
{
    for (size_t i = 0; i < c->n; i++) {
        if (!live(c, i))
            continue;
        for (size_t k = 0; k < c->n; k += g_crash_every)
            if (k != i && !live(c, k) && simstore_served(c->nodes[i].st, k))
                return false;
    }
    return true;
}

static int scen_crash(size_t n, size_t r)
{
    struct cluster c;
    cluster_init(&c, n + 1);
    long conv = grow(&c, n, r, 20);
    if (conv < 0) {
        printf("scenario=crash n=%zu error=no-convergence missing_pairs=%zu\n", n,
               missing_pairs(&c));
        cluster_free(&c);
        return 1;
    }
    simnet_run_until(c.net, simnet_now(c.net) + 5000);
    g_crash_every = 10;
    size_t crashed = 0;
    for (size_t k = 0; k < n; k += g_crash_every) {
        if (k == 0)
            continue;
        simnet_crash(c.net, k);
        crashed++;
    }
    long withdrawn = run_until(&c, crashed_withdrawn, opt_max_ms, 100);
    simnet_run_until(c.net, simnet_now(c.net) + 5000);
    /* restart: a new process with a new epoch, the same records with one changed */
    for (size_t k = g_crash_every; k < n; k += g_crash_every) {
        stop_app(&c, k);
        simnet_restart(c.net, k);
        install_app(&c, k);
        load_records(&c, k, r);
        simnet_join(c.net, k, 0);
    }
    for (size_t k = g_crash_every; k < n; k += g_crash_every)
        change_record(&c, k, 2, 99);
    long back = run_until(&c, all_serve, opt_max_ms, 100);
    printf("scenario=crash n=%zu records_per_node=%zu crashed=%zu withdrawn_ms=%ld "
           "restarted_converged_ms=%ld missing_pairs=%zu\n",
           n, r, crashed, withdrawn, back, back < 0 ? missing_pairs(&c) : 0);
    cluster_free(&c);
    return withdrawn >= 0 && back >= 0 ? 0 : 1;
}

static size_t g_joiner;

static bool joiner_serves_all(const struct cluster *c)
{
    for (size_t k = 0; k < c->n; k++)
        if (k != g_joiner && live(c, k) &&
            !simstore_serves_like(c->nodes[g_joiner].st, c->nodes[k].st, k))
            return false;
    return true;
}

static int scen_join(size_t n, size_t r)
{
    struct cluster c;
    cluster_init(&c, n + 2);
    long conv = grow(&c, n, r, 20);
    if (conv < 0) {
        printf("scenario=join n=%zu error=no-convergence missing_pairs=%zu\n", n,
               missing_pairs(&c));
        cluster_free(&c);
        return 1;
    }
    simnet_run_until(c.net, simnet_now(c.net) + 5000);
    g_joiner = add_node(&c, r);
    uint64_t m0 = simnet_msgs_received(c.net, g_joiner);
    uint64_t b0 = simnet_bytes_received(c.net, g_joiner);
    uint64_t tb0 = total_bytes(&c);
    simnet_join(c.net, g_joiner, 0);
    long t = run_until(&c, joiner_serves_all, opt_max_ms, 10);
    uint64_t msgs = simnet_msgs_received(c.net, g_joiner) - m0;
    uint64_t bytes = simnet_bytes_received(c.net, g_joiner) - b0;
    long all = run_until(&c, all_serve, opt_max_ms, 10);
    printf("scenario=join n=%zu records_per_node=%zu cluster_records=%zu joiner_serves_all_ms=%ld "
           "all_serve_joiner_ms=%ld joiner_msgs_in=%llu joiner_bytes_in=%llu "
           "joiner_max_msg_in=%zu max_stream=%zu cluster_bytes=%llu\n",
           n, r, n * r, t, all, (unsigned long long)msgs, (unsigned long long)bytes,
           simnet_max_received(c.net, g_joiner), simnet_max_stream(c.net),
           (unsigned long long)(total_bytes(&c) - tb0));
    size_t max_in = simnet_max_received(c.net, g_joiner);
    cluster_free(&c);
    return t >= 0 && all >= 0 && (!opt_max_msg || max_in <= opt_max_msg) ? 0 : 1;
}

/* Node v restarts as a new process owning `big` records of generation gen: loaded before it
 * joins (hosts files), or published as local changes once it has joined (containers). */
static void restart_with(struct cluster *c, size_t v, size_t big, size_t gen, bool late)
{
    stop_app(c, v);
    simnet_crash(c->net, v);
    simnet_run_until(c->net, simnet_now(c->net) + 200);
    simnet_restart(c->net, v);
    install_app(c, v);
    if (!late)
        load_records_gen(c, v, big, gen);
    simnet_join(c->net, v, 1);
    if (late) {
        simnet_run_until(c->net, simnet_now(c->net) + 1000);
        publish_records(c, v, big, gen);
    }
}

static int scen_restart(size_t n, size_t r, size_t big, bool late)
{
    struct cluster c;
    cluster_init(&c, n + 1);
    long conv = grow(&c, n, r, 20);
    if (conv < 0) {
        printf("scenario=restart n=%zu error=no-convergence missing_pairs=%zu\n", n,
               missing_pairs(&c));
        cluster_free(&c);
        return 1;
    }
    /* node 0 comes back with `big` records, the cluster converges and settles */
    size_t v = 0;
    restart_with(&c, v, big, 1, false);
    long first = run_until(&c, all_serve, opt_max_ms, 100);
    simnet_run_until(c.net, simnet_now(c.net) + 10000);
    double base_bps = steady_bps(&c, 20);

    /* the measured restart: back at once, all `big` names new (a new generation) */
    uint64_t *b0 = calloc(n, sizeof *b0);
    for (size_t i = 0; i < n; i++)
        b0[i] = simnet_bytes_sent(c.net, i);
    uint64_t t0 = simnet_now(c.net);
    restart_with(&c, v, big, 2, late);
    long t = run_until(&c, all_serve, opt_max_ms, 100);
    if (t >= 0)
        t = (long)(simnet_now(c.net) - t0);
    /* traffic until it has settled: 10 s past convergence */
    simnet_run_until(c.net, simnet_now(c.net) + 10000);
    double secs = (double)(simnet_now(c.net) - t0) / 1000.0;
    uint64_t tot = 0, max = 0, owner = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t d = simnet_bytes_sent(c.net, i) - b0[i];
        tot += d;
        if (i == v)
            owner = d;
        else if (d > max)
            max = d;
    }
    printf("scenario=restart n=%zu records_per_node=%zu restarted_records=%zu mode=%s "
           "first_converged_ms=%ld converged_ms=%ld window_s=%.1f steady_bytes_per_node_s=%.0f "
           "restart_bytes_per_node_s=%.0f busiest_peer_bytes_s=%.0f restarted_node_bytes_s=%.0f "
           "restart_total_bytes=%llu max_stream=%zu\n",
           n, r, big, late ? "published-after-join" : "loaded-before-join", first, t, secs,
           base_bps, (double)tot / (double)n / secs, (double)max / secs, (double)owner / secs,
           (unsigned long long)tot, simnet_max_stream(c.net));
    free(b0);
    cluster_free(&c);
    return first >= 0 && t >= 0 && (!opt_max_owner_bps || (double)owner / secs <= opt_max_owner_bps)
               ? 0
               : 1;
}

int main(int argc, char **argv)
{
    const char *pos[4] = {0};
    int np = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc)
            opt_seed = strtoull(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--loss") == 0 && i + 1 < argc)
            opt_loss = atof(argv[++i]) / 100.0;
        else if (strcmp(argv[i], "--latency") == 0 && i + 1 < argc)
            opt_latency = (uint32_t)strtoul(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--max-ms") == 0 && i + 1 < argc)
            opt_max_ms = strtoull(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--kinds") == 0)
            opt_kinds = true;
        else if (strcmp(argv[i], "--max-bps") == 0 && i + 1 < argc)
            opt_max_bps = atof(argv[++i]);
        else if (strcmp(argv[i], "--max-msg") == 0 && i + 1 < argc)
            opt_max_msg = strtoul(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--max-owner-bps") == 0 && i + 1 < argc)
            opt_max_owner_bps = atof(argv[++i]);
        else if (np < 4)
            pos[np++] = argv[i];
    }
    if (np < 2) {
        fprintf(stderr, "usage: replsim converge|partition|crash|join|restart|restart-late|flat "
                        "N [R [B]] "
                        "[--seed S] [--loss PCT] [--latency MS] [--max-ms T]\n");
        return 2;
    }
    log_set_level(getenv("REPLSIM_DEBUG") ? LOG_DEBUG : LOG_ERROR);
    size_t n = strtoul(pos[1], NULL, 10);
    size_t r = pos[2] ? strtoul(pos[2], NULL, 10) : 100;
    if (n < 2 || n > 60000)
        return 2;
    if (strcmp(pos[0], "converge") == 0)
        return scen_converge(n, r);
    if (strcmp(pos[0], "flat") == 0)
        return scen_flat(n, r, pos[3] ? strtoul(pos[3], NULL, 10) : 100);
    if (strcmp(pos[0], "partition") == 0)
        return scen_partition(n, r);
    if (strcmp(pos[0], "crash") == 0)
        return scen_crash(n, r);
    if (strcmp(pos[0], "join") == 0)
        return scen_join(n, r);
    if (strcmp(pos[0], "restart") == 0 || strcmp(pos[0], "restart-late") == 0)
        return scen_restart(n, r, pos[3] ? strtoul(pos[3], NULL, 10) : 10000,
                            strcmp(pos[0], "restart-late") == 0);
    return 2;
}
